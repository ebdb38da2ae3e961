"""A whole-attempt deadline for webhook POSTs: connect, send and every byte of the answer.

httpx's timeouts apply to each network operation, so a receiver that trickles
one byte a second never trips a 10-second read timeout and can hold a worker
for hours. This httpcore network backend clamps every connect, read and write
to the time left before the calling thread's deadline (set with `within`), so
the attempt as a whole ends at the deadline with a timeout, however the
receiver behaves.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx
from httpcore import NetworkStream
from httpcore._backends.sync import SyncBackend

from mockpms.scheduler import real_monotonic

_state = threading.local()


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Network operations of this thread end by `seconds` from now (httpcore timeouts)."""
    _state.deadline = real_monotonic() + seconds
    _state.received = 0
    try:
        yield
    finally:
        _state.deadline = None


def received() -> int:
    """Bytes this thread's current attempt has read so far (a partial answer if > 0)."""
    count: int = getattr(_state, "received", 0)
    return count


def _left(timeout: float | None, error: type[Exception]) -> float | None:
    deadline: float | None = getattr(_state, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - real_monotonic()
    if left <= 0:
        raise error("the attempt's deadline passed")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(NetworkStream):
    def __init__(self, inner: NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))
        _state.received = getattr(_state, "received", 0) + len(data)
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _left(timeout, httpcore.ConnectTimeout)
        )
        return DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> NetworkStream:
        stream = super().connect_tcp(
            host, port, _left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return DeadlineStream(stream)


def with_deadlines(transport: httpx.BaseTransport) -> httpx.BaseTransport:
    """An httpx transport whose network I/O obeys `within` (an HTTPTransport's pool gets
    the deadline backend; other transports, e.g. WSGITransport, have no network)."""
    pool = getattr(transport, "_pool", None)
    if isinstance(transport, httpx.HTTPTransport) and hasattr(pool, "_network_backend"):
        pool._network_backend = DeadlineBackend()  # type: ignore[union-attr]
    return transport
