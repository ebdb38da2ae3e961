"""/_mock/sessions: list, inspect, scan and pay H5 sessions without a browser."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Live, session_fields


def create(live: Live, client: Any = None, **overrides: Any) -> dict[str, Any]:
    answer: dict[str, Any] = (client or live.client).h5_create(**session_fields(**overrides))
    assert answer["errorCode"] == "0", answer
    return answer


def test_list_and_get(live: Live) -> None:
    first = create(live)
    second = create(live, client=live.client_b)
    listed = live.control("GET", "/sessions")
    assert listed.status_code == 200
    sessions = listed.json()["sessions"]
    assert [s["sessionId"] for s in sessions] == [first["sessionId"], second["sessionId"]]

    one = live.control("GET", f"/sessions/{first['sessionId']}")
    assert one.status_code == 200
    body = one.json()
    assert body["apiKey"] == "shop-a"
    assert body["status"] == "1"
    assert body["amt"] == 10
    assert body["merchantName"] == "TT test h5 service in pms 09"
    assert body["url"] == first["content"]
    assert body["scannedAt"] is None
    assert body["secondsLeft"] is None
    assert body["payable"] is True


def test_list_filters(live: Live) -> None:
    a = create(live)
    b = create(live, client=live.client_b)
    live.client.h5_cancel(a["sessionId"])
    only_b = live.control("GET", "/sessions", params={"apiKey": "shop-b"}).json()["sessions"]
    assert [s["sessionId"] for s in only_b] == [b["sessionId"]]
    cancelled = live.control("GET", "/sessions", params={"status": "0"}).json()["sessions"]
    assert [s["sessionId"] for s in cancelled] == [a["sessionId"]]
    bad = live.control("GET", "/sessions", params={"status": "paid"})
    assert bad.status_code == 400
    assert "status" in bad.json()["error"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/sessions/nope"),
        ("POST", "/sessions/nope/scan"),
        ("POST", "/sessions/nope/pay"),
    ],
)
def test_unknown_session_is_404_json(live: Live, method: str, path: str) -> None:
    response = live.control(method, path)
    assert response.status_code == 404
    assert "no H5 session 'nope'" in response.json()["error"]


def test_odd_session_id_in_the_path_is_404_json(live: Live) -> None:
    response = live.control("GET", "/sessions/%00%FF%3Cx%3E")
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_scan_starts_the_countdown_once(live: Live) -> None:
    created = create(live)
    scanned = live.control(
        "POST", f"/sessions/{created['sessionId']}/scan", json={"wallet": "ALIPAY"}
    )
    assert scanned.status_code == 200
    body = scanned.json()
    assert body["wallet"] == "ALIPAY"
    assert 295 < body["secondsLeft"] <= 300
    assert live.client.h5_query(created["sessionId"])["status"] == "1"

    live.sandbox.clock.advance(100)
    again = live.control("POST", f"/sessions/{created['sessionId']}/scan", json={"wallet": "WXPAY"})
    assert again.status_code == 200
    assert again.json()["secondsLeft"] <= 200  # not restarted
    assert again.json()["wallet"] == "ALIPAY"  # the first wallet keeps it


def test_scan_without_wallet_is_a_plain_browser(live: Live) -> None:
    created = create(live)
    scanned = live.control("POST", f"/sessions/{created['sessionId']}/scan")
    assert scanned.status_code == 200
    assert scanned.json()["wallet"] is None
    assert scanned.json()["scannedAt"] is not None


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"json": {"wallet": "VMPAY"}}, "wallet"),
        ({"json": {"wallet": 7}}, "wallet"),
        ({"content": b"not json"}, "JSON"),
        ({"json": ["WXPAY"]}, "JSON"),
        ({"json": {"apiKey": 5}}, "apiKey"),
    ],
)
def test_scan_bad_body_is_400(live: Live, kwargs: dict[str, Any], needle: str) -> None:
    created = create(live)
    response = live.control("POST", f"/sessions/{created['sessionId']}/scan", **kwargs)
    assert response.status_code == 400
    assert needle in response.json()["error"]
    assert live.control("GET", f"/sessions/{created['sessionId']}").json()["scannedAt"] is None


def test_scan_of_a_closed_session_is_409(live: Live) -> None:
    created = create(live)
    live.client.h5_cancel(created["sessionId"])
    response = live.control("POST", f"/sessions/{created['sessionId']}/scan", json={})
    assert response.status_code == 409
    assert "expired or paid" in response.json()["error"]


def test_pay_with_an_empty_body(live: Live) -> None:
    created = create(live)
    paid = live.http.post(f"/_mock/sessions/{created['sessionId']}/pay")  # no body at all
    assert paid.status_code == 200
    body = paid.json()
    assert body["status"] == "2"
    assert body["scannedAt"] is not None  # scanned first
    assert body["wallet"] == "WXPAY"
    txn = body["transaction"]
    assert txn["type"] == "WXPAY"
    assert txn["gwRefStatus"] == "01"
    assert txn["sessionId"] == created["sessionId"]
    answer = live.client.h5_query(created["sessionId"])
    assert answer["status"] == "2"
    assert answer["rrn"] == txn["rrn"] == body["rrn"]
    assert [d.rrn for d in live.sandbox.webhooks.deliveries()] == [txn["rrn"]]


def test_pay_uses_the_scanning_wallet_or_the_one_given(live: Live) -> None:
    scanned_in_alipay = create(live)
    path = f"/sessions/{scanned_in_alipay['sessionId']}"
    live.control("POST", f"{path}/scan", json={"wallet": "ALIPAY"})
    assert live.control("POST", f"{path}/pay").json()["transaction"]["type"] == "ALIPAY"

    given = create(live)
    paid = live.control("POST", f"/sessions/{given['sessionId']}/pay", json={"wallet": "ALIPAY"})
    assert paid.json()["transaction"]["type"] == "ALIPAY"
    assert paid.json()["transaction"]["payType"] == "Alipay"


def test_pay_after_cancel_after_scan_is_allowed(live: Live) -> None:
    created = create(live)
    path = f"/sessions/{created['sessionId']}"
    live.control("POST", f"{path}/scan", json={"wallet": "WXPAY"})
    live.client.h5_cancel(created["sessionId"])
    assert live.control("GET", path).json()["status"] == "0"
    assert live.control("GET", path).json()["payable"] is True
    assert live.control("POST", f"{path}/pay").status_code == 200
    assert live.client.h5_query(created["sessionId"])["status"] == "2"


@pytest.mark.parametrize("how", ["paid", "cancelled before scan", "countdown over"])
def test_pay_of_a_closed_session_is_409(live: Live, how: str) -> None:
    created = create(live)
    path = f"/sessions/{created['sessionId']}"
    if how == "paid":
        live.control("POST", f"{path}/pay")
    elif how == "cancelled before scan":
        live.client.h5_cancel(created["sessionId"])
    else:
        live.control("POST", f"{path}/scan")
        live.sandbox.clock.advance(300)
    response = live.control("POST", f"{path}/pay", json={"wallet": "WXPAY"})
    assert response.status_code == 409
    assert "expired or paid" in response.json()["error"]
    assert len(live.sandbox.store.transactions()) == (1 if how == "paid" else 0)


def test_a_session_id_of_two_merchants_needs_the_api_key(live: Live) -> None:
    fields = session_fields()
    sid = fields["sessionId"]
    assert live.client.h5_create(**fields)["errorCode"] == "0"
    assert live.client_b.h5_create(**{**fields, "amt": 20})["errorCode"] == "0"

    ambiguous = live.control("GET", f"/sessions/{sid}")
    assert ambiguous.status_code == 409
    assert "apiKey" in ambiguous.json()["error"]
    assert live.control("POST", f"/sessions/{sid}/pay").status_code == 409

    b = live.control("GET", f"/sessions/{sid}", params={"apiKey": "shop-b"})
    assert b.status_code == 200
    assert b.json()["amt"] == 20
    paid = live.control("POST", f"/sessions/{sid}/pay", json={"apiKey": "shop-b"})
    assert paid.status_code == 200
    assert paid.json()["apiKey"] == "shop-b"
    assert live.client_b.h5_query(sid)["status"] == "2"
    assert live.client.h5_query(sid)["status"] == "1"

    unknown = live.control("GET", f"/sessions/{sid}", params={"apiKey": "shop-z"})
    assert unknown.status_code == 404


def test_reset_forgets_sessions(live: Live) -> None:
    create(live)
    live.reset()
    assert live.control("GET", "/sessions").json() == {"sessions": [], "count": 0, "next": None}
