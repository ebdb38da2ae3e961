"""GET /_mock/report: each finding appears when the integration makes the mistake, and
is absent when it behaves (CONTRACT 13)."""

from __future__ import annotations

import time
from typing import Any

from mockpms.signing import sign
from mockpms.testing import Reply
from tests.conftest import SHOP_A, Live, Receiver, sale_fields, session_fields


def findings(live: Live, api_key: str = SHOP_A.api_key) -> dict[str, dict[str, Any]]:
    answer = live.control("GET", "/report").json()["merchants"]
    return {f["code"]: f for f in answer.get(api_key, [])}


def raw_call(live: Live, timestamp: Any, signature: str, api_key: str = SHOP_A.api_key) -> None:
    body = {"apiKey": api_key, "timestamp": timestamp, "sign": signature, **sale_fields()}
    live.http.post("/tt-pms-ws/rest/online/sales", json=body)


def paid(live: Live, receiver: Receiver, **overrides: Any) -> dict[str, Any]:
    fields = sale_fields(type="WXPAY", webhookUrl=receiver.url, **overrides)
    assert live.client.sales(**fields)["errorCode"] == "0"
    live.control("POST", f"/transactions/{fields['rrn']}/settle", json={"outcome": "success"})
    return fields


def test_a_well_behaved_integration_has_nothing_to_report(live: Live, receiver: Receiver) -> None:
    fields = paid(live, receiver)
    receiver.wait_for(1)
    live.sandbox.webhooks.wait_for_attempts(1)
    live.client.query(type="WXPAY", rrn=fields["rrn"], storeCode=fields["storeCode"])
    assert live.control("GET", "/report").json() == {"merchants": {}}


def test_auth_mistakes_are_reported_with_what_pms_does_and_the_fix(live: Live) -> None:
    seconds = int(time.time())
    raw_call(live, seconds, sign(seconds, SHOP_A.secret))
    now = int(time.time() * 1000)
    raw_call(live, now, sign(now, "not-the-secret"))
    old = now - 3_600_000
    raw_call(live, old, sign(old, SHOP_A.secret))
    found = findings(live)
    assert set(found) == {"timestamp-in-seconds", "bad-sign", "stale-timestamp"}
    assert "milliseconds" in found["timestamp-in-seconds"]["message"]
    assert "PMS refuses" in found["bad-sign"]["message"]
    assert found["stale-timestamp"]["severity"] == "error"
    assert found["stale-timestamp"]["count"] == 1


def test_a_seconds_timestamp_is_not_also_stale(live: Live) -> None:
    seconds = int(time.time())
    raw_call(live, seconds, sign(seconds, SHOP_A.secret))
    assert set(findings(live)) == {"timestamp-in-seconds"}


def test_unknown_api_keys_are_reported_under_unknown(live: Live) -> None:
    now = int(time.time() * 1000)
    raw_call(live, now, "x", api_key="stranger")
    report = live.control("GET", "/report").json()["merchants"]
    assert list(report) == ["unknown"]
    assert [f["code"] for f in report["unknown"]] == ["unknown-api-key"]


def test_duplicate_rrn_and_a_sale_without_webhook(live: Live) -> None:
    fields = sale_fields(webhookUrl="")
    live.client.sales(**fields)
    live.client.sales(**fields)
    found = findings(live)
    assert found["duplicate-rrn"]["examples"] == [fields["rrn"]]
    assert found["sale-without-webhook"]["count"] == 1
    assert "will not notify" in found["sale-without-webhook"]["message"]


def test_an_exhausted_series_is_not_acknowledged(live: Live, receiver: Receiver) -> None:
    receiver.default = Reply(500)
    fields = paid(live, receiver)
    for _ in range(4):
        live.control("POST", "/clock/advance", json={"seconds": 300})
    live.sandbox.webhooks.wait_for_attempts(5)
    found = findings(live)
    assert found["webhook-not-acknowledged"]["examples"] == [fields["rrn"]]


def test_a_malformed_acknowledgement(live: Live, receiver: Receiver) -> None:
    receiver.respond(Reply(200, '{"errorCode": 0}'))
    paid(live, receiver)
    live.sandbox.webhooks.wait_for_attempts(1)
    assert "webhook-ack-malformed" in findings(live)


def test_an_unverified_notification_disappears_once_the_shop_queries(
    live: Live, receiver: Receiver
) -> None:
    fields = paid(live, receiver)
    live.sandbox.webhooks.wait_for_attempts(1)
    assert findings(live)["notification-not-verified"]["examples"] == [fields["rrn"]]
    live.client.query(type="WXPAY", rrn=fields["rrn"], storeCode=fields["storeCode"])
    assert "notification-not-verified" not in findings(live)


def test_an_h5_notification_is_verified_by_the_session_query(
    live: Live, receiver: Receiver
) -> None:
    fields = session_fields(webhookUrl=receiver.url)
    live.client.h5_create(**fields)
    live.control("POST", f"/sessions/{fields['sessionId']}/pay", json={})
    live.sandbox.webhooks.wait_for_attempts(1)
    assert "notification-not-verified" in findings(live)
    live.client.h5_query(fields["sessionId"])
    assert "notification-not-verified" not in findings(live)


def test_acknowledging_a_forged_notification_is_reported(live: Live, receiver: Receiver) -> None:
    fields = sale_fields(type="WXPAY", webhookUrl=receiver.url)
    live.client.sales(**fields)
    live.control("POST", "/webhooks/forge", json={"rrn": fields["rrn"]})
    live.sandbox.webhooks.wait_for_attempts(1)
    found = findings(live)
    assert found["forged-notification-acknowledged"]["examples"] == [fields["rrn"]]
    assert "notification-not-verified" not in found  # a forged one is not the shop's to verify


def test_reset_clears_the_report(live: Live) -> None:
    seconds = int(time.time())
    raw_call(live, seconds, sign(seconds, SHOP_A.secret))
    assert findings(live)
    live.control("POST", "/reset")
    assert live.control("GET", "/report").json() == {"merchants": {}}
