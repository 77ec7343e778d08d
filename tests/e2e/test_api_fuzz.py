"""Schemathesis against the app's own OpenAPI document, in process: every operation, with
examples generated from the schema (valid and invalid), as a DPO. No response may be a 5xx,
and every response must match what the document declares for it.

``DSR_FUZZ_EXAMPLES`` sets the examples per operation (``make test``: 25; ``make soak``: more).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from litestar.testing import TestClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, response_schema_conformance

from dsr.app import create_app
from dsr.domain.vocabulary import Role
from dsr.settings import Settings
from tests.helpers import staff_token

EXAMPLES = int(os.environ.get("DSR_FUZZ_EXAMPLES", "25"))
BASE = "http://testserver.local"


@pytest.fixture
def fuzz_client(settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(app=create_app(settings), base_url=BASE) as client:
        yield client


@pytest.fixture
def dpo_headers(settings: Settings) -> dict[str, str]:
    return asyncio.run(staff_token(settings, "dana", Role.DPO))


def test_no_server_error_and_every_response_as_documented(
    fuzz_client: TestClient[Any], dpo_headers: dict[str, str]
) -> None:
    document = fuzz_client.get("/schema/openapi.json").json()
    api = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in api.get_all_operations()]
    calls: dict[str, int] = {}
    for operation in operations:
        for mode in GenerationMode:  # data the schema allows, and data it forbids
            _fuzz(operation, mode, fuzz_client, dpo_headers, calls)
    # Every operation of the document was exercised (the figure the closing note quotes).
    assert set(calls) == {f"{op.method.upper()} {op.path}" for op in operations}
    print(f"fuzzed {len(calls)} operations, {sum(calls.values())} calls")


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    client: TestClient[Any],
    headers: dict[str, str],
    calls: dict[str, int],
) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @given(case=operation.as_strategy(mode))
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def call(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url=BASE, headers=headers)
        kwargs.pop("cookies", None)  # the API authenticates by bearer token here
        response = client.request(**kwargs)
        calls[label] = calls.get(label, 0) + 1
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    try:
        call()
    except Unsatisfiable:  # nothing about this operation can be made invalid (no parameters)
        assert mode is GenerationMode.NEGATIVE, label
