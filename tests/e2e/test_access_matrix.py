"""The README's role table, enforced on every route: every operation of the OpenAPI document
and every route of the app's route table × role (anonymous, agent, another agent, DPO,
admin) × the owner of the request it names. Agents see status and dates of the requests they
recorded and nothing personal; admins see staff and configuration, never a request; the DPO
sees everything about requests. Two requests are seeded with hostile, recognisable
identifiers and free text, and no response to anyone but the DPO may contain any of them.

A route missing from ``MATRIX`` fails the test: new routes must be classified."""

from __future__ import annotations

import re
from enum import Enum
from typing import Any

from litestar.routes import HTTPRoute
from sqlmodel import select

from dsr.db import Database
from dsr.domain.vocabulary import Role
from dsr.models import Request, Task
from dsr.settings import Settings
from tests.e2e.web import csrf_of
from tests.helpers import staff_token, web_request


class Access(Enum):
    PUBLIC = "everyone"  # the handler runs for anyone (it may still answer 400 or 404)
    SIGNED = "signed"  # anyone reaches it; a signature authenticates the caller
    ENROL = "enrol"  # only a session between the first password and the TOTP set-up
    DESK = "desk"  # agents and the DPO (an agent's lists hold only their own requests)
    OWN = "own"  # the DPO, and the agent who recorded the request named in the path
    DPO = "dpo"
    ADMIN = "admin"


