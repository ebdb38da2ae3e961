"""pytest fixtures for mockpms, registered by `pip install mockpms` (entry point `mockpms`).

    def test_checkout(mockpms, mockpms_webhook_receiver):
        answer = mockpms.client.sales(..., webhookUrl=mockpms_webhook_receiver.url)
        mockpms.control.settle(answer["rrn"], "success")
        mockpms_webhook_receiver.wait()

Fixtures (docs/pytest.md has the tutorial):

- `mockpms` (function): the live sandbox, reset for this test: `url`, `pms_url`,
  `api_key`, `secret`, `client` (PMSClient), `control` (ControlClient).
- `mockpms_server` (session): the ServerThread behind it; one per xdist worker.
- `mockpms_settings` (session): the Settings it runs with; override it in a conftest.py.
- `mockpms_app` (function): a fresh Flask app of its own, no server, for `test_client()`.
- `mockpms_webhook_receiver` (function): an HTTP receiver on 127.0.0.1 that records
  each webhook and acknowledges it as PMS expects.

Nothing starts until a test asks for a fixture: a suite that does not use
them pays only for importing the package.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask

from mockpms.app import create_app
from mockpms.client import ControlClient, PMSClient
from mockpms.config import Merchant, Settings
from mockpms.sandbox import Sandbox
from mockpms.server import ServerThread

PMS_PREFIX = "/tt-pms-ws/rest"


class MockPMS:
    """The live sandbox as a test sees it: where it is, who to be, and how to drive it."""

    def __init__(self, server: ServerThread, settings: Settings) -> None:
        self.server = server
        self.settings = settings
        self.url: str = server.url
        self.pms_url: str = self.url + PMS_PREFIX
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

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self.control.close()

    def __repr__(self) -> str:
        return f"<MockPMS {self.url} apiKey={self.api_key}>"


@pytest.fixture(scope="session")
def mockpms_settings() -> Settings:
    """The Settings of the session's sandbox: the documented sandbox merchant by default.

    Override it in your conftest.py (keep it session-scoped), e.g.

        @pytest.fixture(scope="session")
        def mockpms_settings():
            return Settings(merchants=(Merchant("shop-a", "secret-a"),), webhook_interval=60)
    """
    return Settings()


@pytest.fixture(scope="session")
def mockpms_server(mockpms_settings: Settings) -> Iterator[ServerThread]:
    """A live mockpms on a free port of 127.0.0.1, on a thread of this process.

    Session-scoped: started once, on first use, and stopped at the end. Under
    pytest-xdist every worker is its own process and so gets its own server.
    """
    app = create_app(mockpms_settings)
    server = ServerThread(app, host="127.0.0.1", port=0).start()
    if not server.ready.is_set():
        pytest.fail("mockpms: the in-process server did not start within 5 s")
    try:
        yield server
    finally:
        app.extensions["mockpms"].close()
        server.stop()


@pytest.fixture(scope="session")
def _mockpms_handle(mockpms_server: ServerThread, mockpms_settings: Settings) -> Iterator[MockPMS]:
    """One handle per session: its HTTP clients (and their connection pools) are reused."""
    handle = MockPMS(mockpms_server, mockpms_settings)
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture
def mockpms(_mockpms_handle: MockPMS) -> MockPMS:
    """The session's live sandbox, reset to its start state for this test."""
    _mockpms_handle.reset()
    return _mockpms_handle


@pytest.fixture
def mockpms_app(mockpms_settings: Settings) -> Iterator[Flask]:
    """A fresh mockpms Flask app for this test, with no server: use `.test_client()`."""
    app = create_app(mockpms_settings)
    try:
        yield app
    finally:
        app.extensions["mockpms"].close()


# ---------------------------------------------------------------- webhook receiver


@dataclass
class ReceivedWebhook:
    """One request the receiver got: what a merchant's webhook endpoint would see."""

    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None


@dataclass
class WebhookReceiver:
    """A merchant's webhook endpoint on 127.0.0.1: records requests, answers as configured.

    By default it acknowledges (HTTP 200, {"errorCode": "0"}), so PMS stops retrying.
    """

    url: str = ""
    received: list[ReceivedWebhook] = field(default_factory=list)
    status: int = 200
    answer: Any = field(default_factory=lambda: {"errorCode": "0", "errorMessage": "ok"})
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def respond_with(self, status: int = 200, answer: Any = None) -> None:
        """Answer later requests with `status` and `answer` (JSON), e.g. 500 to force retries."""
        with self._changed:
            self.status = status
            self.answer = {"errorCode": "0", "errorMessage": "ok"} if answer is None else answer

    def wait(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedWebhook]:
        """Block until `count` requests arrived (TimeoutError after `timeout` seconds)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(
                    f"the webhook receiver got {len(self.received)} request(s) "
                    f"within {timeout} s, expected {count}"
                )
            return list(self.received)

    def payloads(self) -> list[Any]:
        """The JSON bodies received so far, oldest first."""
        with self._changed:
            return [item.json for item in self.received]

    def _record(self, item: ReceivedWebhook) -> tuple[int, Any]:
        with self._changed:
            self.received.append(item)
            self._changed.notify_all()
            return self.status, self.answer


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: _ReceiverServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        status, answer = self.server.receiver._record(
            ReceivedWebhook(self.path, dict(self.headers.items()), body, parsed)
        )
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return None


class _ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, receiver: WebhookReceiver) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.receiver = receiver


@pytest.fixture
def mockpms_webhook_receiver() -> Iterator[WebhookReceiver]:
    """A local webhook endpoint for this test: pass `.url` as webhookUrl, then `.wait()`."""
    receiver = WebhookReceiver()
    server = _ReceiverServer(receiver)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/webhook"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
