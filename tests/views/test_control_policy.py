"""Auto-settle policy: outcomes for pipelines that only speak PMS."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Live, Receiver, sale_fields, session_fields


def advance(live: Live, seconds: float) -> None:
    """Move the mock clock; the answer comes once the work that fell due has run."""
    response = live.control("POST", "/clock/advance", json={"seconds": seconds})
    assert response.status_code == 200, response.text
    assert response.json()["stillRunning"] == 0


def scan(live: Live, session_id: str, wallet: str) -> None:
    response = live.control("POST", f"/sessions/{session_id}/scan", json={"wallet": wallet})
    assert response.status_code == 200, response.text


def query(live: Live, rrn: str, type_: str = "VMPAY") -> dict[str, Any]:
    return live.client.call("online/query", type=type_, rrn=rrn, storeCode="WP001")


def test_success_after_seconds_on_the_mock_clock(live: Live, receiver: Receiver) -> None:
    posted = live.control("POST", "/policy", json={"outcome": "success", "afterSeconds": 30})
    assert posted.json() == {"policy": {"outcome": "success", "afterSeconds": 30.0}}
    fields = sale_fields(type="WXPAY", webhookUrl=receiver.url)
    assert live.client.call("online/sales", **fields)["errorCode"] == "0"

    assert query(live, fields["rrn"], "WXPAY")["gwRefStatus"] == "05"
    advance(live, 29)
    assert query(live, fields["rrn"], "WXPAY")["gwRefStatus"] == "05"
    advance(live, 1)
    paid = query(live, fields["rrn"], "WXPAY")

    assert paid["gwRefStatus"] == "01"
    assert paid["gwRefCode"]
    assert paid["payType"] == "Wechat Pay"
    (webhook,) = receiver.wait_for(1)
    assert webhook.json["rrn"] == fields["rrn"]
    assert webhook.json["gwRefCode"] == paid["gwRefCode"]


def test_failed_outcome(live: Live) -> None:
    live.control("POST", "/policy", json={"outcome": "failed"})
    fields = sale_fields()
    live.client.call("online/sales", **fields)
    advance(live, 0)  # afterSeconds 0: due at once, on the scheduler's workers
    answer = query(live, fields["rrn"])
    assert answer["gwRefStatus"] == "02"
    assert answer["gwErrorCode"] == "DECLINED"
    assert live.control("GET", "/webhooks").json()["deliveries"] == []


def test_scanned_h5_session_is_paid_with_its_wallet(live: Live) -> None:
    live.control("POST", "/policy", json={"outcome": "success", "afterSeconds": 10})
    fields = session_fields()
    live.client.call("h5Payment/session/create", **fields)
    session_id = fields["sessionId"]
    advance(live, 60)
    status = live.client.call("h5Payment/session/query", sessionId=session_id)["status"]
    assert status == "1"  # not scanned: nothing to pay yet

    scan(live, session_id, "ALIPAY")
    advance(live, 10)
    answer = live.client.call("h5Payment/session/query", sessionId=session_id)

    assert answer["status"] == "2"
    assert answer["type"] == "ALIPAY"


def test_a_transaction_settled_first_by_hand_is_left_alone(live: Live) -> None:
    live.control("POST", "/policy", json={"outcome": "success", "afterSeconds": 5})
    fields = sale_fields()
    live.client.call("online/sales", **fields)
    settled = live.control(
        "POST", f"/transactions/{fields['rrn']}/settle", json={"outcome": "failed"}
    )
    assert settled.status_code == 200
    advance(live, 5)
    assert query(live, fields["rrn"])["gwRefStatus"] == "02"


def test_delete_stops_it_and_cancels_what_was_scheduled(live: Live) -> None:
    live.control("POST", "/policy", json={"outcome": "success", "afterSeconds": 5})
    fields = sale_fields()
    live.client.call("online/sales", **fields)

    assert live.control("DELETE", "/policy").json() == {"policy": None}
    assert live.control("GET", "/policy").json() == {"policy": None}
    advance(live, 10)

    assert query(live, fields["rrn"])["gwRefStatus"] == "05"


def test_reset_clears_the_policy(live: Live) -> None:
    live.control("POST", "/policy", json={"outcome": "success"})
    live.reset()
    assert live.control("GET", "/policy").json() == {"policy": None}


def test_auto_settle_flag(make_live: Any) -> None:
    flagged = make_live(auto_settle="success:2")
    assert flagged.control("GET", "/policy").json() == {
        "policy": {"outcome": "success", "afterSeconds": 2.0}
    }
    fields = sale_fields()
    flagged.client.call("online/sales", **fields)
    advance(flagged, 2)
    assert query(flagged, fields["rrn"])["gwRefStatus"] == "01"
    flagged.reset()  # back to the flag's policy, not to none
    assert flagged.control("GET", "/policy").json()["policy"]["outcome"] == "success"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "outcome"),
        ({"outcome": "timeout"}, "outcome"),
        ({"outcome": "success", "afterSeconds": -1}, "afterSeconds"),
        ({"outcome": "success", "afterSeconds": "5"}, "afterSeconds"),
        ({"outcome": "success", "afterSeconds": True}, "afterSeconds"),
        ({"outcome": "success", "after": 5}, "after"),
    ],
)
def test_bad_policy_is_a_400_naming_the_field(live: Live, body: dict[str, Any], field: str) -> None:
    response = live.control("POST", "/policy", json=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{field}:")
    assert live.control("GET", "/policy").json() == {"policy": None}