MATRIX: dict[tuple[str, str], Access] = {
    ("GET", "/"): Access.PUBLIC,
    ("GET", "/request"): Access.PUBLIC,
    ("POST", "/request"): Access.PUBLIC,
    ("GET", "/status/{token:str}"): Access.PUBLIC,
    ("POST", "/status/{token:str}/verify"): Access.PUBLIC,
    ("POST", "/status/{token:str}/resend"): Access.PUBLIC,
    ("GET", "/status/{token:str}/withdraw"): Access.PUBLIC,
    ("POST", "/status/{token:str}/withdraw"): Access.PUBLIC,
    ("GET", "/verify/{link:str}"): Access.PUBLIC,
    ("POST", "/verify/{link:str}"): Access.PUBLIC,
    ("GET", "/download/{token:str}"): Access.PUBLIC,
    ("POST", "/download/{token:str}"): Access.PUBLIC,
    ("GET", "/login"): Access.PUBLIC,
    ("POST", "/login"): Access.PUBLIC,
    ("GET", "/login/setup"): Access.ENROL,
    ("POST", "/login/setup"): Access.ENROL,
    ("POST", "/logout"): Access.PUBLIC,
    ("GET", "/console"): Access.DESK,
    ("GET", "/console/new"): Access.DESK,
    ("POST", "/console/new"): Access.DESK,
    ("GET", "/console/requests/{reference:str}"): Access.OWN,
    ("POST", "/console/requests/{reference:str}/check"): Access.OWN,
    ("POST", "/console/requests/{reference:str}/code"): Access.OWN,
    ("POST", "/console/requests/{reference:str}/letter"): Access.OWN,
    ("GET", "/dpo"): Access.DPO,
    ("POST", "/dpo"): Access.DPO,  # the dashboard's filters, a person search among them
    ("GET", "/dpo/intake"): Access.DPO,
    ("POST", "/dpo/intake"): Access.DPO,
    ("POST", "/dpo/requests/{reference:str}/verification"): Access.DPO,
    ("POST", "/dpo/requests/{reference:str}/assign"): Access.DPO,
    ("POST", "/dpo/requests/{reference:str}/notes"): Access.DPO,
    ("POST", "/dpo/requests/{reference:str}/attachments"): Access.DPO,
    ("GET", "/dpo/attachments/{artifact_id:uuid}"): Access.DPO,
    ("GET", "/dpo/requests/{reference:str}"): Access.DPO,
    ("POST", "/dpo/requests/{reference:str}/actions/{action:str}"): Access.DPO,
    ("POST", "/dpo/requests/{reference:str}/tasks/{task_id:uuid}/identifiers"): Access.DPO,
    ("GET", "/dpo/stats"): Access.DPO,
    ("GET", "/dpo/register.csv"): Access.DPO,
    ("GET", "/dpo/triage"): Access.DPO,
    ("POST", "/dpo/triage/{mail_id:uuid}/file"): Access.DPO,
    ("POST", "/dpo/triage/{mail_id:uuid}/dismiss"): Access.DPO,
    ("GET", "/dpo/triage/{mail_id:uuid}/original"): Access.DPO,
    ("POST", "/dpo/letters/{letter_id:uuid}/{step:str}"): Access.DPO,
    ("GET", "/dpo/requests/{reference:str}/preview"): Access.DPO,
    ("POST", "/dpo/requests/{reference:str}/redactions"): Access.DPO,
    ("POST", "/dpo/requests/{reference:str}/redactions/{redaction:uuid}/remove"): Access.DPO,
    ("GET", "/admin/staff"): Access.ADMIN,
    ("POST", "/admin/staff"): Access.ADMIN,
    ("POST", "/admin/staff/{username:str}/deactivate"): Access.ADMIN,
    ("POST", "/admin/staff/{username:str}/reactivate"): Access.ADMIN,
    ("POST", "/admin/staff/{username:str}/reset"): Access.ADMIN,
    ("POST", "/admin/tokens/{token_id:uuid}/revoke"): Access.ADMIN,
    ("GET", "/admin/config"): Access.ADMIN,
    ("POST", "/api/v1/requests"): Access.PUBLIC,  # web: public; phone/e-mail/letter: desk
    ("GET", "/api/v1/requests"): Access.DESK,
    ("GET", "/api/v1/requests/{reference:str}"): Access.OWN,
    ("POST", "/api/v1/requests/{reference:str}/verify"): Access.PUBLIC,
    ("POST", "/api/v1/requests/{reference:str}/verification"): Access.DPO,
    ("POST", "/api/v1/requests/{reference:str}/actions/{action:str}"): Access.DPO,
    ("GET", "/api/v1/requests/{reference:str}/package"): Access.DPO,
    ("GET", "/api/v1/letters/{letter_id:uuid}"): Access.DPO,
    ("POST", "/api/v1/letters/{letter_id:uuid}/render"): Access.DPO,
    ("POST", "/api/v1/callbacks/{task_id:str}"): Access.SIGNED,
    ("POST", "/demo/newsletter"): Access.SIGNED,  # the demo processor
    ("GET", "/health"): Access.PUBLIC,
    ("GET", "/metrics"): Access.PUBLIC,
    ("GET", "/site.css"): Access.PUBLIC,  # the accent colour of dsr.yaml site:
    ("GET", "/site/logo"): Access.PUBLIC,
    ("GET", "/schema"): Access.PUBLIC,
    ("GET", "/schema/openapi.json"): Access.PUBLIC,
    ("GET", "/schema/{path:str}"): Access.PUBLIC,
    ("GET", "/static/{file_path:path}"): Access.PUBLIC,
}
ROLES = ("anonymous", "agent", "other agent", "dpo", "admin")
# the first role each class lets through (for probes that need one)
FIRST_ROLE = {
    Access.PUBLIC: "anonymous",
    Access.SIGNED: "anonymous",
    Access.ENROL: "anonymous",
    Access.DESK: "agent",
    Access.OWN: "dpo",
    Access.DPO: "dpo",
    Access.ADMIN: "admin",
}
SAMPLE = {
    "{token:str}": "A" * 43,
    "{link:str}": "B" * 43,
    "{reference:str}": "DSR-2026-000042",
    "{username:str}": "nobody",
    "{action:str}": "approve",
    "{task_id:str}": "00000000-0000-0000-0000-000000000000",
    "{task_id:uuid}": "00000000-0000-0000-0000-000000000000",
    "{path:str}": "openapi.json",
    "{file_path:path}": "style.css",
    "{letter_id:uuid}": "00000000-0000-0000-0000-000000000000",
    "{token_id:uuid}": "00000000-0000-0000-0000-000000000000",
    "{mail_id:uuid}": "00000000-0000-0000-0000-000000000000",
    "{artifact_id:uuid}": "00000000-0000-0000-0000-000000000000",
    "{step:str}": "render",
    "{redaction:uuid}": "00000000-0000-0000-0000-000000000000",
}

