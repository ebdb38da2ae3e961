"""Both servers behave the same: granian (`mockpms serve`) and waitress (the pytest fixture).

The suite runs on waitress (tests/conftest.py); here its HTTP core runs again on
granian, and what differs by design is checked on each: a delay holds no thread
on granian, and `drop` sends no byte on either.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockpms.app import create_app
from mockpms.client import PMSClient
from mockpms.config import Settings
from mockpms.granian_server import GranianThread
from mockpms.server import ServerThread
from tests.conftest import SHOP_A, new_rrn, sale_fields
from tests.test_cli import serving

ROOT = Path(__file__).resolve().parent.parent

# The HTTP suite's core: every PMS endpoint, the envelope, faults, pages over HTTP,
# the control API's basics, hardening, slow clients, the reset fence, concurrency, and
# the event stream (granian_server streams it with a brake for readers that stall).
CORE = [
    "tests/views/test_pms_auth.py",
    "tests/views/test_pms_envelope.py",
    "tests/views/test_pms_examples.py",
    "tests/views/test_pms_fidelity.py",
    "tests/views/test_pms_h5_qr.py",
    "tests/views/test_pms_sales.py",
    "tests/views/test_pms_validation.py",
    "tests/views/test_control_faults.py",
    "tests/views/test_control_basics.py",
    "tests/views/test_pages_http.py",
    "tests/security/test_hardening.py",
    "tests/security/test_slow_clients.py",
    "tests/test_faults.py",
    "tests/test_reset_fence.py",
    "tests/test_concurrency.py",
    "tests/test_event_stream.py",
]


def test_the_http_core_passes_on_granian() -> None:
    """The same tests, on `mockpms serve`'s server (MOCKPMS_TEST_SERVER=granian)."""
    env = {**os.environ, "MOCKPMS_TEST_SERVER": "granian"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-p", "no:randomly", *CORE],
        check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    tail = "\n".join(result.stdout.splitlines()[-30:])
    assert result.returncode == 0, tail
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary, tail


@pytest.fixture(params=["granian", "waitress"])
def server(request: pytest.FixtureRequest) -> Iterator[GranianThread | ServerThread]:
    app = create_app(Settings(merchants=(SHOP_A,), threads=1))
    found: GranianThread | ServerThread
    if request.param == "granian":
        found = GranianThread(app, threads=1).start()
    else:
        found = ServerThread(app, threads=1).start()
    yield found
    app.extensions["mockpms"].close()
    found.stop()


def arm(url: str, **fault: object) -> None:
    answer = httpx.post(f"{url}/_mock/faults", json={"endpoint": "online/query", **fault})
    assert answer.status_code == 201, answer.text


def test_drop_closes_the_connection_without_a_byte(server: GranianThread | ServerThread) -> None:
    arm(server.url, drop=True)
    with PMSClient(f"{server.url}/tt-pms-ws/rest", SHOP_A.api_key, SHOP_A.secret) as client:
        sent = client.signed({"type": "VMPAY", "rrn": "R1", "storeCode": "S", "tillId": "01"})
    payload = json.dumps(sent).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /tt-pms-ws/rest/online/query HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: "
            + str(len(payload)).encode()
            + b"\r\n\r\n"
            + payload
        )
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    assert received == b""
    entry = httpx.get(f"{server.url}/_mock/requests").json()["requests"][-1]
    assert entry["status"] is None and entry["fault"]["drop"] is True


def test_a_delay_holds_no_thread_on_granian() -> None:
    """Eight calls delayed 1 s each, on one worker thread: on granian they wait together,
    and the control API (on that one thread) answers meanwhile."""
    app = create_app(Settings(merchants=(SHOP_A,), threads=1))
    server = GranianThread(app, threads=1).start()
    try:
        url = server.url
        client = PMSClient(f"{url}/tt-pms-ws/rest", SHOP_A.api_key, SHOP_A.secret)
        rrn = new_rrn()
        assert client.sales(**sale_fields(rrn=rrn))["errorCode"] == "0"
        arm(url, delayMs=1000, count=8)
        answers: list[str] = []

        def query() -> None:
            with PMSClient(f"{url}/tt-pms-ws/rest", SHOP_A.api_key, SHOP_A.secret) as own:
                answers.append(own.query(type="VMPAY", rrn=rrn, storeCode="WP001")["errorCode"])

        started = time.monotonic()
        threads = [threading.Thread(target=query) for _ in range(8)]
        for thread in threads:
            thread.start()
        time.sleep(0.2)
        health = httpx.get(f"{url}/_mock/health", timeout=5)
        during = time.monotonic() - started
        for thread in threads:
            thread.join(30)
        elapsed = time.monotonic() - started
        assert health.status_code == 200 and during < 1.0  # not behind the delayed calls
        assert answers == ["0"] * 8
        assert elapsed < 4.0  # one after another would take 8 s
    finally:
        app.extensions["mockpms"].close()
        server.stop()


def test_serve_runs_on_granian_unless_told_waitress() -> None:
    with serving() as url:
        assert httpx.get(f"{url}/_mock/health").headers["server"] == "granian"
    with serving("--server", "waitress") as url:
        assert httpx.get(f"{url}/_mock/health").headers["server"] == "mockpms"


def test_the_port_listens_once_the_banner_is_printed() -> None:
    """A client that waits for the banner (a log-wait) is queued, never refused."""
    process = subprocess.Popen(
        [sys.executable, "-m", "mockpms", "serve", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        port = int(banner.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:  # at once
            sock.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert sock.recv(12) == b"HTTP/1.1 200"
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_an_unknown_server_is_refused_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mockpms", "serve", "--server", "gunicorn"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--server" in done.stderr and "waitress" in done.stderr
    assert done.stderr.strip().count("\n") == 0


def test_payment_url_follows_the_host_the_client_used(
    server: GranianThread | ServerThread,
) -> None:
    """Both servers build paymentUrl from the Host header (default port dropped), as a
    client reaching mockpms under a Docker service name sees it."""
    with PMSClient(f"{server.url}/tt-pms-ws/rest", SHOP_A.api_key, SHOP_A.secret) as client:
        body = client.signed(sale_fields(rrn=new_rrn()))
    for host, expected in (
        ("mockpms:80", "http://mockpms/"),
        ("mockpms:8080", "http://mockpms:8080/"),
    ):
        answer = httpx.post(
            f"{server.url}/tt-pms-ws/rest/online/sales",
            json={**body, "rrn": new_rrn()},
            headers={"Host": host},
        ).json()
        assert answer["errorCode"] == "0", answer
        assert answer["paymentUrl"].startswith(expected + "pms-payment/eft-payment?value=")
