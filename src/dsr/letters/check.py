"""Checking a template directory: every kind in every language exists, names only the
placeholders the catalog gives it, and renders with a specimen of the facts.

The specimen goes through the same ``Writer`` the workflows use, from a made-up request of
the demo shop: ``dsr letters check`` (after editing templates), the tests and the benchmark.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dsr.config import DsrConfig
from dsr.demo import DEMO_PROCESSING
from dsr.domain import refusals
from dsr.domain.deadlines import receipt_date, response_deadline
from dsr.domain.identity import Identity
from dsr.domain.vocabulary import LETTER_LANGUAGES, Language, RejectionGround, RequestKind
from dsr.letters.catalog import LetterKind, fields_of
from dsr.letters.facts import Writer
from dsr.letters.render import LetterTemplateError, placeholders, render_docx
from dsr.models import Request, Task
from dsr.workflows import plan

RECEIVED = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
TODAY = date(2026, 3, 20)
SPECIMEN_PERSON = Identity(
    name="Erika Mustermann",
    email="erika.mustermann@example.org",
    customer_number="K100042",
    postal_address="Heisenbergstraße 12\n45127 Essen",
)
KIND_OF_LETTER = {
    LetterKind.RECTIFICATION: RequestKind.RECTIFICATION,
    LetterKind.ERASURE: RequestKind.ERASURE,
    LetterKind.PARTIAL_ERASURE: RequestKind.ERASURE,
    LetterKind.RESTRICTION: RequestKind.RESTRICTION,
    LetterKind.RESTRICTION_LIFT: RequestKind.RESTRICTION,
    LetterKind.OBJECTION: RequestKind.OBJECTION,
}
SPECIMEN_CONTROLLER = {
    "phone": "0201 123456-0",
    "legal": {
        "seat": "Essen",
        "register_court": "Amtsgericht Essen",
        "register_number": "HRB 12345",
        "managing_directors": ["Maria Beispiel", "Jonas Muster"],
    },
}


def specimen_config() -> DsrConfig:
    """The demo shop's ``dsr.yaml``, without touching any file."""
    reference = {"column": "customer_id", "to": "customers.id"}
    return DsrConfig.model_validate(
        {
            "controller": SPECIMEN_CONTROLLER,
            "processing": DEMO_PROCESSING,
            "stores": [
                {
                    "name": "shop",
                    "label": {"de": "Kundendatenbank", "en": "Customer database"},
                    "type": "sql",
                    "url": "sqlite:///shop.db",
                    "system_of_record": True,
                    "kba": {
                        "customer_number": "customers.customer_no",
                        "phone_pin": "customers.phone_pin",
                        "last_invoice_amount": {
                            "table": "invoices",
                            "column": "total",
                            "latest_by": "issued_on",
                        },
                    },
                    "tables": [
                        {
                            "name": "customers",
                            "identity": {"email": "email"},
                            "columns": {
                                "name": {"category": "identity"},
                                "email": {"category": "contact"},
                            },
                        },
                        {
                            "name": "orders",
                            "reference": reference,
                            "columns": {"total": {"category": "contract"}},
                        },
                        {
                            "name": "invoices",
                            "reference": reference,
                            "columns": {"total": {"category": "payment"}},
                        },
                        {
                            "name": "tickets",
                            "reference": reference,
                            "columns": {"notes": {"category": "communication"}},
                        },
                    ],
                },
                {
                    "name": "sessions",
                    "type": "redis",
                    "url": "redis://127.0.0.1:6379/0",
                    "keys": ["session:{customer_number}:*"],
                },
                {
                    "name": "newsletter",
                    "label": {"de": "Newsletter-Versand", "en": "Newsletter mailing"},
                    "type": "http",
                    "url": "https://newsletter.example.net/dsr",
                    "secret_env": "DSR_NEWSLETTER_SECRET",
                    "categories": ["contact", "marketing"],
                    "recipient": {"name": "Newsletter Versand GmbH", "country": "DE"},
                },
            ],
        }
    )


