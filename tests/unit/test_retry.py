from datetime import timedelta

import pytest

from dsr.domain.retry import backoff
from dsr.notify import outbox
from dsr.workflows import tasks


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [(0, 10), (1, 10), (2, 20), (3, 40), (8, 1280), (9, 1800), (40, 1800)],
)
def test_backoff_doubles_from_its_base_up_to_its_cap(attempts: int, expected: int) -> None:
    assert backoff(attempts, timedelta(seconds=10), timedelta(minutes=30)) == timedelta(
        seconds=expected
    )


def test_tasks_and_mail_wait_by_the_same_rule_with_their_own_bounds() -> None:
    assert tasks.backoff(1) == timedelta(seconds=10) and tasks.backoff(50) == timedelta(minutes=30)
    assert outbox.backoff(1) == timedelta(seconds=15) and outbox.backoff(50) == timedelta(hours=1)
