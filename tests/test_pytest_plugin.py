"""The pytest plugin as a user meets it: fixtures in a fresh project, run by pytest itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockpms.client import ControlClient
from tests.test_cli import free_port, serving

pytest_plugins = ["pytester"]

SALE = """
def sale(client, rrn, **fields):
    body = dict(type="WXPAY", rrn=rrn, amt=100, ccy="HKD", storeCode="S1", tillId="01",
                salesman="S", txDateTime="2021-06-11T16:18:30+0800")
    body.update(fields)
    return client.sales(**body)
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=120)


def test_mockpms_fixture_serves_signed_calls_and_resets_between_tests(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        SALE
        + """
def test_first(mockpms):
    assert mockpms.pms_url == mockpms.url + "/tt-pms-ws/rest"
    assert mockpms.api_key == "mockpms-sandbox"
    assert sale(mockpms.client, "R1")["errorCode"] == "0"
    assert mockpms.client.query(type="WXPAY", rrn="R1", storeCode="S1")["gwRefStatus"] == "05"

def test_second_starts_empty(mockpms):
    assert mockpms.client.query(type="WXPAY", rrn="R1", storeCode="S1")["errorCode"] == "40002"
    assert sale(mockpms.client, "R1")["errorCode"] == "0"  # not a duplicate any more

def test_same_server_all_session(mockpms, mockpms_server):
    assert mockpms.url == mockpms_server.url
"""
    )
    result = run(pytester, "-v")
    result.assert_outcomes(passed=3)


def test_settings_are_overridden_in_a_conftest(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import pytest
from mockpms import Merchant, Settings

@pytest.fixture(scope="session")
def mockpms_settings():
    return Settings(merchants=(Merchant("shop-x", "secret-x"), Merchant("shop-y", "secret-y")))
"""
    )
    pytester.makepyfile(
        SALE
        + """
def test_merchants(mockpms):
    assert (mockpms.api_key, mockpms.secret) == ("shop-x", "secret-x")
    assert sale(mockpms.client, "R1")["errorCode"] == "0"
    other = mockpms.client_for("shop-y")
    assert other.query(type="WXPAY", rrn="R1", storeCode="S1")["errorCode"] == "40002"

def test_app_uses_the_same_settings(mockpms_app):
    answer = mockpms_app.test_client().get("/_mock/ready").get_json()
    assert answer["merchants"] == 2
"""
    )
    run(pytester).assert_outcomes(passed=2)


def test_flask_app_fixture_is_fresh_for_each_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import time
import pytest
from mockpms import sign

@pytest.mark.parametrize("round", [1, 2])
def test_app(mockpms_app, round):
    ts = int(time.time() * 1000)
    body = dict(apiKey="mockpms-sandbox", timestamp=ts, sign=sign(ts, "mockpms-sandbox-secret"),
                type="WXPAY", rrn="R1", amt=100, ccy="HKD", storeCode="S1", tillId="01",
                salesman="S", txDateTime="2021-06-11T16:18:30+0800")
    answer = mockpms_app.test_client().post("/tt-pms-ws/rest/online/sales", json=body)
    assert answer.get_json()["errorCode"] == "0"  # the same rrn twice: a new app each time
"""
    )
    run(pytester).assert_outcomes(passed=2)


def test_each_xdist_worker_gets_its_own_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        SALE
        + """
import os
import pytest

@pytest.mark.parametrize("n", range(6))
def test_sale(mockpms, n, tmp_path_factory):
    # The same rrn in every test: each worker's server is reset between its tests.
    assert sale(mockpms.client, "R1")["errorCode"] == "0"
    worker = os.environ["PYTEST_XDIST_WORKER"]
    out = tmp_path_factory.getbasetemp().parent.parent / f"url-{worker}"
    out.write_text(mockpms.url)
"""
    )
    result = run(pytester, "-n", "2")
    result.assert_outcomes(passed=6)
    urls = {path.read_text() for path in pytester.path.parent.rglob("url-gw*")}
    assert len(urls) == 2, urls


def test_freezegun_moves_the_sandbox_clock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        SALE
        + """
from freezegun import freeze_time

def test_unpaid_sale_times_out_after_five_minutes(mockpms):
    with freeze_time() as frozen:
        assert sale(mockpms.client, "R1")["errorCode"] == "0"
        frozen.tick(299)
        assert mockpms.client.query(type="WXPAY", rrn="R1", storeCode="S1")["gwRefStatus"] == "05"
        frozen.tick(2)
        assert mockpms.client.query(type="WXPAY", rrn="R1", storeCode="S1")["gwRefStatus"] == "03"
"""
    )
    run(pytester).assert_outcomes(passed=1)


def test_webhook_receiver_records_and_answers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import httpx
import pytest

def test_acknowledges_by_default(mockpms_webhook_receiver):
    answer = httpx.post(mockpms_webhook_receiver.url, json={"rrn": "R1"})
    assert answer.json()["errorCode"] == "0"
    [got] = mockpms_webhook_receiver.wait()
    assert got.json == {"rrn": "R1"} and got.path == "/webhook"

