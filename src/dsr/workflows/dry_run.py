"""``dsr plan``: what a request would reach, store by store, before anything runs.

It searches as the fan-out does — the system of record by the verified identifiers, then the
other stores by those and the keys of the person's own record — and, for an erasure, runs
the erasure inside a transaction that is rolled back. Processors' webhooks and manual stores
are named, not called: asking them would be a real request.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from dsr.config import DsrConfig, SqlStore, SqlTable
from dsr.connectors.base import Connector, Identifiers
from dsr.connectors.graph import MENTIONS, OWNS, RELATED
from dsr.connectors.sql import SqlConnector, split_key

_ROLE_WORDS = {
    OWNS: "the person's rows",
    MENTIONS: "other people's rows that name the person (third-party, reviewed before release)",
    RELATED: "rows the person's rows use",
}


async def plan(
    config: DsrConfig,
    connectors: Mapping[str, Connector],
    verified: Identifiers,
    kind: str,
    today: date,
) -> list[str]:
    """The report, one line per row of text."""
    lines = [f"Request: {kind}, verified identifiers: {_count(verified)}"]
    record = config.system_of_record
    seeds = verified
    if record is not None:
        connector = connectors[record.name]
        found = await connector.find(verified)
        seeds = verified.merge(found.keys)
        record_rows = sorted(r.split(":", 1)[0] for r in found.keys.record_ids)
        lines.append(
            f"System of record {record.name}: "
            + (
                f"matched {', '.join(record_rows)}; the other stores are searched by "
                f"{_count(found.keys.merge(verified))}"
                if record_rows
                else "no record matched; the other stores are searched by the verified "
                "identifiers only"
            )
        )
    for store in config.stores:
        connector = connectors[store.name]
        who = seeds if record is not None and store.name == record.name else seeds.without_records()
        lines.append("")
        if isinstance(connector, SqlConnector) and isinstance(store, SqlStore):
            lines += await _sql(connector, store, who, kind, today)
        elif store.type == "redis":
            counts = (await connector.find(who)).counts
            verb = "deleted" if kind == "erasure" else "exported"
            lines.append(f"Store {store.name} (redis): {counts.get('keys', 0)} keys, {verb}")
        elif store.type == "http":
            lines.append(
                f"Store {store.name} (processor webhook): asked to {_action(kind)} at run "
                "time (not called by dsr plan)"
            )
        else:
            lines.append(f"Store {store.name} (manual): a task for a person (not run by dsr plan)")
    lines += ["", "Nothing was changed."]
    return lines


async def _sql(
    connector: SqlConnector, store: SqlStore, who: Identifiers, kind: str, today: date
) -> list[str]:
    counts = await connector.counts(who)
    flags = [
        w
        for w, on in (("system of record", store.system_of_record), ("read-only", store.read_only))
        if on
    ]
    lines = [f"Store {store.name} (sql{', ' + ', '.join(flags) if flags else ''}):"]
    erased = held = kept = mentions = None
    if kind == "erasure":
        result = await connector.dry_erase(who, today)
        erased, mentions = result.erased, result.mentions
        held = [h for h in result.held]
        kept = [k for k in result.kept]
    for key, count in counts.items():
        table_name, role = split_key(key)
        table = store.table(table_name)
        lines.append(f"  {key}: {_rows(count)} — {_ROLE_WORDS[role]}")
        for path in connector.paths(table_name, role):
            lines.append(f"      via {path}")
        if not count:
            continue
        if kind == "erasure":
            lines += _erasure_lines(table, role, key, erased, mentions, held, kept)
        elif kind == "rectification":
            fields = {s.field for s in table.columns.values() if s.field}
            if fields and role != MENTIONS:
                lines.append(f"      rectify: {', '.join(sorted(f for f in fields if f))}")
        else:
            columns = ", ".join(f"{c} [{cat}]" for c, cat in connector.export_columns(table_name))
            lines.append(f"      export: {columns}")
    if kind == "erasure":
        lines.append("  (erasure ran in a transaction that was rolled back)")
    return lines


def _erasure_lines(
    table: SqlTable,
    role: str,
    key: str,
    erased: Mapping[str, int] | None,
    mentions: Mapping[str, int] | None,
    held: list | None,  # type: ignore[type-arg]
    kept: list | None,  # type: ignore[type-arg]
) -> list[str]:
    lines: list[str] = []
    if role == MENTIONS:
        columns = [r.column for r in table.references if r.role == MENTIONS]
        strategies = ", ".join(
            f"{c} → {table.columns[c].erase if c in table.columns else 'null'}" for c in columns
        )
        lines.append(
            f"      erase: only the columns that name the person ({strategies}); "
            f"{_rows((mentions or {}).get(table.name, 0))} changed"
        )
        return lines
    for item in kept or []:
        if item.table == table.name:
            why = "used by another person's row too" if item.reason == "shared" else "read-only"
            lines.append(f"      kept: {item.count} ({why})")
    for item in held or []:
        if item.table == table.name and role == OWNS:
            lines.append(
                f"      kept under a retention hold: {item.count} until "
                f"{item.until.isoformat()} ({item.law}), restricted"
            )
    count = (erased or {}).get(key, 0)
    if table.erase == "delete":
        lines.append(f"      erase: {_rows(count)} deleted")
    elif table.erase == "update":
        strategies = ", ".join(
            f"{c} → {s.erase if s.erase != 'rewrite' else repr(s.rewrite)}"
            for c, s in table.columns.items()
            if s.erase != "keep"
        )
        lines.append(f"      erase: {_rows(count)} changed ({strategies})")
    else:
        lines.append("      erase: kept (erase: keep)")
    return lines


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _count(who: Identifiers) -> str:
    parts = [
        f"{kind.replace('_', ' ')} {len(values)}"
        for kind, values in sorted(who.values.items())
        if values
    ]
    return ", ".join(parts) or "none"


def _action(kind: str) -> str:
    return {"erasure": "erase", "rectification": "rectify"}.get(kind, "export")
