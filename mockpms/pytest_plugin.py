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

Against a remote mockpms (`--mockpms-url URL` or `MOCKPMS_URL`, one shared
container for a whole pipeline): no server starts here; each test gets a fresh
runtime merchant of that mockpms (`mockpms.client` signs as it, `mockpms.control`
is scoped to it), removed after the test whether it passed or not, so parallel
jobs never see each other's state. The admin token comes from
`--mockpms-admin-token` or `MOCKPMS_ADMIN_TOKEN`.

Nothing starts until a test asks for a fixture, and nothing heavy is imported
before: every pytest process on a machine with mockpms installed loads this
module, so it imports pytest and the standard library only (Flask, httpx and the
sandbox come with the first fixture). The handle and the receiver live in
mockpms.testing, for use outside pytest too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported by the fixtures that use them: a run that uses none
    from flask import Flask  # pays for none of it

    from mockpms.config import Settings
    from mockpms.report import Collector
    from mockpms.server import ServerThread
    from mockpms.testing import MockPMS, WebhookReceiver

# mockpms.endpoints.FIELD_NAME_PROFILES, spelled out so that adding the option costs no
# import (tests/test_pytest_plugin.py keeps the two equal).
FIELD_NAME_CHOICES = ("both", "example", "table")


@pytest.fixture(scope="session")
def mockpms_settings(request: pytest.FixtureRequest) -> Settings:
    """The Settings of the session's sandbox: the documented sandbox merchant by default,
    answering with the --mockpms-field-names spellings.

    Override it in your conftest.py (keep it session-scoped), e.g.

        @pytest.fixture(scope="session")
        def mockpms_settings():
            return Settings(merchants=(Merchant("shop-a", "secret-a"),), webhook_interval=60)
    """
    from mockpms.config import Settings

    return Settings(field_names=request.config.getoption("mockpms_field_names"))


@pytest.fixture(scope="session")
def mockpms_server(
    mockpms_settings: Settings, request: pytest.FixtureRequest
) -> Iterator[ServerThread]:
    """A live mockpms on a free port of 127.0.0.1, on a thread of this process.

    Session-scoped: started once, on first use, and stopped at the end. Under
    pytest-xdist every worker is its own process and so gets its own server.
    """
    from mockpms.app import create_app
    from mockpms.server import ServerThread
    from mockpms.testing import InProcessOnly

    if remote_url(request.config) is not None:
        raise InProcessOnly("the mockpms_server fixture")

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
def _mockpms_handle(request: pytest.FixtureRequest) -> Iterator[MockPMS | None]:
    """One handle per session: its HTTP clients (and their connection pools) are reused.

    None against a remote mockpms (no server starts here). A dependency of `mockpms`
    rather than looked up by name in each test: a lookup costs every test.
    """
    if remote_url(request.config) is not None:
        yield None
        return
    from mockpms.testing import MockPMS

    mockpms_server: ServerThread = request.getfixturevalue("mockpms_server")
    mockpms_settings: Settings = request.getfixturevalue("mockpms_settings")

    handle = MockPMS(mockpms_server, mockpms_settings)
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture
def mockpms(_mockpms_handle: MockPMS | None, request: pytest.FixtureRequest) -> Iterator[MockPMS]:
    """The session's live sandbox, reset to its start state for this test; against a
    remote mockpms, a runtime merchant of its own (see the module's docstring).

    What the integration did wrong during the test (GET /_mock/report) is kept for
    the session's terminal summary before the next reset clears it.
    """
    if _mockpms_handle is None:
        yield from _remote_handle(request, str(remote_url(request.config)))
        return
    handle = _mockpms_handle
    handle.reset()
    yield handle
    report = handle.sandbox.report
    if not report.empty:  # the usual case costs one attribute check
        _collected(request.config).add(report.to_json())


def _collected(config: pytest.Config) -> Collector:
    """The session's findings, for the terminal summary."""
    from mockpms.report import Collector

    return config.stash.setdefault(_COLLECTED, Collector())


