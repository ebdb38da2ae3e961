"""find_chromium: which browser the browser tests (and scripts/screenshots.py) drive."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockpms import testing
from mockpms.testing import find_chromium


def fake_browser(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture(autouse=True)
def no_fixed_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the PATH given to each test counts, not this machine's browsers."""
    monkeypatch.setattr(testing, "BROWSER_PATHS", ())
    monkeypatch.setattr(testing, "_playwright_chromium", lambda: None)


@pytest.mark.parametrize("name", ["chromium-browser", "google-chrome", "microsoft-edge"])
def test_other_command_names_are_found_on_path(tmp_path: Path, name: str) -> None:
    browser = fake_browser(tmp_path, name)
    assert find_chromium({"PATH": str(tmp_path)}) == str(browser)


def test_chromium_is_preferred_over_chrome(tmp_path: Path) -> None:
    fake_browser(tmp_path, "google-chrome")
    chromium = fake_browser(tmp_path, "chromium")
    assert find_chromium({"PATH": str(tmp_path)}) == str(chromium)


def test_the_environment_variable_wins_and_must_exist(tmp_path: Path) -> None:
    fake_browser(tmp_path, "chromium")
    mine = fake_browser(tmp_path, "my-chrome")
    assert find_chromium({"PATH": str(tmp_path), "MOCKPMS_CHROMIUM": str(mine)}) == str(mine)
    gone = {"PATH": str(tmp_path), "MOCKPMS_CHROMIUM": str(tmp_path / "nothing")}
    assert find_chromium(gone) is None


def test_nothing_found_is_none(tmp_path: Path) -> None:
    assert find_chromium({"PATH": str(tmp_path)}) is None
