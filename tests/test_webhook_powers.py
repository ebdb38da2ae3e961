"""Testing a merchant's webhook handling (CONTRACT 13): resend, webhook faults (duplicate,
drop, delay) and forged notifications, each against a real local receiver."""

from __future__ import annotations

from typing import Any

from mockpms.testing import Reply
from tests.conftest import Live, Receiver, sale_fields, session_fields


def paid_sale(live: Live, receiver: Receiver) -> str:
    fields = sale_fields(type="WXPAY", webhookUrl=receiver.url)
    assert live.client.sales(**fields)["errorCode"] == "0"
    settled = live.control(
        "POST", f"/transactions/{fields['rrn']}/settle", json={"outcome": "success"}
    )
    assert settled.status_code == 200
    return str(fields["rrn"])


def log(live: Live) -> dict[str, Any]:
    answer: dict[str, Any] = live.control("GET", "/webhooks").json()
    return answer


def advance(live: Live, seconds: float) -> None:
    assert live.control("POST", "/clock/advance", json={"seconds": seconds}).status_code == 200


# ---------------------------------------------------------------------- resend


def test_resend_sends_the_same_payload_again_as_an_extra_attempt(
    live: Live, receiver: Receiver
) -> None:
    rrn = paid_sale(live, receiver)
    first = receiver.wait_for(1)[0]
    live.sandbox.webhooks.wait_for_attempts(1)
    series = log(live)["deliveries"][0]
    answer = live.control("POST", f"/webhooks/{series['id']}/resend")
    assert answer.status_code == 200
    resent = answer.json()["attempt"]
    assert resent["resent"] is True
    assert resent["acknowledged"] is True
    second = receiver.wait_for(2)[1]
    assert second.json == first.json
    assert second.json["rrn"] == rrn
    assert log(live)["deliveries"][0]["attempts"] == 1  # not one of the series' attempts
    by_attempt = live.control("POST", f"/webhooks/{log(live)['attempts'][0]['id']}/resend")
    assert by_attempt.status_code == 200  # an attempt id names its series too
    receiver.wait_for(3)


def test_an_acknowledged_resend_stops_the_retries(live: Live, receiver: Receiver) -> None:
    receiver.respond(Reply(500))
    paid_sale(live, receiver)
    receiver.wait_for(1)
    live.sandbox.webhooks.wait_for_attempts(1)
    series = log(live)["deliveries"][0]
    assert series["state"] == "pending"
    live.control("POST", f"/webhooks/{series['id']}/resend")
    assert log(live)["deliveries"][0]["state"] == "acknowledged"
    advance(live, 1200)
    assert len(receiver.requests) == 2  # attempt 1 and the resend: no retry after it


def test_resending_an_unknown_id_is_a_404(live: Live) -> None:
    assert live.control("POST", "/webhooks/999999/resend").status_code == 404
    assert live.control("POST", "/webhooks/abc/resend").status_code == 404


# ---------------------------------------------------------------- webhook faults


def test_duplicate_delivers_the_next_notification_twice_back_to_back(
    live: Live, receiver: Receiver
) -> None:
    assert live.control("POST", "/faults", json={"webhook": "duplicate"}).status_code == 201
    rrn = paid_sale(live, receiver)
    first, second = receiver.wait_for(2)
    assert first.json == second.json
    live.sandbox.webhooks.wait_for_attempts(2)
    attempts = log(live)["attempts"]
    assert [a["duplicate"] for a in attempts] == [False, True]
    assert log(live)["deliveries"][0]["attempts"] == 1
    assert log(live)["deliveries"][0]["rrn"] == rrn
    paid_sale(live, receiver)  # the fault was for one notification only
    receiver.wait_for(3)
    assert len(live.sandbox.webhooks.wait_for_attempts(3)) == 3


def test_drop_skips_the_first_attempt_and_the_retry_policy_takes_over(
    live: Live, receiver: Receiver
) -> None:
    live.control("POST", "/faults", json={"webhook": "drop"})
    paid_sale(live, receiver)
    live.sandbox.webhooks.wait_for_attempts(1)  # logged off the request thread
    [dropped] = log(live)["attempts"]
    assert dropped["dropped"] is True
    assert dropped["acknowledged"] is False
    assert receiver.requests == []
    advance(live, 300)
    receiver.wait_for(1)
    live.sandbox.webhooks.wait_for_attempts(2)  # the receiver answers before the log is written
    assert [a["attempt"] for a in log(live)["attempts"]] == [1, 2]


def test_delay_holds_the_first_attempt_on_the_mock_clock(live: Live, receiver: Receiver) -> None:
    live.control("POST", "/faults", json={"webhook": "delay", "seconds": 60})
    receiver.respond(Reply(500))
    paid_sale(live, receiver)
    advance(live, 59)
    assert receiver.requests == []
    advance(live, 1)
    receiver.wait_for(1)
    live.sandbox.webhooks.wait_for_attempts(1)
    series = log(live)["deliveries"][0]
    assert series["nextAttemptAt"] - series["firstDueAt"] == 300  # retries from the delayed one


def test_bad_webhook_faults_are_400_naming_the_field(live: Live) -> None:
    for body, field in [
        ({"webhook": "explode"}, "webhook"),
        ({"webhook": "delay"}, "seconds"),
        ({"webhook": "drop", "seconds": 3}, "seconds"),
        ({"webhook": "drop", "endpoint": "online/sales"}, "endpoint"),
    ]:
        answer = live.control("POST", "/faults", json=body)
        assert answer.status_code == 400
        assert answer.json()["error"].startswith(f"{field}:")


# ---------------------------------------------------------------------- forge


def test_a_forged_notification_leaves_the_transaction_unpaid(
    live: Live, receiver: Receiver
) -> None:
    fields = sale_fields(type="WXPAY", webhookUrl=receiver.url)
    live.client.sales(**fields)
    answer = live.control("POST", "/webhooks/forge", json={"rrn": fields["rrn"]})
    assert answer.status_code == 201
    forged = receiver.wait_for(1)[0].json
    live.sandbox.webhooks.wait_for_attempts(1)
    assert forged["rrn"] == fields["rrn"]
    assert forged["amount"] == fields["amt"]
    assert forged["gwRefCode"]
    assert log(live)["attempts"][0]["forged"] is True
    query = live.client.query(type="WXPAY", rrn=fields["rrn"], storeCode=fields["storeCode"])
    assert query["gwRefStatus"] == "05"


def test_a_forged_h5_notification_carries_the_session_id(live: Live, receiver: Receiver) -> None:
    fields = session_fields(webhookUrl=receiver.url)
    live.client.h5_create(**fields)
    assert (
        live.control("POST", "/webhooks/forge", json={"sessionId": fields["sessionId"]}).status_code
        == 201
    )
    forged = receiver.wait_for(1)[0].json
    assert forged["sessionId"] == fields["sessionId"]
    assert live.client.h5_query(fields["sessionId"])["status"] == "1"


def test_a_paid_transaction_cannot_be_forged(live: Live, receiver: Receiver) -> None:
    rrn = paid_sale(live, receiver)
    answer = live.control("POST", "/webhooks/forge", json={"rrn": rrn})
    assert answer.status_code == 409
    assert live.control("POST", "/webhooks/forge", json={}).status_code == 400
    assert live.control("POST", "/webhooks/forge", json={"rrn": "nope"}).status_code == 404
