"""The request as the person asked it, for the DPO: their own words, every change with what
each store's column holds now and what it would get, the channel and the proof of receipt.

Decrypted only here, for the DPO; every view is an audit event naming what was shown (never
the values). Old values are read without writing (``SqlConnector.current_values``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.config import DsrConfig
from dsr.connectors.base import Connector, CurrentValue, StoreError, StoreUnavailable
from dsr.connectors.sql import SqlConnector
from dsr.domain.vocabulary import Channel, Language, RequestKind
from dsr.i18n import N_, gettext
from dsr.models import Event, Request, Staff, Subject
from dsr.schemas import AskedOut, ChangeOut, ColumnChangeOut
from dsr.security.audit import append_event
from dsr.security.vault import Vault
from dsr.text import CHANGE_FIELDS
from dsr.workflows import plan
from dsr.workflows.engine import RECEIVED, Actor
from dsr.workflows.fanout import Fanout

VIEWED = "request.asked_viewed"
NOT_SHOWN, NOT_MAPPED, NO_ROWS = "not_shown", "not_mapped", "no_rows"
UNKNOWN_PERSON, UNAVAILABLE = "unknown_person", "unavailable"
NOTES = {
    NOT_SHOWN: N_("not shown: dsr does not read this store (it is sent the change)"),
    NOT_MAPPED: N_("no column of this store is mapped to this field: not changed here"),
    NO_ROWS: N_("no row of this person"),
    UNKNOWN_PERSON: N_("not known yet: the identity is not confirmed"),
    UNAVAILABLE: N_("the store could not be read just now"),
}
CHANNELS = {
    Channel.WEB: N_("web form"),
    Channel.PHONE: N_("phone (recorded by an agent)"),
    Channel.EMAIL: N_("e-mail"),
    Channel.LETTER: N_("letter"),
}


@dataclass(slots=True)
class CaseView:
    session: AsyncSession
    config: DsrConfig
    vault: Vault
    connectors: Mapping[str, Connector]

    @classmethod
    def of(cls, state: Any, session: AsyncSession) -> CaseView:
        """From the application's state (``create_app`` put config, vault and connectors
        there)."""
        return cls(session, state.config, state.vault, state.connectors)

    async def page_context(
        self, request: Request, actor: Actor, language: Language, timezone: str
    ) -> dict[str, Any]:
        """What the request page's "as asked" section shows (``_dpo_asked.html``)."""
        asked = await self.asked(request, actor)
        return {
            "asked": asked,
            "asked_fields": CHANGE_FIELDS,
            "asked_notes": NOTES,
            "asked_channel": gettext(language, CHANNELS[asked.channel]),
            "asked_received": asked.received_at.astimezone(ZoneInfo(timezone)).strftime(
                "%d.%m.%Y %H:%M"
            ),
        }

    async def asked(self, request: Request, actor: Actor) -> AskedOut:
        """Decrypt what the person asked and read the old values; audited."""
        cipher = self.vault.cipher
        details = cipher.decrypt("request.details", request.details_enc)
        stored = cipher.decrypt_json("request.changes", request.changes_enc) or []
        fields = {str(c.get("field")) for c in stored}
        read, stores = await self._current(request, fields) if stored else ({}, [])
        changes = [
            ChangeOut(
                field=str(change.get("field")),
                value=str(change.get("value") or ""),
                current=change.get("current"),
                columns=self._columns(str(change.get("field")), str(change.get("value")), read),
            )
            for change in stored
        ]
        receipt = (
            await self.session.exec(
                select(Event).where(Event.request_id == request.id, Event.action == RECEIVED)
            )
        ).first()
        recorded_by = (
            (await self.session.get(Staff, request.created_by)) if request.created_by else None
        )
        await append_event(
            self.session,
            actor=actor.label,
            action=VIEWED,
            request_id=request.id,
            payload={
                "free_text": details is not None,
                "changes": len(changes),
                "stores_read": stores,
            },
        )
        return AskedOut(
            details=details,
            changes=changes,
            channel=Channel(request.channel),
            received_at=request.received_at,
            recorded_by=recorded_by.username if recorded_by else None,
            receipt_event=receipt.seq if receipt else None,
            receipt_hash=receipt.hash if receipt else None,
        )

    async def _current(
        self, request: Request, fields: set[str]
    ) -> tuple[dict[str, list[CurrentValue] | str], list[str]]:
        """Per store that a rectification reaches: its current values, or why none are
        shown; and the stores that were read."""
        subject = await self.session.get_one(Subject, request.subject_id)
        who = Fanout(self.session, self.config, self.vault).identifiers(request, subject)
        record = self.config.system_of_record
        read: dict[str, list[CurrentValue] | str] = {}
        stores: list[str] = []
        for planned in plan.processing(RequestKind.RECTIFICATION, self.config.stores):
            connector = self.connectors.get(planned.store)
            if not isinstance(connector, SqlConnector):
                read[planned.store] = NOT_SHOWN
                continue
            keys = (
                who
                if record is not None and record.name == planned.store
                else who.without_records()
            )
            if keys.empty:
                read[planned.store] = UNKNOWN_PERSON
                continue
            try:
                read[planned.store] = await connector.current_values(keys, fields)
            except (StoreError, StoreUnavailable, TimeoutError, OSError):
                read[planned.store] = UNAVAILABLE
                continue
            stores.append(planned.store)
        return read, stores

    def _columns(
        self, field: str, value: str, read: dict[str, list[CurrentValue] | str]
    ) -> list[ColumnChangeOut]:
        columns: list[ColumnChangeOut] = []
        for store, found in read.items():
            if isinstance(found, str):
                columns.append(_unread(store, value, found))
                continue
            mapped = [current for current in found if current.field == field]
            if not mapped:
                columns.append(_unread(store, value, NOT_MAPPED))
            for current in mapped:
                columns.append(
                    ColumnChangeOut(
                        store=store,
                        table=current.table,
                        column=current.column,
                        old=current.values,
                        new=value,
                        note=None if current.rows else NO_ROWS,
                    )
                )
        return columns


def _unread(store: str, value: str, note: str) -> ColumnChangeOut:
    return ColumnChangeOut(store=store, table=None, column=None, old=None, new=value, note=note)
