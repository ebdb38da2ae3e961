"""What bounds a long-running sandbox: the transaction cap and what it evicts.

A sandbox shared by a CI fleet runs for weeks. Past `transaction_cap`, the
oldest finished transactions go first (paid, failed, refunded, and pending ones
past their 5-minute expiry, which read as timed out); a transaction that can
still be paid is never evicted.
"""

from __future__ import annotations

from mockpms.app import create_app
from mockpms.clock import Clock
from mockpms.config import Merchant, Settings
from mockpms.models import TxStatus
from mockpms.pms_requests import SaleRequest
from mockpms.testing import make_sale_request

MERCHANT = Merchant("shop", "secret")


def sale(rrn: str) -> SaleRequest:
    return make_sale_request(rrn=rrn, store_code="S1", lang="en")


def sandbox(cap: int, clock: Clock | None = None):  # type: ignore[no-untyped-def]
    settings = Settings(merchants=(MERCHANT,), transaction_cap=cap)
    return create_app(settings, clock=clock).extensions["mockpms"]


def test_the_cap_bounds_a_sandbox_of_finished_payments() -> None:
    box = sandbox(cap=1000)
    for i in range(5000):
        txn = box.lifecycle.create_sale(MERCHANT, sale(f"R{i}"))
        box.lifecycle.settle(txn, TxStatus.SUCCESS if i % 2 else TxStatus.FAILED)
    kept = [t.rrn for t in box.store.transactions()]
    assert len(kept) <= 1000
    assert kept[-1] == "R4999" and "R0" not in kept  # the newest stay, the oldest went
    assert box.store.transaction_by_token(box.store.transactions()[0].token) is not None


def test_payable_transactions_are_never_evicted() -> None:
    box = sandbox(cap=100)
    pending = [box.lifecycle.create_sale(MERCHANT, sale(f"P{i}")) for i in range(150)]
    assert box.store.counts()["transactions"] == 150  # over the cap: nothing may go
    assert all(box.store.transaction(MERCHANT.api_key, t.rrn) is t for t in pending)


def test_abandoned_payments_go_once_expired() -> None:
    clock = Clock()
    box = sandbox(cap=100, clock=clock)
    for i in range(100):
        box.lifecycle.create_sale(MERCHANT, sale(f"A{i}"))  # never paid, never queried
    clock.advance(301)  # past the 5-minute expiry: they read as timed out
    for i in range(50):
        box.lifecycle.create_sale(MERCHANT, sale(f"B{i}"))
    kept = [t.rrn for t in box.store.transactions()]
    assert len(kept) <= 100
    assert all(f"B{i}" in kept for i in range(50))  # the fresh, payable ones all stay