def test_answers_as_told(mockpms_webhook_receiver):
    mockpms_webhook_receiver.respond_with(500, {"errorCode": "1"})
    assert httpx.post(mockpms_webhook_receiver.url, json={}).status_code == 500
    assert mockpms_webhook_receiver.payloads() == [{}]

def test_wait_gives_up(mockpms_webhook_receiver):
    with pytest.raises(TimeoutError, match="got 0 request"):
        mockpms_webhook_receiver.wait(timeout=0.2)
"""
    )
    run(pytester).assert_outcomes(passed=3)


def test_frozen_tick_then_a_nudge_runs_the_webhook_retry(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
from freezegun import freeze_time

def test_retry(mockpms, mockpms_webhook_receiver):
    with freeze_time() as frozen:
        mockpms_webhook_receiver.respond_with(500)
        created = mockpms.client.h5_create(
            sessionId="S1", amt=100, webhookUrl=mockpms_webhook_receiver.url
        )
        assert created["errorCode"] == "0"
        mockpms.control.pay("S1", wallet="WXPAY")
        mockpms_webhook_receiver.wait(count=1)

        frozen.tick(300)
        mockpms.control.advance_clock(0)  # runs the retry now due by the frozen clock

        assert len(mockpms_webhook_receiver.received) == 2
        attempts = mockpms.control.webhooks(session_id="S1")
        assert [a["attempt"] for a in attempts] == [1, 2]
        assert attempts[1]["sentAt"] - attempts[0]["sentAt"] == 300
"""
    )
    run(pytester).assert_outcomes(passed=1)


def test_wait_for_webhook_sees_the_acknowledged_attempt(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

def test_wait(mockpms, mockpms_webhook_receiver):
    mockpms.client.h5_create(sessionId="S1", amt=100, webhookUrl=mockpms_webhook_receiver.url)
    paid = mockpms.control.pay("S1")
    rrn = paid["transaction"]["rrn"]
    [attempt] = mockpms.control.wait_for_webhook(rrn, acknowledged=True)
    assert attempt["httpStatus"] == 200 and attempt["payload"]["sessionId"] == "S1"
    assert mockpms.control.deliveries(session_id="S1")[0]["state"] == "acknowledged"

def test_wait_gives_up_naming_the_attempts(mockpms):
    with pytest.raises(TimeoutError, match="no webhook attempt for rrn .NOTHING. within 0.2 s"):
        mockpms.control.wait_for_webhook("NOTHING", timeout=0.2)
"""
    )
    run(pytester).assert_outcomes(passed=2)


def test_admin_token_in_settings_reaches_the_control_client(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import pytest
from mockpms import Settings

@pytest.fixture(scope="session")
def mockpms_settings():
    return Settings(admin_token="t0ken")
"""
    )
    pytester.makepyfile(
        """
import httpx
import pytest
from mockpms.client import ControlCallError, ControlClient

def test_token(mockpms):
    assert mockpms.control.transactions() == []
    assert httpx.get(mockpms.url + "/_mock/transactions").status_code == 401
    with pytest.raises(ControlCallError) as caught:
        ControlClient(mockpms.url).transactions()
    assert caught.value.status == 401

def test_faults_and_journal(mockpms):
    mockpms.control.add_fault(endpoint="online/gateway", errorCode="3")
    assert [f["endpoint"] for f in mockpms.control.faults()] == ["online/gateway"]
    assert mockpms.client.gateway()["errorCode"] == "3"
    assert mockpms.client.gateway()["errorCode"] == "0"
    assert [r["endpoint"] for r in mockpms.control.requests()] == ["online/gateway"] * 2
"""
    )
    run(pytester).assert_outcomes(passed=2)


REPORTED = (
    SALE
    + """
def test_a_sale_without_webhook(mockpms):
    assert sale(mockpms.client, "R-NOHOOK")["errorCode"] == "0"

def test_a_duplicate(mockpms):
    sale(mockpms.client, "R-TWICE", webhookUrl="http://127.0.0.1:9/h")
    assert sale(mockpms.client, "R-TWICE", webhookUrl="http://127.0.0.1:9/h")["errorCode"] == "601"

def test_clean(mockpms):
    assert mockpms.client.gateway()["errorCode"] == "0"
"""
)


def test_the_integration_report_is_printed_in_the_terminal_summary(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(REPORTED)
    result = run(pytester)
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*mockpms integration report*",
            "error: duplicate-rrn x1 (e.g. R-TWICE)",
            "*PMS refuses the second sale*",
            "warning: sale-without-webhook x1 (e.g. R-NOHOOK)",
        ]
    )


