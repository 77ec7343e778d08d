"""Whose rows: the paths from a person to the rows of each table of a ``sql`` store.

The rule this module exists for: **identifiers never grow from rows reached through
references.** A person's rows are found from the identifiers they proved (and the keys of
their own record in the system of record); from there, references are followed to more rows,
but what those rows hold — another e-mail address, a phone number, a customer number — is
never used to look for anything. A ticket the person handled as an employee carries the
customer's e-mail address: that makes the ticket a row to review, never a way to the
customer.

Each reference says what the link means (``dsr.config.Reference``):

- ``owns``: the row is about the person its target row is about (an order of the customer).
  Owned rows are followed further, transitively.
- ``mentions``: the row names the person in another role (a ticket's handling employee). It
  is exported as third-party data for the DPO's Art. 15(4) review, and erasure changes only
  the column that names the person. Nothing is followed from it.
- ``related``: the person's row uses the target row (an order's shipping address, a product).
  It is exported, and never erased or rectified while another person's row uses it too.
  Nothing is followed from it.

Paths never visit a table twice, so reference cycles end; each table's rows of one role are
the union of its paths — one set-based condition per table and role.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from dsr.config import Reference, SqlStore, SqlTable

OWNS, MENTIONS, RELATED = "owns", "mentions", "related"
MAX_DEPTH = 8  # references followed from an identity match, at most
MAX_PATHS = 64  # paths to one table and role, at most (more is a mistake in dsr.yaml)


@dataclass(frozen=True, slots=True)
class Hop:
    """One reference followed. ``owns``/``mentions``: rows of ``table`` whose ``column``
    holds a ``target_column`` value of the person's ``target_table`` rows. ``related``:
    rows of ``target_table`` whose ``target_column`` a person's ``table`` row holds."""

    table: str
    column: str
    target_table: str
    target_column: str
    role: str

    @property
    def reached(self) -> str:
        return self.target_table if self.role == RELATED else self.table

    @property
    def source(self) -> str:
        return self.table if self.role == RELATED else self.target_table

    def describe(self) -> str:
        arrow = f"{self.table}.{self.column} → {self.target_table}.{self.target_column}"
        return f"{arrow} ({self.role})"


@dataclass(frozen=True, slots=True)
class Path:
    """How rows of ``table`` are reached: an identity match in ``start``, then ``hops``."""

    start: str
    hops: tuple[Hop, ...] = ()

    @property
    def table(self) -> str:
        return self.hops[-1].reached if self.hops else self.start

    @property
    def role(self) -> str:
        return self.hops[-1].role if self.hops else OWNS

    @property
    def tables(self) -> list[str]:
        return [self.start, *(hop.reached for hop in self.hops)]

    def describe(self, identity: Sequence[str]) -> str:
        first = f"{self.start} by identity ({', '.join(identity)})"
        return " → ".join([first, *(hop.describe() for hop in self.hops)])


@dataclass(frozen=True, slots=True)
class Graph:
    """Every path of one store, by table and role."""

    paths: dict[tuple[str, str], list[Path]]
    notes: list[str]

    def of(self, table: str, role: str) -> list[Path]:
        return self.paths.get((table, role), [])

    def roles(self, table: str) -> list[str]:
        return [role for role in (OWNS, MENTIONS, RELATED) if self.of(table, role)]

    def reached(self) -> list[tuple[str, str]]:
        """(table, role) pairs with at least one path."""
        return list(self.paths)


def build(store: SqlStore) -> Graph:
    tables = {table.name: table for table in store.tables}
    paths: dict[tuple[str, str], list[Path]] = {}
    notes: list[str] = []

    def add(path: Path) -> None:
        bucket = paths.setdefault((path.table, path.role), [])
        if len(bucket) < MAX_PATHS:
            bucket.append(path)
        elif len(bucket) == MAX_PATHS:
            notes.append(
                f"table {path.table}: more than {MAX_PATHS} reference paths as {path.role}; "
                "only the first are followed (check the references in dsr.yaml)"
            )

    for owned in _owned_paths(tables):
        add(owned)
        for hop in _leaves(tables, owned):
            add(Path(owned.start, (*owned.hops, hop)))
    notes.extend(_cycles(tables))
    return Graph(paths, notes)


def _owned_paths(tables: dict[str, SqlTable]) -> Iterator[Path]:
    """Every acyclic path of ``owns`` hops from a table matched by identity."""
    children: dict[str, list[tuple[SqlTable, Reference]]] = {}
    for table in tables.values():
        for reference in table.owns():
            children.setdefault(reference.table, []).append((table, reference))

    def walk(path: Path, visited: frozenset[str]) -> Iterator[Path]:
        yield path
        if len(path.hops) >= MAX_DEPTH:
            return
        for child, reference in children.get(path.table, []):
            if child.name in visited:
                continue
            hop = Hop(child.name, reference.column, reference.table, reference.target_column, OWNS)
            yield from walk(Path(path.start, (*path.hops, hop)), visited | {child.name})

    for table in tables.values():
        if table.identity:
            yield from walk(Path(table.name), frozenset({table.name}))


def _leaves(tables: dict[str, SqlTable], owned: Path) -> Iterator[Hop]:
    """The ``mentions`` and ``related`` hops from the end of an owned path."""
    end = owned.table
    for table in tables.values():
        for reference in table.references:
            if reference.role == MENTIONS and reference.table == end:
                yield Hop(table.name, reference.column, end, reference.target_column, MENTIONS)
    for reference in tables[end].references:
        if reference.role == RELATED and reference.table not in owned.tables:
            yield Hop(end, reference.column, reference.table, reference.target_column, RELATED)


def _cycles(tables: dict[str, SqlTable]) -> list[str]:
    """Reference cycles, in a sentence each (they are fine: each path visits a table once)."""
    notes: list[str] = []
    seen: set[frozenset[str]] = set()

    def visit(name: str, trail: list[str]) -> None:
        for reference in tables[name].references:
            target = reference.table
            if target in trail:
                cycle = [*trail[trail.index(target) :], target]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    notes.append(
                        "references form a cycle "
                        + " → ".join(cycle)
                        + ": each search path follows it once"
                    )
                continue
            visit(target, [*trail, target])

    for name in tables:
        visit(name, [name])
    return notes
