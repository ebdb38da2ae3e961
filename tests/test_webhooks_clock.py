"""The clock control calls, and how a failed POST is described."""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx
import pytest

from mockpms.webhook_answers import describe_error
from tests.conftest import Live


def test_the_clock_starts_at_the_wall_clock_and_moves_forward_only(live: Live) -> None:
    before = time.time()
    clock = live.control("GET", "/clock").json()
    assert clock["offset"] == 0
    assert before - 1 <= clock["now"] <= time.time() + 1
    assert clock["time"].endswith("+00:00")

    answer = live.control("POST", "/clock/advance", json={"seconds": 300}).json()
    assert answer["offset"] == 300
    assert answer["advanced"] == 300
    assert answer["now"] >= before + 300
    assert live.control("GET", "/clock").json()["offset"] == 300

    live.control("POST", "/clock/advance", json={"seconds": 0.5})
    assert live.control("GET", "/clock").json()["offset"] == 300.5
    live.reset()
    assert live.control("GET", "/clock").json()["offset"] == 0


def test_advancing_the_clock_keeps_fresh_signatures_valid(live: Live) -> None:
    live.control("POST", "/clock/advance", json={"seconds": 3600})
    assert live.client.gateway()["errorCode"] == "0"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "give the seconds"),
        ({"seconds": -1}, ">= 0"),
        ({"seconds": "300"}, "must be a number"),
        ({"seconds": True}, "must be a number"),
        ({"seconds": None}, "must be a number"),
        ({"seconds": [300]}, "must be a number"),
        ({"seconds": 10**400}, "too large"),
        ({"seconds": 1e300}, "too large"),
    ],
)
def test_a_bad_advance_is_a_4xx_json_error(live: Live, body: Any, message: str) -> None:
    response = live.control("POST", "/clock/advance", json=body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert live.control("GET", "/clock").json()["offset"] == 0


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1]", b'{"seconds": NaN}', b"\xff"])
def test_an_advance_body_that_is_not_an_object_is_a_4xx_json_error(live: Live, raw: bytes) -> None:
    response = live.control("POST", "/clock/advance", content=raw)
    assert response.status_code == 400
    assert response.json()["error"]


def test_wrong_methods_on_the_clock_and_log_answer_json_405(live: Live) -> None:
    assert live.control("POST", "/webhooks").status_code == 405
    assert live.control("GET", "/clock/advance").status_code == 405
    assert live.control("GET", "/clock/advance").json()["status"] == 405


def _connect_error(cause: BaseException, message: str) -> httpx.ConnectError:
    request = httpx.Request("POST", "http://shop.example:8443/webhook")
    error = httpx.ConnectError(message, request=request)
    error.__cause__ = cause
    return error


def test_failed_posts_are_described_by_their_cause() -> None:
    dns = _connect_error(socket.gaierror(-2, "Name or service not known"), "[Errno -2] ...")
    assert describe_error(dns, 10).startswith("DNS failure")
    assert "shop.example:8443" in describe_error(dns, 10)

    refused = _connect_error(ConnectionRefusedError(111, "Connection refused"), "refused")
    assert describe_error(refused, 10).startswith("connection refused by shop.example:8443")

    request = httpx.Request("POST", "http://shop.example/webhook")
    read = httpx.ReadTimeout("timed out", request=request)
    assert describe_error(read, 2.5) == ("read timeout: shop.example sent no answer within 2.5 s")
    connect = httpx.ConnectTimeout("timed out", request=request)
    assert describe_error(connect, 10).startswith("connect timeout")
