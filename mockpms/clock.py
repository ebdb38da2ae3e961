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

HONG_KONG = timezone(timedelta(hours=8))


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        # Called (under the lock) with the new offset whenever it changes: a data dir
        # keeps it (mockpms.sandbox wires it).
        self.on_change: Callable[[float], None] = _nothing

    def now(self) -> float:
        """Mock time in seconds since the epoch."""
        return time.time() + self._offset

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        """Move mock time forward; returns the new offset. Time never goes back."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        with self._lock:
            self._offset += seconds
            self.on_change(self._offset)
            return self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self.on_change(self._offset)

    def restore(self, offset: float) -> None:
        """Take back the offset a data dir kept (the time already moved before a restart)."""
        with self._lock:
            self._offset = float(offset)

    @staticmethod
    def wall_ms() -> int:
        """Wall-clock milliseconds: signature freshness never follows the offset."""
        return int(time.time() * 1000)


def _nothing(offset: float) -> None:
    return None


def pms_datetime(epoch_seconds: float) -> str:
    """Format like PMS's txDatetime: 2021-05-25T17:33:38+0800 (Hong Kong time)."""
    return datetime.fromtimestamp(epoch_seconds, HONG_KONG).strftime("%Y-%m-%dT%H:%M:%S%z")
