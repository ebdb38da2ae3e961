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
        # Merchants with a seed of their own (POST /_mock/seed?apiKey=): their ids come
        # from their own generator, untouched by anyone else's draws.
        self._merchants: dict[str, IdGenerator] = {}
        # Called (under the lock) with the snapshot whenever it changes.
        self.on_change: Callable[[dict[str, Any]], None] = _nothing
        self.reseed(seed)

    def reseed(self, seed: int | None, api_key: str | None = None) -> None:
        """A new seed (None: OS randomness); with `api_key`, that merchant's own seed
        (None: it follows the sandbox's again). A global reseed drops merchants' seeds."""
        with self._lock:
            if api_key is None:
                self.seed, self.position = seed, 0
                self._merchants.clear()
            elif seed is None:
                self._merchants.pop(api_key, None)
            else:
                self._merchants[api_key] = self._child(seed)
            self.on_change(self.snapshot())

    def for_merchant(self, api_key: str) -> IdGenerator:
        """The generator a merchant's ids come from: its own if it has a seed, else this."""
        return self._merchants.get(api_key, self) if self._merchants else self

    def seed_of(self, api_key: str | None) -> int | None:
        """The seed in force for a merchant (its own, else the sandbox's)."""
        return self.seed if api_key is None else self.for_merchant(api_key).seed

    def _child(self, seed: int, position: int = 0) -> IdGenerator:
        child = IdGenerator(seed)
        child.position = position
        child.on_change = lambda _snapshot: self.on_change(self.snapshot())
        return child

    def snapshot(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "position": self.position,
            "merchants": {
                key: {"seed": child.seed, "position": child.position}
                for key, child in list(self._merchants.items())
            },
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        with self._lock:
            self.seed, self.position = snapshot["seed"], int(snapshot["position"])
            self._merchants = {
                key: self._child(kept["seed"], int(kept["position"]))
                for key, kept in snapshot.get("merchants", {}).items()
            }

    @contextmanager
    def _source(self) -> Iterator[random.Random]:
        """The randomness of one id (lock held): the OS's, or the seeded next position's."""
        with self._lock:
            if self.seed is None:
                yield self._system
                return
            source = random.Random(f"{self.seed}/{self.position}")
            self.position += 1
            self.on_change(self.snapshot())  # under the lock: the disk sees positions in order
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
