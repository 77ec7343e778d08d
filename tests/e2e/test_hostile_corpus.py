"""The hostile-input corpus: more than a hundred requests an attacker or a broken client would
send, against every public and staff endpoint that takes input. Each must get a 4xx with a
clear message, store nothing, echo no personal data, and leave the app answering the next
legitimate request as before."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from dsr.db import Database
from dsr.domain.vocabulary import Role
from dsr.models import Event, Outbox, Request, Subject, Verification
from dsr.security.ratelimit import RateLimiter
from dsr.settings import Settings
from tests.e2e.web import Client
from tests.helpers import staff_token

# Personal data the corpus carries: none of it may come back in a response.
SECRET_NAME = "Gerlinde Geheimnis"
SECRET_MAIL = "gerlinde.geheimnis@example.org"
TRAVERSAL = ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%00", "A" * 2000, "ä" * 50, "*"]


def body(**changes: Any) -> dict[str, Any]:
    """A valid public request, changed by ``changes`` (``subject`` merges)."""
    base: dict[str, Any] = {
        "kind": "access",
        "subject": {"name": SECRET_NAME, "email": SECRET_MAIL},
    }
    subject = changes.pop("subject", None)
    if subject is not None:
        base["subject"] = {**base["subject"], **subject} if isinstance(subject, dict) else subject
    return {**base, **changes}


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    json: Any = None
    content: bytes | None = None
    data: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    staff: bool = False  # send the DPO's bearer token


def _api(name: str, payload: Any) -> Case:
    return Case(name, "POST", "/api/v1/requests", json=payload)


def _raw(name: str, content: bytes, content_type: str = "application/json") -> Case:
    return Case(
        name, "POST", "/api/v1/requests", content=content, headers={"content-type": content_type}
    )


FIELD_VALUES: dict[str, list[Any]] = {
    # subject fields: wrong types, markup, control characters, length, confusables, RTL
    "name": [
        None,
        123,
        True,
        [],
        {},
        "",
        " ",
        "N" * 201,
        "Erika\r\nBcc: a@evil.org",
        "Erika\x00",
        "Erika\x1b[31m",
    ],
    "email": [
        123,
        [],
        "",
        "erika@",
        "@example.org",
        "erika example.org",
        "erika@example..org",
        "erika@example.org\r\nBcc: x@evil.org",
        "<script>@example.org",
        "x" * 250 + "@e.org",
        "еrika@example.org",  # Cyrillic е: a confusable local part
        "erika@exаmple.org",  # Cyrillic а in the domain
        "erika\u202e@example.org",
        "erika\x00@example.org",
        "' OR 1=1 --@example.org",
    ],
    "phone": ["12", "abc", "+49 201 <b>1</b>", "+49" + "1" * 40, "0201\x00123", 4920112345],
    "customer_number": [
        "K1' OR '1'='1",
        "K1; DROP TABLE customers",
        "<script>",
        "K" * 65,
        "K1\u0430",
        100001,
    ],
    "postal_address": ["x" * 501, "Straße 1\x00", ["Straße 1"], 7],
}
TOP_VALUES: dict[str, list[Any]] = {
    "kind": [None, "", "everything", "ACCESS", 1, ["access"], "<script>alert(1)</script>"],
    "channel": ["fax", "", 2, "web\r\n"],
    "language": ["fr", "de-DE", "", "../de", None],
    "details": ["x" * 5001, "nul\x00byte", 42, {"a": 1}],
    "changes": [
        "name",
        [{"field": "password", "value": "x"}],
        [{"field": "name"}],
        [{"field": "name", "value": "x" * 501}],
        [{"field": "name", "value": "x"}] * 21,
        [{"field": "name", "value": "ok", "extra": 1}],
    ],
    "received_at": ["2026-01-01T00:00:00Z", "0000-00-00", "2026-02-30T10:00:00Z", "yesterday"],
    "admin": [True],
}


def corpus() -> list[Case]:
    cases: list[Case] = []
    for name, values in FIELD_VALUES.items():
        for i, value in enumerate(values):
            cases.append(_api(f"subject.{name} #{i}", body(subject={name: value})))
    for name, values in TOP_VALUES.items():
        for i, value in enumerate(values):
            cases.append(_api(f"{name} #{i}", body(**{name: value})))
    cases += [
        _api("subject missing", {"kind": "access"}),
        _api("subject is a string", body(subject=SECRET_NAME)),
        _api("body is a list", [body()]),
        _raw("not JSON", b"{not json"),
        _raw("JSON null", b"null"),
        _raw("JSON string", b'"access"'),
        _raw("truncated", json.dumps(body()).encode()[:-5]),
        _raw("binary", b"\xff\xfe\x00\x01binary"),
        _raw("deeply nested", b"[" * 50_000 + b"]" * 50_000),
        _raw("huge number", b'{"kind": 1e999999}'),
        _raw("oversized", json.dumps(body(details="x" * 400_000)).encode()),
        _raw("as text/plain", json.dumps(body()).encode(), "text/plain"),
        _raw("as XML", b"<request><kind>access</kind></request>", "application/xml"),
        _raw("as a form", b"kind=access&name=Gerlinde", "application/x-www-form-urlencoded"),
        _raw("UTF-16", json.dumps(body()).encode("utf-16"), "application/json; charset=utf-16"),
    ]
    for i, token in enumerate(TRAVERSAL):
        cases += [
            Case(f"status token #{i}", "GET", f"/status/{token}"),
            Case(f"download token #{i}", "POST", f"/download/{token}", data={"code": "123456"}),
            Case(f"verify link #{i}", "GET", f"/verify/{token}"),
            Case(f"reference #{i}", "GET", f"/api/v1/requests/{token}", staff=True),
        ]
    for i, code in enumerate(["", "abc", "1" * 1000, "12345\x00", None, 123456]):
        cases.append(
            Case(
                f"verify code #{i}",
                "POST",
                "/api/v1/requests/DSR-2026-999999/verify",
                json={"code": code},
            )
        )
    for i, params in enumerate(
        [
            "limit=-1",
            "limit=999999999",
            "cursor=!!!",
            "due_before=2026-13-45",
            "status=%3Cscript%3E",
            "kind=access%00",
            "needs_attention=2",
        ]
    ):
        cases.append(Case(f"list #{i}", "GET", f"/api/v1/requests?{params}", staff=True))
    action = "/api/v1/requests/DSR-2026-999999/actions"
    cases += [
        Case("unknown action", "POST", f"{action}/delete_everything", json={}, staff=True),
        Case("action on unknown request", "POST", f"{action}/approve", json={}, staff=True),
        Case(
            "reject reason too long",
            "POST",
            f"{action}/reject",
            json={"reason": "x" * 2001},
            staff=True,
        ),
        Case(
            "reject with NUL",
            "POST",
            f"{action}/reject",
            json={"reason": "\x00", "ground": "x"},
            staff=True,
        ),
        Case("letter not a uuid", "GET", "/api/v1/letters/not-a-uuid", staff=True),
        Case(
            "letter unknown",
            "GET",
            "/api/v1/letters/00000000-0000-0000-0000-000000000000",
            staff=True,
        ),
        Case(
            "letter format",
            "GET",
            "/api/v1/letters/00000000-0000-0000-0000-000000000000?format=exe",
            staff=True,
        ),
        Case("callback unknown task", "POST", "/api/v1/callbacks/not-a-task", json={}),
        Case(
            "sign-in without CSRF",
            "POST",
            "/login",
            data={"username": SECRET_NAME, "password": "x"},
        ),
    ]
    return cases


async def _counts(db: Database) -> tuple[int, ...]:
    async with db.session_scope() as session:
        return tuple(
            [
                int((await session.exec(select(func.count()).select_from(model))).one())
                for model in (Request, Subject, Outbox, Verification, Event)
            ]
        )


async def test_the_hostile_corpus_gets_4xx_stores_nothing_and_echoes_nothing(
    client: Client, settings: Settings, db: Database
) -> None:
    cases = corpus()
    assert len(cases) >= 100
    dpo = await staff_token(settings, "dana", Role.DPO)
    before = await _counts(db)
    problems: list[str] = []
    outcomes: dict[int, int] = {}
    for case in cases:
        # Each case meets the validation, not the per-IP limit (tested on its own elsewhere).
        client.app.state.limiter = RateLimiter()
        headers = {**case.headers, **(dpo if case.staff else {})}
        if case.path.startswith("/api/"):
            headers.setdefault("accept", "application/json")
        response = await client.request(
            case.method,
            case.path,
            json=case.json,
            content=case.content,
            data=case.data,
            headers=headers,
        )
        outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1
        text = response.text
        if not 400 <= response.status_code < 500:
            problems.append(f"{case.name}: {response.status_code} {text[:120]}")
        elif SECRET_NAME in text or SECRET_MAIL in text or "Traceback" in text:
            problems.append(f"{case.name}: echoes personal data or a trace")
        elif response.headers.get("content-type", "").startswith("application/"):
            if not response.json().get("title"):
                problems.append(f"{case.name}: problem without a message")
        elif "<h1" not in text:
            problems.append(f"{case.name}: page without a message")
    assert problems == [], "\n".join(problems)
    assert await _counts(db) == before  # nothing stored, not even an audit event
    print(f"hostile corpus: {len(cases)} cases, status codes {dict(sorted(outcomes.items()))}")

    # The app still works: the same person's legitimate request.
    created = await client.post("/api/v1/requests", json=body())
    assert created.status_code == 201, created.text
    assert SECRET_NAME not in created.text and SECRET_MAIL not in created.text
