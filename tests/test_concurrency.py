"""Many merchants' requests at once: every invariant holds afterwards.

50 threads create, pay, query and cancel online sales and H5 sessions at the
same moment (a barrier releases them together), against one live server.
Then: no duplicate rrn, every paid transaction has exactly one webhook series
(and its receiver one POST), the counts add up, and nothing was logged as an
error. Races on one rrn, one sessionId or one payment have exactly one winner.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mockpms.client import PMSClient
from mockpms.config import Settings
from mockpms.errors import PmsError
from mockpms.models import TxStatus
from tests.conftest import (
    SHOP_A,
    SHOP_B,
    Live,
    Receiver,
    sale_fields,
    session_fields,
    start_live,
)

THREADS = 50


@pytest.fixture(scope="module", params=["memory", "sqlite"])
def store_live(
    request: pytest.FixtureRequest,
    test_settings: Settings,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Live]:
    """Every invariant is checked against both stores: in memory and on disk."""
    settings = test_settings
    if request.param == "sqlite":
        settings = settings.with_overrides(data_dir=str(tmp_path_factory.mktemp("data")))
    live = start_live(settings)
    yield live
    live.http.close()
    live.sandbox.close()
    live.server.stop()


@pytest.fixture
def live(store_live: Live) -> Live:
    store_live.reset()
    return store_live


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run work(0..count-1) on `count` threads released at once; re-raise any failure."""
    barrier = threading.Barrier(count, timeout=30)

    def start(index: int) -> Any:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


