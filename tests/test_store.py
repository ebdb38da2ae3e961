"""The store's caps: a long-running sandbox does not grow without bound."""

from __future__ import annotations

from mockpms.models import H5Session, Transaction, TxStatus
from mockpms.store import Store


def transaction(rrn: str, status: TxStatus) -> Transaction:
    return Transaction(
        api_key="k",
        rrn=rrn,
        type="WXPAY",
        store_code="S",
        till_id="01",
        salesman="1",
        tx_datetime="2021-06-09T13:10:33+0800",
        amt=1,
        ccy="HKD",
        lang="en",
        token=f"tok-{rrn}",
        created_at=0,
        expires_at=300,
        status=status,
    )


def test_oldest_finished_transactions_are_evicted_first_and_pending_kept() -> None:
    store = Store(transaction_cap=3)
    store.add_transaction(transaction("pending-1", TxStatus.PENDING))
    store.add_transaction(transaction("paid-1", TxStatus.SUCCESS))
    store.add_transaction(transaction("paid-2", TxStatus.SUCCESS))
    store.add_transaction(transaction("paid-3", TxStatus.FAILED))
    assert [t.rrn for t in store.transactions()] == ["pending-1", "paid-2", "paid-3"]
    assert store.transaction_by_token("tok-paid-1") is None


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
