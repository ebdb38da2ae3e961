"""Where mockpms finds its data files (an installed package or a source checkout)."""

from __future__ import annotations

from pathlib import Path

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
if not FIXTURES_DIR.is_dir():  # a source checkout: fixtures/ sits beside the package
    FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"
