"""The tutorial's example file (docs/pytest.md) passes, alone and under pytest-xdist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "test_checkout_example.py"
TUTORIAL = ROOT / "docs" / "pytest.md"


def run_example(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the example as a user would: its own pytest, from its own directory."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", EXAMPLE.name, *args],
        cwd=EXAMPLE.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["plain", "xdist"])
def test_checkout_example_passes(args: tuple[str, ...]) -> None:
    result = run_example(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


def test_tutorial_quotes_the_example_file() -> None:
    """Every code block of the tutorial that names the example is in the example verbatim."""
    text = TUTORIAL.read_text(encoding="utf-8")
    example = EXAMPLE.read_text(encoding="utf-8")
    blocks = text.split("<!-- from examples/test_checkout_example.py -->\n```python\n")[1:]
    assert blocks, "docs/pytest.md quotes no block of the example file"
    for block in blocks:
        code = block.split("```", 1)[0]
        assert code in example, f"docs/pytest.md quotes code the example lacks:\n{code}"


WEBHOOK_EXAMPLE = ROOT / "examples" / "test_webhook_handling_example.py"
WEBHOOK_DOC = ROOT / "docs" / "testing-webhooks.md"


def run_webhook_example(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", WEBHOOK_EXAMPLE.name],
        cwd=WEBHOOK_EXAMPLE.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **env},
    )


def test_the_careful_shop_passes_the_webhook_tests() -> None:
    result = run_webhook_example()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    assert "mockpms integration report" not in result.stdout  # nothing wrong to report


def test_a_shop_that_trusts_every_notification_fails_the_forged_test() -> None:
    result = run_webhook_example(MOCKPMS_EXAMPLE_NAIVE_SHOP="1")
    assert result.returncode == 1
    assert "FAILED test_webhook_handling_example.py::test_a_forged_notification_ships_nothing" in (
        result.stdout
    )
    assert "forged-notification-acknowledged" in result.stdout  # the report says why
    assert "2 passed" in result.stdout


def test_the_webhook_page_quotes_the_example_file() -> None:
    text = WEBHOOK_DOC.read_text(encoding="utf-8")
    example = WEBHOOK_EXAMPLE.read_text(encoding="utf-8")
    blocks = text.split("<!-- from examples/test_webhook_handling_example.py -->\n```python\n")[1:]
    assert len(blocks) == 3
    for block in blocks:
        assert block.split("```", 1)[0] in example
