"""Store caps: the oldest finished or expired transactions, and closed H5 sessions, go first.

Every test runs against both stores: in memory, and on disk (--data-dir).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mockpms.datadir import DataDir
from mockpms.models import Transaction, TxStatus
from mockpms.sqlite_store import SqliteStore
from mockpms.store import MemoryStore, Store
from mockpms.testing import make_session, make_transaction

MakeStore = Callable[..., Store]


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeStore]:
    opened: list[DataDir] = []

    def make(**caps: Any) -> Store:
        if request.param == "memory":
            return MemoryStore(**caps)
        opened.append(DataDir.open(tmp_path / f"data{len(opened)}"))
        return SqliteStore(opened[-1], **caps)

    yield make
    for data in opened:
        data.close()


def txn(rrn: str, created: float, status: TxStatus = TxStatus.PENDING) -> Transaction:
    return make_transaction(rrn=rrn, token=f"T-{rrn}", created_at=created, status=status)


def test_oldest_finished_are_evicted_first(make_store: MakeStore) -> None:
    store = make_store(transaction_cap=2)
    store.add_transaction(txn("paid", 0, TxStatus.SUCCESS))
    store.add_transaction(txn("open", 1))
    store.add_transaction(txn("new", 2))
    assert [t.rrn for t in store.transactions()] == ["open", "new"]
    assert store.transaction_by_token("T-paid") is None


def test_unpaid_past_expiry_is_evicted_but_payable_stays(make_store: MakeStore) -> None:
    store = make_store(transaction_cap=2)
    store.add_transaction(txn("expired", 0))
    store.add_transaction(txn("payable", 200))
    store.add_transaction(txn("new", 301))  # 'expired' is past its 300 s
    assert [t.rrn for t in store.transactions()] == ["payable", "new"]
    store.add_transaction(txn("newer", 302))  # nothing evictable: briefly over the cap
    assert [t.rrn for t in store.transactions()] == ["payable", "new", "newer"]


def test_closed_sessions_are_evicted_first(make_store: MakeStore) -> None:
    store = make_store(transaction_cap=2)
    for index, paid in enumerate([None, "R1", None]):
        store.add_session(make_session(index, 0.0, paid_rrn=paid))
    assert [s.session_id for s in store.sessions()] == ["S0", "S2"]


def test_open_sessions_at_the_front_do_not_stop_closed_ones_going(make_store: MakeStore) -> None:
    """The audit's D4 (a): 1,000 open sessions, then 5,000 cancelled at a cap of 1,000."""
    store = make_store(transaction_cap=10, session_cap=1000)
    for i in range(1000):
        store.add_session(make_session(i, 0.0))
    for i in range(1000, 6000):
        store.add_session(make_session(i, 1.0, cancelled_at=1.0))
    assert store.counts()["sessions"] == 1000


def test_sessions_whose_countdown_ran_out_are_evictable(make_store: MakeStore) -> None:
    """D4 (b): scanned, unpaid, countdown over: closed even if nobody read it since."""
    store = make_store(session_cap=3, h5_countdown=300)
    for i in range(3):
        store.add_session(make_session(i, 0.0, scanned_at=0.0))
    store.add_session(make_session(3, 400.0))  # 400 s later: the three countdowns are over
    assert [s.session_id for s in store.sessions()] == ["S1", "S2", "S3"]


def test_a_running_countdown_is_never_cut_short_but_unscanned_sessions_go(
    make_store: MakeStore,
) -> None:
    """D4 (c): the store stays at its cap with open sessions too, taking the oldest QR
    code nobody opened, never a payer in the middle of paying."""
    store = make_store(session_cap=2, h5_countdown=300)
    store.add_session(make_session(0, 0.0, scanned_at=10.0))  # a payer is paying
    store.add_session(make_session(1, 1.0))
    store.add_session(make_session(2, 2.0))
    assert [s.session_id for s in store.sessions()] == ["S0", "S2"]
    for i in range(3, 20_000):
        store.add_session(make_session(i, 3.0))
    assert store.counts()["sessions"] == 2


def test_a_session_that_closes_later_moves_to_the_front_of_the_queue(make_store: MakeStore) -> None:
    store = make_store(session_cap=2, h5_countdown=300)
    first, second = make_session(0, 0.0), make_session(1, 1.0)
    store.add_session(first)
    store.add_session(second)
    second.paid_rrn = "R1"
    store.update_session(second)
    store.add_session(make_session(2, 2.0))
    assert [s.session_id for s in store.sessions()] == ["S0", "S2"]


def test_open_records_are_the_pending_sales_and_the_sessions_not_closed(
    make_store: MakeStore,
) -> None:
    store = make_store()
    store.add_transaction(txn("paid", 0, TxStatus.SUCCESS))
    store.add_transaction(txn("open", 1))
    store.add_session(make_session(0, 0.0, paid_rrn="R1"))
    store.add_session(make_session(1, 0.0, scanned_at=5.0))
    store.add_session(make_session(2, 0.0))
    pending, unclosed = store.open_records()
    assert [t.rrn for t in pending] == ["open"]
    assert sorted(s.session_id for s in unclosed) == ["S1", "S2"]
