from __future__ import annotations

import pytest

from dsr.domain.vocabulary import RequestStatus
from dsr.workflows.lifecycle import EVENTS, next_status, targets_of

S = RequestStatus


@pytest.mark.parametrize(
    ("current", "event", "arguments", "target"),
    [
        (S.RECEIVED, "ask_verification", {}, S.AWAITING_VERIFICATION),
        (S.AWAITING_VERIFICATION, "verify", {"level": "email"}, S.VERIFIED),
        (S.RECEIVED, "verify", {"level": "kba"}, S.VERIFIED),  # agent verified on the phone
        (S.VERIFIED, "approve", {}, S.PROCESSING),
        (S.PROCESSING, "finish", {}, S.AWAITING_REVIEW),
        (S.AWAITING_REVIEW, "release", {}, S.COMPLETED),
        (S.PROCESSING, "complete", {}, S.COMPLETED),
        (S.AWAITING_VERIFICATION, "reject", {"ground": "unverifiable"}, S.REJECTED),
        (S.VERIFIED, "reject", {"ground": "excessive"}, S.REJECTED),
        (S.PROCESSING, "reject", {"ground": "excessive"}, S.REJECTED),  # until released
        (S.PROCESSING, "withdraw", {}, S.WITHDRAWN),
        (S.AWAITING_REVIEW, "withdraw", {}, S.WITHDRAWN),
    ],
)
def test_allowed_transitions(current: S, event: str, arguments: dict[str, str], target: S) -> None:
    assert next_status(current.value, event, **arguments) == target.value


@pytest.mark.parametrize(
    ("current", "event", "arguments"),
    [
        (S.RECEIVED, "approve", {}),  # never touch data before verification
        (S.AWAITING_VERIFICATION, "approve", {}),
        (S.AWAITING_VERIFICATION, "verify", {}),  # no level, no verification
        (S.AWAITING_VERIFICATION, "verify", {"level": "none"}),
        (S.AWAITING_VERIFICATION, "verify", {"level": "made-up"}),
        (S.VERIFIED, "reject", {}),  # a refusal needs its ground
        (S.VERIFIED, "reject", {"ground": "because"}),
        (S.PROCESSING, "release", {}),  # access packages are reviewed first
        (S.COMPLETED, "withdraw", {}),
        (S.REJECTED, "approve", {}),
        (S.WITHDRAWN, "verify", {"level": "email"}),
    ],
)
def test_refused_transitions(current: S, event: str, arguments: dict[str, str]) -> None:
    assert next_status(current.value, event, **arguments) is None


def test_every_status_is_reachable_and_closed_ones_are_final() -> None:
    reachable = {S.RECEIVED.value} | {target for event in EVENTS for target in targets_of(event)}
    assert reachable == {status.value for status in S}
    for closed in (S.COMPLETED, S.REJECTED, S.WITHDRAWN):
        assert all(next_status(closed.value, event) is None for event in EVENTS)
