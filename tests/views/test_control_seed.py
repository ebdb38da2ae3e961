"""Deterministic ids: POST /_mock/seed and --seed give the same gwRefCodes and page tokens."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Live, sale_fields


def run(live: Live, rrns: list[str]) -> list[tuple[str, str]]:
    """Create and auto-settle a sale per rrn; their (paymentUrl, gwRefCode)."""
    live.control("POST", "/policy", json={"outcome": "success"})
    seen = []
    for rrn in rrns:
        created = live.client.call("online/sales", **sale_fields(rrn=rrn, type="ALIPAY"))
        assert live.control("POST", "/clock/advance", json={"seconds": 0}).status_code == 200
        answer = live.client.call("online/query", type="ALIPAY", rrn=rrn, storeCode="WP001")
        seen.append((created["paymentUrl"], answer["gwRefCode"]))
    return seen


def test_same_seed_same_ids(live: Live) -> None:
    rrns = [sale_fields()["rrn"] for _ in range(3)]
    assert live.control("POST", "/seed", json={"seed": 42}).json() == {"seed": 42}
    first = run(live, rrns)
    live.reset()
    live.control("POST", "/seed", json={"seed": 42})
    second = run(live, rrns)

    assert first == second
    assert len({url for url, _ in first}) == 3
    assert all(code for _, code in first)


def test_other_seed_or_no_seed_other_ids(live: Live) -> None:
    rrns = [sale_fields()["rrn"]]
    live.control("POST", "/seed", json={"seed": 42})
    seeded = run(live, rrns)
    live.reset()
    live.control("POST", "/seed", json={"seed": 43})
    other = run(live, rrns)
    live.reset()
    assert live.control("GET", "/seed").json() == {"seed": None}
    unseeded = run(live, rrns)
    assert seeded != other
    assert seeded != unseeded


def test_seed_flag_gives_the_same_run_in_two_servers(make_live: Any) -> None:
    rrns = [sale_fields()["rrn"] for _ in range(2)]
    one, two = make_live(seed=7), make_live(seed=7)
    assert one.control("GET", "/seed").json() == {"seed": 7}
    first = run(one, rrns)
    second = run(two, rrns)
    assert [code for _, code in first] == [code for _, code in second]
    assert [url.split("value=")[1] for url, _ in first] == [
        url.split("value=")[1] for url, _ in second
    ]
    one.reset()  # reset goes back to --seed
    assert run(one, rrns) == first


@pytest.mark.parametrize(
    "body", [{}, {"seed": "42"}, {"seed": 1.5}, {"seed": True}, {"seed": 2**64}, {"sead": 1}]
)
def test_bad_seed_is_a_400(live: Live, body: dict[str, Any]) -> None:
    response = live.control("POST", "/seed", json=body)
    assert response.status_code == 400
    assert response.json()["error"].split(":")[0] in ("seed", "sead")


def test_null_seed_goes_back_to_random(live: Live) -> None:
    live.control("POST", "/seed", json={"seed": 1})
    assert live.control("POST", "/seed", json={"seed": None}).json() == {"seed": None}
    assert live.control("GET", "/seed").json() == {"seed": None}
