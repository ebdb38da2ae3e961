"""GET /_mock/requests: the journal of PMS requests, in order, redacted, filterable, capped."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import Live, sale_fields, session_fields


def journal(live: Live, query: str = "") -> list[dict[str, Any]]:
    response = live.control("GET", f"/requests{query}")
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["requests"]
    return entries


def test_journal_shows_requests_in_order_with_their_answers(live: Live) -> None:
    first, second = sale_fields(), sale_fields()
    live.client.gateway(lang="en")
    live.client.call("online/sales", **first)
    live.client.call("online/sales", **first)  # duplicate rrn: 601
    live.client.call("online/query", type="VMPAY", rrn=second["rrn"], storeCode="WP001")

    entries = journal(live)

    assert [e["endpoint"] for e in entries] == [
        "online/gateway",
        "online/sales",
        "online/sales",
        "online/query",
    ]
    assert [e["errorCode"] for e in entries] == ["0", "0", "601", "40002"]
    assert [e["id"] for e in entries] == sorted(e["id"] for e in entries)
    sale = entries[1]
    assert sale["method"] == "POST"
    assert sale["path"] == "/tt-pms-ws/rest/online/sales"
    assert sale["apiKey"] == "shop-a"
    assert sale["status"] == 200
    assert sale["errorMessage"] == "成功"
    assert sale["body"]["rrn"] == first["rrn"]
    assert sale["body"]["amt"] == 90000
    assert sale["durationMs"] >= 0
    assert sale["fault"] is None
    assert sale["receivedAt"] >= entries[0]["receivedAt"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", sale["receivedTime"])
    assert "duplicate" in entries[2]["errorMessage"]


def test_sign_is_redacted(live: Live) -> None:
    live.client.gateway()
    entry = journal(live)[0]
    assert entry["body"]["sign"] == "***"
    assert isinstance(entry["body"]["timestamp"], int)


def test_filters_by_endpoint_rrn_api_key_and_session(live: Live) -> None:
    one, two = sale_fields(), sale_fields()
    session = session_fields()
    live.client.call("online/sales", **one)
    live.client_b.call("online/sales", **two)
    live.client.call("online/query", type="VMPAY", rrn=one["rrn"], storeCode="WP001")
    live.client.call("h5Payment/session/create", **session)

    by_rrn = journal(live, f"?rrn={one['rrn']}")
    assert [e["endpoint"] for e in by_rrn] == ["online/sales", "online/query"]
    assert [e["body"]["rrn"] for e in journal(live, "?endpoint=online/sales")] == [
        one["rrn"],
        two["rrn"],
    ]
    assert [e["apiKey"] for e in journal(live, "?apiKey=shop-b")] == ["shop-b"]
    sessions = journal(live, f"?sessionId={session['sessionId']}")
    assert [e["endpoint"] for e in sessions] == ["h5Payment/session/create"]
    assert journal(live, "?endpoint=online/sales&rrn=nothing") == []


def test_unknown_endpoint_filter_is_a_400(live: Live) -> None:
    response = live.control("GET", "/requests?endpoint=online/refund")
    assert response.status_code == 400
    assert response.json()["error"].startswith("endpoint:")


def test_requests_refused_before_parsing_are_recorded(live: Live) -> None:
    live.http.post("/online/sales", content=b"rrn=1", headers={"Content-Type": "text/plain"})
    live.http.post(
        "/online/sales",
        content=b'{"apiKey": "shop-a", "sign": "abc", ',
        headers={"Content-Type": "application/json"},
    )

    entries = journal(live)

    assert [(e["status"], e["errorCode"]) for e in entries] == [(415, "40002"), (400, "40002")]
    assert entries[0]["body"] == "rrn=1"
    assert entries[1]["body"] == '{"apiKey": "shop-a", "sign": "***", '  # masked in text too


def test_oversized_body_is_recorded_as_413_without_its_content(make_live: Any) -> None:
    small = make_live(max_body=1000)
    response = small.http.post(
        "/online/sales",
        content=b'{"x": "' + b"a" * 5000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    entry = small.control("GET", "/requests").json()["requests"][-1]
    assert entry["status"] == 413
    assert "over the limit" in entry["body"]


def test_journal_is_capped_oldest_dropped(make_live: Any) -> None:
    capped = make_live(journal_cap=3)
    rrns = [sale_fields()["rrn"] for _ in range(5)]
    for rrn in rrns:
        capped.client.call("online/sales", **sale_fields(rrn=rrn))

    answer = capped.control("GET", "/requests").json()

    assert [e["body"]["rrn"] for e in answer["requests"]] == rrns[2:]
    assert answer["cap"] == 3
    assert answer["dropped"] == 2


def test_reset_clears_the_journal(live: Live) -> None:
    live.client.gateway()
    live.reset()
    assert journal(live) == []
