"""Slow and idle clients never lock anyone out (the hostile audit's D1).

Before: waitress held at most 100 connections, so 100 idle keep-alive or slowloris
connections locked every new client out. Now the limit follows the open-files
limit (10,000 at most) and the socket loop uses poll(), so hundreds of held
connections leave a new client answered. The 1,000 + 300 for 30 s scenario, with
latency figures, is `benchmarks/slow_clients.py` (in `make bench`).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from mockpms.client import PMSClient
from mockpms.server import MAX_CONNECTIONS, connection_limit
from tests.conftest import Live, sale_fields

HELD = 150  # of each kind: 300 in all, three times the old limit


@pytest.fixture
def held(live: Live) -> Iterator[list[socket.socket]]:
    sockets: list[socket.socket] = []
    port = live.server.port
    try:
        for _ in range(HELD):  # idle keep-alive: one request answered, then silence
            idle = socket.create_connection(("127.0.0.1", port), timeout=10)
            idle.sendall(b"GET /_mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert idle.recv(65536).startswith(b"HTTP/1.1 200")
            sockets.append(idle)
        for _ in range(HELD):  # slowloris: headers begun, never finished
            slow = socket.create_connection(("127.0.0.1", port), timeout=10)
            slow.sendall(b"POST /tt-pms-ws/rest/online/query HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ")
            sockets.append(slow)
        yield sockets
    finally:
        for held_socket in sockets:
            held_socket.close()


def test_a_new_client_is_answered_while_hundreds_of_connections_are_held(
    live: Live, held: list[socket.socket]
) -> None:
    fields = sale_fields()
    with PMSClient(live.rest, "shop-a", "secret-a") as client:  # a new connection
        assert client.sales(**fields)["errorCode"] == "0"
    fresh = httpx.get(f"{live.url}/_mock/health", timeout=10)
    assert fresh.status_code == 200
    for slow in held[HELD:]:  # the slowloris ones are still held, not dropped
        slow.sendall(b"a")


def test_the_connection_limit_follows_the_open_files_limit() -> None:
    import resource

    limit = connection_limit()  # raises the soft limit first where allowed
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    assert limit == max(100, min(MAX_CONNECTIONS, soft - 256))