def clients(live: Live) -> list[PMSClient]:
    return [
        PMSClient(live.rest, merchant.api_key, merchant.secret)
        for merchant in (SHOP_A, SHOP_B) * (THREADS // 2)
    ]


def test_fifty_threads_of_sales_and_h5_keep_every_invariant(
    live: Live, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    box = live.sandbox
    pool = clients(live)

    def sale_flow(index: int) -> dict[str, Any]:
        """Create, query, then pay (0), cancel (1) or leave pending (2); query again."""
        client = pool[index]
        fields = sale_fields(webhookUrl=receiver.url, amt=1000 + index)
        created = client.sales(**fields)
        assert created["errorCode"] == "0", created
        query = {"type": fields["type"], "rrn": fields["rrn"], "storeCode": fields["storeCode"]}
        assert client.query(**query)["gwRefStatus"] == "05"
        action = index % 3
        if action < 2:  # the payer pays, or cancels (gwRefStatus 04)
            outcome = "success" if action == 0 else "refunded"
            settled = live.control(
                "POST",
                f"/transactions/{fields['rrn']}/settle",
                json={"outcome": outcome, "apiKey": client.api_key},
            )
            assert settled.status_code == 200, settled.text
        after = client.query(**query)
        assert after["errorCode"] == "0" and after["amt"] == 1000 + index
        return {"kind": "sale", "action": action, "status": after["gwRefStatus"]}

    def h5_flow(index: int) -> dict[str, Any]:
        """Create, query, then pay (0), cancel (1), or pay and cancel at once (2)."""
        client = pool[index]
        fields = session_fields(webhookUrl=receiver.url, amt=2000 + index)
        session_id = fields["sessionId"]
        assert client.h5_create(**fields)["errorCode"] == "0"
        assert client.h5_query(session_id)["status"] == "1"
        action = index % 3
        pay = {"wallet": "WXPAY", "apiKey": client.api_key}
        if action == 0:
            paid = live.control("POST", f"/sessions/{session_id}/pay", json=pay)
            assert paid.status_code == 200, paid.text
        elif action == 1:
            assert client.h5_cancel(session_id)["errorCode"] == "0"
        else:
            results: dict[str, Any] = {}
            racers = [
                threading.Thread(
                    target=lambda: results.__setitem__(
                        "pay", live.control("POST", f"/sessions/{session_id}/pay", json=pay)
                    )
                ),
                threading.Thread(
                    target=lambda: results.__setitem__("cancel", client.h5_cancel(session_id))
                ),
            ]
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join(30)
            paid_ok = results["pay"].status_code == 200
            cancel_ok = results["cancel"]["errorCode"] == "0"
            # Cancel first: no payment (not scanned yet). Pay first: the cancel is refused.
            # Pay scans, then the cancel lands, then... pay holds the lock: impossible.
            assert paid_ok != cancel_ok, (results["pay"].text, results["cancel"])
        status = client.h5_query(session_id)["status"]
        return {"kind": "h5", "action": action, "status": status, "id": session_id}

    def flow(index: int) -> dict[str, Any]:
        return sale_flow(index) if index % 2 == 0 else h5_flow(index)

    results = run_together(THREADS, flow)

    transactions = box.store.transactions()
    sessions = box.store.sessions()
    # No duplicate rrn (per merchant: the store's key; and none across H5 payments).
    keys = Counter((t.api_key, t.rrn) for t in transactions)
    assert max(keys.values()) == 1
    # Counts add up.
    sales = [r for r in results if r["kind"] == "sale"]
    h5 = [r for r in results if r["kind"] == "h5"]
    h5_paid = [r for r in h5 if r["status"] == "2"]
    assert len(sessions) == len(h5)
    assert len(transactions) == len(sales) + len(h5_paid)
    by_status = Counter(t.status for t in transactions)
    sales_paid = sum(1 for r in sales if r["action"] == 0)
    assert by_status[TxStatus.SUCCESS] == sales_paid + len(h5_paid)
    assert by_status[TxStatus.REFUNDED] == sum(1 for r in sales if r["action"] == 1)
    assert by_status[TxStatus.PENDING] == sum(1 for r in sales if r["action"] == 2)
    assert all(r["status"] == {0: "01", 1: "04", 2: "05"}[r["action"]] for r in sales)
    assert all(r["status"] == "2" for r in h5 if r["action"] == 0)
    assert all(r["status"] == "0" for r in h5 if r["action"] == 1)
    # Every paid transaction: exactly one webhook series, and its receiver one POST.
    paid = [t for t in transactions if t.status is TxStatus.SUCCESS]
    received = receiver.wait_for(len(paid), timeout=30)
    for txn in paid:
        assert len(box.webhooks.deliveries(rrn=txn.rrn)) == 1, txn.rrn
    assert sorted(r.json["rrn"] for r in received) == sorted(t.rrn for t in paid)
    for txn in transactions:
        if txn.status is not TxStatus.SUCCESS:
            assert box.webhooks.deliveries(rrn=txn.rrn) == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    for client in pool:
        client.close()


def test_twenty_sales_with_one_rrn_have_exactly_one_winner(
    live: Live, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    pool = clients(live)
    fields = sale_fields()

    def create(index: int) -> dict[str, Any]:
        return pool[index * 2].sales(**{**fields, "amt": 100 + index})  # all shop-a

    answers = run_together(20, create)
    codes = Counter(a["errorCode"] for a in answers)
    assert codes == {"0": 1, "601": 19}, codes
    winner = next(a for a in answers if a["errorCode"] == "0")
    stored = live.client.query(type=fields["type"], rrn=fields["rrn"], storeCode="WP001")
    assert stored["amt"] == winner["amt"]  # the first transaction is untouched by the others
    assert live.sandbox.store.counts()["transactions"] == 1
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_twenty_creates_with_one_session_id_have_exactly_one_winner(live: Live) -> None:
    pool = clients(live)
    fields = session_fields()
    answers = run_together(20, lambda i: pool[i * 2].h5_create(**{**fields, "amt": 10 + i}))
    assert Counter(a["errorCode"] for a in answers)["0"] == 1
    assert live.sandbox.store.counts()["sessions"] == 1


def test_twenty_payments_of_one_transaction_settle_it_once(live: Live, receiver: Receiver) -> None:
    fields = sale_fields(webhookUrl=receiver.url)
    assert live.client.sales(**fields)["errorCode"] == "0"
    path = f"/transactions/{fields['rrn']}/settle"
    statuses = run_together(
        20, lambda _: live.control("POST", path, json={"outcome": "success"}).status_code
    )
    assert Counter(statuses) == {200: 1, 409: 19}
    receiver.wait_for(1)
    assert len(live.sandbox.webhooks.deliveries(rrn=fields["rrn"])) == 1


def test_twenty_lifecycle_settles_of_one_transaction_succeed_once(live: Live) -> None:
    """The same race in-process, where the pages and the control API both call it."""
    fields = sale_fields(webhookUrl="")
    assert live.client.sales(**fields)["errorCode"] == "0"
    box = live.sandbox
    txn = live.transaction(fields["rrn"], SHOP_A.api_key)

    def pay(_: int) -> bool:
        try:
            box.lifecycle.settle(txn, TxStatus.SUCCESS)
        except PmsError:
            return False
        return True

    assert sum(run_together(20, pay)) == 1


def test_twenty_wallet_payments_of_one_session_pay_it_once(live: Live, receiver: Receiver) -> None:
    fields = session_fields(webhookUrl=receiver.url)
    assert live.client.h5_create(**fields)["errorCode"] == "0"
    path = f"/sessions/{fields['sessionId']}/pay"
    statuses = run_together(20, lambda _: live.control("POST", path, json={}).status_code)
    assert Counter(statuses) == {200: 1, 409: 19}
    receiver.wait_for(1)
    assert len(live.sandbox.webhooks.deliveries(session_id=fields["sessionId"])) == 1
