"""GET /_mock/events with a raw streaming client: order, ids, resume, heartbeat, a stalled
reader dropped without slowing the API, and the server's request log lines (CONTRACT 11)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockpms.config import Settings
from mockpms.testing import make_sale_request
from tests.conftest import SHOP_A, Live, Receiver, sale_fields, start_live
from tests.test_cli import wait_healthy


def messages(
    live: Live, count: int, headers: dict[str, str] | None = None, act: Any = None
) -> list[dict[str, Any]]:
    """The first `count` messages (comments included, as {"comment": text}) of a stream."""
    found: list[dict[str, Any]] = []
    with httpx.stream(
        "GET", f"{live.url}/_mock/events", headers=headers or {}, timeout=10
    ) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        current: dict[str, Any] = {}
        acted = False
        for line in response.iter_lines():
            if line.startswith(":"):
                found.append({"comment": line[1:].strip()})
                if act is not None and not acted:
                    acted = True
                    act()
            elif line:
                key, _, value = line.partition(": ")
                current[key] = json.loads(value) if key == "data" else value
            elif current:
                found.append(current)
                current = {}
            if len(found) >= count:
                return found
    return found


def events_only(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in found if "comment" not in m]


def test_events_come_in_order_with_increasing_ids(live: Live, receiver: Receiver) -> None:
    fields = sale_fields(type="WXPAY", webhookUrl=receiver.url)

    def act() -> None:
        live.client.sales(**fields)
        live.control("POST", f"/transactions/{fields['rrn']}/settle", json={"outcome": "success"})
        live.control("POST", "/clock/advance", json={"seconds": 1})

    found = events_only(messages(live, 6, act=act))
    kinds = [(m["event"], m["data"].get("kind")) for m in found]
    assert kinds[:4] == [
        ("transaction", "sale.created"),
        ("request", None),
        ("transaction", "sale.paid"),
        ("webhook", None),
    ] or kinds[:4] == [
        ("transaction", "sale.created"),
        ("request", None),
        ("transaction", "sale.paid"),
        ("clock", None),
    ]
    assert {"clock", "webhook"} <= {m["event"] for m in found}
    ids = [int(m["id"]) for m in found]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_an_h5_payment_emits_session_and_transaction(live: Live) -> None:
    def act() -> None:
        live.client.h5_create(sessionId="S-EV", amt=10, webhookUrl="http://127.0.0.1:9/h")
        live.control("POST", "/sessions/S-EV/pay", json={})

    found = events_only(messages(live, 7, act=act))
    kinds = [m["data"].get("kind") for m in found if m["event"] in ("session", "transaction")]
    assert kinds == ["session.created", "session.scanned", "sale.paid", "session.paid"]


def test_last_event_id_resumes_from_the_buffer(live: Live) -> None:
    for index in range(3):
        live.sandbox.lifecycle.create_sale(SHOP_A, make_sale_request(rrn=f"EV{index}"))
    kept = live.sandbox.stream._buffer  # what the broadcaster keeps to resume from
    start = next(m.id for m in kept if m.data.get("rrn") == "EV0")
    resumed = events_only(messages(live, 3, headers={"Last-Event-ID": str(start)}))
    assert [m["data"]["rrn"] for m in resumed] == ["EV1", "EV2"]
    assert [int(m["id"]) for m in resumed] == [start + 1, start + 2]


def test_a_reset_is_an_event(live: Live) -> None:
    found = events_only(messages(live, 2, act=lambda: live.control("POST", "/reset")))
    assert found[0]["event"] == "reset"


def test_a_comment_keeps_a_quiet_stream_alive(make_live: Any) -> None:
    quiet = make_live(events_heartbeat=0.2)
    started = time.monotonic()
    found = messages(quiet, 3)
    assert [m.get("comment") for m in found] == ["connected", "heartbeat", "heartbeat"]
    assert time.monotonic() - started < 5


def test_bad_last_event_id_and_too_many_streams(make_live: Any) -> None:
    small = make_live(threads=2)  # one stream at most
    assert small.http.get("/_mock/events", headers={"Last-Event-ID": "x"}).status_code == 400
    holder = threading.Event()

    def hold() -> None:
        with httpx.stream("GET", f"{small.url}/_mock/events", timeout=10) as response:
            for _ in response.iter_lines():
                holder.set()
                time.sleep(1.0)
                return

    thread = threading.Thread(target=hold)
    thread.start()
    assert holder.wait(5)
    refused = small.http.get("/_mock/events")
    assert refused.status_code == 503
    assert "--threads" in refused.json()["error"]
    thread.join(10)


@pytest.fixture
def own(test_settings: Settings) -> Iterator[Live]:
    """A sandbox of this test's own: no reader another test left open on the shared one."""
    live = start_live(test_settings)
    yield live
    live.sandbox.close()
    live.server.stop()


