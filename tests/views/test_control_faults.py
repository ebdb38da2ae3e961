"""Fault injection over HTTP: each kind, counts, endpoints, concurrency, and bad input."""

from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.conftest import Live, sale_fields


def inject(live: Live, **fault: Any) -> dict[str, Any]:
    response = live.control("POST", "/faults", json=fault)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def query(live: Live, rrn: str) -> dict[str, Any]:
    return live.client.call("online/query", type="VMPAY", rrn=rrn, storeCode="WP001")


@pytest.mark.parametrize(
    ("code", "message"),
    [("3", "response timeout"), ("601", "payment error"), ("40002", "other error")],
)
def test_error_code_fault_answers_it_and_creates_nothing(
    live: Live, code: str, message: str
) -> None:
    inject(live, endpoint="online/sales", errorCode=code)
    fields = sale_fields()

    faulted = live.client.call("online/sales", **fields)

    assert faulted["errorCode"] == code
    assert message in faulted["errorMessage"]
    assert query(live, fields["rrn"])["errorCode"] == "40002"  # no transaction was made
    retried = live.client.call("online/sales", **fields)  # the same rrn is still free
    assert retried["errorCode"] == "0"
    assert query(live, fields["rrn"])["gwRefStatus"] == "05"


def test_count_faults_exactly_the_next_n_calls(live: Live) -> None:
    inject(live, endpoint="online/sales", errorCode="3", count=2)

    codes = [live.client.call("online/sales", **sale_fields())["errorCode"] for _ in range(3)]

    assert codes == ["3", "3", "0"]
    assert live.control("GET", "/faults").json() == {"faults": []}


def test_http_status_fault(live: Live) -> None:
    inject(live, endpoint="online/query", httpStatus=503)
    response = live.http.post(
        "/tt-pms-ws/rest/online/query",
        json=live.client.signed({"type": "VMPAY", "rrn": "R1", "storeCode": "WP001"}),
    )
    assert response.status_code == 503
    assert response.json()["errorCode"] == "40002"
    assert "503" in response.json()["errorMessage"]


def test_delay_fault_then_normal_answer(live: Live) -> None:
    inject(live, endpoint="online/gateway", delayMs=300)

    response = live.http.post(
        "/tt-pms-ws/rest/online/gateway", json=live.client.signed({"lang": "en"})
    )

    assert response.json()["errorCode"] == "0"
    entry = live.control("GET", "/requests").json()["requests"][-1]
    assert entry["durationMs"] >= 300  # a lower bound: sleep never returns early
    assert entry["fault"]["delayMs"] == 300


def test_delay_combines_with_an_error_code(live: Live) -> None:
    inject(live, endpoint="online/sales", errorCode="601", delayMs=100)
    assert live.client.call("online/sales", **sale_fields())["errorCode"] == "601"
    assert live.control("GET", "/requests").json()["requests"][-1]["durationMs"] >= 100


def test_drop_closes_the_connection_without_an_answer(live: Live) -> None:
    inject(live, endpoint="online/sales", drop=True)
    fields = sale_fields()

    with pytest.raises(httpx.RemoteProtocolError):
        live.client.call("online/sales", **fields)

    assert query(live, fields["rrn"])["errorCode"] == "40002"  # nothing was created
    entry = live.control("GET", "/requests?endpoint=online/sales").json()["requests"][-1]
    assert entry["status"] is None
    assert entry["fault"]["drop"] is True
    assert live.client.call("online/sales", **fields)["errorCode"] == "0"


def test_drop_writes_not_a_single_byte(live: Live) -> None:
    """Seen from a raw socket: the server closes without a status line (not a 500)."""
    inject(live, drop=True)
    body = json.dumps(live.client.signed({})).encode()
    request = (
        f"POST /online/gateway HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection((live.server.host, live.server.port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    assert received == b""


def test_fault_without_endpoint_hits_any_endpoint_and_every_prefix(live: Live) -> None:
    inject(live, errorCode="40002", count=3)
    signed = live.client.signed({"lang": "en"})
    codes = [
        live.http.post(f"{prefix}/online/gateway", json=signed).json()["errorCode"]
        for prefix in ("/tt-pms-ws/rest", "/tt-pms-ws", "")
    ]
    assert codes == ["40002", "40002", "40002"]
    assert live.client.gateway()["errorCode"] == "0"


def test_fault_for_one_endpoint_leaves_the_others_alone(live: Live) -> None:
    inject(live, endpoint="/tt-pms-ws/rest/h5Payment/session/query", errorCode="3")
    assert live.client.gateway()["errorCode"] == "0"
    answer = live.client.call("h5Payment/session/query", sessionId="nope")
    assert answer["errorCode"] == "3"


def test_faults_are_consumed_atomically_under_concurrency(live: Live) -> None:
    inject(live, endpoint="online/sales", errorCode="3", count=5)
    bodies = [sale_fields() for _ in range(20)]

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(lambda f: live.client.call("online/sales", **f)["errorCode"], bodies))

    assert sorted(codes).count("3") == 5
    assert codes.count("0") == 15
    made = live.sandbox.store.transactions("shop-a")
    assert len(made) == 15


def test_list_and_clear_faults(live: Live) -> None:
    first = inject(live, endpoint="online/sales", errorCode="3", count=2)
    inject(live, httpStatus=502)
    listed = live.control("GET", "/faults").json()["faults"]
    assert [f["id"] for f in listed] == [first["id"], first["id"] + 1]
    assert listed[0] == {
        "id": first["id"],
        "endpoint": "online/sales",
        "errorCode": "3",
        "remaining": 2,
    }
    assert listed[1]["endpoint"] is None

    assert live.control("DELETE", "/faults").json() == {"cleared": 2}
    assert live.control("GET", "/faults").json() == {"faults": []}
    assert live.client.call("online/sales", **sale_fields())["errorCode"] == "0"


def test_reset_clears_faults(live: Live) -> None:
    inject(live, errorCode="3")
    live.reset()
    assert live.control("GET", "/faults").json() == {"faults": []}
    assert live.client.gateway()["errorCode"] == "0"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"endpoint": "online/refund", "errorCode": "3"}, "endpoint"),
        ({"endpoint": 5, "errorCode": "3"}, "endpoint"),
        ({"errorCode": "500"}, "errorCode"),
        ({"errorCode": "3", "count": 0}, "count"),
        ({"errorCode": "3", "count": "2"}, "count"),
        ({"errorCode": "3", "count": True}, "count"),
        ({"httpStatus": 200}, "httpStatus"),
        ({"httpStatus": "503"}, "httpStatus"),
        ({"delayMs": -1}, "delayMs"),
        ({"delayMs": 10**9}, "delayMs"),
        ({"drop": "yes"}, "drop"),
        ({"errorCode": "3", "httpStatus": 503}, "httpStatus"),
        ({"endpoint": "online/sales"}, "errorCode"),
        ({}, "errorCode"),
        ({"errorcode": "3"}, "errorcode"),
    ],
)
def test_bad_fault_is_a_400_naming_the_field(live: Live, body: dict[str, Any], field: str) -> None:
    response = live.control("POST", "/faults", json=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{field}:")
    assert live.control("GET", "/faults").json() == {"faults": []}


@pytest.mark.parametrize("raw", [b"[1]", b"{not json", b"\xff\xfe", b'"text"'])
def test_fault_body_that_is_not_an_object_is_a_400(live: Live, raw: bytes) -> None:
    response = live.control(
        "POST", "/faults", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "JSON object" in response.json()["error"]
