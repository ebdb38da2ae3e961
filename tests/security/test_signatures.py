"""Replayed and forged signatures are refused, with nothing stored and no secret echoed."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from mockpms.signing import sign
from tests.conftest import SHOP_A, SHOP_B, Live, sale_fields


def post(live: Live, body: dict[str, Any]) -> dict[str, Any]:
    response = live.http.post("/tt-pms-ws/rest/online/sales", json=body)
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    return answer


def now_ms() -> int:
    return int(time.time() * 1000)


def test_a_request_captured_and_replayed_after_the_window_is_refused(live: Live) -> None:
    old = now_ms() - 301_000  # signed 301 s ago, correctly
    body = {"apiKey": SHOP_A.api_key, "timestamp": old, "sign": sign(old, SHOP_A.secret)}
    answer = post(live, {**body, **sale_fields()})
    assert answer["errorCode"] == "40002" and "in the past" in answer["errorMessage"]
    assert live.sandbox.store.counts()["transactions"] == 0


def test_a_replay_inside_the_window_cannot_pay_twice(live: Live) -> None:
    """PMS signs only the timestamp, so a fresh replay passes auth: the rrn stops it."""
    ts = now_ms()
    body = {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": sign(ts, SHOP_A.secret)}
    body.update(sale_fields())
    assert post(live, body)["errorCode"] == "0"
    again = post(live, body)
    assert again["errorCode"] == "601" and "duplicate" in again["errorMessage"]
    assert live.sandbox.store.counts()["transactions"] == 1


def forged_signs(ts: int) -> list[Any]:
    right = sign(ts, SHOP_A.secret)
    raw = base64.b64decode(right)
    return [
        sign(ts, SHOP_B.secret),  # another merchant's secret
        sign(ts + 1, SHOP_A.secret),  # another timestamp
        sign(str(ts) + "0", SHOP_A.secret),
        right.lower(),
        right[:-1],
        right + "=",
        base64.urlsafe_b64encode(raw).decode() + "x",
        base64.b64encode(raw[::-1]).decode(),
        raw.hex(),
        "",
        None,
        0,
        [right],
        {"sign": right},
        right + "\u0000",
        "\ud800",
    ]


@pytest.mark.parametrize("index", range(len(forged_signs(0))))
def test_forged_signs_are_refused(live: Live, index: int) -> None:
    ts = now_ms()
    forged = forged_signs(ts)[index]
    body = {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": forged, **sale_fields()}
    response = live.http.post(
        "/tt-pms-ws/rest/online/sales",
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    answer = response.json()
    assert answer["errorCode"] == "40002" and answer["errorMessage"].startswith("sign"), answer
    assert SHOP_A.secret not in response.text and sign(ts, SHOP_A.secret) not in response.text
    assert live.sandbox.store.counts()["transactions"] == 0


def test_shop_a_sign_with_shop_b_key_is_refused(live: Live) -> None:
    ts = now_ms()
    body = {"apiKey": SHOP_B.api_key, "timestamp": ts, "sign": sign(ts, SHOP_A.secret)}
    answer = post(live, {**body, **sale_fields()})
    assert answer["errorCode"] == "40002" and answer["errorMessage"].startswith("sign")


def test_future_timestamps_are_refused(live: Live) -> None:
    ts = now_ms() + 301_000
    body = {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": sign(ts, SHOP_A.secret)}
    answer = post(live, {**body, **sale_fields()})
    assert answer["errorCode"] == "40002" and "future" in answer["errorMessage"]
