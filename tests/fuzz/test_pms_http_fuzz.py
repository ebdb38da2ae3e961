"""Fuzz every PMS endpoint over HTTP: whatever arrives, never a 500, always the envelope.

Signed and unsigned, any JSON value or any bytes, any Content-Type, under all
three path prefixes. A rejected request (any errorCode but "0") must leave the
sandbox as it was: same transactions, sessions and webhook deliveries.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mockpms.endpoints import PREFIXES
from mockpms.signing import sign
from tests.conftest import SHOP_A, Live, sale_fields, session_fields
from tests.fuzz.strategies import (
    ENDPOINTS,
    FUZZ,
    any_text,
    content_types,
    field_values,
    json_values,
    mutated_bodies,
)

ALLOWED_STATUS = {200, 400, 404, 405, 413, 415}
paths = st.tuples(st.sampled_from(PREFIXES), st.sampled_from(ENDPOINTS)).map("/".join)


@pytest.fixture(scope="module")
def fuzz_live(live_server: Live) -> Live:
    """The shared live server, reset once, with transaction R1 and session S1 to find.

    With them, query and cancel bodies reach the handlers' success paths too, not
    only their "not found" answers. The fuzz tests compare state per request.
    """
    live_server.reset()
    assert live_server.client.sales(**sale_fields(rrn="R1", webhookUrl=""))["errorCode"] == "0"
    created = live_server.client.h5_create(**session_fields(sessionId="S1"))
    assert created["errorCode"] == "0"
    return live_server


def state(live: Live) -> tuple[int, int, int]:
    box = live.sandbox
    counts = box.store.counts()
    return counts["transactions"], counts["sessions"], len(box.webhooks.deliveries())


def signed(fields: dict[str, Any]) -> dict[str, Any]:
    ts = int(time.time() * 1000)
    return {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": sign(ts, SHOP_A.secret), **fields}


def encode(value: Any) -> bytes:
    # ensure_ascii: lone surrogates travel as \\u escapes, as a Java or JS client sends them
    return json.dumps(value, ensure_ascii=True).encode("ascii")


def post(live: Live, path: str, body: bytes, content_type: str) -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return live.http.post(path, content=body, headers=headers)


def check(live: Live, response: httpx.Response, before: tuple[int, int, int]) -> dict[str, Any]:
    """The contract every answer keeps, whatever the request was."""
    assert response.status_code != 500, response.text[:500]
    assert response.status_code in ALLOWED_STATUS, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    assert isinstance(answer, dict), answer
    assert isinstance(answer.get("errorCode"), str), answer
    assert isinstance(answer.get("errorMessage"), str), answer
    if answer["errorCode"] != "0":
        assert state(live) == before, ("a rejected request changed state", answer)
    else:
        assert response.status_code == 200
    return answer


@FUZZ
@given(path=paths, value=json_values, content_type=content_types)
def test_any_json_value_unsigned(fuzz_live: Live, path: str, value: Any, content_type: str) -> None:
    before = state(fuzz_live)
    answer = check(fuzz_live, post(fuzz_live, path, encode(value), content_type), before)
    assert answer["errorCode"] != "0"  # nothing passes without apiKey, timestamp and sign


@FUZZ
@given(path=paths, body=st.binary(max_size=300), content_type=content_types)
@example(path="/online/sales", body=b"[" * 50_000, content_type="application/json")
@example(path="/online/sales", body=b'{"a":' * 5_000, content_type="application/json")
@example(path="/online/query", body=b'{"amt": Infinity}', content_type="application/json")
@example(path="/online/query", body=b"\xef\xbb\xbf{}", content_type="application/json")
def test_any_bytes(fuzz_live: Live, path: str, body: bytes, content_type: str) -> None:
    before = state(fuzz_live)
    answer = check(fuzz_live, post(fuzz_live, path, body, content_type), before)
    assert answer["errorCode"] != "0"


@FUZZ
@given(data=st.data(), endpoint=st.sampled_from(ENDPOINTS), prefix=st.sampled_from(PREFIXES))
def test_signed_bodies_with_mutated_fields(
    fuzz_live: Live, data: st.DataObject, endpoint: str, prefix: str
) -> None:
    """Correctly signed requests whose fields are replaced, removed or added at random."""
    base = base_fields(endpoint)
    body = signed(data.draw(mutated_bodies(base), label="body"))
    before = state(fuzz_live)
    check(
        fuzz_live, post(fuzz_live, f"{prefix}/{endpoint}", encode(body), "application/json"), before
    )


@FUZZ
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    timestamp=json_values | st.integers(),
    signature=json_values,
    api_key=json_values | st.just(SHOP_A.api_key),
)
def test_forged_auth_is_refused_without_change(
    fuzz_live: Live, endpoint: str, timestamp: Any, signature: Any, api_key: Any
) -> None:
    """Any apiKey, timestamp and sign but the right ones: 40002, nothing stored."""
    fields = sale_fields() if endpoint == "online/sales" else session_fields()
    body = {"apiKey": api_key, "timestamp": timestamp, "sign": signature, **fields}
    before = state(fuzz_live)
    answer = check(
        fuzz_live, post(fuzz_live, f"/{endpoint}", encode(body), "application/json"), before
    )
    assert answer["errorCode"] == "40002", answer


@FUZZ
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    timestamp=st.integers(min_value=0, max_value=10**400)
    | st.integers(min_value=10**18, max_value=10**20),
)
def test_any_signed_integer_timestamp_gets_an_envelope(
    fuzz_live: Live, endpoint: str, timestamp: int
) -> None:
    """A timestamp correctly signed whatever its size (0.1.0: 500 past 311 digits)."""
    fields = sale_fields() if endpoint == "online/sales" else session_fields()
    body = {
        "apiKey": SHOP_A.api_key,
        "timestamp": timestamp,
        "sign": sign(timestamp, SHOP_A.secret),
        **fields,
    }
    before = state(fuzz_live)
    answer = check(
        fuzz_live, post(fuzz_live, f"/{endpoint}", encode(body), "application/json"), before
    )
    assert answer["errorCode"] == "40002", answer


def base_fields(endpoint: str) -> dict[str, Any]:
    if endpoint == "online/sales":
        return sale_fields(webhookUrl="http://127.0.0.1:9/hook")
    if endpoint == "h5Payment/session/create":
        return session_fields(webhookUrl="http://127.0.0.1:9/hook")
    return {"type": "VMPAY", "rrn": "R1", "storeCode": "WP001", "tillId": "01", "sessionId": "S1"}


@FUZZ
@given(data=st.data(), endpoint=st.sampled_from(ENDPOINTS), value=any_text | field_values)
def test_one_field_of_a_valid_request_replaced(
    fuzz_live: Live, data: st.DataObject, endpoint: str, value: Any
) -> None:
    """One field of an otherwise valid request, any value: accepted or refused cleanly.

    What is accepted is echoed in the answer and shown on pages, so this is where
    text that cannot be encoded (lone surrogates) or displayed would surface.
    """
    fields = base_fields(endpoint)
    name = data.draw(st.sampled_from(sorted(fields)), label="name")
    body = signed({**fields, name: value})
    before = state(fuzz_live)
    answer = check(
        fuzz_live, post(fuzz_live, f"/{endpoint}", encode(body), "application/json"), before
    )
    if answer["errorCode"] == "0" and endpoint in ("online/sales", "h5Payment/session/create"):
        assert state(fuzz_live)[:2] != before[:2], "a successful create stored nothing"
