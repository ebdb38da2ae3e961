"""The benchmark targets as module attributes, for granian's `module:attribute` loader
(benchmarks/peers.py runs `granian ... granian_targets:mockpms` from this directory)."""

from __future__ import annotations

from typing import Any

from targets import ceiling_app, mockpms_app


def __getattr__(name: str) -> Any:
    """Build only the app asked for, in granian's worker process."""
    if name == "ceiling":
        return ceiling_app()
    if name == "mockpms":
        return mockpms_app()
    raise AttributeError(name)
