"""h5Payment/session status over HTTP, with the mock clock: every transition.

create → "1"; the scan starts the 300-second countdown; pay → "2"; cancel
before the scan → "0"; cancel after the scan still lets the payer pay ("2"
wins) until the countdown ends ("0"); a paid session cannot be cancelled.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.conftest import WECHAT_UA, Live, session_fields

COUNTDOWN = 300


def create(live: Live, **overrides: Any) -> dict[str, Any]:
    answer = live.client.h5_create(**session_fields(**overrides))
    assert answer["errorCode"] == "0", answer
    return answer


def status(live: Live, session_id: str) -> str:
    answer = live.client.h5_query(session_id)
    assert answer["errorCode"] == "0", answer
    return str(answer["status"])


def scan(live: Live, created: dict[str, Any]) -> None:
    """Open the QR code's page in WeChat: that is the scan."""
    response = live.http.get(created["content"], headers={"User-Agent": WECHAT_UA})
    assert response.status_code == 200
    assert "付款(" in response.text


def pay(live: Live, created: dict[str, Any]) -> Any:
    """Press 付款 on the page, in WeChat (and follow the redirect to the receipt)."""
    return live.http.post(
        created["content"], headers={"User-Agent": WECHAT_UA}, data={}, follow_redirects=True
    )


def test_create_is_not_paid_yet(live: Live) -> None:
    created = create(live)
    answer = live.client.h5_query(created["sessionId"])
    assert answer == {
        "errorCode": "0",
        "errorMessage": "no error",
        "sessionId": created["sessionId"],
        "status": "1",
    }


def test_countdown_does_not_start_at_create(live: Live) -> None:
    created = create(live)
    live.sandbox.clock.advance(COUNTDOWN * 10)
    assert status(live, created["sessionId"]) == "1"
    scan(live, created)
    state = live.control("GET", f"/sessions/{created['sessionId']}").json()
    assert state["scannedAt"] is not None
    assert COUNTDOWN - 5 < state["secondsLeft"] <= COUNTDOWN


def test_scan_keeps_not_paid_yet(live: Live) -> None:
    created = create(live)
    scan(live, created)
    assert status(live, created["sessionId"]) == "1"


def test_pay_makes_it_paid(live: Live) -> None:
    created = create(live)
    scan(live, created)
    receipt = pay(live, created)
    assert receipt.status_code == 200
    assert "支付成功" in receipt.text
    assert status(live, created["sessionId"]) == "2"


def test_countdown_out_unpaid_is_cancelled(live: Live) -> None:
    created = create(live)
    scan(live, created)
    live.sandbox.clock.advance(COUNTDOWN - 5)
    assert status(live, created["sessionId"]) == "1"
    live.sandbox.clock.advance(5)
    assert status(live, created["sessionId"]) == "0"
    response = pay(live, created)
    assert response.status_code == 409
    assert "Expired or Paid" in response.text
    assert status(live, created["sessionId"]) == "0"


def test_cancel_before_scan_closes_at_once(live: Live) -> None:
    created = create(live)
    answer = live.client.h5_cancel(created["sessionId"])
    assert answer == {
        "errorCode": "0",
        "errorMessage": "no error",
        "sessionId": created["sessionId"],
    }
    assert status(live, created["sessionId"]) == "0"
    page = live.http.get(created["content"], headers={"User-Agent": WECHAT_UA})
    assert "Expired or Paid" in page.text
    assert "付款(" not in page.text
    assert pay(live, created).status_code == 409
    assert status(live, created["sessionId"]) == "0"
    assert live.sandbox.webhooks.deliveries() == []


def test_cancel_after_scan_then_pay_is_paid(live: Live) -> None:
    created = create(live)
    scan(live, created)
    assert live.client.h5_cancel(created["sessionId"])["errorCode"] == "0"
    assert status(live, created["sessionId"]) == "0"  # the merchant sees the cancel at once
    live.sandbox.clock.advance(COUNTDOWN - 10)
    assert "支付成功" in pay(live, created).text  # ...but the payer can still pay
    assert status(live, created["sessionId"]) == "2"
    assert len(live.sandbox.webhooks.deliveries()) == 1


def test_cancel_after_scan_then_countdown_out_is_cancelled(live: Live) -> None:
    created = create(live)
    scan(live, created)
    assert live.client.h5_cancel(created["sessionId"])["errorCode"] == "0"
    live.sandbox.clock.advance(COUNTDOWN)
    assert status(live, created["sessionId"]) == "0"
    assert pay(live, created).status_code == 409
    assert status(live, created["sessionId"]) == "0"
    assert live.sandbox.webhooks.deliveries() == []


def test_cancel_after_paid_is_refused(live: Live) -> None:
    created = create(live)
    pay(live, created)
    answer = live.client.h5_cancel(created["sessionId"])
    assert answer["errorCode"] == "601"
    assert "already paid" in answer["errorMessage"]
    assert status(live, created["sessionId"]) == "2"


def test_cancel_twice_is_harmless(live: Live) -> None:
    created = create(live)
    assert live.client.h5_cancel(created["sessionId"])["errorCode"] == "0"
    assert live.client.h5_cancel(created["sessionId"])["errorCode"] == "0"
    assert status(live, created["sessionId"]) == "0"


