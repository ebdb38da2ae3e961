"""GET /_mock/transactions[/<rrn>] and POST /_mock/transactions/<rrn>/settle:
driving outcomes from CI without a browser."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockpms.client import PMSClient
from tests.conftest import sale_fields


def sell(client: PMSClient, type_: str = "WXPAY", **overrides: Any) -> dict[str, Any]:
    answer = client.sales(**sale_fields(type=type_, **overrides))
    assert answer["errorCode"] == "0", answer
    return answer


def settle(live: Any, rrn: str, outcome: Any, **extra: Any) -> Any:
    return live.control("POST", f"/transactions/{rrn}/settle", json={"outcome": outcome, **extra})


def query(client: PMSClient, sale: dict[str, Any]) -> dict[str, Any]:
    return client.query(type=sale["type"], rrn=sale["rrn"], storeCode=sale["storeCode"])


def test_list_shows_every_transaction_and_filters(live: Any) -> None:
    assert live.control("GET", "/transactions").json() == {
        "transactions": [],
        "count": 0,
        "next": None,
    }
    paid = sell(live.client)
    open_ = sell(live.client_b, "VMPAY")
    assert settle(live, paid["rrn"], "success").status_code == 200
    listed = live.control("GET", "/transactions").json()
    assert [t["rrn"] for t in listed["transactions"]] == [paid["rrn"], open_["rrn"]]
    first = listed["transactions"][0]
    for name in ("type", "amt", "status", "gwRefStatus", "createdAt", "returnUrl", "webhookUrl"):
        assert name in first
    by_status = live.control("GET", "/transactions", params={"status": "pending"}).json()
    assert [t["rrn"] for t in by_status["transactions"]] == [open_["rrn"]]
    by_code = live.control("GET", "/transactions", params={"status": "01"}).json()
    assert [t["rrn"] for t in by_code["transactions"]] == [paid["rrn"]]
    by_key = live.control("GET", "/transactions", params={"apiKey": "shop-b"}).json()
    assert [t["rrn"] for t in by_key["transactions"]] == [open_["rrn"]]
    bad = live.control("GET", "/transactions", params={"status": "paid"})
    assert bad.status_code == 400
    assert "pending" in bad.json()["error"]


def test_list_shows_expiry_on_the_mock_clock(live: Any) -> None:
    sale = sell(live.client)
    live.sandbox.clock.advance(301)
    one = live.control("GET", f"/transactions/{sale['rrn']}").json()
    assert (one["status"], one["gwRefStatus"]) == ("timeout", "03")


def test_unknown_rrn_is_404(live: Any) -> None:
    for method, path in (("GET", "/transactions/nope"), ("POST", "/transactions/nope/settle")):
        response = live.control(method, path, json={"outcome": "success"})
        assert response.status_code == 404
        assert "nope" in response.json()["error"]


def test_settle_success_is_what_query_and_the_webhook_see(live: Any) -> None:
    sale = sell(live.client, "ALIPAY")
    response = settle(live, sale["rrn"], "success")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["gwRefStatus"], body["previousStatus"]) == (
        "success",
        "01",
        "pending",
    )
    answer = query(live.client, sale)
    assert answer["gwRefStatus"] == "01"
    assert answer["payType"] == "Alipay"
    assert answer["payDetail"].startswith("2088")
    assert answer["gwRefCode"]
    assert json.loads(answer["extendParam"])["gateway"] == "OfficialAlipayGateway"
    deliveries = live.sandbox.webhooks.deliveries(sale["rrn"])
    assert [d.payload["gwRefCode"] for d in deliveries] == [answer["gwRefCode"]]


def test_settle_success_of_a_card_payment_shows_a_masked_test_card(live: Any) -> None:
    sale = sell(live.client, "UNIONPAY")
    assert settle(live, sale["rrn"], "success").status_code == 200
    answer = query(live.client, sale)
    assert (answer["payType"], answer["payDetail"]) == ("UNIONPAY", "625094xxxxxx0016")


@pytest.mark.parametrize(
    ("outcome", "gw_ref_status"), [("failed", "02"), ("timeout", "03"), ("refunded", "04")]
)
def test_settle_other_outcomes(live: Any, outcome: str, gw_ref_status: str) -> None:
    sale = sell(live.client, "VMPAY")
    assert settle(live, sale["rrn"], outcome).status_code == 200
    assert query(live.client, sale)["gwRefStatus"] == gw_ref_status
    assert live.sandbox.webhooks.deliveries(sale["rrn"]) == []


def test_refund_after_success_keeps_the_payment_details(live: Any) -> None:
    sale = sell(live.client, "FPSPAY")
    settle(live, sale["rrn"], "success")
    paid = query(live.client, sale)
    assert settle(live, sale["rrn"], "refunded").status_code == 200
    refunded = query(live.client, sale)
    assert refunded["gwRefStatus"] == "04"
    assert (refunded["gwRefCode"], refunded["payDetail"]) == (paid["gwRefCode"], paid["payDetail"])


@pytest.mark.parametrize(
    ("first", "second"),
    [("success", "success"), ("success", "failed"), ("failed", "refunded"), ("timeout", "success")],
)
def test_settle_the_lifecycle_forbids_is_a_409(live: Any, first: str, second: str) -> None:
    sale = sell(live.client)
    settle(live, sale["rrn"], first)
    before = query(live.client, sale)
    response = settle(live, sale["rrn"], second)
    assert response.status_code == 409
    assert "already" in response.json()["error"]
    assert query(live.client, sale) == before
    assert len(live.sandbox.webhooks.deliveries(sale["rrn"])) == (first == "success")


@pytest.mark.parametrize(
    "body",
    [{"outcome": "paid"}, {"outcome": None}, {}, {"outcome": ["success"]}, {"outcome": 1}],
)
def test_settle_needs_a_known_outcome(live: Any, body: dict[str, Any]) -> None:
    sale = sell(live.client)
    response = live.control("POST", f"/transactions/{sale['rrn']}/settle", json=body)
    assert response.status_code == 400
    assert "success, failed, timeout, refunded" in response.json()["error"]


@pytest.mark.parametrize("raw", [b"{", b"[1]", b"\xff", b'"success"'])
def test_settle_with_a_body_that_is_not_a_json_object_is_a_400(live: Any, raw: bytes) -> None:
    sale = sell(live.client)
    response = live.control(
        "POST",
        f"/transactions/{sale['rrn']}/settle",
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]


def test_rrn_of_two_merchants_needs_an_api_key(live: Any) -> None:
    fields = sale_fields()
    assert live.client.sales(**fields)["errorCode"] == "0"
    assert live.client_b.sales(**fields)["errorCode"] == "0"
    rrn = fields["rrn"]
    ambiguous = live.control("GET", f"/transactions/{rrn}")
    assert ambiguous.status_code == 409
    assert "apiKey" in ambiguous.json()["error"]
    assert settle(live, rrn, "success").status_code == 409
    picked = live.control("GET", f"/transactions/{rrn}", params={"apiKey": "shop-b"})
    assert picked.json()["apiKey"] == "shop-b"
    assert settle(live, rrn, "failed", apiKey="shop-b").status_code == 200
    by_query = live.control(
        "POST",
        f"/transactions/{rrn}/settle",
        params={"apiKey": "shop-a"},
        json={"outcome": "success"},
    )
    assert by_query.status_code == 200
    assert live.client.query(type="VMPAY", rrn=rrn, storeCode="WP001")["gwRefStatus"] == "01"
    assert live.client_b.query(type="VMPAY", rrn=rrn, storeCode="WP001")["gwRefStatus"] == "02"
    unknown = live.control("GET", f"/transactions/{rrn}", params={"apiKey": "shop-z"})
    assert unknown.status_code == 404


def test_settled_transaction_page_shows_the_result(live: Any) -> None:
    sale = sell(live.client, "WXPAY", lang="en", returnUrl="")
    settle(live, sale["rrn"], "failed")
    page = live.http.get(sale["paymentUrl"])
    assert "Payment failed" in page.text
    assert 'id="pay"' not in page.text
