"""Whatever JSON a control call gets, the answer is a 2xx or a 4xx JSON error: never a 500."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Live

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3), max_leaves=5)
keys = st.sampled_from(
    [
        "endpoint",
        "errorCode",
        "httpStatus",
        "delayMs",
        "drop",
        "count",
        "outcome",
        "afterSeconds",
        "seed",
        "other",
    ]
)
bodies = st.dictionaries(keys, values, max_size=4) | values


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(["/faults", "/policy", "/seed"]), body=bodies)
def test_no_body_makes_a_control_call_fail_with_a_500(live: Live, path: str, body: Any) -> None:
    if isinstance(body, dict) and isinstance(body.get("delayMs"), int):
        body["delayMs"] = min(abs(body["delayMs"]), 5)  # keep any accepted delay short
    response = live.control("POST", path, json=body)
    assert response.status_code in (200, 201) or 400 <= response.status_code < 500
    answer = response.json()
    if response.status_code >= 400:
        assert answer["status"] == response.status_code
        assert answer["error"]
    live.control("DELETE", "/faults")
    live.control("DELETE", "/policy")
