"""Liveness (/_mock/health) and readiness (/_mock/ready) are separate answers."""

from __future__ import annotations

from typing import Any

from tests.conftest import Live


def test_health_is_liveness(live: Live) -> None:
    answer = live.control("GET", "/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


def test_ready_reports_what_was_loaded(live: Live) -> None:
    answer = live.control("GET", "/ready")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ready"
    assert body["checks"] == {"merchants": True, "gateways": True, "accepting": True}
    assert body["merchants"] == 2
    assert body["gateways"] == ["WXPAY", "ALIPAY", "ALIPAYOS", "FPSPAY", "VMPAY", "UNIONPAY"]


def test_ready_follows_the_configured_gateways(make_live: Any) -> None:
    two = make_live(gateways=("WXPAY", "VMPAY"))
    assert two.control("GET", "/ready").json()["gateways"] == ["WXPAY", "VMPAY"]


def test_not_ready_while_shutting_down_but_still_alive(make_live: Any) -> None:
    closing = make_live()
    closing.sandbox.close()
    ready = closing.control("GET", "/ready")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not ready"
    assert ready.json()["checks"]["accepting"] is False
    assert closing.control("GET", "/health").status_code == 200
