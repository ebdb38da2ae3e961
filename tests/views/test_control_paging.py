"""Listings are paged (hostile audit D8): a bounded page by default, `limit`, `order` and
an `after` cursor, for transactions, sessions, webhooks and the journal."""

from __future__ import annotations

from typing import Any

import pytest

from mockpms.testing import make_sale_request
from tests.conftest import SHOP_A, SHOP_B, Live, session_fields


def fill(live: Live, count: int, api_key: str = SHOP_A.api_key) -> list[str]:
    merchant = SHOP_A if api_key == SHOP_A.api_key else SHOP_B
    rrns = []
    for index in range(count):
        txn = live.sandbox.lifecycle.create_sale(merchant, make_sale_request(rrn=f"P{index:05d}"))
        rrns.append(txn.rrn)
    return rrns


def walk(live: Live, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = None
    while True:
        answer = live.control("GET", path, params={**params, **({"after": after} if after else {})})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        found += body[key]
        after = body["next"]
        if after is None:
            return found


def test_the_default_page_is_bounded_and_the_cursor_walks_the_rest(live: Live) -> None:
    rrns = fill(live, 1200)
    first = live.control("GET", "/transactions").json()
    assert first["count"] == 500
    assert first["next"] is not None
    assert [t["rrn"] for t in walk(live, "/transactions", "transactions")] == rrns


def test_newest_first_with_a_small_limit(live: Live) -> None:
    rrns = fill(live, 7)
    pages = walk(live, "/transactions", "transactions", limit=3, order="newest")
    assert [t["rrn"] for t in pages] == rrns[::-1]


def test_filters_apply_across_pages(live: Live) -> None:
    fill(live, 30)
    b_rrns = fill(live, 5, SHOP_B.api_key)  # the same rrns, another merchant
    found = walk(live, "/transactions", "transactions", apiKey=SHOP_B.api_key, limit=2)
    assert [t["rrn"] for t in found] == b_rrns
    assert {t["apiKey"] for t in found} == {SHOP_B.api_key}


def test_sessions_and_the_journal_page_too(live: Live) -> None:
    for _ in range(12):
        live.client.h5_create(**session_fields())
    sessions = walk(live, "/sessions", "sessions", limit=5)
    assert len(sessions) == 12
    journal = walk(live, "/requests", "requests", limit=5, order="newest")
    assert len(journal) == 12
    assert journal[0]["id"] > journal[-1]["id"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"order": "sideways"}, "order"),
        ({"after": "x1"}, "after"),
    ],
)
@pytest.mark.parametrize("path", ["/transactions", "/sessions", "/webhooks", "/requests"])
def test_bad_paging_input_is_a_400_naming_it(
    live: Live, path: str, params: dict[str, str], field: str
) -> None:
    answer = live.control("GET", path, params=params)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"{field}:")
