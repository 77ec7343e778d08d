"""What a letter says, worked out from the request, its tasks and ``dsr.yaml``.

Everything here returns plain strings, lists and dicts in the letter's language, ready for a
template; nothing renders. Store results are read from task summaries (counts, categories,
holds), never from the data itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, TypeVar

from dsr.config import (
    EEA,
    Authority,
    DsrConfig,
    HttpStore,
    ManualStore,
    ProcessingRecord,
    RedisStore,
    SqlStore,
    localized,
)
from dsr.domain.changes import fields_written
from dsr.domain.identity import Identity
from dsr.domain.refusals import FEE, Ground
from dsr.domain.vocabulary import Language, RequestKind, VerificationLevel
from dsr.i18n import N_, gettext
from dsr.models import Request, Task
from dsr.rendering import long_date
from dsr.text import CHANGE_FIELDS
from dsr.workflows import plan

T = TypeVar("T")

RIGHTS: dict[RequestKind, str] = {
    RequestKind.ACCESS: N_("right of access (Art. 15 GDPR)"),
    RequestKind.RECTIFICATION: N_("right to rectification (Art. 16 GDPR)"),
    RequestKind.ERASURE: N_("right to erasure (Art. 17 GDPR)"),
    RequestKind.RESTRICTION: N_("right to restriction of processing (Art. 18 GDPR)"),
    RequestKind.PORTABILITY: N_("right to data portability (Art. 20 GDPR)"),
    RequestKind.OBJECTION: N_("right to object (Art. 21 GDPR)"),
}
MATTERS: dict[RequestKind, str] = {
    RequestKind.ACCESS: N_("Your request for access"),
    RequestKind.RECTIFICATION: N_("Your request for rectification"),
    RequestKind.ERASURE: N_("Your request for erasure"),
    RequestKind.RESTRICTION: N_("Your request for restriction of processing"),
    RequestKind.PORTABILITY: N_("Your request for data portability"),
    RequestKind.OBJECTION: N_("Your objection"),
}

CATEGORIES: dict[str, str] = {
    "identity": N_("identity data (e.g. name, date of birth)"),
    "contact": N_("contact data (e.g. address, e-mail, phone)"),
    "contract": N_("contract and order data"),
    "payment": N_("payment and invoice data"),
    "communication": N_("communication with our customer service"),
    "usage": N_("usage data (e.g. sessions, IP addresses)"),
    "marketing": N_("marketing data (e.g. newsletter subscription)"),
    "credentials": N_("access data (e.g. telephone PIN)"),
    "other": N_("other data"),
}

VERIFIED_BY: dict[str, str] = {
    VerificationLevel.EMAIL.value: N_("the confirmation of your e-mail address"),
    VerificationLevel.EMAIL_MATCHED.value: N_(
        "the confirmation of your e-mail address, which matches our records"
    ),
    VerificationLevel.KBA.value: N_("details you gave us on the phone that match our records"),
    VerificationLevel.DOCUMENT.value: N_("a document you sent us"),
}

COUNTRIES: dict[str, str] = {
    "DE": N_("Germany"),
    "US": N_("United States"),
    "GB": N_("United Kingdom"),
    "CH": N_("Switzerland"),
    "IN": N_("India"),
}

ERASURE_GROUND = N_(
    "Art. 17(1) GDPR: we no longer need the data for their purposes (point (a)), or we "
    "processed them on the basis of your consent (point (b)) or of our legitimate interests, "
    "to which you objected (point (c))"
)
PHONE_CLAUSE = N_(" or by phone on %(phone)s")
REGISTERED_OFFICE = N_("Registered office")
KEPT_BECAUSE: dict[str, str] = {
    "shared": N_("other people's records use them too, so they stay for those people"),
    "read_only": N_("they are in a system we can only read, not change"),
    "": N_("they could not be erased"),
}
NO_SOURCE = N_("collected from you")
NO_AUTOMATED = N_("none; we make no decisions based solely on automated processing (Art. 22 GDPR)")
NO_RECIPIENTS = N_("none")
PHONE = N_("Phone")
EMAIL_ADDRESS = N_("e-mail address")
CUSTOMER_NUMBER = N_("customer number")
PHONE_NUMBER = N_("phone number")
MAY_PROVIDE = (
    N_("your customer number, from an invoice or an order confirmation"),
    N_("a reply from the e-mail address you use with us"),
    N_("the date and amount of your last invoice"),
)
KBA_FACTS_NEEDED = 2  # two matching facts verify a caller (DESIGN.md "Verification")
TWO = N_("two")
KBA_NAMES: dict[str, str] = {
    "customer_number": N_("your customer number"),
    "phone_pin": N_("your telephone PIN"),
    "last_invoice_amount": N_("the amount of your last invoice"),
    "last_invoice_date": N_("the date of your last invoice"),
}


class Writer:
    """Turns ``dsr.yaml`` and task summaries into letter text in one language."""

    def __init__(self, config: DsrConfig, language: Language) -> None:
        self.config = config
        self.language = language

    def _(self, text: str) -> str:
        return gettext(self.language, text)

    def day(self, day: date) -> str:
        return long_date(day, self.language)

    # -- every letter ---------------------------------------------------------------------

    def common(
        self, request: Request, identity: Identity, received: date, today: date
    ) -> dict[str, Any]:
        controller = self.config.controller
        lang = self.language.value
        phone = f"{self._(PHONE)} {controller.phone}" if controller.phone else ""
        return {
            "controller": {
                "name": controller.name,
                "address": list(controller.address),
                "address_line": ", ".join(controller.address),
                "email": controller.email,
                "phone": controller.phone or "",
                "contact_line": " · ".join(p for p in (controller.email, phone) if p),
                "phone_clause": self._(PHONE_CLAUSE) % {"phone": controller.phone}
                if controller.phone
                else "",
                "legal_line": self._legal_line(),
            },
            "dpo": {
                "name": controller.dpo.name,
                "email": controller.dpo.email,
                "phone": controller.dpo.phone or "",
                "title": localized(controller.dpo.title, lang),
            },
            "authority": self._authority(controller.supervisory_authority),
            "recipient": {
                "name": identity.name or self._(N_("Sir or Madam")),
                "address": _lines(identity.postal_address),
            },
            "reference": request.reference,
            "received_on": self.day(received),
            "letter_date": self.day(today),
            "right": self._(RIGHTS[RequestKind(request.kind)]),
            "matter": self._(MATTERS[RequestKind(request.kind)]),
            "due_on": self.day(request.effective_due_on),
        }

    def _legal_line(self) -> str:
        """§ 35a GmbHG: legal form (in the name), seat, register court and number, and every
        managing director, on every business letter."""
        controller = self.config.controller
        legal = controller.legal
        if legal is None:
            return f"{controller.name} · {', '.join(controller.address)}"
        directors = localized(legal.directors_label, self.language.value)
        return " · ".join(
            [
                controller.name,
                f"{self._(REGISTERED_OFFICE)}: {legal.seat}",
                f"{legal.register_court}, {legal.register_number}",
                f"{directors}: {', '.join(legal.managing_directors)}",
            ]
        )

    def _authority(self, authority: Authority) -> dict[str, Any]:
        phone = f"{self._(PHONE)} {authority.phone}" if authority.phone else ""
        web = (authority.web or "").removeprefix("https://").removeprefix("http://")
        given = authority.explained
        # Only in a language that has its own explanation (the German name needs none).
        if isinstance(given, dict):
            explained = next((v for k, v in given.items() if k == self.language.value), "")
        else:
            explained = given or ""
        return {
            "name": authority.name,
            "explained": f" ({explained})" if explained else "",
            "postal_line": ", ".join(authority.postal_box),
            "address": list(authority.address),
            "address_line": ", ".join(authority.address),
            "email": authority.email,
            "phone": authority.phone or "",
            "web": authority.web or "",
            "contact_line": " · ".join(part for part in (phone, authority.email, web) if part),
        }

    # -- per kind -------------------------------------------------------------------------

    def acknowledgement(self, request: Request, *, marketing: bool = False) -> dict[str, Any]:
        """``marketing``: an objection to direct marketing (Art. 21(2)/(3)): stopped at once,
        no answer date; any other objection (Art. 21(1)) needs the person's grounds."""
        level = request.verification_level
        objection = RequestKind(request.kind) is RequestKind.OBJECTION
        facts: dict[str, Any] = {
            "verified_by": self._(VERIFIED_BY.get(level, VERIFIED_BY["email"])),
            "grounds_needed": objection and not marketing,
            "marketing": objection and marketing,
        }
        if objection and marketing:
            facts["due_on"] = ""
        return facts

    def identity_request(
        self, doubt: str, reference: str, code: str = "", *, on_file: bool = False
    ) -> dict[str, Any]:
        """Art. 12(6): only what the policy needs (two matching facts verify a caller), the
        service phone number, and the code to quote (none until the verification issues one).
        ``on_file``: the recipient's address is the one the system of record holds."""
        record = self.config.system_of_record
        facts = [name for name in (record.kba if record else {}) if name in KBA_NAMES]
        needed = [self._(KBA_NAMES[name]) for name in facts] or [self._(MAY_PROVIDE[0])]
        controller = self.config.controller
        address = ", ".join([controller.name, *controller.address])
        values = {"reference": reference, "address": address, "phone": controller.phone}
        reply = (
            N_(
                "Call our customer service on %(phone)s and give these details, or write to us "
                "quoting our reference %(reference)s: %(address)s."
            )
            if controller.phone
            else N_(
                "Write to us with these details, quoting our reference %(reference)s: %(address)s."
            )
        )
        return {
            "doubt": doubt,
            "needed": needed,
            "needed_count": self._(TWO) if len(needed) > KBA_FACTS_NEEDED else "",
            "code": code,
            "on_file": on_file,
            "reply_to": self._(reply) % values,
        }

    def extension(self, request: Request, reason: str) -> dict[str, Any]:
        return {"first_due_on": self.day(request.due_on), "reason": reason}

    def restriction(
        self, tasks: Sequence[Task], today: date, scope: str, ground: str = ""
    ) -> dict[str, Any]:
        return {
            "scope": scope,
            "ground": ground,  # Art. 18(1)(a)-(d), as the DPO states it; none is assumed
            "done_on": self.day(today),
            "notified": self._notified(tasks, plan.MANUAL),
        }

    def restriction_lift(self, scope: str, lift_on: date, reason: str) -> dict[str, Any]:
        return {"scope": scope, "lift_on": self.day(lift_on), "reason": reason}

    def objection(self, today: date, scope: str, *, marketing: bool = False) -> dict[str, Any]:
        """No recipients: Art. 19 covers rectification, erasure and restriction only."""
        return {"marketing": marketing, "scope": scope, "done_on": self.day(today)}

    def access(self, tasks: Sequence[Task], expires_on: date) -> dict[str, Any]:
        found = self._found(tasks, plan.EXPORT)
        categories = {c for item in found for c in item["keys"]}
        records = [r for r in self.config.processing if categories & set(r.categories)]
        recipients = [rec for record in records for rec in record.recipients]
        recipients += [
            s.recipient for s in self.config.stores if s.recipient and s.name in _stores(found)
        ]
        transfers = []
        for recipient in _unique(recipients):
            if recipient.country not in EEA:
                transfers.append(
                    {
                        "recipient": recipient.name,
                        "country": self._country(recipient.country),
                        "safeguards": localized(recipient.safeguards, self.language.value),
                    }
                )
        return {
            "found": [_public(item) for item in found],
            "paper_not_found": self._paper_not_found(tasks, plan.EXPORT),
            "records": [self._record(record) for record in records],
            "transfers": transfers,
            "download": {"expires_on": self.day(expires_on)},
            "redactions": [],
        }

    def negative(self, searched_stores: Iterable[str], identity: Identity) -> dict[str, Any]:
        searched = []
        for name in searched_stores:
            store = self.config.store(name)
            searched.append(
                {
                    "system": self._label(name),
                    "categories": self._categories(_declared_categories(store)),
                }
            )
        given = []
        if identity.email:
            given.append(f"{self._(EMAIL_ADDRESS)} {identity.email}")
        if identity.customer_number:
            given.append(f"{self._(CUSTOMER_NUMBER)} {identity.customer_number}")
        if identity.phone:
            given.append(f"{self._(PHONE_NUMBER)} {identity.phone}")
        return {"searched": searched, "identifiers": ", ".join(given) or self._(N_("none"))}

    def rectification(
        self, changes: Sequence[dict[str, str]], tasks: Sequence[Task], today: date
    ) -> dict[str, Any]:
        """Only the changes a store recorded as written: the letter claims nothing more."""
        written = fields_written(
            task.result_summary or {}
            for task in tasks
            if task.action == plan.RECTIFY and task.status == plan.DONE
        )
        return {
            "changes": [
                {
                    "field": self._(CHANGE_FIELDS.get(c.get("field", ""), CHANGE_FIELDS["other"])),
                    "value": c.get("value", ""),
                }
                for c in changes
                if c.get("field") in written
            ],
            "done_on": self.day(today),
            "notified": self._notified(tasks, plan.RECTIFY),
            "paper_not_found": self._paper_not_found(tasks, plan.RECTIFY),
        }

    def erasure(self, tasks: Sequence[Task], today: date) -> dict[str, Any]:
        erased = []
        held = []
        kept = []
        for task in tasks:
            if task.action != plan.ERASE or task.status != plan.DONE:
                continue
            summary = task.result_summary or {}
            by_hand = summary.get("resolved_by") and summary.get("found") is not False
            if sum((summary.get("erased") or {}).values()) or by_hand:
                erased.append(
                    {
                        "system": self._label(task.store),
                        "categories": self._categories(
                            summary.get("categories")
                            or _declared_categories(self.config.store(task.store))
                        ),
                    }
                )
            for hold in summary.get("held", []):
                held.append(
                    {
                        "what": self._categories(hold.get("categories") or ["other"]),
                        "count": self._records(int(hold["count"])),
                        "law": hold["law"],
                        "until": self.day(date.fromisoformat(hold["until"])),
                    }
                )
            for item in summary.get("kept", []):  # rows others use too, or a read-only store
                kept.append(
                    {
                        "what": self._categories(item.get("categories") or ["other"]),
                        "count": self._records(int(item["count"])),
                        "why": self._(KEPT_BECAUSE.get(item.get("reason", ""), KEPT_BECAUSE[""])),
                    }
                )
        return {
            "ground": self._(ERASURE_GROUND),
            "erased": erased,
            "held": held,
            "kept": kept,
            "done_on": self.day(today),
            "notified": self._notified(tasks, plan.ERASE),
            "paper_not_found": self._paper_not_found(tasks, plan.ERASE),
        }

    def refusal(self, ground: Ground, reason: str, fee: str = "") -> dict[str, Any]:
        lang = self.language.value
        return {
            "decision": ground.decided(lang),
            "ground_text": ground.text[lang],
            "reason": reason,
            "fee": FEE[lang] % {"fee": fee} if fee and ground.fee else "",
        }

    def unverifiable(self, reason: str) -> dict[str, Any]:
        return {"reason": reason, "may_provide": [self._(item) for item in MAY_PROVIDE]}

    # -- helpers --------------------------------------------------------------------------

    def _found(self, tasks: Sequence[Task], action: str) -> list[dict[str, Any]]:
        """Stores where the task found rows: label, category keys and their names."""
        found = []
        for task in tasks:
            if task.action != action or task.status != plan.DONE:
                continue
            summary = task.result_summary or {}
            counts = summary.get("counts") or {}
            tables = [table for table, count in counts.items() if count]
            if not tables and not summary.get("resolved_by"):
                continue
            if summary.get("found") is False:  # a paper file searched, nothing found
                continue
            keys = _declared_categories(self.config.store(task.store), tables)
            found.append(
                {
                    "store": task.store,
                    "system": self._label(task.store),
                    "keys": keys,
                    "categories": self._categories(keys),
                }
            )
        return found

    def _paper_not_found(self, tasks: Sequence[Task], action: str) -> list[str]:
        """Manual stores (paper archives) where staff recorded "not found": only then does the
        letter say that nothing was found there."""
        return [
            self._label(task.store)
            for task in tasks
            if task.action == action
            and task.status == plan.DONE
            and (task.result_summary or {}).get("found") is False
        ]

    def _record(self, record: ProcessingRecord) -> dict[str, str]:
        lang = self.language.value
        recipients = [f"{r.name} ({self._country(r.country)})" for r in record.recipients]
        return {
            "name": localized(record.name, lang),
            "purposes": "; ".join(localized(p, lang) for p in record.purposes),
            "legal_basis": localized(record.legal_basis, lang),
            "categories": self._categories(record.categories),
            "recipients": ", ".join(recipients) or self._(NO_RECIPIENTS),
            "storage": localized(record.storage, lang),
            "source": localized(record.source, lang) or self._(NO_SOURCE),
            "automated_decisions": localized(record.automated_decisions, lang)
            or self._(NO_AUTOMATED),
        }

    def _notified(self, tasks: Sequence[Task], action: str) -> list[str]:
        names = []
        for task in tasks:
            if task.action == action and task.status == plan.DONE:
                recipient = self.config.store(task.store).recipient
                if recipient and recipient.name not in names:
                    names.append(recipient.name)
        return names

    def _label(self, store: str) -> str:
        try:
            label = self.config.store(store).label
        except KeyError:
            return store
        return localized(label, self.language.value) or store

    def _records(self, count: int) -> str:
        if count == 1:
            return self._(N_("1 record"))
        return self._(N_("%(count)d records")) % {"count": count}

    def _categories(self, keys: Iterable[str]) -> str:
        return ", ".join(self._(CATEGORIES[k]) if k in CATEGORIES else k for k in _unique(keys))

    def _country(self, code: str) -> str:
        return self._(COUNTRIES[code]) if code in COUNTRIES else code


