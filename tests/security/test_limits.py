"""Oversized bodies and fields get clear errors; the server keeps serving afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import Live, sale_fields, session_fields

LIMIT = 1024 * 1024  # --max-body default


def test_a_body_over_the_limit_is_a_413_envelope(live: Live) -> None:
    body = json.dumps({"remarks": "x" * LIMIT}).encode()
    response = live.http.post(
        "/tt-pms-ws/rest/online/sales", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    answer = response.json()
    assert answer["errorCode"] == "40002" and "larger than" in answer["errorMessage"]
    assert live.client.gateway()["errorCode"] == "0"  # still serving


def test_a_chunked_body_over_the_limit_is_refused_too(live: Live) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"remarks": "'
        for _ in range(LIMIT // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    response = live.http.post(
        "/online/sales", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413 and response.json()["errorCode"] == "40002"
    assert live.sandbox.store.counts()["transactions"] == 0


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("remarks", "r" * 257, "remarks: must be at most 256 characters"),
        ("storeCode", "s" * 10_000, "storeCode: must be at most 256 characters"),
        ("rrn", "1" * 65, "rrn: use 1 to 64 characters"),
        ("extendParam", json.dumps({"subject": "s" * 5000}), "extendParam: must be at most 4096"),
        ("returnUrl", "https://x.test/" + "p" * 2100, "returnUrl: must be at most 2048"),
        ("amt", 2**31, "amt: must be at most 2147483647"),
        ("amt", "9" * 5000, "amt:"),
        ("amt", 10**400, "amt:"),
    ],
)
def test_oversized_sale_fields_are_named(
    live: Live, field: str, value: object, fragment: str
) -> None:
    answer = live.client.sales(**sale_fields(**{field: value}))
    assert answer["errorCode"] == "40002" and answer["errorMessage"].startswith(fragment), answer
    assert live.sandbox.store.counts()["transactions"] == 0


@pytest.mark.parametrize(
    "field, value, fragment",
    [
        ("remarks", "r" * 1025, "remarks: must be at most 1024 characters"),
        ("sessionId", "9" * 65, "sessionId: use 1 to 64 characters"),
        ("webhookUrl", "https://x.test/" + "p" * 2100, "webhookUrl: must be at most 2048"),
        ("merchantName", "m" * 300, "merchantName: must be at most 256 characters"),
    ],
)
def test_oversized_session_fields_are_named(
    live: Live, field: str, value: object, fragment: str
) -> None:
    answer = live.client.h5_create(**session_fields(**{field: value}))
    assert answer["errorCode"] == "40002" and answer["errorMessage"].startswith(fragment), answer
    assert live.sandbox.store.counts()["sessions"] == 0


def test_many_fields_and_deep_nesting_are_harmless(live: Live) -> None:
    fields = sale_fields(**{f"extra{i}": i for i in range(20_000)})
    assert live.client.sales(**fields)["errorCode"] == "0"  # unknown fields are ignored
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    response = live.http.post(
        "/online/query", content=deep, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["errorCode"] == "40002"