# Recognisable pieces of everything personal about the seeded requests.
MARKERS = (
    "qvxname",
    "qvxmail",
    "5550199",
    "qvxcust77",
    "qvxstreet",
    "qvxdetails",
    "qvxchange",
    "qvxwrong",
    "qvxreason",
    "qvxtask",
)
HOSTILE_SUBJECT = {
    "name": "Zoë Qvxname <script>alert(1)</script> O'Brien\u202e",
    "email": "Qvxmail+tag@example.org",
    "phone": "+49 201 5550199",
    "customer_number": "QVXCUST77",
    "postal_address": "Qvxstreet 1; DROP TABLE request; 45127 Essen",
}


def concrete(path: str, reference: str | None = None) -> str:
    if reference:
        path = path.replace("{reference:str}", reference)
    for placeholder, value in SAMPLE.items():
        path = path.replace(placeholder, value)
    return path


def expected(access: Access, role: str, owner: str | None) -> bool:
    return {
        Access.PUBLIC: True,
        Access.SIGNED: True,
        Access.ENROL: False,
        Access.DESK: role in {"agent", "other agent", "dpo"},
        Access.OWN: role == "dpo" or (role == "agent" and owner == "own"),
        Access.DPO: role == "dpo",
        Access.ADMIN: role == "admin",
    }[access]


async def _seed(
    client: Any, settings: Settings, tokens: dict[str, dict[str, str]]
) -> dict[str, str]:
    """A phone request recorded by ``agent`` and a web request, both full of personal data;
    an extension with reasons and a task with a result on the agent's request."""
    own = await client.post(
        "/api/v1/requests",
        headers=tokens["agent"],
        json=web_request(
            kind="rectification",
            channel="phone",
            subject=HOSTILE_SUBJECT,
            details="qvxdetails: please <b>hurry</b>",
            changes=[{"field": "name", "value": "Qvxchange Name", "current": "qvxwrong"}],
        ),
    )
    assert own.status_code == 201, own.text
    web = await client.post(
        "/api/v1/requests", json=web_request(subject=HOSTILE_SUBJECT, details="qvxdetails")
    )
    assert web.status_code == 201, web.text
    references = {"own": own.json()["reference"], "web": web.json()["reference"]}
    extended = await client.post(
        f"/api/v1/requests/{references['own']}/actions/extend",
        headers=tokens["dpo"],
        json={"reason": "qvxreason: the caller's complex family situation"},
    )
    assert extended.status_code == 200, extended.text
    database = Database.from_url(settings.database_url)
    try:
        async with database.session_scope() as session:
            for reference in references.values():
                query = select(Request).where(Request.reference == reference)
                request = (await session.exec(query)).one()
                session.add(
                    Task(
                        request_id=request.id,
                        store="shop",
                        action="find",
                        status="done",
                        result_summary={"rows": {"qvxtask": 1}},
                    )
                )
    finally:
        await database.dispose()
    return references


def openapi_operations(app: Any) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in app.openapi_schema.paths.items()
        for method in ("get", "post", "put", "patch", "delete")
        if getattr(item, method, None) is not None
    }


def route_table(app: Any) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for method in route.methods - {"HEAD", "OPTIONS"}
    }


