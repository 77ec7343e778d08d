"""Which tasks a request needs: pure rules, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dsr.config import HttpStore, ManualStore, SqlStore, Store
from dsr.domain.vocabulary import RequestKind, VerificationLevel

FIND, EXPORT, ERASE, RECTIFY, MANUAL = "find", "export", "erase", "rectify", "manual"
DPO_DESK = "dpo"  # the pseudo-store of work only the DPO can do

ACTION_FOR_KIND: dict[RequestKind, str] = {
    RequestKind.ACCESS: EXPORT,
    RequestKind.PORTABILITY: EXPORT,
    RequestKind.ERASURE: ERASE,
    RequestKind.RECTIFICATION: RECTIFY,
    RequestKind.RESTRICTION: MANUAL,
    RequestKind.OBJECTION: MANUAL,
}

# Task states: waiting on a person or a processor's callback; done and failed are final.
PENDING, RUNNING, WAITING, DONE, FAILED = "pending", "running", "waiting", "done", "failed"
ENDED = frozenset({DONE})


@dataclass(frozen=True, slots=True)
class PlannedTask:
    store: str
    action: str


def identification(stores: Sequence[Store]) -> list[PlannedTask]:
    """First, look the person up in the system of record."""
    return [
        PlannedTask(s.name, FIND) for s in stores if isinstance(s, SqlStore) and s.system_of_record
    ]


def processing(kind: RequestKind, stores: Sequence[Store]) -> list[PlannedTask]:
    """The work of the request in every store. Rectification does not reach stores that
    cannot correct data (Redis caches are rebuilt); processors and archives are told."""
    action = ACTION_FOR_KIND[kind]
    if action == MANUAL:
        return [PlannedTask(DPO_DESK, MANUAL)]
    planned = []
    for store in stores:
        if action == RECTIFY and not isinstance(store, SqlStore | HttpStore | ManualStore):
            continue
        planned.append(PlannedTask(store.name, action))
    return planned


def level_allows_data(level: str, required: Sequence[str]) -> bool:
    """Whether a verification level satisfies a kind's policy (any of the listed levels,
    where a stronger level satisfies a weaker one)."""
    order = [item.value for item in VerificationLevel]
    if level not in order:
        return False
    rank = order.index(level)
    return any(name in order and rank >= order.index(name) for name in required)
