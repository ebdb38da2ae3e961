"""A reset is a clean cut (CONTRACT 15): work that began before a reset changes nothing after.

Every reset moves the sandbox to a new generation. A request (or an auto-settle
job) remembers the generation it began in (`entered`); the lifecycle refuses any
change, under the store lock, when that is no longer the current one, and the
webhook engine, the policy and the journal drop what an old generation sends
them. So a request in flight when a reset answers, a delayed fault, a slow
client or a job already running, creates or changes nothing in the fresh
sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from mockpms.errors import PmsError

_entered: ContextVar[int | None] = ContextVar("mockpms_generation", default=None)


class SandboxReset(PmsError):
    """The sandbox was reset while this request ran: errorCode 40002 (409 on /_mock)."""

    def __init__(self) -> None:
        super().__init__(
            "the sandbox was reset while this request ran (POST /_mock/reset); nothing was "
            "created or changed: send the request again"
        )


class Fence:
    """The sandbox's generation: bumped by every reset, under the store lock."""

    def __init__(self) -> None:
        self.current = 0

    def bump(self) -> None:
        self.current += 1

    def check(self) -> None:
        """SandboxReset if the running request or job began before the last reset."""
        began = _entered.get()
        if began is not None and began != self.current:
            raise SandboxReset

    def began(self) -> int:
        """The generation the running request or job began in (the current one if none)."""
        began = _entered.get()
        return self.current if began is None else began


@contextmanager
def entered(generation: int) -> Iterator[None]:
    """Run the body as work of `generation` (a request, an auto-settle job)."""
    token = _entered.set(generation)
    try:
        yield
    finally:
        _entered.reset(token)


def enter(generation: int) -> object:
    """For request hooks that cannot use a with block: see `leave`."""
    return _entered.set(generation)


def leave(token: object) -> None:
    _entered.reset(token)  # type: ignore[arg-type]
