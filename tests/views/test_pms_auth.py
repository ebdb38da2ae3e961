"""Authentication over HTTP: every failure is errorCode 40002 naming the check."""

from __future__ import annotations

import time
from typing import Any

import pytest

from mockpms.signing import JS_SNIPPET_TYPO, sign
from tests.conftest import SHOP_A, Live


def post(live: Live, body: dict[str, object], endpoint: str = "online/gateway") -> dict[str, Any]:
    response = live.http.post(f"/tt-pms-ws/rest/{endpoint}", json=body)
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


def now_ms() -> int:
    return int(time.time() * 1000)


def test_signed_request_succeeds(live: Live) -> None:
    ts = now_ms()
    answer = post(
        live, {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": sign(ts, SHOP_A.secret)}
    )
    assert answer["errorCode"] == "0"


def test_timestamp_as_digit_string_is_accepted(live: Live) -> None:
    ts = str(now_ms())
    answer = post(
        live, {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": sign(ts, SHOP_A.secret)}
    )
    assert answer["errorCode"] == "0"


def test_unknown_api_key(live: Live) -> None:
    ts = now_ms()
    answer = post(live, {"apiKey": "nobody", "timestamp": ts, "sign": sign(ts, "x")})
    assert answer["errorCode"] == "40002"
    assert "apiKey" in answer["errorMessage"] and "nobody" in answer["errorMessage"]


def test_bad_sign_says_what_was_signed_and_how(live: Live) -> None:
    ts = str(now_ms())
    answer = post(live, {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": sign(ts, "wrong")})
    assert answer["errorCode"] == "40002"
    message = answer["errorMessage"]
    assert message.startswith("sign:")
    assert f'"{ts}"' in message and "HMAC-SHA1" in message and "Base64" in message
    assert SHOP_A.secret not in message and sign(ts, SHOP_A.secret) not in message


def test_another_merchants_secret_is_a_bad_sign(live: Live) -> None:
    ts = now_ms()
    answer = post(live, {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": sign(ts, "secret-b")})
    assert answer["errorCode"] == "40002" and answer["errorMessage"].startswith("sign:")


@pytest.mark.parametrize("offset_s, word", [(-400, "in the past"), (400, "in the future")])
def test_stale_and_future_timestamps(live: Live, offset_s: int, word: str) -> None:
    ts = now_ms() + offset_s * 1000
    answer = post(
        live, {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": sign(ts, SHOP_A.secret)}
    )
    assert answer["errorCode"] == "40002"
    assert word in answer["errorMessage"] and "300 s" in answer["errorMessage"]


def test_a_replayed_request_is_refused_once_stale(live: Live) -> None:
    ts = now_ms() - 301_000
    body = {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": sign(ts, SHOP_A.secret)}
    assert post(live, body)["errorCode"] == "40002"


def test_seconds_not_milliseconds(live: Live) -> None:
    ts = int(time.time())
    answer = post(
        live, {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": sign(ts, SHOP_A.secret)}
    )
    assert answer["errorCode"] == "40002"
    assert "milliseconds" in answer["errorMessage"]


def test_javascript_snippet_typo(live: Live) -> None:
    ts = now_ms()
    body = {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": sign(JS_SNIPPET_TYPO, SHOP_A.secret)}
    answer = post(live, body)
    assert answer["errorCode"] == "40002"
    assert "Date.now()" in answer["errorMessage"]


@pytest.mark.parametrize("missing", ["apiKey", "timestamp", "sign"])
def test_missing_auth_field_is_named(live: Live, missing: str) -> None:
    ts = now_ms()
    body = {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": sign(ts, SHOP_A.secret)}
    del body[missing]
    answer = post(live, body)
    assert answer["errorCode"] == "40002" and missing in answer["errorMessage"]


def test_advancing_the_mock_clock_never_makes_a_fresh_timestamp_stale(live: Live) -> None:
    live.sandbox.clock.advance(3600)
    assert live.client.gateway()["errorCode"] == "0"
