"""`--data-dir`: the sandbox survives restarts (CONTRACT 10), with real `mockpms serve`
processes stopped by SIGTERM or killed with SIGKILL right after their last answer."""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockpms.client import ControlClient, PMSClient
from mockpms.datadir import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, DataDir
from mockpms.testing import ACK, Reply, WebhookReceiver, sale_fields, session_fields
from tests.test_cli import free_port, start, wait_healthy

API_KEY, SECRET = "mockpms-sandbox", "mockpms-sandbox-secret"


class Served:
    """One `mockpms serve` process on a data dir (or none), restartable on the same port."""

    def __init__(self, data_dir: Path | None, *flags: str) -> None:
        self.port = 0  # the first start takes a free port (no race with other tests)
        self.flags = [*flags, "--quiet"]
        if data_dir is not None:
            self.flags += ["--data-dir", str(data_dir)]
        self.url = ""
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> Served:
        """Start (again, on the port of the first start) and wait until it answers."""
        self.process = start(*self.flags, "--port", str(self.port))
        assert self.process.stdout is not None
        banner = self.process.stdout.readline()  # printed once the socket is bound
        assert "listening on http://127.0.0.1:" in banner, banner
        self.port = int(banner.rsplit(":", 1)[1])
        self.url = f"http://127.0.0.1:{self.port}"
        wait_healthy(self.url)
        self.control = ControlClient(self.url)
        self.pms = PMSClient(f"{self.url}/tt-pms-ws/rest", API_KEY, SECRET)
        return self

    def stop(self, how: signal.Signals = signal.SIGTERM) -> None:
        assert self.process is not None
        self.process.send_signal(how)
        self.process.communicate(timeout=10)
        self.process = None

    def restart(self, how: signal.Signals = signal.SIGTERM) -> Served:
        self.stop(how)
        return self.start()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Any]:
    started: list[Served] = []

    def serve(*flags: str, data_dir: Path | None = tmp_path / "data") -> Served:
        started.append(Served(data_dir, *flags).start())
        return started[-1]

    yield serve
    for one in started:
        if one.process is not None:
            one.process.kill()
            one.process.communicate(timeout=10)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    found = WebhookReceiver()
    yield found
    found.stop()


def sandbox_state(box: Served) -> dict[str, Any]:
    """Everything a reset clears, as the control API shows it (live countdowns left out)."""
    control = box.control
    sessions = [{k: v for k, v in s.items() if k != "secondsLeft"} for s in control.sessions()]
    return {
        "transactions": control.transactions(),
        "sessions": sessions,
        "deliveries": control.deliveries(),
        "attempts": control.webhooks(),
        "requests": control.requests(),
        "faults": control.request("GET", "faults"),
        "policy": control.request("GET", "policy"),
        "offset": control.clock()["offset"],
        "seed": control.request("GET", "seed"),
    }


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "kill-9"])
def test_every_kind_of_state_survives_a_restart(
    served: Any, receiver: WebhookReceiver, how: signal.Signals
) -> None:
    box = served()
    paid, pending = sale_fields(webhookUrl=receiver.url), sale_fields()
    assert box.pms.sales(**paid)["errorCode"] == "0"
    assert box.pms.sales(**pending)["errorCode"] == "0"
    box.control.settle(paid["rrn"], "success")
    receiver.wait(1)
    box.control.wait_for_webhook(paid["rrn"])
    session = session_fields()
    assert box.pms.h5_create(**session)["errorCode"] == "0"
    box.control.scan(session["sessionId"], "WXPAY")
    box.control.request("POST", "seed", {"seed": 7})
    box.control.request("POST", "policy", {"outcome": "failed", "afterSeconds": 3600})
    box.control.advance_clock(60)
    # The last answer: a fault queued for online/query. Then the server goes down.
    box.control.request("POST", "faults", {"endpoint": "online/query", "errorCode": "3"})
    before = sandbox_state(box)
    box.restart(how)

    after = sandbox_state(box)
    assert after == before
    assert [t["rrn"] for t in after["transactions"]] == [paid["rrn"], pending["rrn"]]
    assert after["transactions"][0]["gwRefStatus"] == "01"
    assert after["sessions"][0]["scannedAt"] is not None
    assert after["attempts"][0]["acknowledged"] is True
    assert len(after["requests"]) == 3
    assert after["offset"] == 60
    # The fault is still armed, and still works: the query times out, once.
    query = {"type": pending["type"], "rrn": pending["rrn"], "storeCode": pending["storeCode"]}
    assert box.pms.query(**query)["errorCode"] == "3"
    assert box.pms.query(**query)["gwRefStatus"] == "05"


