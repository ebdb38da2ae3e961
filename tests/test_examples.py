"""The tutorial's example file (docs/pytest.md) passes, alone and under pytest-xdist."""

from __future__ import annotations

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
