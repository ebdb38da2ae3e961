"""The README's examples and its options table stay true."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockpms.app import create_app
from mockpms.config import OPTIONS, Merchant, Settings
from mockpms.server import ServerThread

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
SANDBOX = Merchant(api_key="mockpms-sandbox", secret="mockpms-sandbox-secret")


def block(language: str) -> str:
    found = re.search(
        rf"<!-- tested: tests/test_readme.py -->\n```{language}\n(.*?)```", README, re.S
    )
    assert found, f"no tested {language} block in README.md"
    return found.group(1)


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    server = ServerThread(create_app(Settings(merchants=(SANDBOX,)))).start()
    yield server.url
    server.stop()


def test_python_example_creates_a_sale(
    sandbox_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = block("python").replace("http://127.0.0.1:8080", sandbox_url)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert printed.startswith(f"0 {sandbox_url}/pms-payment/eft-payment?value=")


@pytest.mark.skipif(
    not shutil.which("openssl") or not shutil.which("curl"), reason="needs curl and openssl"
)
def test_curl_example_lists_the_gateways(sandbox_url: str) -> None:
    script = block("sh").replace("http://127.0.0.1:8080", sandbox_url)
    out = subprocess.run(
        ["bash", "-c", script], check=True, capture_output=True, text=True, timeout=30
    ).stdout
    assert '"errorCode":"0"' in out and '"WeChat Pay"' in out


def test_every_option_is_in_the_table() -> None:
    for option in OPTIONS:
        assert f"| `{option.flag}` | `{option.env}` | `{option.name}` |" in README, option.name
