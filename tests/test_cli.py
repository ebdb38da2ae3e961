"""`mockpms serve` as a user runs it: a real process, real port, signed calls."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mockpms.client import PMSClient


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mockpms", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def launch(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """`mockpms serve --port 0 ARGS`, and its URL read from the banner.

    Port 0 lets the server pick: a port probed free and then bound by the server can
    meanwhile become another connection's source port (a parallel test's)."""
    process = start("--port", "0", *args, env=env)
    assert process.stdout is not None
    banner = process.stdout.readline()
    if " listening on " not in banner:
        process.kill()
        _, err = process.communicate(timeout=10)
        raise AssertionError(f"mockpms serve did not start: {banner}{err}")
    return process, banner.rsplit(" ", 1)[1].strip()


@contextmanager
def serving(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """A `mockpms serve` process on a free port, healthy; its URL. Stopped on exit."""
    process, url = launch("--quiet", *args, env=env)
    try:
        wait_healthy(url)
        yield url
    finally:
        process.terminate()
        process.communicate(timeout=10)


def wait_healthy(url: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/_mock/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"{url} did not become healthy")


def test_serve_prints_credentials_and_answers_signed_calls() -> None:
    port = free_port()
    process = start(
        "--port", str(port), env={"MOCKPMS_API_KEY": "ci-key", "MOCKPMS_SECRET": "ci-secret"}
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url)
        client = PMSClient(f"{url}/tt-pms-ws/rest", "ci-key", "ci-secret")
        assert client.gateway("en")["errorCode"] == "0"
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert f"listening on http://127.0.0.1:{port}" in out
    assert "apiKey=ci-key  secret=***" in out  # from the environment: never printed
    assert "ci-secret" not in out
    assert f"http://127.0.0.1:{port}/tt-pms-ws/rest" in out


def test_bad_config_exits_non_zero_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(
        '[[merchants]]\napiKey = "a"\nsecret = "1"\n[[merchants]]\napiKey = "a"\nsecret = "2"\n'
    )
    process = start("--config", str(config))
    out, err = process.communicate(timeout=20)
    assert process.returncode != 0
    assert err.strip().count("\n") == 0 and "configured twice" in err
    assert out == ""


def test_port_in_use_exits_non_zero_with_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start("--port", str(port))
        _, err = process.communicate(timeout=20)
    assert process.returncode != 0
    assert err.strip().count("\n") == 0 and f"--port {port}" in err


@pytest.mark.parametrize("server", ["granian", "waitress"])
def test_sigterm_stops_the_server_while_webhook_receivers_hang(server: str) -> None:
    """Receivers that never answer hold webhook workers, a live view holds an event
    stream; SIGTERM still ends the process, with status 0 (the streams end first; the
    scheduler waits a bounded time for the workers, then leaves them). The time it
    takes is a figure of `make bench` (benchmarks/stop.py)."""
    from mockpms.client import ControlClient
    from mockpms.testing import sale_fields
    from tests.conftest import SilentReceiver

    hung = SilentReceiver(hold=120)
    port = free_port()
    process = start("--port", str(port), "--quiet", "--webhook-timeout", "60", "--server", server)
    stream = None
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url)
        stream = socket.create_connection(("127.0.0.1", port), timeout=10)
        stream.sendall(b"GET /_mock/events HTTP/1.1\r\nHost: x\r\n\r\n")
        assert stream.recv(12) == b"HTTP/1.1 200"
        client = PMSClient(f"{url}/tt-pms-ws/rest", "mockpms-sandbox", "mockpms-sandbox-secret")
        control = ControlClient(url)
        for _ in range(12):
            fields = sale_fields(webhookUrl=hung.url)
            assert client.sales(**fields)["errorCode"] == "0"
            control.settle(fields["rrn"], "success")
        deadline = time.monotonic() + 10
        while hung.accepted < 6 and time.monotonic() < deadline:  # the workers are stuck
            time.sleep(0.05)
        assert hung.accepted >= 6
        process.terminate()
        _, err = process.communicate(timeout=20)  # a hang guard, not a figure
        assert process.returncode == 0, err
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
        if stream is not None:
            stream.close()
        hung.stop()
