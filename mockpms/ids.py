"""Generated identifiers (gwRefCode, payer ids, page tokens), seedable for deterministic runs."""

from __future__ import annotations

import os
import random
import string
import threading
import uuid


class IdGenerator:
    """Random ids from the OS by default; from a seeded PRNG after `reseed(n)`."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._random: random.Random = random.SystemRandom()
        self.seed: int | None = None
        self.reseed(seed)

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self.seed = seed
            self._random = random.Random(seed) if seed is not None else random.SystemRandom()

    def digits(self, count: int) -> str:
        with self._lock:
            return "".join(self._random.choice(string.digits) for _ in range(count))

    def hex(self, count: int) -> str:
        if self.seed is None:  # one urandom call, not one per character: tokens are hot
            return os.urandom((count + 1) // 2).hex().upper()[:count]
        with self._lock:
            return "".join(self._random.choice("0123456789ABCDEF") for _ in range(count))

    def chars(self, count: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        with self._lock:
            return "".join(self._random.choice(alphabet) for _ in range(count))

    def uuid(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def token(self) -> str:
        """An unguessable (or, when seeded, reproducible) token for page URLs."""
        return self.hex(64)
