"""Generated identifiers (gwRefCode, payer ids, page tokens), seedable for deterministic runs."""

from __future__ import annotations

import os
import random
import string
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class IdGenerator:
    """Random ids from the OS by default; reproducible ones after `reseed(n)`.

    A seeded generator draws each id from a PRNG seeded with (seed, position), the
    position counting the ids drawn since the seed was set. So its whole state is
    two numbers (`snapshot`): a data dir keeps them at each draw, and a restarted
    sandbox goes on with the next id, never one it already gave.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._system = random.SystemRandom()
        self.seed: int | None = None
        self.position = 0
        # Called (under the lock) with the snapshot whenever it changes.
        self.on_change: Callable[[dict[str, Any]], None] = _nothing
        self.reseed(seed)

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self.seed, self.position = seed, 0
            self.on_change(self.snapshot())

    def snapshot(self) -> dict[str, Any]:
        return {"seed": self.seed, "position": self.position}

    def restore(self, snapshot: dict[str, Any]) -> None:
        with self._lock:
            self.seed, self.position = snapshot["seed"], int(snapshot["position"])

    @contextmanager
    def _source(self) -> Iterator[random.Random]:
        """The randomness of one id (lock held): the OS's, or the seeded next position's."""
        with self._lock:
            if self.seed is None:
                yield self._system
                return
            source = random.Random(f"{self.seed}/{self.position}")
            self.position += 1
            self.on_change(self.snapshot())
            yield source

    def digits(self, count: int) -> str:
        with self._source() as source:
            return "".join(source.choice(string.digits) for _ in range(count))

    def hex(self, count: int) -> str:
        if self.seed is None:  # one urandom call, not one per character: tokens are hot
            return os.urandom((count + 1) // 2).hex().upper()[:count]
        with self._source() as source:
            return "".join(source.choice("0123456789ABCDEF") for _ in range(count))

    def chars(self, count: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        with self._source() as source:
            return "".join(source.choice(alphabet) for _ in range(count))

    def uuid(self) -> str:
        with self._source() as source:
            return str(uuid.UUID(int=source.getrandbits(128), version=4))

    def token(self) -> str:
        """An unguessable (or, when seeded, reproducible) token for page URLs."""
        return self.hex(64)


def _nothing(snapshot: dict[str, Any]) -> None:
    return None
