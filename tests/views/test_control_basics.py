"""/_mock/health, /_mock/ready and /_mock/reset."""

from __future__ import annotations

from mockpms import __version__
from tests.conftest import Live, sale_fields, session_fields


def test_health(live: Live) -> None:
    response = live.control("GET", "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__, "storage": "memory"}


def test_ready_reports_what_was_loaded(live: Live) -> None:
    body = live.control("GET", "/ready").json()
    assert body["status"] == "ready" and body["merchants"] == 2 and len(body["gateways"]) == 6


def test_reset_forgets_everything_and_the_clock(live: Live) -> None:
    sale = sale_fields()
    assert live.client.sales(**sale)["errorCode"] == "0"
    assert live.client.h5_create(**session_fields())["errorCode"] == "0"
    live.sandbox.clock.advance(120)
    response = live.control("POST", "/reset", content=b"")
    assert response.status_code == 200
    assert live.sandbox.store.counts() == {"transactions": 0, "sessions": 0}
    assert live.sandbox.clock.offset == 0
    query = live.client.query(type=sale["type"], rrn=sale["rrn"], storeCode=sale["storeCode"])
    assert query["errorCode"] == "40002"
    assert live.client.sales(**sale)["errorCode"] == "0", "the rrn is free again after a reset"


def test_unknown_control_path_is_a_json_404(live: Live) -> None:
    response = live.control("GET", "/nothing-here")
    assert response.status_code == 404 and "error" in response.json()
