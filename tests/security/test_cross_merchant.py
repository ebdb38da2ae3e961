"""Each apiKey sees only its own transactions and sessions, and learns nothing of others'."""

from __future__ import annotations

from tests.conftest import Live, sale_fields, session_fields


def test_shop_b_cannot_query_shop_a_transaction(live: Live) -> None:
    fields = sale_fields(amt=424242)
    assert live.client.sales(**fields)["errorCode"] == "0"
    answer = live.client_b.query(type=fields["type"], rrn=fields["rrn"], storeCode="WP001")
    assert answer["errorCode"] == "40002" and "no transaction" in answer["errorMessage"]
    assert "424242" not in str(answer)  # nothing of shop-a's transaction leaks
    own = live.client.query(type=fields["type"], rrn=fields["rrn"], storeCode="WP001")
    assert own["errorCode"] == "0" and own["amt"] == 424242


def test_the_same_rrn_at_two_merchants_is_two_transactions(live: Live) -> None:
    fields = sale_fields(amt=111)
    assert live.client.sales(**fields)["errorCode"] == "0"
    assert live.client_b.sales(**{**fields, "amt": 222})["errorCode"] == "0"
    a = live.client.query(type=fields["type"], rrn=fields["rrn"], storeCode="WP001")
    b = live.client_b.query(type=fields["type"], rrn=fields["rrn"], storeCode="WP001")
    assert (a["amt"], b["amt"]) == (111, 222)


def test_shop_b_cannot_query_or_cancel_shop_a_session(live: Live) -> None:
    fields = session_fields(amt=4343, remarks="shop-a secret remark")
    assert live.client.h5_create(**fields)["errorCode"] == "0"
    session_id = fields["sessionId"]
    for answer in (live.client_b.h5_query(session_id), live.client_b.h5_cancel(session_id)):
        assert answer["errorCode"] == "40002" and "no H5 session" in answer["errorMessage"]
        assert "4343" not in str(answer) and "secret remark" not in str(answer)
    assert live.client.h5_query(session_id)["status"] == "1"  # shop-b's cancel did nothing


def test_a_paid_session_stays_private(live: Live) -> None:
    fields = session_fields()
    assert live.client.h5_create(**fields)["errorCode"] == "0"
    paid = live.control("POST", f"/sessions/{fields['sessionId']}/pay", json={"wallet": "WXPAY"})
    assert paid.status_code == 200, paid.text
    rrn = live.client.h5_query(fields["sessionId"])["rrn"]
    answer = live.client_b.query(type="WXPAY", rrn=rrn, storeCode=fields["storeCode"])
    assert answer["errorCode"] == "40002"
