"""Webhook delivery over real HTTP: PMS's retry policy on the mock clock.

Each test pays a transaction, drives the mock clock with the control API, and
checks both what a local receiver on 127.0.0.1 got and what GET /_mock/webhooks
says. `POST /_mock/clock/advance` answers only after the attempts that fell due
ran, so the assertions follow it directly.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mockpms.models import TxStatus
from tests.conftest import (
    ACK,
    Live,
    LocalOnlyTransport,
    Receiver,
    Reply,
    refused_url,
    sale_fields,
    session_fields,
)

DOCUMENT_FIELDS = {
    "storeCode",
    "tillId",
    "type",
    "rrn",
    "amount",
    "gwRefCode",
    "txDatetime",
    "salesman",
    "orgRrn",
}


def pay_sale(live: Live, webhook_url: str, **overrides: Any) -> str:
    """Create a sale over HTTP and make its payment succeed; returns the rrn."""
    answer = live.client.sales(**sale_fields(webhookUrl=webhook_url, **overrides))
    assert answer["errorCode"] == "0", answer
    live.sandbox.lifecycle.settle(live.transaction(answer["rrn"]), TxStatus.SUCCESS)
    return str(answer["rrn"])


def advance(live: Live, seconds: float) -> dict[str, Any]:
    response = live.control("POST", "/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def attempts(live: Live, rrn: str | None = None) -> list[dict[str, Any]]:
    params = {"rrn": rrn} if rrn else {}
    response = live.control("GET", "/webhooks", params=params)
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()["attempts"]
    return found


def test_acknowledged_on_attempt_1_with_the_documents_payload(
    live: Live, receiver: Receiver
) -> None:
    rrn = pay_sale(live, receiver.url, amt=12345)
    advance(live, 0)

    (request,) = receiver.wait_for(1)
    payload = request.json
    assert set(payload) == DOCUMENT_FIELDS
    query = live.client.query(type="VMPAY", rrn=rrn, storeCode="WP001")
    assert payload["rrn"] == rrn
    assert payload["amount"] == 12345
    assert payload["gwRefCode"] == query["gwRefCode"] != ""
    assert payload["storeCode"] == "WP001"
    assert payload["salesman"] == "WP9999"
    assert payload["orgRrn"] == ""
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.path == "/webhook"

    (logged,) = attempts(live, rrn)
    assert logged["attempt"] == 1
    assert logged["acknowledged"] is True
    assert logged["httpStatus"] == 200
    assert logged["error"] is None
    assert logged["url"] == receiver.url
    assert logged["payload"] == payload
    assert logged["nextAttemptAt"] is None

    advance(live, 3600)
    assert len(receiver.requests) == 1
    assert len(attempts(live, rrn)) == 1


def test_acknowledged_on_attempt_3_after_two_500s_at_0_300_600(
    live: Live, receiver: Receiver
) -> None:
    receiver.respond(Reply(500, '{"errorCode": "0"}'), Reply(500, "oops"), ACK)
    rrn = pay_sale(live, receiver.url)
    advance(live, 0)
    assert len(attempts(live, rrn)) == 1

    advance(live, 299)
    assert len(attempts(live, rrn)) == 1, "attempt 2 is due 300 s after attempt 1, not before"
    advance(live, 1)
    assert len(attempts(live, rrn)) == 2
    advance(live, 300)
    logged = attempts(live, rrn)
    assert [a["attempt"] for a in logged] == [1, 2, 3]
    assert [a["httpStatus"] for a in logged] == [500, 500, 200]
    assert [a["acknowledged"] for a in logged] == [False, False, True]
    assert "HTTP 500" in logged[0]["error"]

    first = logged[0]["scheduledAt"]
    assert [a["scheduledAt"] - first for a in logged] == [0, 300, 600]
    for entry in logged:  # sent when due: mock time moved only by the advances
        assert entry["scheduledAt"] <= entry["sentAt"] < entry["scheduledAt"] + 30
    assert logged[0]["nextAttemptAt"] == first + 300
    assert logged[2]["nextAttemptAt"] is None

    advance(live, 3600)
    assert len(receiver.requests) == 3
    assert [r.json for r in receiver.requests] == [logged[0]["payload"]] * 3


def test_never_acknowledged_means_exactly_5_attempts_then_none(
    live: Live, receiver: Receiver
) -> None:
    receiver.default = Reply(503, "down for maintenance", content_type="text/plain")
    rrn = pay_sale(live, receiver.url)
    advance(live, 0)
    for expected in (2, 3, 4, 5):
        advance(live, 300)
        assert len(attempts(live, rrn)) == expected

    advance(live, 300 * 10)
    logged = attempts(live, rrn)
    assert [a["attempt"] for a in logged] == [1, 2, 3, 4, 5]
    assert not any(a["acknowledged"] for a in logged)
    assert logged[-1]["nextAttemptAt"] is None
    assert len(receiver.requests) == 5
    (delivery,) = live.control("GET", "/webhooks", params={"rrn": rrn}).json()["deliveries"]
    assert delivery["state"] == "exhausted"
    assert delivery["attempts"] == 5


def test_one_long_clock_jump_runs_every_attempt_that_fell_due(
    live: Live, receiver: Receiver
) -> None:
    receiver.default = Reply(500)
    rrn = pay_sale(live, receiver.url)
    advance(live, 0)
    answer = advance(live, 24 * 3600)
    assert answer["ran"] == 4
    logged = attempts(live, rrn)
    assert [a["scheduledAt"] - logged[0]["scheduledAt"] for a in logged] == [
        0,
        300,
        600,
        900,
        1200,
    ]
    assert len(receiver.requests) == 5


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(200, '{"errorCode": "1"}'), 'errorCode "1"'),
        (Reply(200, ""), "empty body"),
        (Reply(204, ""), "empty body"),
        (Reply(200, "OK", content_type="text/plain"), "not JSON"),
        (Reply(200, '["errorCode", "0"]'), "not a JSON object"),
        (Reply(200, '{"status": "ok"}'), "no errorCode"),
        (Reply(200, '{"errorCode": 0}'), 'send "0", not 0'),
        (Reply(302, '{"errorCode": "0"}'), "HTTP 302"),
        (Reply(404, '{"errorCode": "0"}'), "HTTP 404"),
    ],
    ids=["errorCode-1", "empty-200", "204", "text", "array", "no-code", "code-int", "302", "404"],
)
def test_an_answer_that_is_not_an_acknowledgement_is_retried(
    live: Live, receiver: Receiver, reply: Reply, reason: str
) -> None:
    receiver.respond(reply, ACK)
    rrn = pay_sale(live, receiver.url)
    advance(live, 0)
    (first,) = attempts(live, rrn)
    assert first["acknowledged"] is False
    assert first["httpStatus"] == reply.status
    assert reason in first["error"]

    advance(live, 300)
    second = attempts(live, rrn)[1]
    assert second["attempt"] == 2
    assert second["acknowledged"] is True


def test_a_2xx_other_than_200_with_errorcode_0_acknowledges(live: Live, receiver: Receiver) -> None:
    receiver.respond(Reply(201, '{"errorCode": "0", "errorMessage": "stored"}'))
    rrn = pay_sale(live, receiver.url)
    advance(live, 0)
    (logged,) = attempts(live, rrn)
    assert logged["acknowledged"] is True
    assert logged["httpStatus"] == 201


def test_a_refused_connection_is_a_failed_attempt_and_retried(live: Live) -> None:
    url = refused_url()
    rrn = pay_sale(live, url)
    advance(live, 0)
    (logged,) = attempts(live, rrn)
    assert logged["acknowledged"] is False
    assert logged["httpStatus"] is None
    assert "connection refused" in logged["error"]
    assert logged["nextAttemptAt"] == logged["scheduledAt"] + 300

    advance(live, 300)
    assert [a["attempt"] for a in attempts(live, rrn)] == [1, 2]


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(
    live_with: Any, receiver: Receiver
) -> None:
    mock = live_with(webhook_timeout=0.5)
    receiver.respond(Reply(delay=5))
    answer = mock.client.sales(**sale_fields(webhookUrl=receiver.url))
    mock.sandbox.lifecycle.settle(
        mock.sandbox.store.transaction("shop-a", answer["rrn"]), TxStatus.SUCCESS
    )
    advance(mock, 0)

    assert len(receiver.requests) == 1, "the receiver got the POST and sat on it"
    (logged,) = attempts(mock, answer["rrn"])
    assert logged["acknowledged"] is False
    assert logged["httpStatus"] is None
    assert "read timeout" in logged["error"]
    assert "0.5 s" in logged["error"]

    advance(mock, 300)  # the receiver answers at once now: attempt 2 acknowledges
    assert [a["acknowledged"] for a in attempts(mock, answer["rrn"])] == [False, True]


def test_h5_payment_webhook_adds_the_session_id(live: Live, receiver: Receiver) -> None:
    fields = session_fields(webhookUrl=receiver.url, amt=250)
    assert live.client.h5_create(**fields)["errorCode"] == "0"
    paid = live.control("POST", f"/sessions/{fields['sessionId']}/pay", json={"wallet": "WXPAY"})
    assert paid.status_code == 200, paid.text
    rrn = paid.json()["transaction"]["rrn"]
    advance(live, 0)

    (request,) = receiver.wait_for(1)
    payload = request.json
    assert set(payload) == DOCUMENT_FIELDS | {"sessionId"}
    assert payload["sessionId"] == fields["sessionId"]
    assert payload["rrn"] == rrn
    assert payload["rrn"] == live.client.h5_query(fields["sessionId"])["rrn"]
    assert payload["amount"] == 250
    assert payload["type"] == "WXPAY"
    (logged,) = live.control("GET", "/webhooks", params={"sessionId": fields["sessionId"]}).json()[
        "attempts"
    ]
    assert logged["sessionId"] == fields["sessionId"]
    assert logged["acknowledged"] is True


def test_a_reset_cancels_pending_deliveries(live: Live, receiver: Receiver) -> None:
    receiver.default = Reply(500)
    rrn = pay_sale(live, receiver.url)
    advance(live, 0)
    assert len(attempts(live, rrn)) == 1

    live.reset()
    assert attempts(live) == []
    assert live.control("GET", "/clock").json()["pending"] == 0
    advance(live, 3600)
    assert len(receiver.requests) == 1
    assert attempts(live) == []


def test_no_webhook_without_a_webhook_url(live: Live, receiver: Receiver) -> None:
    rrn = pay_sale(live, "")
    advance(live, 3600)
    assert attempts(live, rrn) == []
    assert receiver.requests == []


def test_the_log_filters_by_rrn_and_keeps_order(live: Live, receiver: Receiver) -> None:
    first = pay_sale(live, receiver.url)
    second = pay_sale(live, receiver.url)
    advance(live, 0)
    everything = attempts(live)
    assert sorted(a["rrn"] for a in everything) == sorted([first, second])
    assert [a["id"] for a in everything] == sorted(a["id"] for a in everything)
    assert [a["rrn"] for a in attempts(live, second)] == [second]
    assert attempts(live, "no-such-rrn") == []


def test_the_log_keeps_only_the_newest_attempts(live_with: Any, receiver: Receiver) -> None:
    mock = live_with(webhook_log_cap=3)
    receiver.default = Reply(500)
    answer = mock.client.sales(**sale_fields(webhookUrl=receiver.url))
    mock.sandbox.lifecycle.settle(
        mock.sandbox.store.transaction("shop-a", answer["rrn"]), TxStatus.SUCCESS
    )
    advance(mock, 0)
    advance(mock, 300 * 4)
    assert len(receiver.requests) == 5
    assert [a["attempt"] for a in attempts(mock)] == [3, 4, 5]


def test_the_attempt_log_is_paged_newest_or_oldest_first(live: Live, receiver: Receiver) -> None:
    receiver.default = Reply(500)
    rrn = pay_sale(live, receiver.url)
    advance(live, 0)
    advance(live, 600)
    newest = live.control("GET", "/webhooks", params={"limit": 2, "order": "newest"}).json()
    assert [a["attempt"] for a in newest["attempts"]] == [3, 2]
    assert newest["deliveries"][0]["rrn"] == rrn
    rest = live.control(
        "GET", "/webhooks", params={"limit": 2, "order": "newest", "after": newest["next"]}
    ).json()
    assert [a["attempt"] for a in rest["attempts"]] == [1]
    assert rest["next"] is None
    oldest = live.control("GET", "/webhooks", params={"limit": 2}).json()
    assert [a["attempt"] for a in oldest["attempts"]] == [1, 2]
    for bad_limit in ("0", "-1", "5001", "x"):
        bad = live.control("GET", "/webhooks", params={"limit": bad_limit})
        assert bad.status_code == 400
        assert "limit" in bad.json()["error"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://shop.example/hook",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "shop.example/hook",
        "http://",
        "http://shop.example:99999/hook",
    ],
)
def test_only_http_and_https_webhook_urls_are_accepted(live: Live, url: str) -> None:
    answer = live.client.sales(**sale_fields(webhookUrl=url))
    assert answer["errorCode"] == "40002"
    assert "webhookUrl" in answer["errorMessage"]
    h5 = live.client.h5_create(**session_fields(webhookUrl=url))
    assert h5["errorCode"] == "40002"
    assert "webhookUrl" in h5["errorMessage"]


def test_webhooks_can_go_straight_into_a_wsgi_app(live: Live) -> None:
    received: list[Any] = []

    def shop(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        received.append((environ["PATH_INFO"], json.loads(environ["wsgi.input"].read(length))))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"errorCode": "0"}']

    live.sandbox.webhooks.use_transport(httpx.WSGITransport(app=shop))
    try:
        rrn = pay_sale(live, "https://shop.test/notify")
        advance(live, 0)
    finally:
        live.sandbox.webhooks.use_transport(LocalOnlyTransport())
    assert [(path, payload["rrn"]) for path, payload in received] == [("/notify", rrn)]
    assert attempts(live, rrn)[0]["acknowledged"] is True