def test_kill_9_right_after_many_answers_loses_none_of_them(served: Any) -> None:
    box = served()
    rrns = []
    for _ in range(40):
        fields = sale_fields()
        assert box.pms.sales(**fields)["errorCode"] == "0"
        rrns.append(fields["rrn"])
    box.control.settle(rrns[-1], "success")  # answered: the last thing the server did
    box.restart(signal.SIGKILL)
    stored = box.control.transactions()
    assert [t["rrn"] for t in stored] == rrns
    assert stored[-1]["gwRefStatus"] == "01"


def test_seeded_ids_go_on_after_a_restart_as_if_it_never_stopped(
    served: Any, tmp_path: Path
) -> None:
    def payment_url(box: Served) -> str:
        answer = box.pms.sales(**sale_fields())
        return str(answer["paymentUrl"]).rsplit("/", 1)[-1]

    steady = served("--seed", "7", data_dir=None)
    expected = [payment_url(steady) for _ in range(3)]
    restarted = served("--seed", "7", data_dir=tmp_path / "seeded")
    got = [payment_url(restarted)]
    restarted.restart(signal.SIGKILL)
    got.append(payment_url(restarted))
    restarted.restart()
    got.append(payment_url(restarted))
    assert got == expected


def test_time_based_work_resumes_on_its_original_schedule(
    served: Any, receiver: WebhookReceiver
) -> None:
    """Expiry, the H5 countdown and a webhook retry all fall due while the server is
    down: after the restart each has happened at its original time."""
    box = served("--payment-timeout", "2", "--h5-countdown", "2", "--webhook-interval", "2")
    receiver.respond(Reply(status=500), ACK)
    unpaid, notified, session = (
        sale_fields(),
        sale_fields(webhookUrl=receiver.url),
        session_fields(),
    )
    assert box.pms.sales(**unpaid)["errorCode"] == "0"
    assert box.pms.sales(**notified)["errorCode"] == "0"
    assert box.pms.h5_create(**session)["errorCode"] == "0"
    box.control.scan(session["sessionId"], "ALIPAY")
    box.control.settle(notified["rrn"], "success")
    first = box.control.wait_for_webhook(notified["rrn"])[0]
    assert first["acknowledged"] is False and first["nextAttemptAt"] is not None
    expires_at = box.control.transaction(unpaid["rrn"])["expiresAt"]
    box.stop()
    time.sleep(2.5)  # the expiry, the countdown and the retry all fall due meanwhile

    started = time.monotonic()
    box.start()
    receiver.wait(2, timeout=10)  # the retry goes out right after the start
    assert time.monotonic() - started < 5
    attempts = box.control.webhooks(notified["rrn"])
    assert [a["attempt"] for a in attempts] == [1, 2]
    assert attempts[1]["scheduledAt"] == first["nextAttemptAt"]  # its original schedule
    assert attempts[1]["acknowledged"] is True
    expired = box.pms.query(type=unpaid["type"], rrn=unpaid["rrn"], storeCode="WP001")
    assert expired["gwRefStatus"] == "03"
    assert box.control.transaction(unpaid["rrn"])["finishedAt"] == expires_at
    assert box.pms.h5_query(session["sessionId"])["status"] == "0"  # countdown over