def _template(path: str) -> str:
    """``/api/v1/requests/{reference:str}`` as OpenAPI writes it: ``{reference}``."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


async def test_every_route_every_role_every_owner(console: Any) -> None:
    client, settings = console
    app = client.app
    routes = route_table(app)
    assert routes == set(MATRIX), "classify every new route in MATRIX"
    operations = openapi_operations(app)
    assert operations <= {(method, _template(path)) for method, path in routes}
    assert len(operations) >= 10

    tokens: dict[str, dict[str, str]] = {"anonymous": {}}
    for role, (name, kind) in {
        "agent": ("anna", Role.AGENT),
        "other agent": ("otto", Role.AGENT),
        "dpo": ("dana", Role.DPO),
        "admin": ("adam", Role.ADMIN),
    }.items():
        tokens[role] = await staff_token(settings, name, kind)
    references = await _seed(client, settings, tokens)
    csrf = csrf_of((await client.get("/login")).text)

    seen: dict[str, list[tuple[str, str, str]]] = {role: [] for role in ROLES}
    wrong = []
    for (method, path), access in sorted(MATRIX.items(), key=lambda item: item[0]):
        owners = ("own", "web") if "{reference" in path else (None,)
        for owner in owners:
            url = concrete(path, references[owner] if owner else None)
            for role in ROLES:
                api = path.startswith(("/api/", "/demo/"))
                response = await client.request(
                    method,
                    url,
                    headers={**tokens[role], "accept": "application/json" if api else "text/html"},
                    json={} if method == "POST" and api else None,
                    data={"_csrf_token": csrf} if method == "POST" and not api else None,
                    follow_redirects=False,
                )
                assert response.status_code < 500, (method, url, role, response.text[:300])
                to_login = response.headers.get("location") == "/login" and path != "/logout"
                denied = response.status_code in (401, 403) or to_login
                if access is Access.OWN and response.status_code == 404:
                    denied = True  # agents do not learn that others' requests exist
                if denied == expected(access, role, owner):
                    wrong.append((method, url, role, owner, response.status_code))
                seen[role].append((method, url, response.text))
    assert wrong == [], wrong

    for role in ("anonymous", "agent", "other agent", "admin"):
        for method, url, body in seen[role]:
            lowered = body.casefold()
            leaked = [marker for marker in MARKERS if marker in lowered]
            assert leaked == [], (role, method, url, leaked)
    for role, hidden in (
        ("agent", ["web"]),
        ("other agent", ["own", "web"]),
        ("admin", ["own", "web"]),
    ):
        for method, url, body in seen[role]:
            for owner in hidden:
                assert references[owner] not in body, (role, method, url, owner)

    # the DPO sees everything about requests: the markers are there to be found
    detail = await client.get(f"/api/v1/requests/{references['own']}", headers=tokens["dpo"])
    assert "qvxreason" in detail.text and "qvxtask" in detail.text
    agent_view = await client.get(f"/api/v1/requests/{references['own']}", headers=tokens["agent"])
    assert agent_view.status_code == 200
    assert {
        key: agent_view.json()[key]
        for key in ("status", "due_on", "extended_due_on", "tasks", "letters", "timeline")
    } == {
        "status": detail.json()["status"],
        "due_on": detail.json()["due_on"],
        "extended_due_on": detail.json()["extended_due_on"],
        "tasks": None,
        "letters": None,
        "timeline": None,
    }
    listed = await client.get("/api/v1/requests", headers=tokens["agent"])
    assert [item["reference"] for item in listed.json()["items"]] == [references["own"]]


async def test_admins_record_no_requests(console: Any) -> None:
    client, settings = console
    admin = await staff_token(settings, "adam", Role.ADMIN)
    refused = await client.post(
        "/api/v1/requests", headers=admin, json=web_request(channel="phone")
    )
    assert refused.status_code == 403
    database = Database.from_url(settings.database_url)
    try:
        async with database.session_scope() as session:
            assert (await session.exec(select(Request))).all() == []
    finally:
        await database.dispose()
