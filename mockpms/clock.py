"""The mock clock: wall clock plus an offset a test can move forward.

Every lifecycle deadline (5-minute payment expiry, 300-second H5 countdown,
webhook schedule) reads this clock. It reads `time.time()` on each call, so
under freezegun in-process it follows the frozen time too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

HONG_KONG = timezone(timedelta(hours=8))


class Clock:
    """Mock time: the wall clock plus a global offset, plus each merchant's own offset.

    A merchant's time is wall clock + global offset + its own offset (CONTRACT 17):
    `advance(s, api_key)` moves one tenant's expiries, countdowns and webhook
    schedule without touching anyone else's. Signature freshness never follows
    any offset (`wall_ms`).
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._own: dict[str, float] = {}  # per-merchant offsets, only the non-zero ones
        self._lock = threading.Lock()
        # Called (under the lock) with the snapshot whenever an offset changes: a data
        # dir keeps it (mockpms.sandbox wires it).
        self.on_change: Callable[[dict[str, Any]], None] = _nothing

    def now(self, api_key: str | None = None) -> float:
        """Mock time in seconds since the epoch (of merchant `api_key` when given)."""
        if api_key is None or not self._own:
            return time.time() + self._offset
        return time.time() + self._offset + self._own.get(api_key, 0.0)

    @property
    def offset(self) -> float:
        """The global offset."""
        return self._offset

    def own_offset(self, api_key: str | None) -> float:
        """A merchant's own offset, on top of the global one (0 when it has none)."""
        return self._own.get(api_key, 0.0) if api_key is not None else 0.0

    def advance(self, seconds: float, api_key: str | None = None) -> float:
        """Move mock time forward (one merchant's only, with `api_key`); returns the new
        offset (the merchant's own). Time never goes back."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        with self._lock:
            if api_key is None:
                self._offset += seconds
                moved = self._offset
            else:
                moved = self._own[api_key] = self._own.get(api_key, 0.0) + seconds
            self.on_change(self.snapshot())
            return moved

    def reset(self, api_key: str | None = None) -> None:
        """Every offset back to 0; with `api_key`, that merchant's own offset only."""
        with self._lock:
            if api_key is None:
                self._offset = 0.0
                self._own.clear()
            else:
                self._own.pop(api_key, None)
            self.on_change(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        return {"offset": self._offset, "merchants": dict(self._own)}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Take back the offsets a data dir kept (time already moved before a restart)."""
        with self._lock:
            self._offset = float(snapshot["offset"])
            self._own = {k: float(v) for k, v in snapshot.get("merchants", {}).items()}

    @staticmethod
    def wall_ms() -> int:
        """Wall-clock milliseconds: signature freshness never follows the offset."""
        return int(time.time() * 1000)


def _nothing(snapshot: dict[str, Any]) -> None:
    return None


def pms_datetime(epoch_seconds: float) -> str:
    """Format like PMS's txDatetime: 2021-05-25T17:33:38+0800 (Hong Kong time)."""
    return datetime.fromtimestamp(epoch_seconds, HONG_KONG).strftime("%Y-%m-%dT%H:%M:%S%z")