def test_an_auto_settlement_due_while_down_happens_after_the_start(served: Any) -> None:
    box = served()
    box.control.request("POST", "policy", {"outcome": "success", "afterSeconds": 1})
    fields = sale_fields()
    assert box.pms.sales(**fields)["errorCode"] == "0"
    box.stop(signal.SIGKILL)
    time.sleep(1.2)
    box.start()
    deadline = time.monotonic() + 5
    while box.control.transaction(fields["rrn"])["gwRefStatus"] == "05":
        assert time.monotonic() < deadline, "the auto-settlement did not resume"
        time.sleep(0.05)
    assert box.control.transaction(fields["rrn"])["gwRefStatus"] == "01"


def test_reset_clears_the_disk_too(served: Any) -> None:
    box = served()
    assert box.pms.sales(**sale_fields())["errorCode"] == "0"
    box.control.request("POST", "faults", {"errorCode": "601"})
    box.control.advance_clock(30)
    box.control.reset()
    box.restart(signal.SIGKILL)
    state = sandbox_state(box)
    assert (
        state["transactions"] == []
        and state["requests"] == []
        and state["faults"] == {"faults": []}
    )
    assert state["offset"] == 0


def test_health_names_the_storage_and_the_database(served: Any, tmp_path: Path) -> None:
    on_disk = served()
    assert on_disk.control.health()["storage"] == "sqlite"
    assert on_disk.control.health()["database"] == str(tmp_path / "data" / "mockpms.db")
    assert on_disk.control.request("GET", "status")["storage"] == "sqlite"
    in_memory = served(data_dir=None)
    assert in_memory.control.health()["storage"] == "memory"
    assert "database" not in in_memory.control.health()


def test_the_default_keeps_nothing(served: Any, tmp_path: Path) -> None:
    box = served(data_dir=None)
    fields = sale_fields()
    assert box.pms.sales(**fields)["errorCode"] == "0"
    box.restart()
    assert box.control.transactions() == []
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ refusals: exit 2


def refused(data_dir: Path) -> tuple[str, str]:
    """Start a server on `data_dir` that must refuse: its stderr line, and its stdout."""
    port = free_port()
    process = start("--port", str(port), "--data-dir", str(data_dir))
    out, err = process.communicate(timeout=20)
    assert process.returncode == 2, (out, err)
    assert err.strip().count("\n") == 0, err
    with pytest.raises(httpx.TransportError):  # never bound the port
        httpx.get(f"http://127.0.0.1:{port}/_mock/health", timeout=1)
    return err.strip(), out


def test_a_second_server_on_a_dir_in_use_exits_2_naming_the_holder(
    served: Any, tmp_path: Path
) -> None:
    first = served()
    assert first.process is not None
    err, out = refused(tmp_path / "data")
    assert f"in use by another mockpms (pid {first.process.pid})" in err
    assert out == ""
    assert first.control.health()["status"] == "ok"  # the first one is untouched


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "mockpms.db").write_bytes(b"my notes, not a database\n" * 100)
    before = digest(data / "mockpms.db")
    err, _ = refused(data)
    assert "mockpms.db is not a mockpms database" in err
    assert digest(data / "mockpms.db") == before


def test_a_database_of_another_program_is_refused_and_left_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "mockpms.db") as other:
        other.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        other.execute("INSERT INTO invoices (total) VALUES (12.5)")
    other.close()
    before = digest(data / "mockpms.db")
    err, _ = refused(data)
    assert "an SQLite database of another program" in err
    assert digest(data / "mockpms.db") == before


def test_a_database_from_a_newer_mockpms_is_refused_and_left_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    DataDir.open(data).close()
    with sqlite3.connect(data / "mockpms.db") as newer:
        newer.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    newer.close()
    before = digest(data / "mockpms.db")
    err, _ = refused(data)
    assert f"written by a newer mockpms (schema {SCHEMA_VERSION + 1}" in err
    assert digest(data / "mockpms.db") == before


