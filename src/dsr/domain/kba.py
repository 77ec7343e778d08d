"""Which facts a caller gives on the phone verify them (LEGAL.md §2, DESIGN "Verification").

The customer number finds the record; it is printed on every invoice and letter, so it is no
secret and never counts towards verifying. The other facts have little entropy each: a phone
PIN has 10,000 values, the last invoice's amount often a handful (the demo shop has six), and
the invoice's date and amount come from one document — whoever holds the last invoice knows
both. So a combination verifies only when it joins what the person was told (the PIN) with
what the person was sent (the last invoice). Guessing stays bounded by the limits on checks
per customer (``dsr.services.intake``): at five checks a day, a PIN takes years.
"""

from __future__ import annotations

from collections.abc import Mapping

IDENTIFIER = "customer_number"
FACTS = ("customer_number", "last_invoice_date", "last_invoice_amount", "phone_pin")

# Each set of secret facts that verifies, with a matched customer number.
VERIFYING: tuple[frozenset[str], ...] = (
    frozenset({"phone_pin", "last_invoice_date"}),
    frozenset({"phone_pin", "last_invoice_amount"}),
)


def verifies(matched: Mapping[str, bool]) -> bool:
    """Whether the facts that matched verify the caller (level ``kba``)."""
    if not matched.get(IDENTIFIER):
        return False
    right = {name for name, ok in matched.items() if ok and name != IDENTIFIER}
    return any(combination <= right for combination in VERIFYING)