def test_the_report_can_be_silenced_and_is_absent_without_findings(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(REPORTED)
    silenced = run(pytester, "--mockpms-no-report")
    silenced.assert_outcomes(passed=3)
    assert "mockpms integration report" not in silenced.stdout.str()
    clean_test = (
        "def test_clean(mockpms):\n    assert mockpms.client.gateway()['errorCode'] == '0'\n"
    )
    pytester.makepyfile(test_clean=clean_test)
    clean = run(pytester, "test_clean.py")
    clean.assert_outcomes(passed=1)
    assert "mockpms integration report" not in clean.stdout.str()


def test_a_suite_runs_under_each_field_name_profile(pytester: pytest.Pytester) -> None:
    """--mockpms-field-names table: code reading the example's `amount` fails, as on PMS."""
    pytester.makepyfile(
        """
def test_reads_the_example_spelling(mockpms):
    answer = mockpms.client.h5_create(
        sessionId="S-1", amt=10, bitmap="false", webhookUrl="http://127.0.0.1:9/hook"
    )
    assert answer["amount"] == 10
"""
    )
    run(pytester).assert_outcomes(passed=1)
    run(pytester, "--mockpms-field-names", "example").assert_outcomes(passed=1)
    failed = run(pytester, "--mockpms-field-names", "table")
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines(["*KeyError: 'amount'*"])


ISOLATED = (
    SALE
    + """
import os
import pytest

@pytest.mark.parametrize("n", range(12))
def test_isolated(mockpms, mockpms_webhook_receiver, n):
    assert mockpms.control.transactions() == []
    rrn = f"R{n}"
    assert sale(mockpms.client, rrn, webhookUrl=mockpms_webhook_receiver.url)["errorCode"] == "0"
    mockpms.control.add_fault(endpoint="online/gateway", errorCode="3")
    assert mockpms.client.gateway()["errorCode"] == "3"
    assert mockpms.client.gateway()["errorCode"] == "0"
    mockpms.control.settle(rrn, "success")
    assert mockpms_webhook_receiver.wait()[0].json["rrn"] == rrn
    assert sale(mockpms.client, "P" + rrn)["errorCode"] == "0"
    mockpms.control.advance_clock(301)
    assert mockpms.client.query(type="WXPAY", rrn="P" + rrn, storeCode="S1")["gwRefStatus"] == "03"
    assert [t["rrn"] for t in mockpms.control.transactions()] == [rrn, "P" + rrn]
    mockpms.reset()
    assert mockpms.control.transactions() == []
    assert mockpms.control.clock()["offset"] + mockpms.control.clock().get("ownOffset", 0) == 0

def test_in_process_helpers_say_what_they_need(mockpms, request):
    if request.config.getoption("mockpms_url") or os.environ.get("MOCKPMS_URL"):
        with pytest.raises(RuntimeError, match="needs the in-process server"):
            mockpms.sandbox
        with pytest.raises(RuntimeError, match="advance_clock"):
            mockpms.run_due()
    else:
        assert mockpms.run_due() == (0, 0)
"""
)


@pytest.fixture
def served_mockpms() -> Iterator[str]:
    """One `mockpms serve` for a whole run, as a CI pipeline's shared container is."""
    with serving() as url:
        yield url


def test_one_user_test_file_passes_in_process_and_against_a_remote_mockpms(
    pytester: pytest.Pytester, served_mockpms: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(ISOLATED)
    run(pytester).assert_outcomes(passed=13)
    run(pytester, f"--mockpms-url={served_mockpms}").assert_outcomes(passed=13)
    run(pytester, "-n", "4", f"--mockpms-url={served_mockpms}").assert_outcomes(passed=13)
    monkeypatch.setenv("MOCKPMS_URL", served_mockpms)
    run(pytester, "-n", "4").assert_outcomes(passed=13)
    # Every test's merchant was removed after it: only the configured one is left.
    merchants = ControlClient(served_mockpms).merchants()
    assert [m["apiKey"] for m in merchants] == ["mockpms-sandbox"]


def test_remote_mode_reports_an_unreachable_mockpms(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(mockpms):\n    pass\n")
    result = run(pytester, f"--mockpms-url=http://127.0.0.1:{free_port()}")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*mockpms: cannot add a merchant at http://127.0.0.1:*"])


def test_the_plugin_imports_nothing_heavy_until_a_fixture_runs() -> None:
    """Every pytest run on a machine with mockpms installed imports the plugin: it must not
    load Flask, httpx or the sandbox (they come with the first fixture)."""
    import subprocess
    import sys

    probe = (
        "import sys, pytest; import mockpms.pytest_plugin; "
        "print(sorted(m for m in ('flask', 'httpx', 'werkzeug', 'mockpms.app', "
        "'mockpms.sandbox', 'mockpms.client', 'mockpms.testing') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "[]"


def test_the_field_names_option_offers_every_profile() -> None:
    from mockpms.endpoints import FIELD_NAME_PROFILES
    from mockpms.pytest_plugin import FIELD_NAME_CHOICES

    assert set(FIELD_NAME_CHOICES) == set(FIELD_NAME_PROFILES)
