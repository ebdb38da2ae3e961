"""The Docker HEALTHCHECK command: it asks where `mockpms serve` really listens."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from mockpms import healthcheck
from mockpms.app import create_app
from mockpms.config import Settings
from mockpms.server import ServerThread


@pytest.fixture
def no_main_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Pretend PID 1 is not `mockpms serve` (as on a developer machine)."""
    fake = tmp_path / "cmdline"
    fake.write_bytes(b"/sbin/init\0")
    monkeypatch.setattr(healthcheck, "MAIN_PROCESS", fake)
    for name in ("MOCKPMS_HOST", "MOCKPMS_PORT", "MOCKPMS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return fake


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_healthy_when_the_server_answers_on_mockpms_port(
    no_main_process: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ServerThread(create_app(Settings())) as server:
        monkeypatch.setenv("MOCKPMS_HOST", "0.0.0.0")
        monkeypatch.setenv("MOCKPMS_PORT", str(server.port))
        assert healthcheck.main() == 0
    assert f"healthy: http://127.0.0.1:{server.port}/_mock/health" in capsys.readouterr().out


def test_unhealthy_when_nothing_listens(
    no_main_process: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    monkeypatch.setenv("MOCKPMS_PORT", str(port))
    assert healthcheck.main() == 1
    assert f"unhealthy: http://127.0.0.1:{port}/_mock/health" in capsys.readouterr().out


def test_flags_of_the_main_process_beat_the_environment(
    no_main_process: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ServerThread(create_app(Settings())) as server:
        monkeypatch.setenv("MOCKPMS_PORT", str(free_port()))
        no_main_process.write_bytes(
            b"/usr/local/bin/python\0/usr/local/bin/mockpms\0serve\0--port\0"
            + str(server.port).encode()
            + b"\0"
        )
        assert healthcheck.main() == 0


def test_bad_configuration_is_unhealthy_not_a_traceback(
    no_main_process: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOCKPMS_PORT", "eighty")
    assert healthcheck.main() == 1
    assert "MOCKPMS_PORT='eighty'" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("cmdline", "flags"),
    [
        (["mockpms", "serve", "--port", "9000", "--host", "::"], {"port": "9000", "host": "::"}),
        (["/usr/bin/python3", "/usr/local/bin/mockpms", "serve"], {}),
        (["python", "-m", "http.server", "--port", "9000"], {}),
        (["mockpms", "serve", "--port"], {}),
    ],
)
def test_serve_flags(cmdline: list[str], flags: dict[str, str]) -> None:
    assert healthcheck.serve_flags(cmdline) == flags


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8080/_mock/health"),
        ("::", "http://[::1]:8080/_mock/health"),
        ("10.1.2.3", "http://10.1.2.3:8080/_mock/health"),
        ("fd00::5", "http://[fd00::5]:8080/_mock/health"),
    ],
)
def test_wildcard_bind_addresses_are_asked_on_loopback(host: str, url: str) -> None:
    assert healthcheck.health_url(host, 8080) == url