@pytest.fixture
def stalled(own: Live) -> Iterator[socket.socket]:
    """A reader that opens the stream and never reads a byte."""
    live = own
    sock = socket.create_connection(("127.0.0.1", live.server.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(b"GET /_mock/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    deadline = time.monotonic() + 5
    while live.sandbox.stream.readers == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    yield sock
    sock.close()


def test_a_stalled_reader_is_dropped_and_never_slows_the_api(
    own: Live, stalled: socket.socket
) -> None:
    live = own
    assert live.sandbox.stream.readers == 1
    started = time.monotonic()
    extend = json.dumps({"subject": "s" * 3900})  # every event carries the row: 4 KB each
    for index in range(2000):
        fields = sale_fields(rrn=f"ST{index:05d}", webhookUrl="", extendParam=extend)
        assert live.client.sales(**fields)["errorCode"] == "0"
    elapsed = time.monotonic() - started
    assert live.sandbox.stream.readers == 0  # fell more than 1,000 events behind: dropped
    assert elapsed < 60  # bounded: no request ever waited on the reader


# ------------------------------------------------------------------ log lines


def serve_and_call(*flags: str) -> str:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockpms", "serve", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    try:
        url = banner.rsplit(" ", 1)[1].strip()
        wait_healthy(url)
        receiver = None
        from mockpms.client import PMSClient
        from mockpms.testing import WebhookReceiver

        receiver = WebhookReceiver()
        client = PMSClient(f"{url}/tt-pms-ws/rest", "mockpms-sandbox", "mockpms-sandbox-secret")
        fields = sale_fields(type="WXPAY", webhookUrl=receiver.url)
        client.sales(**fields)
        client.query(type="WXPAY", rrn="NOPE", storeCode="S")
        httpx.post(f"{url}/_mock/transactions/{fields['rrn']}/settle", json={"outcome": "success"})
        receiver.wait_for(1)
        time.sleep(0.3)
    finally:
        process.terminate()
        process.wait(timeout=10)  # the rest is a few lines: it fits in the pipe
        out = process.stdout.read()  # (communicate would lose what readline buffered)
        if receiver is not None:
            receiver.stop()
    return banner + out


def test_serve_prints_a_line_per_pms_request_and_webhook_attempt() -> None:
    out = serve_and_call()
    lines = out.split("Press Ctrl-C to stop.\n", 1)[1].splitlines()
    assert any("POST /tt-pms-ws/rest/online/sales  mockpms-sandbox  0" in line for line in lines)
    assert any("online/query  mockpms-sandbox  40002" in line for line in lines)
    assert any("webhook http://127.0.0.1:" in line and "attempt 1/5" in line for line in lines)
    assert not any("/_mock/" in line for line in lines)  # control calls are not printed
    assert "\033[" not in out  # no colour: not a terminal


def test_json_log_lines_carry_the_pinned_fields() -> None:
    out = serve_and_call("--log-format", "json")
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    request = next(line for line in lines if line.get("path", "").endswith("online/sales"))
    assert set(request) == {"time", "method", "path", "apiKey", "errorCode", "ms"}
    hook = next(line for line in lines if line.get("event") == "webhook")
    assert {"url", "attempt", "attempts", "acknowledged"} <= set(hook)
    assert hook["acknowledged"] is True


def test_quiet_prints_no_request_lines() -> None:
    out = serve_and_call("--quiet")
    assert out.strip().endswith("Press Ctrl-C to stop.")
