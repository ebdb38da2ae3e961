"""FaultBook: first in, first out, and exactly `count` uses under any concurrency."""

from __future__ import annotations

import threading

from mockpms.faults import FaultBook, parse_fault


def test_take_is_exact_under_many_threads() -> None:
    book = FaultBook()
    book.add(**parse_fault({"endpoint": "online/sales", "errorCode": "3", "count": 37}))
    taken: list[int] = []
    start = threading.Barrier(50)

    def call() -> None:
        start.wait()
        for _ in range(20):
            if book.take("online/sales") is not None:
                taken.append(1)

    threads = [threading.Thread(target=call) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(taken) == 37
    assert book.active() == []


def test_faults_queue_first_in_first_out() -> None:
    book = FaultBook()
    book.add(**parse_fault({"errorCode": "3"}))
    book.add(**parse_fault({"endpoint": "online/query", "httpStatus": 503, "count": 2}))
    first = book.take("online/query")
    assert first is not None
    assert first.error_code == "3"  # the catch-all came first
    assert book.take("online/sales") is None
    second = book.take("online/query")
    assert second is not None
    assert second.http_status == 503
    assert second.remaining == 1
    third = book.take("online/query")
    assert third is not None
    assert third.remaining == 0
    assert book.take("online/query") is None


def test_endpoint_accepts_any_prefix() -> None:
    for name in (
        "online/sales",
        "/online/sales",
        "/tt-pms-ws/online/sales",
        "/tt-pms-ws/rest/online/sales",
    ):
        assert parse_fault({"endpoint": name, "drop": True})["endpoint"] == "online/sales"
    assert parse_fault({"endpoint": None, "delayMs": 5})["endpoint"] is None