def _declared_categories(
    store: SqlStore | RedisStore | HttpStore | ManualStore, tables: Sequence[str] | None = None
) -> list[str]:
    """The categories ``dsr.yaml`` declares for ``store`` (for sql: of ``tables``)."""
    if isinstance(store, SqlStore):
        if tables is None:
            return _unique(s.category for table in store.tables for s in table.columns.values())
        found: list[str] = []
        for key in tables:
            name, _, role = key.partition(":")
            table = next((t for t in store.tables if t.name == name), None)
            if table is None:
                continue
            if role == "mentions":  # others' rows: only the columns that name the person
                columns = [r.column for r in table.references if r.role == "mentions"]
                found += [table.columns[c].category for c in columns if c in table.columns]
            else:
                found += [spec.category for spec in table.columns.values()]
        return _unique(found)
    if isinstance(store, RedisStore):
        return [store.category]
    if isinstance(store, HttpStore):
        return list(store.categories) or ["other"]
    return ["other"]


def _unique(items: Iterable[T]) -> list[T]:
    seen: list[T] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _stores(found: Sequence[dict[str, Any]]) -> set[str]:
    return {item["store"] for item in found}


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {"system": item["system"], "categories": item["categories"]}


def _lines(address: str | None) -> list[str]:
    if not address:
        return []
    parts = address.replace("\r", "\n").split("\n")
    if len(parts) == 1:
        parts = address.split(",")
    return [part.strip() for part in parts if part.strip()]