def specimen(
    kind: LetterKind,
    language: Language,
    config: DsrConfig | None = None,
    person: Identity = SPECIMEN_PERSON,
    *,
    request_kind: RequestKind | None = None,
    marketing: bool = False,
    ground: str = RejectionGround.MANIFESTLY_UNFOUNDED.value,
    fee: str = "",
) -> dict[str, Any]:
    """A complete context for ``kind``, as the workflows would build it (``request_kind``,
    ``marketing``, ``ground`` and ``fee`` choose the variant)."""
    config = config or specimen_config()
    request_kind = request_kind or KIND_OF_LETTER.get(kind, RequestKind.ACCESS)
    # An unsaved specimen in memory (never added to a session): it has no status of its own.
    request = Request(  # type: ignore[call-arg]
        id=uuid.uuid4(),
        reference="DSR-2026-000042",
        kind=request_kind.value,
        channel="web",
        received_at=RECEIVED,
        due_on=response_deadline(RECEIVED, "DE-NW"),
        language=language.value,
        subject_id=uuid.uuid4(),
        verification_level="email_matched",
    )
    if kind is LetterKind.EXTENSION:
        request.extended_due_on = response_deadline(RECEIVED, "DE-NW", extended=True)
    writer = Writer(config, language)
    common = writer.common(request, person, receipt_date(RECEIVED), TODAY)
    tasks = _tasks(request)
    facts: dict[str, Any]
    if kind is LetterKind.ACKNOWLEDGEMENT:
        facts = writer.acknowledgement(request, marketing=marketing)
    elif kind is LetterKind.IDENTITY_REQUEST:
        facts = writer.identity_request("Die Telefonnummer passt nicht.", request.reference)
    elif kind is LetterKind.EXTENSION:
        facts = writer.extension(
            request, "Sie haben Daten in fünf Systemen, zwei davon in Papierakten."
        )
    elif kind is LetterKind.ACCESS:
        facts = writer.access(tasks, date(2026, 4, 3))
    elif kind is LetterKind.NEGATIVE:
        facts = writer.negative([s.name for s in config.stores], person)
    elif kind is LetterKind.RECTIFICATION:
        changes = [{"field": "postal_address", "value": "Am Stadtgarten 3, 45127 Essen"}]
        facts = writer.rectification(changes, tasks, TODAY)
    elif kind in (LetterKind.ERASURE, LetterKind.PARTIAL_ERASURE):
        facts = writer.erasure(tasks, TODAY)
        if kind is LetterKind.ERASURE:
            facts["held"] = facts["kept"] = []
    elif kind is LetterKind.RESTRICTION:
        facts = writer.restriction(
            tasks,
            TODAY,
            "Ihre Postanschrift in der Kundendatenbank",
            "Sie bestreiten die Richtigkeit der Anschrift; für die Dauer unserer Prüfung ist die "
            "Verarbeitung eingeschränkt (Art. 18 Abs. 1 lit. a DSGVO)",
        )
    elif kind is LetterKind.RESTRICTION_LIFT:
        facts = writer.restriction_lift(
            "Ihre Postanschrift in der Kundendatenbank",
            date(2026, 4, 10),
            "Wir haben die Anschrift beim Einwohnermeldeamt geprüft; sie ist richtig.",
        )
    elif kind is LetterKind.OBJECTION:
        facts = writer.objection(TODAY, "Bonitätsprüfungen", marketing=marketing)
    elif kind is LetterKind.REFUSAL:
        chosen = refusals.ground(ground)
        assert chosen is not None, ground
        facts = writer.refusal(
            chosen, "Sie haben seit Januar zwölf gleichlautende Anträge gestellt.", fee
        )
    else:
        facts = writer.unverifiable("Die genannte Kundennummer gibt es bei uns nicht.")
    return {**common, **facts}


def _tasks(request: Request) -> list[Task]:
    def task(store: str, action: str, summary: dict[str, Any]) -> Task:
        return Task(
            request_id=request.id,
            store=store,
            action=action,
            status=plan.DONE,
            result_summary=summary,
        )

    return [
        task(
            "shop",
            plan.EXPORT,
            {"counts": {"customers": 1, "orders": 10, "invoices": 10, "tickets": 2}},
        ),
        task("newsletter", plan.EXPORT, {"counts": {"newsletter": 1}}),
        task("sessions", plan.EXPORT, {"counts": {"keys": 0}}),
        task(
            "shop",
            plan.ERASE,
            {
                "erased": {"customers": 1, "orders": 10, "invoices": 2},
                "categories": ["identity", "contact", "contract", "payment"],
                "held": [
                    {
                        "table": "invoices",
                        "count": 8,
                        "law": "§ 147 Abs. 1 Nr. 4 AO, § 257 Abs. 1 Nr. 4 HGB",
                        "until": "2034-12-31",
                        "categories": ["payment"],
                    }
                ],
                "kept": [
                    {
                        "table": "addresses",
                        "count": 1,
                        "reason": "shared",
                        "categories": ["contact"],
                    }
                ],
            },
        ),
        task("newsletter", plan.ERASE, {"erased": {"newsletter": 1}}),
        task("newsletter", plan.RECTIFY, {"changed": {"newsletter": 1}}),
        task("newsletter", plan.MANUAL, {"resolved_by": "staff"}),
    ]


def check_templates(directory: Path) -> list[str]:
    """Problems with the templates in ``directory``, one line each; empty when all is well."""
    problems: list[str] = []
    config = specimen_config()
    for language in LETTER_LANGUAGES:
        for kind in LetterKind:
            path = directory / language.value / f"{kind.value}.docx"
            if not path.is_file():
                problems.append(f"{path}: missing")
                continue
            try:
                unknown = placeholders(path) - fields_of(kind)
                if unknown:
                    problems.append(f"{path}: unknown placeholders {', '.join(sorted(unknown))}")
                    continue
                render_docx(path, specimen(kind, language, config))
            except LetterTemplateError as exc:
                problems.append(str(exc))
    return problems
