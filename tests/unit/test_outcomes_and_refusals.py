"""A closed request's outcome says what happened; refusal grounds fit the kind of request."""

from __future__ import annotations

from typing import Any

import pytest

from dsr.domain import refusals
from dsr.domain.outcomes import closing_outcome, result_outcome
from dsr.domain.vocabulary import Outcome, RejectionGround, RequestKind

HELD = {"erased": {"customers": 1}, "held": [{"table": "invoices", "count": 8}]}
NOTHING: dict[str, Any] = {"erased": {"customers": 0}}


@pytest.mark.parametrize(
    ("kind", "results", "packaged", "expected"),
    [
        (RequestKind.ACCESS, [{"counts": {"customers": 1}}], True, Outcome.PROVIDED),
        (RequestKind.ACCESS, [{"counts": {"customers": 0}}], False, Outcome.NO_DATA),
        (RequestKind.PORTABILITY, [], True, Outcome.PROVIDED),
        (RequestKind.ERASURE, [{"erased": {"customers": 1, "orders": 4}}], False, Outcome.ERASED),
        (RequestKind.ERASURE, [HELD, None], False, Outcome.PARTIALLY_ERASED),
        (RequestKind.ERASURE, [NOTHING], False, Outcome.NO_DATA),
        (  # an address another customer uses too is kept: not all was erased
            RequestKind.ERASURE,
            [{"erased": {"customers": 1}, "kept": [{"table": "addresses", "reason": "shared"}]}],
            False,
            Outcome.PARTIALLY_ERASED,
        ),
        (  # an employee's name taken out of the tickets they handled
            RequestKind.ERASURE,
            [{"erased": {}, "mentions": {"tickets": 2}}],
            False,
            Outcome.ERASED,
        ),
        (RequestKind.ERASURE, [], False, Outcome.NO_DATA),
        (RequestKind.ERASURE, [{"resolved_by": "staff:1"}], False, Outcome.ERASED),  # by hand
        (RequestKind.RECTIFICATION, [{"changed": {"customers": 1}}], False, Outcome.RECTIFIED),
        (RequestKind.RECTIFICATION, [{"changed": {}}], False, Outcome.NO_DATA),
        (RequestKind.RESTRICTION, [{"resolved_by": "staff:1"}], False, Outcome.RESTRICTED),
        (RequestKind.OBJECTION, [{"resolved_by": "staff:1"}], False, Outcome.OBJECTION_UPHELD),
    ],
)
def test_the_outcome_follows_what_the_tasks_recorded(
    kind: RequestKind, results: list[Any], packaged: bool, expected: Outcome
) -> None:
    assert result_outcome(kind, results, packaged=packaged) is expected


def test_closing_outcomes() -> None:
    assert closing_outcome("rejected", "excessive", None) == "refused"
    assert closing_outcome("rejected", "unverifiable", "expired") == "unverifiable"
    assert closing_outcome("withdrawn", None, None) == "withdrawn"
    assert closing_outcome("completed", None, "partially_erased") == "partially_erased"
    with pytest.raises(ValueError, match="needs an outcome"):
        closing_outcome("completed", None, None)  # "completed" for everything is gone
    with pytest.raises(ValueError, match="needs an outcome"):
        closing_outcome("completed", None, "erasure_done")


def test_every_ground_has_both_languages_and_a_kind() -> None:
    assert {g.code for g in refusals.GROUNDS} == {g.value for g in RejectionGround}
    for ground in refusals.GROUNDS:
        for text in (ground.provision, ground.label, ground.text):
            assert set(text) == {"de", "en"} and all(text.values()), ground.code
        assert ground.kinds, ground.code
        assert ground.provision["de"] in ground.text["de"] or ground.identity, ground.code


def test_grounds_fit_the_kind_of_request() -> None:
    erasure = {g.code for g in refusals.grounds_for(RequestKind.ERASURE)}
    assert {f"erasure_{x}" for x in ("legal_obligation", "legal_claims")} <= erasure
    assert "bdsg_35_non_automated" in erasure and "objection_compelling_grounds" not in erasure
    objection = {g.code for g in refusals.grounds_for(RequestKind.OBJECTION)}
    assert "objection_compelling_grounds" in objection and "manifestly_unfounded" in objection
    assert "erasure_legal_claims" not in objection
    access = {g.code for g in refusals.grounds_for(RequestKind.ACCESS)}
    assert {"rights_of_others", "bdsg_29_secrecy", "bdsg_34_retention_only"} <= access
    fee = {g.code for g in refusals.GROUNDS if g.fee}
    assert fee == {"manifestly_unfounded", "excessive"}  # Art. 12(5)(a) only
