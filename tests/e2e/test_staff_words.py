"""Staff pages in staff words: the deadline light has text beside it, codes are named, the
person's own wording ("Wartet auf Ihre Bestätigung") stays on the person's pages, and an
error under a staff path comes as a staff page."""

from __future__ import annotations

import re
from typing import Any

from dsr.domain.vocabulary import Role
from tests.e2e.test_dpo import _dpo_session, _letter
from tests.e2e.web import csrf_of
from tests.helpers import staff_token


async def test_deadline_lights_have_words_and_codes_are_named(console: Any) -> None:
    client, settings = console
    agent = await staff_token(settings, "anna", Role.AGENT)
    overdue = await _letter(client, agent, 40)
    fresh = await _letter(client, agent, 1)
    await _dpo_session(client, settings)
    desk = (await client.get("/dpo")).text
    row = re.search(rf"<tr class=\"light-overdue\">.*?{overdue}.*?</tr>", desk, re.S)
    assert row and re.search(r"\(\d+ Tage? überfällig\)", row.group(0))
    fresh_row = re.search(rf"<tr class=\"light-ok\">.*?{fresh}.*?</tr>", desk, re.S)
    assert fresh_row and re.search(r"\(noch \d+ Tage\)", fresh_row.group(0))
    assert "<td>Brief</td>" in desk  # the channel in words, not "letter"
    page = (await client.get(f"/dpo/requests/{fresh}")).text
    assert re.search(r"\(noch \d+ Tage\)", page)
    assert "<dd>Brief</dd>" in page and "Ihre Bestätigung" not in page
    assert "Auskunft (Art. 15)" in page


async def test_an_error_on_a_staff_path_is_a_staff_page(console: Any) -> None:
    client, settings = console
    anonymous = await client.get("/dpo/nothing/here")
    assert anonymous.status_code == 404
    assert "Zur Anmeldung für Mitarbeitende" in anonymous.text
    assert 'class="staff"' in anonymous.text and "Zurück zur Startseite" not in anonymous.text
    await _dpo_session(client, settings)
    missing = await client.get("/dpo/requests/DSR-2026-999999")
    assert missing.status_code == 404
    assert '<a href="/dpo">Zurück zum Arbeitsplatz</a>' in missing.text
    assert "Abmelden" in missing.text  # the staff navigation, signed in
    public = await client.get("/no/such/page")
    assert public.status_code == 404 and 'class="staff"' not in public.text


async def test_a_withdrawal_is_recorded_only_after_its_second_step(console: Any) -> None:
    client, settings = console
    agent = await staff_token(settings, "anna", Role.AGENT)
    reference = await _letter(client, agent, 3)
    await _dpo_session(client, settings)
    page = await client.get(f"/dpo/requests/{reference}")
    form = {"_csrf_token": csrf_of(page.text)}
    step = await client.post(f"/dpo/requests/{reference}/actions/withdraw", data=form)
    assert step.status_code == 200
    assert f"Hält fest, dass die Person Antrag {reference} zurückgenommen hat" in step.text
    assert f'<a href="/dpo/requests/{reference}" class="button secondary">Abbrechen</a>' in (
        step.text
    )
    unchanged = await client.get(f"/dpo/requests/{reference}")  # "Cancel" is this link
    assert "Zurückgezogen" not in unchanged.text and "Rücknahme erfassen" in unchanged.text
    done = await client.post(
        f"/dpo/requests/{reference}/actions/withdraw", data={**form, "confirmed": "1"}
    )
    assert "Rücknahme erfasst: Der Antrag ist abgeschlossen." in done.text
    assert "Zurückgezogen" in done.text
