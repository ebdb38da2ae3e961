"""`mockpms serve` says how to open the dashboard when --admin-token guards it."""

from __future__ import annotations

from mockpms.cli import startup_lines
from mockpms.config import Settings


def test_start_lines_tell_how_to_open_a_guarded_dashboard_without_printing_the_token() -> None:
    lines = "\n".join(startup_lines(Settings(admin_token="t0ps3cret"), "http://127.0.0.1:8080"))
    assert "/_mock/?token=<token>" in lines
    assert "t0ps3cret" not in lines
    assert "?token=" not in "\n".join(startup_lines(Settings(), "http://127.0.0.1:8080"))
