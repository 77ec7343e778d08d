"""The one declaration of a request's states and transitions (DESIGN.md "Request lifecycle").

Extension and pause are actions on a request, not states. Only ``dsr.workflows.engine`` uses
this machine to change a stored request.
"""

from __future__ import annotations

import functools

from statemachine import State, StateMachine
from statemachine.exceptions import TransitionNotAllowed

from dsr.domain.vocabulary import RejectionGround, RequestStatus, VerificationLevel


class RequestLifecycle(StateMachine):
    received = State(initial=True, value=RequestStatus.RECEIVED.value)
    awaiting_verification = State(value=RequestStatus.AWAITING_VERIFICATION.value)
    verified = State(value=RequestStatus.VERIFIED.value)
    processing = State(value=RequestStatus.PROCESSING.value)
    awaiting_review = State(value=RequestStatus.AWAITING_REVIEW.value)
    completed = State(final=True, value=RequestStatus.COMPLETED.value)
    rejected = State(final=True, value=RequestStatus.REJECTED.value)
    withdrawn = State(final=True, value=RequestStatus.WITHDRAWN.value)

    ask_verification = received.to(awaiting_verification)
    verify = received.to(verified, cond="proves_identity") | awaiting_verification.to(
        verified, cond="proves_identity"
    )
    approve = verified.to(processing)
    finish = processing.to(awaiting_review)
    complete = processing.to(completed)
    release = awaiting_review.to(completed)
    reject = (
        received.to(rejected, cond="has_ground")
        | awaiting_verification.to(rejected, cond="has_ground")
        | verified.to(rejected, cond="has_ground")
        | processing.to(rejected, cond="has_ground")  # an auto-approved access, until released
        | awaiting_review.to(rejected, cond="has_ground")  # e.g. Art. 21(1) s. 2 after review
    )
    withdraw = (
        received.to(withdrawn)
        | awaiting_verification.to(withdrawn)
        | verified.to(withdrawn)
        | processing.to(withdrawn)
        | awaiting_review.to(withdrawn)
    )

    def proves_identity(self, level: str | None = None) -> bool:
        return (
            level is not None
            and level != VerificationLevel.NONE.value
            and (level in {item.value for item in VerificationLevel})
        )

    def has_ground(self, ground: str | None = None) -> bool:
        return ground in {item.value for item in RejectionGround}


EVENTS: frozenset[str] = frozenset(
    transition.event for state in RequestLifecycle.states for transition in state.transitions
)


@functools.cache
def targets_of(event: str) -> frozenset[str]:
    """Every status that ``event`` can lead to, from any source."""
    return frozenset(
        transition.target.value
        for state in RequestLifecycle.states
        for transition in state.transitions
        if transition.event == event
    )


@functools.lru_cache(maxsize=4096)
def next_status(
    current: str, event: str, *, level: str | None = None, ground: str | None = None
) -> str | None:
    """The status ``event`` leads to from ``current``, or None when it does not apply
    (remembered: the machine is built once per combination, not once per call)."""
    machine = RequestLifecycle(start_value=current)
    try:
        machine.send(event, level=level, ground=ground)
    except TransitionNotAllowed:
        return None
    target: str = machine.current_state_value
    return None if target == current else target


__all__ = ["EVENTS", "RequestLifecycle", "next_status", "targets_of"]
