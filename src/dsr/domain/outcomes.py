"""What a closed request's ``outcome`` says, from what its tasks recorded (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dsr.domain.vocabulary import Outcome, RejectionGround, RequestKind

DONE: dict[RequestKind, Outcome] = {
    RequestKind.ERASURE: Outcome.ERASED,
    RequestKind.RECTIFICATION: Outcome.RECTIFIED,
    RequestKind.RESTRICTION: Outcome.RESTRICTED,
    RequestKind.OBJECTION: Outcome.OBJECTION_UPHELD,
}


def result_outcome(
    kind: RequestKind, results: Iterable[Mapping[str, Any] | None], *, packaged: bool
) -> Outcome:
    """The outcome of a request whose work finished: ``results`` are the summaries of its
    acting tasks (export, erase, rectify, manual), ``packaged`` whether an access package
    was built. Nothing found or touched anywhere is ``no_data``."""
    if kind in (RequestKind.ACCESS, RequestKind.PORTABILITY):
        return Outcome.PROVIDED if packaged else Outcome.NO_DATA
    summaries = [summary or {} for summary in results]
    if not any(_touched(summary) for summary in summaries):
        return Outcome.NO_DATA
    kept = ("held", "kept")  # under a retention hold; used by others too, or read-only
    if kind is RequestKind.ERASURE and any(summary.get(k) for summary in summaries for k in kept):
        return Outcome.PARTIALLY_ERASED
    return DONE[kind]


def closing_outcome(target: str, ground: str | None, given: str | None) -> str:
    """The outcome the engine writes when a request closes in ``target``."""
    if target == "rejected":
        unverifiable = ground == RejectionGround.UNVERIFIABLE.value
        return (Outcome.UNVERIFIABLE if unverifiable else Outcome.REFUSED).value
    if target == "withdrawn":
        return Outcome.WITHDRAWN.value
    if given is None or given not in {item.value for item in Outcome}:
        raise ValueError(f"a completed request needs an outcome, not {given!r}")
    return given


def _touched(summary: Mapping[str, Any]) -> bool:
    if summary.get("resolved_by") or summary.get("held") or summary.get("kept"):
        return True
    return any(
        sum(int(value) for value in (summary.get(key) or {}).values())
        for key in ("counts", "erased", "changed", "mentions")
    )