def test_a_data_dir_that_cannot_be_written_exits_2_before_binding(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    err, out = refused(blocker / "data")
    assert "cannot create it" in err and "give a writable directory" in err
    assert out == ""


def test_an_older_schema_migrates_forward_keeping_its_records(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "mockpms.db") as old:
        for statement in MIGRATIONS[0]:
            old.execute(statement)
        old.execute(f"PRAGMA application_id={APPLICATION_ID}")
        old.execute("PRAGMA user_version=1")
        old.execute("INSERT INTO state (name, value) VALUES ('clock', '{\"offset\": 42.0}')")
    old.close()
    opened = DataDir.open(data)
    try:
        assert opened.read_one("PRAGMA user_version")[0] == SCHEMA_VERSION
        indexes = {row[0] for row in opened.read("SELECT name FROM sqlite_master")}
        assert {"sessions_standing", "sessions_countdown"} <= indexes
        assert opened.read_one("SELECT value FROM state WHERE name = 'clock'")[0] == (
            '{"offset": 42.0}'
        )
    finally:
        opened.close()


def test_the_journal_stays_capped_on_disk_across_restarts(served: Any, tmp_path: Path) -> None:
    box = served("--journal-cap", "5")
    for _ in range(150):  # more than twice the trim batch past the cap
        box.pms.gateway("en")
    before = box.control.requests()
    assert len(before) == 5
    box.restart(signal.SIGKILL)
    assert box.control.requests() == before
    box.pms.gateway("en")
    after = box.control.requests()
    assert [e["id"] for e in after] == [e["id"] for e in before[1:]] + [before[-1]["id"] + 1]
    with sqlite3.connect(tmp_path / "data" / "mockpms.db") as db:
        on_disk = db.execute("SELECT count(*) FROM journal").fetchone()[0]
    db.close()
    assert on_disk <= 5 + 64  # trimmed in batches: bounded however long it runs


def test_the_banner_names_the_data_dir(tmp_path: Path) -> None:
    port = free_port()
    process = start("--port", str(port), "--data-dir", str(tmp_path / "kept"))
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert f"data dir:     {tmp_path / 'kept'}   (state kept across restarts)" in out


def test_mockpms_status_names_the_database(served: Any, tmp_path: Path) -> None:
    box = served()
    out = subprocess.run(
        [sys.executable, "-m", "mockpms", "--url", box.url, "status"],
        capture_output=True, text=True, timeout=20, check=True,
    ).stdout  # fmt: skip
    assert f"storage sqlite ({tmp_path / 'data' / 'mockpms.db'})" in out


def test_tenants_survive_a_restart_with_their_scoped_state(served: Any) -> None:
    box = served()
    tenant = box.control.add_merchant(merchantName="CI job")
    scoped = ControlClient(box.url, api_key=tenant["apiKey"])
    scoped.advance_clock(120)
    scoped.add_fault(endpoint="online/gateway", errorCode="601")
    scoped.set_policy("success", 200)
    scoped.seed(9)
    client = PMSClient(f"{box.url}/tt-pms-ws/rest", tenant["apiKey"], tenant["secret"])
    fields = sale_fields()
    assert client.sales(**fields)["errorCode"] == "0"
    before = {
        "clock": scoped.clock()["ownOffset"],
        "faults": scoped.faults(),
        "policy": scoped.request("GET", "policy"),
        "seed": scoped.request("GET", "seed"),
        "transactions": scoped.transactions(),
    }
    box.restart(signal.SIGKILL)
    scoped = ControlClient(box.url, api_key=tenant["apiKey"])
    client = PMSClient(f"{box.url}/tt-pms-ws/rest", tenant["apiKey"], tenant["secret"])
    assert {
        "clock": scoped.clock()["ownOffset"],
        "faults": scoped.faults(),
        "policy": scoped.request("GET", "policy"),
        "seed": scoped.request("GET", "seed"),
        "transactions": scoped.transactions(),
    } == before
    assert client.gateway()["errorCode"] == "601"  # its fault, still armed
    assert box.control.clock()["offset"] == 0
    scoped.advance_clock(200)  # its auto-settlement was rescheduled on its own clock
    assert scoped.transaction(fields["rrn"])["gwRefStatus"] == "01"
