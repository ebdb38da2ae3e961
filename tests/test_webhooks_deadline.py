"""--webhook-timeout is the whole attempt's deadline (hostile audit D2): a receiver that
trickles its answer is cut at the deadline and logged as a timeout, trickling receivers
never starve a healthy one, and a clock advance never waits longer than the deadline."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mockpms.models import TxStatus
from tests.conftest import Live, Receiver
from tests.test_webhooks_load import pay

TIMEOUT = 1.0


class Trickler:
    """A receiver on 127.0.0.1 that reads the request, then sends its answer one byte
    every 0.2 s: the headers (`headers=True`) or, after complete headers, the body."""

    def __init__(self, *, headers: bool) -> None:
        self.headers = headers
        self.accepted = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/hook"
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            thread = threading.Thread(target=self._trickle, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                conn.recv(65536)
                answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                if self.headers:
                    slow = answer + b"X-Slow: " + b"z" * 500
                else:
                    conn.sendall(answer + b"Content-Length: 500\r\n\r\n")
                    slow = b'{"errorCode": "0"' + b" " * 483
                for byte in slow:
                    if self._stop.wait(0.2):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return  # the mock gave up: that is the point

    def stop(self) -> None:
        self._stop.set()
        self._accepting.join(5)
        for thread in self._threads:
            thread.join(5)
        self._listener.close()


@pytest.fixture
def tricklers() -> Iterator[list[Trickler]]:
    made: list[Trickler] = []
    yield made
    for trickler in made:
        trickler.stop()


@pytest.mark.parametrize("headers", [False, True], ids=["body", "headers"])
def test_a_trickling_answer_is_cut_at_the_deadline(
    live_with: Any, tricklers: list[Trickler], headers: bool
) -> None:
    live: Live = live_with(webhook_timeout=TIMEOUT)
    trickler = Trickler(headers=headers)
    tricklers.append(trickler)
    pay(live, "TRICKLE1", trickler.url)
    [attempt] = live.sandbox.webhooks.wait_for_attempts(1, timeout=15)
    assert attempt.duration_ms < TIMEOUT * 1000 + 1500  # not 40 s, not hours
    assert attempt.error is not None
    assert "timeout" in attempt.error
    assert not attempt.acknowledged


def test_two_trickling_receivers_never_starve_a_healthy_one(
    live_with: Any, tricklers: list[Trickler], receiver: Receiver
) -> None:
    live: Live = live_with(webhook_timeout=5.0, webhook_workers=8)
    slow = [Trickler(headers=False), Trickler(headers=True)]
    tricklers.extend(slow)
    for index in range(10):
        for number, trickler in enumerate(slow):
            pay(live, f"SLOW{number}-{index}", trickler.url)
    time.sleep(0.3)  # both receivers now hold every worker they can get
    pay(live, "HEALTHY1", receiver.url)
    started = time.monotonic()
    receiver.wait_for(1, timeout=4.0)  # before any trickling attempt hits its deadline
    assert time.monotonic() - started < 4.0


def test_a_clock_advance_waits_no_longer_than_one_deadline(
    live_with: Any, tricklers: list[Trickler]
) -> None:
    live: Live = live_with(webhook_timeout=TIMEOUT)
    trickler = Trickler(headers=False)
    tricklers.append(trickler)
    box = live.sandbox
    txn = box.lifecycle.create_sale(box.settings.merchants[0], _request(trickler.url))
    started = time.monotonic()
    box.lifecycle.settle(txn, TxStatus.SUCCESS)
    answer = live.control("POST", "/clock/advance", json={"seconds": 0})
    assert answer.status_code == 200
    assert time.monotonic() - started < TIMEOUT + 5  # was 60 s with a hung receiver


def _request(url: str) -> Any:
    from mockpms.testing import make_sale_request

    return make_sale_request(webhook_url=url)
