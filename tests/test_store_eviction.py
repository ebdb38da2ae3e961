"""Store caps: the oldest finished or expired transactions, and closed H5 sessions, go first."""

from __future__ import annotations

from mockpms.models import H5Session, Transaction, TxStatus
from mockpms.store import MemoryStore as Store
from mockpms.testing import make_transaction


def txn(rrn: str, created: float, status: TxStatus = TxStatus.PENDING) -> Transaction:
    return make_transaction(rrn=rrn, token=f"T-{rrn}", created_at=created, status=status)


def test_oldest_finished_are_evicted_first() -> None:
    store = Store(transaction_cap=2)
    store.add_transaction(txn("paid", 0, TxStatus.SUCCESS))
    store.add_transaction(txn("open", 1))
    store.add_transaction(txn("new", 2))
    assert [t.rrn for t in store.transactions()] == ["open", "new"]
    assert store.transaction_by_token("T-paid") is None


def test_unpaid_past_expiry_is_evicted_but_payable_stays() -> None:
    store = Store(transaction_cap=2)
    store.add_transaction(txn("expired", 0))
    store.add_transaction(txn("payable", 200))
    store.add_transaction(txn("new", 301))  # 'expired' is past its 300 s
    assert [t.rrn for t in store.transactions()] == ["payable", "new"]
    store.add_transaction(txn("newer", 302))  # nothing evictable: briefly over the cap
    assert [t.rrn for t in store.transactions()] == ["payable", "new", "newer"]


def test_closed_sessions_are_evicted_first() -> None:
    store = Store(transaction_cap=2)
    for index, paid in enumerate([None, "R1", None]):
        store.add_session(
            H5Session(
                api_key="k",
                session_id=f"S{index}",
                merchant_name="m",
                store_code="s",
                till_id="01",
                sales_man="1",
                amt=1,
                webhook_url="http://x",
                token=f"t{index}",
                created_at=0,
                paid_rrn=paid,
            )
        )
    assert [s.session_id for s in store.sessions()] == ["S0", "S2"]
