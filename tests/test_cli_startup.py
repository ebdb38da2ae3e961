"""`mockpms serve` start-up edge cases (hostile audit D11, D14, D15): each bad configuration
exits 2 with one line before binding, none hangs, and the banner shows real URLs and
only the secrets it may show."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import free_port, start

SERVE = [sys.executable, "-m", "mockpms", "serve"]


def refused(*args: str, env: dict[str, str] | None = None) -> str:
    """Run `mockpms serve` expecting it to refuse: exit 2, one line on stderr, no banner."""
    done = subprocess.run(
        [*SERVE, *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=20,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "listening" not in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def banner(*args: str, env: dict[str, str] | None = None) -> str:
    """The start-up lines of a server that started, then stopped."""
    process = start(*args, env=env)
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
    finally:
        process.terminate()
        process.communicate(timeout=10)
    return "".join(lines)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (os.urandom(256) + b"\xff\xfe", "not UTF-8 text"),
        ("port = 8080\n".encode("utf-16"), "not UTF-8 text"),
        (b"\x00\x01binary", "not valid TOML"),
    ],
)
def test_a_config_file_that_is_not_utf8_toml_is_one_line(
    tmp_path: Path, content: bytes, says: str
) -> None:
    config = tmp_path / "mockpms.toml"
    config.write_bytes(content)
    assert says in refused("--config", str(config))


def test_a_fifo_or_a_device_as_config_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    assert "not a regular file" in refused("--config", str(fifo))
    assert "not a regular file" in refused("--config", "/dev/zero")


def test_an_empty_gateway_list_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("gateways = []\n")
    assert "gateways" in refused("--config", str(config))


def test_threads_are_bounded_before_anything_starts() -> None:
    assert "--threads='100000': must be at most" in refused("--threads", "100000", "--port", "0")


def test_a_bad_file_value_is_an_error_even_when_a_flag_overrides_it(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('port = "abc"\n')
    line = refused("--config", str(config), "--port", str(free_port()))
    assert "port='abc': must be a whole number" in line


@pytest.mark.parametrize("url", ["http://x:99999", "http://mockpms:8080/?a=1", "http://m/#f"])
def test_public_url_must_be_a_plain_base_url(url: str) -> None:
    assert "--public-url=" in refused("--public-url", url)


def test_port_zero_prints_the_port_it_got() -> None:
    shown = banner("--port", "0")
    assert ":0\n" not in shown
    assert ":0/" not in shown
    url = shown.split("listening on ", 1)[1].split()[0]
    assert int(url.rsplit(":", 1)[1]) > 0


def test_an_ipv6_host_prints_a_bracketed_url() -> None:
    shown = banner("--host", "::1", "--port", "0")
    assert "listening on http://[::1]:" in shown


def test_secrets_from_file_and_environment_are_masked_in_the_banner(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[[merchants]]\napiKey = "file-shop"\nsecret = "file-secret-XYZZY"\n')
    shown = banner(
        "--port",
        "0",
        "--config",
        str(config),
        env={"MOCKPMS_API_KEY": "env-shop", "MOCKPMS_SECRET": "env-secret-PLUGH"},
    )
    assert "apiKey=env-shop  secret=***" in shown
    assert "apiKey=file-shop  secret=***" in shown
    assert "XYZZY" not in shown
    assert "PLUGH" not in shown


def test_the_sandbox_and_flag_merchants_show_their_secrets() -> None:
    assert "apiKey=mockpms-sandbox  secret=mockpms-sandbox-secret" in banner("--port", "0")
    flagged = banner("--port", "0", "--api-key", "k", "--secret", "flag-secret")
    assert "apiKey=k  secret=flag-secret" in flagged
