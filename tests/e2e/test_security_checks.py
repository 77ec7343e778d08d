"""Security checks over every route: CSRF on every state-changing form, and HSTS exactly when
dsr is served over TLS."""

from __future__ import annotations

from typing import Any

from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from dsr.app import create_app
from dsr.domain.vocabulary import Role
from dsr.settings import Settings
from tests.e2e.test_access_matrix import FIRST_ROLE, MATRIX, concrete
from tests.helpers import staff_token


async def test_every_state_changing_form_refuses_a_post_without_its_csrf_token(
    console: Any,
) -> None:
    client, settings = console
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for name, role in (("anna", Role.AGENT), ("dana", Role.DPO), ("adam", Role.ADMIN)):
        headers[role.value] = await staff_token(settings, name, role)
    forms = sorted(
        route.path
        for route in client.app.routes
        if isinstance(route, HTTPRoute)
        and "POST" in route.methods
        and not route.path.startswith(("/api/", "/demo/"))  # JSON and signed, not forms
    )
    assert len(forms) >= 15
    for path in forms:
        role = FIRST_ROLE[MATRIX[("POST", path)]]
        response = await client.post(
            concrete(path),
            data={"anything": "x"},
            headers={**headers[role], "accept": "text/html"},
            follow_redirects=False,
        )
        assert response.status_code == 403, (path, role, response.status_code)


async def test_hsts_is_sent_behind_tls_and_only_there(settings: Settings) -> None:
    for base, expected in (("https://dsr.example.org", True), ("http://127.0.0.1:8000", False)):
        app = create_app(settings.model_copy(update={"base_url": base}))
        async with AsyncTestClient(app=app) as client:
            response = await client.get("/")
        hsts = response.headers.get("strict-transport-security")
        assert (hsts is not None) == expected, base
        if expected:
            assert hsts is not None and "max-age=31536000" in hsts
