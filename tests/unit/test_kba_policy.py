"""Which facts verify a caller on the phone (``dsr.domain.kba``)."""

from __future__ import annotations

import pytest

from dsr.domain.kba import verifies

NUMBER, PIN, DATE, AMOUNT = (
    "customer_number",
    "phone_pin",
    "last_invoice_date",
    "last_invoice_amount",
)


@pytest.mark.parametrize(
    ("matched", "verified"),
    [
        ({}, False),
        ({NUMBER: True}, False),  # the customer number is printed on every letter: no secret
        ({NUMBER: True, AMOUNT: True}, False),  # an amount has a handful of values
        ({NUMBER: True, PIN: True}, False),  # a PIN has 10,000
        ({NUMBER: True, DATE: True}, False),
        ({NUMBER: True, DATE: True, AMOUNT: True}, False),  # one invoice: one document
        ({NUMBER: True, PIN: True, DATE: True}, True),
        ({NUMBER: True, PIN: True, AMOUNT: True}, True),
        ({NUMBER: True, PIN: True, DATE: True, AMOUNT: True}, True),
        ({NUMBER: True, PIN: True, DATE: False, AMOUNT: True}, True),
        ({NUMBER: True, PIN: False, DATE: True, AMOUNT: True}, False),
        ({NUMBER: False, PIN: True, DATE: True}, False),  # no record: nothing can match
        ({PIN: True, DATE: True}, False),  # without the number there is no record
        ({NUMBER: True, PIN: True, "name": True, "date_of_birth": True}, False),  # not secret
    ],
)
def test_which_fact_combinations_verify(matched: dict[str, bool], verified: bool) -> None:
    assert verifies(matched) is verified
