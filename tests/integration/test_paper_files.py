"""A paper archive (a manual store) on the DPO's desk: the instructions for this request's
action, the identifiers shown on demand (audited without the data), and "found" / "not
found" reaching the timeline, the access package and the letter, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

from sqlmodel import col, select

from dsr.models import Artifact, Event, Task
from dsr.services import manual_tasks
from dsr.services.manual_tasks import ManualTasks
from tests.integration import test_fanout
from tests.integration.test_fanout import DPO, Desk

desk = test_fanout.desk  # the shop, session, newsletter and archive desk of test_fanout

ERASURE_TEXT = "Papierakte im Archiv prüfen und vernichten."
ACCESS_TEXT = "Papierakte im Archiv suchen und Kopien der Schreiben beilegen."


async def _archive_task(desk: Desk, request_id: uuid.UUID) -> Task:
    archive = next(t for k, t in (await desk.tasks(request_id)).items() if k.startswith("archive:"))
    assert archive.status == "waiting"
    return archive


async def _events(desk: Desk, request_id: uuid.UUID) -> list[Event]:
    async with desk.db.session_scope() as session:
        rows = await session.exec(
            select(Event).where(Event.request_id == request_id).order_by(col(Event.seq))
        )
        return list(rows.all())


async def test_an_access_request_shows_the_access_text_and_ends_not_found_in_package_and_letter(
    desk: Desk,
) -> None:
    email = "soeren.noacktaesche.1@example.org"
    request_id = await desk.verified("access", email)
    await desk.runner().drain()
    archive = await _archive_task(desk, request_id)
    assert manual_tasks.instructions(desk.config, [archive]) == {str(archive.id): ACCESS_TEXT}

    async with desk.db.session_scope() as session:
        request = await desk.request(request_id)
        search = await ManualTasks(session, desk.config, desk.vault).reveal(
            request, archive.id, DPO
        )
    assert search.identity.email == email and search.instructions == ACCESS_TEXT
    shown = [e for e in await _events(desk, request_id) if e.action == "subject.identifiers_shown"]
    assert len(shown) == 1 and shown[0].actor == DPO.label
    assert email not in json.dumps(shown[0].payload)  # the view is recorded, not the data

    await desk.act(
        request_id,
        "resolve_task",
        task=str(archive.id),
        note="Regal 4 und Keller: keine Akte.",
        found="no",
    )
    closed = (await desk.tasks(request_id))[f"archive:{archive.action}"]
    assert closed.result_summary == {"resolved_by": DPO.label, "found": False}
    assert closed.note_enc and "Keller" not in closed.note_enc  # the note is encrypted
    (event,) = [e for e in await _events(desk, request_id) if e.action == "task.not_found"]
    assert event.payload["found"] is False and "Keller" not in json.dumps(event.payload)

    async with desk.db.session_scope() as session:
        package = (
            await session.exec(
                select(Artifact).where(
                    Artifact.request_id == request_id, Artifact.kind == "package"
                )
            )
        ).one()
    zipped = zipfile.ZipFile(
        io.BytesIO(desk.vault.cipher.decrypt_bytes("artifact", package.content_enc))
    )
    assert "Papierarchiv: keine Akte gefunden" in zipped.read("index.html").decode()
    assert json.loads(zipped.read("data.json"))["paper_files"] == [
        {"archive": "Papierarchiv", "found": False}
    ]

    await desk.act(request_id, "release")
    _, text = (await desk.letters(request_id))["access"]
    assert "Papierarchiv: in der Papierakte nichts gefunden" in text
    found_part = text.split("Wir haben in diesen Systemen Daten zu Ihnen gefunden:")[1]
    assert "Papierarchiv: " not in found_part.split("Außerdem")[0]  # not listed as found


async def test_an_erasure_shows_the_erasure_text_and_a_found_file_is_erased_not_not_found(
    desk: Desk,
) -> None:
    request_id = await desk.verified("erasure", "concetta.maelzer.2@example.org")
    await desk.runner().drain()
    await desk.act(request_id, "approve")
    await desk.runner().drain()
    archive = await _archive_task(desk, request_id)
    assert manual_tasks.instructions(desk.config, [archive]) == {str(archive.id): ERASURE_TEXT}
    await desk.act(
        request_id, "resolve_task", task=str(archive.id), note="Akte vernichtet.", found="yes"
    )
    assert any(e.action == "task.found" for e in await _events(desk, request_id))
    await desk.act(request_id, "release")
    _, text = (await desk.letters(request_id))["partial_erasure"]
    assert "nichts gefunden" not in text  # said only when "not found" was recorded
    assert "Papierarchiv: " in text.split("haben wir gelöscht:")[1]
