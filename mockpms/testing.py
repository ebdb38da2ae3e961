"""Test helpers that ship with mockpms: what the pytest plugin hands out, and what
mockpms's own suite uses, so users get the same tools the project tests itself with.

- `MockPMS`: a running sandbox as a test sees it (URLs, credentials, clients).
- `WebhookReceiver`: a merchant's webhook endpoint on 127.0.0.1 that records every
  POST and answers from a script (`respond(Reply(500), ACK)`), slow if asked.
- `sale_fields()` / `session_fields()`: the document's example requests, fresh ids.
- `make_transaction()` / `make_sale_request()`: domain records for fast unit tests.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockpms.client import ControlClient, PMSClient
from mockpms.config import Merchant, Settings
from mockpms.endpoints import DEFAULT_PREFIX
from mockpms.models import H5Session, Transaction
from mockpms.pms_requests import SaleRequest

if TYPE_CHECKING:
    from mockpms.sandbox import Sandbox
    from mockpms.server import ServerThread

_ids = count(1)


# ------------------------------------------------------------------ the handle


class MockPMS:
    """The live sandbox as a test sees it: where it is, who to be, and how to drive it."""

    def __init__(self, server: ServerThread, settings: Settings) -> None:
        self.server = server
        self.settings = settings
        self.url: str = server.url
        self.pms_url: str = self.url + DEFAULT_PREFIX
        self.merchant: Merchant = settings.merchants[0]
        self.api_key: str = self.merchant.api_key
        self.secret: str = self.merchant.secret
        self.client: PMSClient = PMSClient(self.pms_url, self.api_key, self.secret)
        self.control: ControlClient = ControlClient(self.url, settings.admin_token)
        self._clients = {self.api_key: self.client}

    def client_for(self, api_key: str) -> PMSClient:
        """A PMSClient for another configured merchant (see `mockpms_settings`)."""
        if api_key not in self._clients:
            merchant = self.settings.merchant(api_key)
            if merchant is None:
                raise KeyError(f"no merchant with apiKey {api_key!r} in mockpms_settings")
            self._clients[api_key] = PMSClient(self.pms_url, merchant.api_key, merchant.secret)
        return self._clients[api_key]

    @property
    def sandbox(self) -> Sandbox:
        """The in-process state (store, clock, webhooks), for what HTTP cannot show."""
        found: Sandbox = self.server.app.extensions["mockpms"]
        return found

    def reset(self) -> None:
        self.sandbox.reset()

    def run_due(self, timeout: float = 60.0) -> tuple[int, int]:
        """Run the work due on the mock clock now and wait for it (after freezegun's tick)."""
        return self.sandbox.run_due(timeout)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self.control.close()

    def __repr__(self) -> str:
        return f"<MockPMS {self.url} apiKey={self.api_key}>"


class RemoteMockPMS(MockPMS):
    """A sandbox running elsewhere (`--mockpms-url`), seen through a merchant of its own.

    The same attributes as MockPMS: `client` signs as the test's runtime merchant,
    and `control` is scoped to it (reset, faults, policy and clock touch nobody
    else). What needs the in-process server (`sandbox`, `server`, `run_due`)
    raises InProcessOnly.
    """

    def __init__(self, url: str, merchant: Merchant, admin_token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.pms_url = self.url + DEFAULT_PREFIX
        self.merchant = merchant
        self.api_key, self.secret = merchant.api_key, merchant.secret
        self.client = PMSClient(self.pms_url, self.api_key, self.secret)
        self.control = ControlClient(self.url, admin_token, api_key=self.api_key)
        self._clients = {self.api_key: self.client}

    @property
    def server(self) -> ServerThread:  # type: ignore[override]
        raise InProcessOnly("mockpms.server")

    @property
    def settings(self) -> Settings:  # type: ignore[override]
        raise InProcessOnly("mockpms.settings")

    @property
    def sandbox(self) -> Sandbox:
        raise InProcessOnly("mockpms.sandbox")

    def run_due(self, timeout: float = 60.0) -> tuple[int, int]:
        raise InProcessOnly("mockpms.run_due()", "mockpms.control.advance_clock(0)")

    def client_for(self, api_key: str) -> PMSClient:
        if api_key != self.api_key:
            raise KeyError(
                f"against a remote mockpms each test has one merchant ({self.api_key}); "
                f"add more with mockpms.control.add_merchant()"
            )
        return self.client

    def reset(self) -> None:
        """This test's merchant back to its start (nobody else is touched)."""
        self.control.reset()


class InProcessOnly(RuntimeError):
    """A helper that needs the sandbox in this process, used against a remote mockpms."""

    def __init__(self, what: str, instead: str = "mockpms.control (the control API)") -> None:
        super().__init__(
            f"{what} needs the in-process server; this run uses a remote mockpms "
            f"(--mockpms-url / MOCKPMS_URL): use {instead}, or run without --mockpms-url"
        )


# ------------------------------------------------------------------ receiver


@dataclass(frozen=True)
class Reply:
    """How the receiver answers one webhook POST."""

    status: int = 200
    body: str = '{"errorCode": "0"}'
    delay: float = 0.0  # seconds to sit on the request before answering (a slow receiver)
    content_type: str = "application/json"


ACK = Reply()


@dataclass(frozen=True)
class ReceivedWebhook:
    """One request the receiver got: what a merchant's webhook endpoint would see.

    `json` is the parsed body (None when the body is not JSON).
    """

    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None

    @classmethod
    def of(cls, path: str, headers: dict[str, str], body: bytes) -> ReceivedWebhook:
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        return cls(path, headers, body, parsed)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # a client that gave up (timeout) is expected here, not an error


class WebhookReceiver:
    """A merchant's webhook endpoint on 127.0.0.1 (port 0), started at construction.

    Answers each POST from a script (`respond(Reply(500), Reply(500), ACK)`), then
    with `default` (an acknowledgement, so PMS stops retrying). `wait(n)` blocks on a
    condition until n requests arrived; TimeoutError after `timeout` seconds.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.received: list[ReceivedWebhook] = []
        self.default = ACK
        self._script: list[Reply] = []
        self._arrived = threading.Condition()
        self._stopping = threading.Event()
        self._server = _QuietServer((host, 0), self._handler())
        self.url = f"http://{host}:{self._server.server_address[1]}/webhook"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()  # answer in one go, not 40 ms later (Nagle + delayed ACK)
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                item = ReceivedWebhook.of(self.path, dict(self.headers.items()), body)
                reply = receiver._record(item)
                if reply.delay and receiver._stopping.wait(reply.delay):
                    return
                data = reply.body.encode("utf-8")
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler

    def _record(self, item: ReceivedWebhook) -> Reply:
        with self._arrived:
            reply = self._script.pop(0) if self._script else self.default
            self.received.append(item)
            self._arrived.notify_all()
            return reply

    @property
    def requests(self) -> list[ReceivedWebhook]:
        return self.received

    def respond(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order; `default` after them."""
        with self._arrived:
            self._script.extend(replies)

    def respond_with(self, status: int = 200, answer: Any = None) -> None:
        """Answer every later request with `status` and `answer` (JSON), e.g. 500."""
        body = json.dumps({"errorCode": "0", "errorMessage": "ok"} if answer is None else answer)
        with self._arrived:
            self.default = Reply(status=status, body=body)

    def wait(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedWebhook]:
        """The first `count` requests once they arrived; TimeoutError after `timeout` s."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(
                    f"the webhook receiver got {len(self.received)} request(s) "
                    f"within {timeout} s, expected {count}"
                )
            return list(self.received[:count])

    wait_for = wait

    def payloads(self) -> list[Any]:
        """The JSON bodies received so far, oldest first."""
        with self._arrived:
            return [item.json for item in self.received]

    def stop(self) -> None:
        """Stop serving (a delayed reply is cut short); at most a few seconds."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


# ------------------------------------------------------------------ requests


def new_rrn() -> str:
    """An rrn no other test (or xdist worker) of this run uses."""
    return f"T{os.getpid()}{next(_ids):06d}"


def sale_fields(**overrides: Any) -> dict[str, Any]:
    """The document's online/sales example, with a fresh rrn."""
    fields: dict[str, Any] = {
        "lang": "zh_hk",
        "storeCode": "WP001",
        "tillId": "01",
        "txDateTime": "2021-06-11T16:18:30+0800",
        "type": "VMPAY",
        "salesman": "WP9999",
        "cashier": "WP9999",
        "amt": 90000,
        "rrn": new_rrn(),
        "extendParam": '{"subject":"Long Desc", "seller":"Short Desc"}',
        "returnUrl": "https://www.xxxx.com/checkout-2/order-paid/648",
        "ccy": "HKD",
        "webhookUrl": "https://www.xxx.com/service/order-paid/648",
    }
    fields.update(overrides)
    return fields


def session_fields(**overrides: Any) -> dict[str, Any]:
    """The document's h5Payment/session/create example, with a fresh sessionId."""
    fields: dict[str, Any] = {
        "merchantName": "TT test h5 service in pms 09",
        "sessionId": f"9-{new_rrn()}",
        "storeCode": "TEST store",
        "tillId": "",
        "salesMan": "tt.test",
        "amt": 10,
        "remarks": "docNum:S03757845-09",
        "bitmap": "false",
        "subject": "T-Shirt-09",
        "webhookUrl": "https://pms-dev-fps.tech-trans.com/tt-pms-ws/rest",
    }
    fields.update(overrides)
    return fields


# ------------------------------------------------------------------- records


def make_sale_request(**overrides: Any) -> SaleRequest:
    """A checked online/sales request (the document's example) for domain tests."""
    values: dict[str, Any] = {
        "type": "WXPAY",
        "rrn": new_rrn(),
        "store_code": "WP001",
        "till_id": "01",
        "salesman": "WP9999",
        "tx_datetime": "2021-06-11T16:18:30+0800",
        "amt": 10,
        "ccy": "HKD",
        "lang": "zh_hk",
    }
    values.update(overrides)
    return SaleRequest(**values)


def make_session(index: int = 0, created_at: float = 0.0, **overrides: Any) -> H5Session:
    """An H5 session as the lifecycle creates it (state given as overrides), no sandbox."""
    values: dict[str, Any] = {
        "api_key": "k",
        "session_id": f"S{index}",
        "merchant_name": "m",
        "store_code": "s",
        "till_id": "01",
        "sales_man": "1",
        "amt": 1,
        "webhook_url": "http://x",
        "token": f"t{index}",
        "created_at": created_at,
    }
    values.update(overrides)
    return H5Session(**values)


def make_transaction(
    *, api_key: str = "shop-a", created_at: float = 0.0, timeout: float = 300.0, **overrides: Any
) -> Transaction:
    """A pending transaction as the lifecycle creates it, without a sandbox."""
    values: dict[str, Any] = {
        "api_key": api_key,
        "token": f"{next(_ids):064X}",
        "created_at": created_at,
        "expires_at": created_at + timeout,
        **make_sale_request().record_fields(),
    }
    values.update(overrides)
    return Transaction(**values)


# ---------------------------------------------------------------- browser

BROWSER_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "microsoft-edge",
)
BROWSER_PATHS = (
    "/usr/bin/chromium",
    "/snap/bin/chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
)


def find_chromium(environ: Mapping[str, str] | None = None) -> str | None:
    """A Chromium-family browser for Playwright, or None.

    MOCKPMS_CHROMIUM wins when set (and must exist); then the usual command names
    on PATH (Debian's chromium, Ubuntu's chromium-browser, Chrome, Edge), the macOS
    app bundles, and last a browser Playwright itself downloaded
    (`playwright install chromium`).
    """
    environ = os.environ if environ is None else environ
    chosen = environ.get("MOCKPMS_CHROMIUM")
    if chosen:
        return chosen if (Path(chosen).exists() or shutil.which(chosen)) else None
    for name in BROWSER_NAMES:
        found = shutil.which(name, path=environ.get("PATH"))
        if found:
            return found
    for path in BROWSER_PATHS:
        if Path(path).exists():
            return path
    return _playwright_chromium()


def _playwright_chromium() -> str | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as playwright:
            path = str(playwright.chromium.executable_path)
    except Exception:  # no driver, no browser: simply not found
        return None
    return path if Path(path).exists() else None
