"""Testing a shop's PMS integration with the mockpms pytest plugin: the code of docs/pytest.md.

Run it with `pytest examples/test_checkout_example.py` (and with `-n 2` under
pytest-xdist). Nothing here is imported from mockpms's own tests: only the
fixtures that `pip install mockpms` provides.
"""

from __future__ import annotations

from freezegun import freeze_time

from mockpms.client import PMSClient


# ---- the shop's code under test (in a real project it lives in your package)
def start_checkout(pms: PMSClient, order_id: str, cents: int, webhook_url: str) -> str:
    """Create the PMS sale for an order; return the page the customer pays on."""
    answer = pms.sales(
        type="WXPAY", rrn=order_id, amt=cents, ccy="HKD", lang="en",
        storeCode="ST01", tillId="01", salesman="9999",
        txDateTime="2024-05-01T12:00:00+0800",
        returnUrl="https://shop.example/orders/" + order_id,
        webhookUrl=webhook_url,
    )  # fmt: skip
    if answer["errorCode"] != "0":
        raise RuntimeError(f"PMS refused the sale: {answer['errorMessage']}")
    return str(answer["paymentUrl"])


def order_status(pms: PMSClient, order_id: str) -> str:
    """What the shop shows: paid, failed, expired or waiting."""
    answer = pms.query(type="WXPAY", rrn=order_id, storeCode="ST01")
    return {"01": "paid", "02": "failed", "03": "expired"}.get(answer["gwRefStatus"], "waiting")


# ---- the tests


def test_paid_order_is_notified_and_queryable(mockpms, mockpms_webhook_receiver):
    start_checkout(mockpms.client, "ORDER-1", 1000, mockpms_webhook_receiver.url)

    mockpms.control.settle("ORDER-1", "success")  # the customer pays

    [webhook] = mockpms_webhook_receiver.wait(timeout=5)
    assert webhook.json["rrn"] == "ORDER-1"
    assert webhook.json["amount"] in (1000, "1000")
    assert order_status(mockpms.client, "ORDER-1") == "paid"


def test_declined_payment_sends_no_webhook(mockpms, mockpms_webhook_receiver):
    start_checkout(mockpms.client, "ORDER-2", 1000, mockpms_webhook_receiver.url)

    mockpms.control.settle("ORDER-2", "failed")

    assert order_status(mockpms.client, "ORDER-2") == "failed"
    assert mockpms.control.webhooks("ORDER-2") == []


def test_webhook_is_retried_until_the_shop_acknowledges(mockpms, mockpms_webhook_receiver):
    mockpms_webhook_receiver.respond_with(500)  # the shop's endpoint is down
    start_checkout(mockpms.client, "ORDER-3", 1000, mockpms_webhook_receiver.url)
    mockpms.control.settle("ORDER-3", "success")
    mockpms_webhook_receiver.wait(count=1)

    mockpms_webhook_receiver.respond_with(200)  # back up
    mockpms.control.advance_clock(300)  # PMS retries every 300 s

    first, second = mockpms_webhook_receiver.wait(count=2)
    assert first.json == second.json
    assert mockpms.control.wait_for_webhook("ORDER-3", acknowledged=True)


def test_unpaid_order_expires_after_five_minutes(mockpms, mockpms_webhook_receiver):
    start_checkout(mockpms.client, "ORDER-4", 1000, mockpms_webhook_receiver.url)

    mockpms.control.advance_clock(301)

    assert order_status(mockpms.client, "ORDER-4") == "expired"


def test_expiry_with_freezegun(mockpms, mockpms_webhook_receiver):
    with freeze_time("2024-05-01 04:00:00") as frozen:
        start_checkout(mockpms.client, "ORDER-5", 1000, mockpms_webhook_receiver.url)
        frozen.tick(299)
        assert order_status(mockpms.client, "ORDER-5") == "waiting"
        frozen.tick(2)
        assert order_status(mockpms.client, "ORDER-5") == "expired"


def test_h5_payment_in_the_wallet(mockpms, mockpms_webhook_receiver):
    created = mockpms.client.h5_create(
        sessionId="TILL-7", amt=2500, bitmap="false", webhookUrl=mockpms_webhook_receiver.url
    )
    assert created["errorCode"] == "0"

    mockpms.control.pay("TILL-7", wallet="ALIPAY")  # scans the QR code and pays

    assert mockpms.client.h5_query("TILL-7")["status"] == "2"
    [webhook] = mockpms_webhook_receiver.wait()
    assert webhook.json["sessionId"] == "TILL-7"
