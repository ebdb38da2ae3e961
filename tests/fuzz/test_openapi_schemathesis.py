"""Schemathesis against /_mock/openapi.json: every described operation, over HTTP.

Requests generated from the schema (and, in negative mode, ones that break it)
go to the live server. Every answer must be no 5xx, JSON as described, and
match the documented response schema. Skipped with a notice in a build that
does not serve the document.

Bounded like the other fuzz tests (MOCKPMS_FUZZ_EXAMPLES / 30 examples per
operation and mode, 5 by default); calls that would slow the suite down on purpose (fault
delays, dropped connections) are steered away from by a hook below.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.conftest import Live

# Per operation and mode: 5 by default (about 50 operations, two modes).
EXAMPLES = int(os.environ.get("MOCKPMS_FUZZ_EXAMPLES", "150")) // 30 or 1


@pytest.fixture(scope="module")
def openapi_schema(live_server: Live) -> Any:
    response = httpx.get(f"{live_server.url}/_mock/openapi.json", timeout=10)
    if response.status_code == 404:
        pytest.skip("this build serves no /_mock/openapi.json")
    assert response.status_code == 200
    return schemathesis.openapi.from_dict(response.json())


def tame(case: Any) -> None:
    """No long sleeps, no dropped connections, no shutdown: those are tested elsewhere."""
    body = case.body
    if isinstance(body, dict):
        if isinstance(body.get("delayMs"), int) and not isinstance(body["delayMs"], bool):
            body["delayMs"] = min(abs(body["delayMs"]), 5)
        if body.get("drop") is True:
            body["drop"] = False
        if isinstance(body.get("seconds"), int | float) and not isinstance(body["seconds"], bool):
            body["seconds"] = min(abs(body["seconds"]), 3600)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_documented(
    openapi_schema: Any, live_server: Live, mode: GenerationMode
) -> None:
    """Each operation in turn, with cases from its schema (positive) or against it (negative).

    Driven with Hypothesis directly rather than through schemathesis's pytest
    plugin, which needs a schema at import time (ours comes from the live server).
    """
    operations = [
        operation
        for operation in (result.ok() for result in openapi_schema.get_all_operations())
        if operation.path != "/_mock/events"  # a stream that never ends: tested on its own
    ]
    assert operations, "the document describes no operation"
    for operation in operations:

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case: Any) -> None:
            tame(case)
            response = case.call(base_url=live_server.url, timeout=15)
            case.validate_response(
                response,
                checks=[not_a_server_error, content_type_conformance, response_schema_conformance],
            )

        try:
            call()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # nothing of this operation can be broken
        finally:
            live_server.reset()  # no fault, policy or clock offset left for the next one
