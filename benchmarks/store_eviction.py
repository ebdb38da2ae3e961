"""Cost of online/sales once the store is at --transaction-cap: prints ms per 1,000 adds."""

from __future__ import annotations

import time

from mockpms.models import H5Session, Transaction, TxStatus
from mockpms.store import MemoryStore as Store
from mockpms.testing import make_session, make_transaction


def txn(i: int, status: TxStatus, created: float) -> Transaction:
    return make_transaction(rrn=f"R{i}", token=f"T{i}", created_at=created, status=status)


for label, status in (("finished", TxStatus.SUCCESS), ("pending, expired", TxStatus.PENDING)):
    s = Store(transaction_cap=200_000)
    for i in range(200_000):
        s.add_transaction(txn(i, status, 0.0))
    t = time.perf_counter()
    for i in range(200_000, 201_000):
        s.add_transaction(txn(i, TxStatus.PENDING, 1000.0))
    dt = time.perf_counter() - t
    print(
        f"{label:18s} 1000 adds over the cap: {dt * 1000:.0f} ms, kept {s.counts()['transactions']}"
    )


def session(i: int, cancelled: float | None) -> H5Session:
    return make_session(i, 0.0, cancelled_at=cancelled)


store = Store(transaction_cap=200_000)
for i in range(200_000):
    store.add_session(session(i, 1.0))
start = time.perf_counter()
for i in range(200_000, 201_000):
    store.add_session(session(i, None))
elapsed = time.perf_counter() - start
print(f"{'sessions, closed':18s} 1000 adds over the cap: {elapsed * 1000:.0f} ms")
