"""Shared fixtures: a live mockpms on a free port, a signed client, a browser.

Tests drive the mock the way users do: over HTTP with signed requests.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockpms.app import create_app
from mockpms.client import PMSClient
from mockpms.config import Merchant, Settings
from mockpms.granian_server import GranianThread
from mockpms.models import H5Session, Transaction
from mockpms.sandbox import Sandbox
from mockpms.server import ServerThread
from mockpms.testing import ACK, Reply, find_chromium, new_rrn, sale_fields, session_fields
from mockpms.testing import WebhookReceiver as Receiver

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
__all__ = ["ACK", "Receiver", "Reply", "new_rrn", "sale_fields", "session_fields"]
SHOP_A = Merchant(api_key="shop-a", secret="secret-a", merchant_name="Shop A")
SHOP_B = Merchant(api_key="shop-b", secret="secret-b", merchant_name="Shop B")
_rrns = count(1)


class Live:
    """A running mockpms: its URLs, a client per merchant, and the control API."""

    def __init__(self, server: ServerThread | GranianThread) -> None:
        self.server = server
        self.url = server.url
        self.rest = f"{self.url}/tt-pms-ws/rest"
        self.http = httpx.Client(base_url=self.url, timeout=15)
        self.client = PMSClient(self.rest, SHOP_A.api_key, SHOP_A.secret)
        self.client_b = PMSClient(self.rest, SHOP_B.api_key, SHOP_B.secret)

    @property
    def sandbox(self) -> Sandbox:
        found: Sandbox = self.server.app.extensions["mockpms"]
        return found

    def transaction(self, rrn: str, api_key: str = "shop-a") -> Transaction:
        """A transaction the test made (its expiry applied), straight from the lifecycle."""
        found = self.sandbox.lifecycle.transaction(api_key, rrn)
        assert found is not None, f"no transaction {rrn!r} of {api_key!r}"
        return found

    def session(self, session_id: str, api_key: str = "shop-a") -> H5Session:
        found = self.sandbox.sessions.session(api_key, session_id)
        assert found is not None, f"no H5 session {session_id!r} of {api_key!r}"
        return found

    def control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, f"/_mock{path}", **kwargs)

    def reset(self) -> None:
        assert self.control("POST", "/reset").status_code == 200


@pytest.fixture(scope="session")
def test_settings() -> Settings:
    """Settings of the shared live server; two merchants to prove isolation."""
    return Settings(merchants=(SHOP_A, SHOP_B))


class LocalOnlyTransport(httpx.HTTPTransport):
    """Webhooks from the test servers reach 127.0.0.1 only.

    The document's examples use real hosts (www.xxx.com, pms-dev-fps.tech-trans.com)
    as webhookUrl; a test that pays such a transaction must not POST to them.
    """

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host not in ("127.0.0.1", "localhost"):
            raise httpx.ConnectError(
                f"the test suite sends webhooks to 127.0.0.1 only, not {request.url.host}",
                request=request,
            )
        return super().handle_request(request)


# The in-process server the suite runs on: waitress (ServerThread, the pytest plugin's), or
# granian (GranianThread, `mockpms serve`'s): tests/test_servers.py runs the core on it.
TEST_SERVER = os.environ.get("MOCKPMS_TEST_SERVER", "waitress")


def start_live(settings: Settings) -> Live:
    """A live mockpms on a free port whose webhooks stay on 127.0.0.1."""
    server: ServerThread | GranianThread
    if TEST_SERVER == "granian":
        server = GranianThread(create_app(settings)).start()
    else:
        server = ServerThread(create_app(settings)).start()
    server.app.extensions["mockpms"].webhooks.use_transport(LocalOnlyTransport())
    return Live(server)


@pytest.fixture(scope="session")
def live_server(test_settings: Settings) -> Iterator[Live]:
    live = start_live(test_settings)
    server = live.server
    yield live
    server.app.extensions["mockpms"].close()
    server.stop()


@pytest.fixture
def live(live_server: Live) -> Live:
    """The shared live server, reset to its start state for this test."""
    live_server.reset()
    return live_server


@pytest.fixture
def client(live: Live) -> PMSClient:
    return live.client


# ---------------------------------------------------------------- browser

CHROMIUM = find_chromium()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Headless Chromium from the system (mockpms.testing.find_chromium), driven by Playwright.

    Skipped with a notice where there is none; MOCKPMS_REQUIRE_BROWSER=1 (CI) makes
    that a failure instead.
    """
    if CHROMIUM is None:
        message = (
            "browser tests need Chromium: none of chromium, chromium-browser, google-chrome, "
            "microsoft-edge on PATH (apt-get install chromium, or set MOCKPMS_CHROMIUM to "
            "a browser's path)"
        )
        if os.environ.get("MOCKPMS_REQUIRE_BROWSER"):
            pytest.fail(message + "; MOCKPMS_REQUIRE_BROWSER is set, so this is an error")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if any("Chromium" in str(getattr(r, "longrepr", "")) for r in skipped):
        terminalreporter.write_line(
            "NOTICE: browser tests were skipped: no Chromium on this machine "
            "(apt-get install chromium to run them).",
            yellow=True,
            bold=True,
        )