@pytest.mark.parametrize("endpoint", ["h5Payment/session/query", "h5Payment/session/cancel"])
def test_unknown_session_id(live: Live, endpoint: str) -> None:
    answer = live.client.call(endpoint, sessionId="no-such-session")
    assert answer["errorCode"] == "40002"
    assert "sessionId" in answer["errorMessage"]
    assert "no-such-session" in answer["errorMessage"]


def test_sessions_belong_to_their_merchant(live: Live) -> None:
    created = create(live)
    other = live.client_b.h5_query(created["sessionId"])
    assert other["errorCode"] == "40002"
    assert live.client_b.h5_cancel(created["sessionId"])["errorCode"] == "40002"
    assert status(live, created["sessionId"]) == "1"


def test_reused_session_id_is_refused(live: Live) -> None:
    fields = session_fields()
    assert live.client.h5_create(**fields)["errorCode"] == "0"
    again = live.client.h5_create(**fields)
    assert again["errorCode"] != "0"
    assert "sessionId" in again["errorMessage"]
    # another merchant may use the same id
    assert live.client_b.h5_create(**fields)["errorCode"] == "0"


def test_paid_query_has_every_field_of_the_document_example(live: Live) -> None:
    created = create(live)
    scan(live, created)
    pay(live, created)
    answer = live.client.h5_query(created["sessionId"])
    document_example_fields = [
        "errorCode", "errorMessage", "sessionId", "type", "storeCode", "tillId", "rrn",
        "salesman", "txDatetime", "amt", "gwRefCode", "remarks", "subject", "merchantName",
        "status",
    ]  # fmt: skip
    assert [k for k in answer if k in document_example_fields] == document_example_fields
    assert set(answer) - set(document_example_fields) == {"salesMan"}  # the field table's name
    assert answer["status"] == "2"
    assert answer["type"] == "WXPAY"
    assert answer["storeCode"] == "TEST store"
    assert answer["tillId"] == "01"  # "" in the request: the merchant's default
    assert answer["salesman"] == answer["salesMan"] == "tt.test"
    assert answer["amt"] == 10
    assert answer["remarks"] == "docNum:S03757845-09"
    assert answer["subject"] == "T-Shirt-09"
    assert answer["merchantName"] == "TT test h5 service in pms 09"
    assert re.fullmatch(r"00\d{22}", answer["rrn"]), answer["rrn"]  # like 002305021227131279298914
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0800", answer["txDatetime"])
    assert re.fullmatch(r"42000\d{23}", answer["gwRefCode"])  # WeChat's transaction id


def test_online_query_finds_the_h5_transaction(live: Live) -> None:
    created = create(live)
    pay(live, created)
    paid = live.client.h5_query(created["sessionId"])
    answer = live.client.query(
        type=paid["type"], rrn=paid["rrn"], storeCode=paid["storeCode"], tillId="01"
    )
    assert answer["errorCode"] == "0"
    assert answer["gwRefStatus"] == "01"
    assert answer["rrn"] == paid["rrn"]
    assert answer["gwRefCode"] == paid["gwRefCode"]
    assert answer["amt"] == 10
    assert answer["ccy"] == "HKD"
    assert answer["txDateTime"] == paid["txDatetime"]
    assert answer["payType"] == "Wechat Pay"
    assert answer["payDetail"].startswith("o_")  # the WeChat openid
    # the other merchant cannot see it
    assert (
        live.client_b.query(type="WXPAY", rrn=paid["rrn"], storeCode="TEST store")["errorCode"]
        == "40002"
    )


def test_success_schedules_the_webhook_with_session_id(live: Live) -> None:
    created = create(live, webhookUrl="https://shop.example/h5/notify")
    pay(live, created)
    paid = live.client.h5_query(created["sessionId"])
    deliveries = live.sandbox.webhooks.deliveries()
    assert len(deliveries) == 1
    assert deliveries[0].url == "https://shop.example/h5/notify"
    assert deliveries[0].payload == {
        "storeCode": "TEST store",
        "tillId": "01",
        "type": "WXPAY",
        "rrn": paid["rrn"],
        "amount": 10,
        "gwRefCode": paid["gwRefCode"],
        "txDatetime": paid["txDatetime"],
        "salesman": "tt.test",
        "orgRrn": "",
        "sessionId": created["sessionId"],
    }


def test_no_webhook_without_payment(live: Live) -> None:
    created = create(live)
    scan(live, created)
    live.sandbox.clock.advance(COUNTDOWN)
    assert status(live, created["sessionId"]) == "0"
    assert live.sandbox.webhooks.deliveries() == []


def test_concurrent_payments_pay_once(live: Live) -> None:
    created = create(live)
    scan(live, created)
    barrier = threading.Barrier(8)

    def press_pay(_: int) -> int:
        barrier.wait(timeout=10)
        return live.http.post(created["content"], headers={"User-Agent": WECHAT_UA}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(press_pay, range(8)))
    assert statuses == [303] + [409] * 7
    assert len(live.sandbox.store.transactions()) == 1
    assert len(live.sandbox.webhooks.deliveries()) == 1