def remote_url(config: pytest.Config) -> str | None:
    """The remote mockpms of this run (--mockpms-url, else MOCKPMS_URL), or None."""
    found = config.getoption("mockpms_url") or os.environ.get("MOCKPMS_URL") or None
    return str(found).rstrip("/") if found else None


def _remote_handle(request: pytest.FixtureRequest, url: str) -> Iterator[MockPMS]:
    """A runtime merchant of the remote mockpms for one test, removed after it."""
    import httpx

    from mockpms.client import ControlCallError, ControlClient
    from mockpms.config import Merchant
    from mockpms.testing import RemoteMockPMS

    token = request.config.getoption("mockpms_admin_token") or os.environ.get("MOCKPMS_ADMIN_TOKEN")
    admin = ControlClient(url, token)
    try:
        fields = admin.add_merchant(merchantName=f"pytest {request.node.name}"[:128])
    except (ControlCallError, httpx.HTTPError) as error:
        admin.close()
        pytest.fail(f"mockpms: cannot add a merchant at {url} (--mockpms-url): {error}")
    merchant = Merchant(
        api_key=fields["apiKey"],
        secret=fields["secret"],
        merchant_name=fields["merchantName"],
        store_code=fields["storeCode"],
        till_id=fields["tillId"],
        sales_man=fields["salesMan"],
    )
    handle = RemoteMockPMS(url, merchant, token)
    try:
        yield handle
        report = handle.control.report()
        if report.get("merchants"):
            _collected(request.config).add(report)
    finally:
        try:
            admin.remove_merchant(merchant.api_key)
        finally:
            handle.close()
            admin.close()


_COLLECTED = pytest.StashKey["Collector"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--mockpms-url",
        default=None,
        metavar="URL",
        help="mockpms: use the mockpms running at URL (one runtime merchant per test) "
        "instead of starting one in-process (env MOCKPMS_URL)",
    )
    parser.addoption(
        "--mockpms-admin-token",
        default=None,
        metavar="TOKEN",
        help="mockpms: the admin token of the remote mockpms (env MOCKPMS_ADMIN_TOKEN)",
    )
    parser.addoption(
        "--mockpms-no-report",
        action="store_true",
        default=False,
        help="mockpms: do not print the integration report in the terminal summary",
    )
    parser.addoption(
        "--mockpms-field-names",
        choices=FIELD_NAME_CHOICES,
        default="both",
        help="mockpms: answer amount/amt and salesman/salesMan as the document's examples "
        "spell them, as its field tables do, or both (default)",
    )


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print what the sandbox saw the integration do wrong, when it saw anything."""
    collected = config.stash.get(_COLLECTED, None)
    if collected is None or not collected.found or config.getoption("mockpms_no_report"):
        return
    terminalreporter.section("mockpms integration report")
    for line in collected.lines():
        terminalreporter.write_line(line)
    terminalreporter.write_line("(GET /_mock/report in a test; --mockpms-no-report to silence)")


@pytest.fixture
def mockpms_app(mockpms_settings: Settings, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """A fresh mockpms Flask app for this test, with no server: use `.test_client()`."""
    from mockpms.app import create_app
    from mockpms.testing import InProcessOnly

    if remote_url(request.config) is not None:
        raise InProcessOnly("the mockpms_app fixture (a Flask app)")

    app = create_app(mockpms_settings)
    try:
        yield app
    finally:
        app.extensions["mockpms"].close()


# ---------------------------------------------------------------- webhook receiver


@pytest.fixture
def mockpms_webhook_receiver() -> Iterator[WebhookReceiver]:
    """A local webhook endpoint for this test: pass `.url` as webhookUrl, then `.wait()`."""
    from mockpms.testing import WebhookReceiver

    receiver = WebhookReceiver()
    try:
        yield receiver
    finally:
        receiver.stop()