# ---------------------------------------------------------------- H5 sessions

# User-Agents of the wallets' in-app browsers (what scans an H5 QR code) and of a
# plain desktop browser, which gets the wallet chooser.
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.37(0x18002529) NetType/WIFI"
)
ALIPAY_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/20E247 ChannelId(1) Nebula AlipayDefined(nt:WIFI,ws:390|780|3.0) "
    "AliApp(AP/10.3.70.6000) AlipayClient/10.3.70.6000 Language/zh-Hans"
)
DESKTOP_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36"
)


def page_text(html: str) -> str:
    """What a reader sees of an HTML page: tags stripped, entities decoded, spaces collapsed."""
    import html as html_lib
    import re

    body = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", html)
    body = re.sub(r"</?(span|b|i|em|strong)\b[^>]*>", "", body)  # inline: no gap
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", body)).split())


# ---------------------------------------------------------------- webhook receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A fresh webhook receiver on 127.0.0.1 (the one mockpms ships); acknowledges unless
    told otherwise."""
    found = Receiver()
    yield found
    found.stop()


def refused_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhook"


@pytest.fixture
def live_with() -> Iterator[Any]:
    """Start extra live servers with their own settings: `live_with(webhook_timeout=0.5)`.

    For options the shared server cannot change; each is closed after the test.
    """
    started: list[Live] = []

    def start(**overrides: Any) -> Live:
        settings = Settings(merchants=(SHOP_A, SHOP_B)).with_overrides(**overrides)
        found = start_live(settings)
        started.append(found)
        return found

    yield start
    for found in started:
        found.http.close()
        found.sandbox.close()
        found.server.stop()


class SilentReceiver:
    """A hung merchant on 127.0.0.1: accepts every connection and never answers.

    Each connection is held `hold` seconds (longer than the mock's webhook timeout,
    so the mock gives up first), then closed so sockets do not pile up.
    """

    def __init__(self, hold: float = 5.0) -> None:
        self.hold = hold
        self.accepted = 0
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
        self._listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/webhook"
        self._held: list[tuple[float, socket.socket]] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                conn = None
            if conn is not None:
                self.accepted += 1
                self._held.append((time.monotonic() + self.hold, conn))
            while self._held and self._held[0][0] <= time.monotonic():
                self._held.pop(0)[1].close()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        for _, conn in self._held:
            conn.close()
        self._listener.close()


@pytest.fixture
def silent_receiver() -> Iterator[SilentReceiver]:
    found = SilentReceiver()
    yield found
    found.stop()


# ---------------------------------------------------------- returnUrl receiver


class ReturnReceiver:
    """Stands in for the merchant's returnUrl: a tiny HTTP server on 127.0.0.1 that
    records every GET (path and query) and answers a small page."""

    def __init__(self) -> None:
        import queue

        self.visits: queue.Queue[str] = queue.Queue()
        visits = self.visits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/favicon.ico":
                    visits.put(self.path)
                body = (
                    b'<!doctype html><link rel="icon" href="data:,"><title>merchant</title>'
                    b"<h1>back at the merchant</h1>"
                )
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        import threading

        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def clear(self) -> None:
        while not self.visits.empty():
            self.visits.get_nowait()

    def next_visit(self, timeout: float = 10.0) -> tuple[str, dict[str, list[str]]]:
        """(path, query parameters) of the next GET; fails the test after `timeout`."""
        import queue
        from urllib.parse import parse_qs, urlsplit

        try:
            raw = self.visits.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"the returnUrl receiver got no request within {timeout} s")
        parts = urlsplit(raw)
        return parts.path, parse_qs(parts.query, keep_blank_values=True)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def _return_receiver() -> Iterator[ReturnReceiver]:
    receiver = ReturnReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def return_receiver(_return_receiver: ReturnReceiver) -> ReturnReceiver:
    """The merchant's returnUrl, emptied for this test."""
    _return_receiver.clear()
    return _return_receiver


# ---------------------------------------------------------------- servers with other settings


@pytest.fixture(scope="module")
def make_live() -> Iterator[Any]:
    """Start extra live servers with other settings (admin token, seed, caps...).

    `make_live(admin_token="t")` returns a Live on its own port; every server it
    started is stopped at the end of the module.
    """
    started: list[ServerThread | GranianThread] = []

    def start(**overrides: Any) -> Live:
        live = start_live(Settings(merchants=(SHOP_A, SHOP_B)).with_overrides(**overrides))
        started.append(live.server)
        return live

    yield start
    for server in started:
        server.app.extensions["mockpms"].close()
        server.stop()
