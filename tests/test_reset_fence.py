"""A reset is a clean cut (CONTRACT 15, hostile audit D3): whatever began before a reset
answered creates or changes nothing in the fresh sandbox."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from mockpms.fence import SandboxReset, entered
from mockpms.models import TxStatus
from mockpms.testing import Reply, make_sale_request
from tests.conftest import SHOP_A, Live, Receiver, sale_fields

ROOT = Path(__file__).resolve().parent.parent


def test_a_delayed_sale_in_flight_at_reset_answers_40002_and_creates_nothing(live: Live) -> None:
    live.control("POST", "/faults", json={"endpoint": "online/sales", "delayMs": 800})
    rrn = sale_fields()["rrn"]
    answers: list[dict[str, Any]] = []
    thread = threading.Thread(
        target=lambda: answers.append(live.client.sales(**sale_fields(rrn=rrn, webhookUrl="")))
    )
    thread.start()
    time.sleep(0.3)  # the sale is in its delay now
    assert live.control("POST", "/reset").status_code == 200
    thread.join(10)
    [answer] = answers
    assert answer["errorCode"] == "40002"
    assert "reset while this request ran" in answer["errorMessage"]
    assert live.control("GET", "/transactions").json()["transactions"] == []
    assert live.control("GET", "/requests").json()["requests"] == []  # not journaled either


def test_an_auto_settle_job_of_the_wiped_sandbox_never_fires(
    make_live: Any, receiver: Receiver
) -> None:
    """The audit's repro: a sale answered, then a reset; the auto-settle job that was
    already running must not pay it into the fresh sandbox (6 of 300 did)."""
    live = make_live(auto_settle="success:0")
    strays = 0
    for _ in range(150):
        fields = sale_fields(type="WXPAY", webhookUrl=receiver.url)
        assert live.client.sales(**fields)["errorCode"] == "0"
        assert live.control("POST", "/reset").status_code == 200
        time.sleep(0.005)
        if live.control("GET", "/webhooks").json()["deliveries"]:
            strays += 1
        if live.control("GET", "/transactions").json()["count"]:
            strays += 1
    assert strays == 0


def test_a_webhook_attempt_on_the_wire_is_neither_logged_nor_retried(
    live: Live, receiver: Receiver
) -> None:
    receiver.respond(Reply(500, delay=0.8))
    fields = sale_fields(type="WXPAY", webhookUrl=receiver.url)
    assert live.client.sales(**fields)["errorCode"] == "0"
    live.control("POST", f"/transactions/{fields['rrn']}/settle", json={"outcome": "success"})
    receiver.wait_for(1)  # the attempt is on the wire, its answer 0.8 s away
    assert live.control("POST", "/reset").status_code == 200
    time.sleep(1.2)
    webhooks = live.control("GET", "/webhooks").json()
    assert webhooks["attempts"] == []
    assert webhooks["deliveries"] == []
    assert live.control("GET", "/clock").json()["pending"] == 0  # no retry scheduled


def test_a_change_begun_before_a_reset_is_refused_by_the_lifecycle(live: Live) -> None:
    box = live.sandbox
    txn = box.lifecycle.create_sale(SHOP_A, make_sale_request())
    began = box.fence.current
    box.reset()
    with entered(began), pytest.raises(SandboxReset):
        box.lifecycle.settle(txn, TxStatus.SUCCESS)
    with entered(began), pytest.raises(SandboxReset):
        box.lifecycle.create_sale(SHOP_A, make_sale_request())
    assert box.store.counts() == {"transactions": 0, "sessions": 0}


def test_a_control_call_in_flight_at_reset_answers_409(live: Live) -> None:
    """What the settle view does when its change is refused: 409 with the reason."""
    box = live.sandbox
    txn = box.lifecycle.create_sale(SHOP_A, make_sale_request())
    began = box.fence.current
    box.reset()
    with live.server.app.test_request_context("/_mock/transactions/x/settle", method="POST"):
        from mockpms.views._web import render_error

        with entered(began):
            try:
                box.lifecycle.settle(txn, TxStatus.SUCCESS)
            except SandboxReset as error:
                response = render_error(error)
    assert response.status_code == 409
    assert "reset while this request ran" in response.get_json()["error"]


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_three_hundred_resets_under_traffic_leave_no_strays(store: str, tmp_path: Path) -> None:
    """benchmarks/reset_storm.py: 4 threads of sales, settles and H5 payments (auto-settled,
    with webhooks) while the sandbox is reset; every listing after every reset is checked.
    On SQLite too: a reset is one transaction that other threads' writes join."""
    on_disk = ["--data-dir", str(tmp_path / "data")] if store == "sqlite" else []
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "reset_storm.py"),
            "--resets",
            "300",
            *on_disk,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert ": 0 strays, 0 transport errors" in done.stdout
