"""`mockpms COMMAND` as a user runs it: the real executable as a subprocess against a real
server, every command, its --json output and each exit status (CONTRACT 12)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest

from mockpms.signing import sign
from tests.conftest import SHOP_A, Live, Receiver, sale_fields, session_fields


def mockpms(live: Live | None, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **env}
    if live is not None:
        environ["MOCKPMS_URL"] = live.url
    return subprocess.run(
        [sys.executable, "-m", "mockpms", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=environ,
    )


def ok(live: Live | None, *args: str, **env: str) -> str:
    done = mockpms(live, *args, **env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def as_json(live: Live, *args: str) -> Any:
    return json.loads(ok(live, *args, "--json"))


@pytest.fixture
def sale(live: Live, receiver: Receiver) -> dict[str, Any]:
    fields = sale_fields(type="WXPAY", webhookUrl=receiver.url)
    assert live.client.sales(**fields)["errorCode"] == "0"
    return fields


COMMANDS = (
    "serve", "status", "transactions", "transaction", "settle", "sessions", "scan",
    "pay-session", "advance", "reset", "fault", "webhooks", "tail", "call", "sign",
)  # fmt: skip


def test_help_names_every_command_and_each_has_an_example() -> None:
    text = ok(None, "--help")
    for name in COMMANDS:
        assert name in text
        if name != "serve":
            assert f"example:\n  mockpms {name}" in ok(None, name, "--help")


def test_status(live: Live, sale: dict[str, Any]) -> None:
    assert "storage memory" in ok(live, "status")
    data = as_json(live, "status")
    assert data["counts"]["transactions"] == 1
    assert data["storage"] == "memory"


def test_transactions_transaction_and_settle(
    live: Live, sale: dict[str, Any], receiver: Receiver
) -> None:
    table = ok(live, "transactions")
    assert sale["rrn"] in table
    assert "pending" in table
    settled = as_json(live, "settle", sale["rrn"], "success")
    assert settled["status"] == "success"
    assert settled["previousStatus"] == "pending"
    receiver.wait_for(1)
    live.sandbox.webhooks.wait_for_attempts(1)
    story = as_json(live, "transaction", sale["rrn"])
    assert story["transaction"]["gwRefStatus"] == "01"
    assert story["webhooks"][0]["acknowledged"] is True
    assert [r["endpoint"] for r in story["requests"]] == ["online/sales"]
    assert "webhook #" in ok(live, "transaction", sale["rrn"])
    assert [t["rrn"] for t in as_json(live, "transactions", "--status", "01")] == [sale["rrn"]]


def test_sessions_scan_and_pay(live: Live) -> None:
    fields = session_fields(webhookUrl="http://127.0.0.1:9/hook")
    live.client.h5_create(**fields)
    assert fields["sessionId"] in ok(live, "sessions")
    scanned = as_json(live, "scan", fields["sessionId"], "--wallet", "ALIPAY")
    assert scanned["wallet"] == "ALIPAY"
    paid = as_json(live, "pay-session", fields["sessionId"])
    assert paid["status"] == "2"
    assert paid["transaction"]["type"] == "ALIPAY"


@pytest.mark.parametrize(
    ("text", "seconds"), [("300", 300), ("90s", 90), ("5m", 300), ("1h30m", 5400)]
)
def test_advance_takes_durations(live: Live, text: str, seconds: float) -> None:
    answer = as_json(live, "advance", text)
    assert answer["advanced"] == seconds
    assert "due job(s) ran" in ok(live, "advance", "0")


def test_reset_and_faults(live: Live, sale: dict[str, Any]) -> None:
    added = as_json(live, "fault", "add", "--endpoint", "online/query", "--error-code", "3")
    assert added["errorCode"] == "3"
    assert (
        as_json(live, "fault", "add", "--webhook", "delay", "--seconds", "60")["webhook"] == "delay"
    )
    assert len(as_json(live, "status")["faults"]) == 2
    assert "2 fault(s) cleared" in ok(live, "fault", "clear")
    assert "back to the start state" in ok(live, "reset")
    assert as_json(live, "transactions") == []


def test_webhooks_and_resend(live: Live, sale: dict[str, Any], receiver: Receiver) -> None:
    ok(live, "settle", sale["rrn"], "success")
    receiver.wait_for(1)
    live.sandbox.webhooks.wait_for_attempts(1)
    [attempt] = as_json(live, "webhooks", "--rrn", sale["rrn"])
    resent = as_json(live, "webhooks", "resend", str(attempt["id"]))
    assert resent["attempt"]["resent"] is True
    receiver.wait_for(2)


def test_call_signs_and_exits_1_on_a_refusal(live: Live, sale: dict[str, Any]) -> None:
    answer = json.loads(
        ok(live, "call", "online/query", "type=WXPAY", f"rrn={sale['rrn']}",
           f"storeCode={sale['storeCode']}", "--api-key", SHOP_A.api_key, "--secret", SHOP_A.secret)
    )  # fmt: skip
    assert answer["gwRefStatus"] == "05"
    raw = ok(live, "call", "h5Payment/session/create", "sessionId=S-CLI", "amt:=10",
             "webhookUrl=http://127.0.0.1:9/h", "bitmap:=false",
             MOCKPMS_API_KEY=SHOP_A.api_key, MOCKPMS_SECRET=SHOP_A.secret)  # fmt: skip
    assert json.loads(raw)["amount"] == 10  # amt:=10 sent a JSON number
    refused = mockpms(live, "call", "online/query", "type=WXPAY", "rrn=NOPE", "storeCode=S",
                      "--api-key", SHOP_A.api_key, "--secret", SHOP_A.secret)  # fmt: skip
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["errorCode"] == "40002"


def test_sign_prints_the_document_sign() -> None:
    assert ok(None, "sign", "1623205724171", "--secret", "s").strip() == sign("1623205724171", "s")
    now = json.loads(ok(None, "sign", "--secret", "s", "--json"))
    assert abs(int(now["timestamp"]) - time.time() * 1000) < 60_000


@pytest.mark.parametrize(
    "args",
    [
        ("settle", "R1", "maybe"),
        ("advance", "soon"),
        ("advance", "5x"),
        ("fault", "add"),
        ("call", "online/query", "nofield"),
        ("sign",),
        ("frobnicate",),
    ],
)
def test_bad_usage_exits_2(live: Live, args: tuple[str, ...]) -> None:
    done = mockpms(live, *args, MOCKPMS_SECRET="")
    assert done.returncode == 2, done.stdout + done.stderr


def test_a_refusal_exits_1_and_says_why(live: Live) -> None:
    done = mockpms(live, "settle", "NO-SUCH-RRN", "success")
    assert done.returncode == 1
    assert "no transaction with rrn 'NO-SUCH-RRN'" in done.stderr


def test_no_sandbox_exits_3_naming_the_url_and_how_to_start_one() -> None:
    done = mockpms(None, "status", "--url", "http://127.0.0.1:9")
    assert done.returncode == 3
    assert "http://127.0.0.1:9" in done.stderr
    assert "mockpms serve" in done.stderr


def test_global_options_stand_before_or_after_the_command(live: Live) -> None:
    before = mockpms(None, "--url", live.url, "--json", "status")
    after = mockpms(None, "status", "--url", live.url, "--json")
    assert json.loads(before.stdout)["storage"] == json.loads(after.stdout)["storage"] == "memory"


def test_tail_prints_a_line_per_event_until_stopped(live: Live) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockpms", "tail", "--url", live.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 10
        fields = sale_fields(webhookUrl="")
        while live.sandbox.stream.readers == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        live.client.sales(**fields)
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "transaction" in line
        assert fields["rrn"] in line
        assert "sale.created" in line
    finally:
        process.terminate()
        process.communicate(timeout=10)
