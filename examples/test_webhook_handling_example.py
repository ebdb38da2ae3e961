"""Testing a shop's webhook handler with mockpms: the code of docs/testing-webhooks.md.

PMS webhooks carry no signature and PMS retries them, so a correct handler
(1) ships an order once however many times it is notified, and (2) ships only
after online/query confirms the payment. Run it with
`pytest examples/test_webhook_handling_example.py`; with
`MOCKPMS_EXAMPLE_NAIVE_SHOP=1` the shop trusts every notification, and the
forged-notification test fails, as it should.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mockpms.client import PMSClient

NAIVE = os.environ.get("MOCKPMS_EXAMPLE_NAIVE_SHOP") == "1"


# ---- the shop's code under test (in a real project it lives in your package)
class Shop:
    """Ships each paid order once, and only once PMS confirms the payment."""

    def __init__(self, pms: PMSClient) -> None:
        self.pms = pms
        self.shipped: list[str] = []
        self._lock = threading.Lock()

    def on_webhook(self, payload: dict) -> dict:
        rrn = payload["rrn"]
        if not NAIVE:
            answer = self.pms.query(type=payload["type"], rrn=rrn, storeCode=payload["storeCode"])
            if answer.get("gwRefStatus") != "01":
                return {"errorCode": "1", "errorMessage": "not paid"}  # never acknowledge it
        with self._lock:
            if rrn not in self.shipped:  # idempotent: a repeated notification ships nothing
                self.shipped.append(rrn)
        return {"errorCode": "0"}


def serve(shop: Shop) -> ThreadingHTTPServer:
    """The shop's webhook endpoint on 127.0.0.1 (your web framework does this)."""

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            answer = json.dumps(shop.on_webhook(json.loads(self.rfile.read(length)))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def shop(mockpms):
    found = Shop(mockpms.client)
    server = serve(found)
    found.url = f"http://127.0.0.1:{server.server_address[1]}/pms/webhook"
    yield found
    server.shutdown()


def sell(mockpms, shop, rrn: str) -> None:
    mockpms.client.sales(
        type="WXPAY", rrn=rrn, amt=1000, ccy="HKD", storeCode="ST01", tillId="01",
        salesman="9999", txDateTime="2024-05-01T12:00:00+0800", webhookUrl=shop.url,
    )  # fmt: skip


# ---- the tests


def test_a_duplicated_notification_ships_the_order_once(mockpms, shop):
    mockpms.control.add_fault(webhook="duplicate")  # the next notification arrives twice
    sell(mockpms, shop, "ORDER-1")
    mockpms.control.settle("ORDER-1", "success")
    attempts = mockpms.control.wait_for_webhook("ORDER-1", count=2)
    assert [a["duplicate"] for a in attempts] == [False, True]
    assert shop.shipped == ["ORDER-1"]


def test_a_resent_notification_ships_nothing_more(mockpms, shop):
    sell(mockpms, shop, "ORDER-2")
    mockpms.control.settle("ORDER-2", "success")
    [first] = mockpms.control.wait_for_webhook("ORDER-2")
    mockpms.control.resend(first["id"])
    assert shop.shipped == ["ORDER-2"]


def test_a_forged_notification_ships_nothing(mockpms, shop):
    sell(mockpms, shop, "ORDER-3")  # created, never paid
    mockpms.control.forge("ORDER-3")
    mockpms.control.wait_for_webhook("ORDER-3")
    assert shop.shipped == []
    report = mockpms.control.report()["merchants"].get(mockpms.api_key, [])
    assert "forged-notification-acknowledged" not in [f["code"] for f in report]
