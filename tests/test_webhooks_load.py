"""Load: 2,000 webhooks to a receiver that never answers, while the API keeps answering.

Bounded: the mock's webhook timeout is short, the query count is fixed, and the
sandbox is closed (pending attempts cancelled) at the end. Latency is printed
(run with -s to see it), never asserted: machines are noisy.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from mockpms.client import PMSClient
from mockpms.models import TxStatus
from mockpms.testing import make_sale_request
from tests.conftest import SHOP_A, Live, Receiver, SilentReceiver

PAYMENTS = 2000
QUERIES = 300


def pay(mock: Live, rrn: str, webhook_url: str, amt: int = 100) -> str:
    """A successful ALIPAY sale, made in-process: the load is on delivery, not on sales."""
    txn = mock.sandbox.lifecycle.create_sale(
        SHOP_A,
        make_sale_request(
            type="ALIPAY", rrn=rrn, store_code="ST01", amt=amt, webhook_url=webhook_url
        ),
    )
    mock.sandbox.lifecycle.settle(txn, TxStatus.SUCCESS)
    return txn.rrn


def test_2000_hung_webhooks_never_block_signed_queries(
    live_with: Any, silent_receiver: SilentReceiver
) -> None:
    mock = live_with(webhook_timeout=0.5)
    rrns = [pay(mock, f"LOAD{n:06d}", silent_receiver.url, amt=100 + n) for n in range(PAYMENTS)]

    latencies = []
    with PMSClient(mock.rest, SHOP_A.api_key, SHOP_A.secret) as client:
        for n in range(QUERIES):
            rrn = rrns[(n * 7) % PAYMENTS]
            started = time.perf_counter()
            answer = client.query(type="ALIPAY", rrn=rrn, storeCode="ST01")
            latencies.append((time.perf_counter() - started) * 1000)
            assert answer["errorCode"] == "0", answer
            assert answer["rrn"] == rrn
            assert answer["gwRefStatus"] == "01"
            assert answer["amt"] == 100 + int(rrn[4:])

    logged = mock.sandbox.webhooks.attempts()
    pending = mock.sandbox.scheduler.pending()
    assert silent_receiver.accepted >= 1, "the deliveries did reach the hung receiver"
    assert logged, "some attempts ran out their timeout meanwhile"
    assert all(not a.acknowledged and "read timeout" in a.error for a in logged)
    assert pending > 0, "most of the 2,000 deliveries were still waiting for a worker"

    quantiles = statistics.quantiles(latencies, n=100)
    print(
        f"\nonline/query while {PAYMENTS} webhooks hang ({len(logged)} attempts timed out, "
        f"{pending} waiting): n={QUERIES} mean={statistics.mean(latencies):.1f} ms "
        f"p50={quantiles[49]:.1f} ms p95={quantiles[94]:.1f} ms p99={quantiles[98]:.1f} ms "
        f"max={max(latencies):.1f} ms"
    )

    mock.sandbox.close()
    assert mock.sandbox.scheduler.pending() == 0, "close() cancelled every pending attempt"
    count = len(mock.sandbox.webhooks.attempts())
    time.sleep(1.0)  # nothing may run after close: no new attempt appears
    assert len(mock.sandbox.webhooks.attempts()) == count


def test_a_hung_receiver_does_not_hold_up_deliveries_to_others(
    live_with: Any, silent_receiver: SilentReceiver, receiver: Receiver
) -> None:
    mock = live_with(webhook_timeout=5, webhook_workers=4)
    for n in range(40):  # 40 × 5 s of backlog on the hung receiver
        pay(mock, f"HUNG{n:04d}", silent_receiver.url)
    healthy = pay(mock, "HEALTHY0001", receiver.url)

    (request,) = receiver.wait_for(1, timeout=10)
    assert request.json["rrn"] == healthy
    (logged,) = mock.sandbox.webhooks.wait_for_attempts(1, rrn=healthy, timeout=10)
    assert logged.acknowledged
    assert mock.sandbox.scheduler.pending() > 30, "the hung receiver's backlog is still queued"
