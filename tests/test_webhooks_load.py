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
from mockpms.lifecycle import SaleRequest
from mockpms.models import TxStatus
from tests.conftest import SHOP_A, SilentReceiver

PAYMENTS = 2000
QUERIES = 300


def test_2000_hung_webhooks_never_block_signed_queries(
    live_with: Any, silent_receiver: SilentReceiver
) -> None:
    mock = live_with(webhook_timeout=0.5)
    lifecycle = mock.sandbox.lifecycle
    rrns = []
    for n in range(PAYMENTS):
        txn = lifecycle.create_sale(
            SHOP_A,
            SaleRequest(
                type="ALIPAY",
                rrn=f"LOAD{n:06d}",
                store_code="ST01",
                till_id="01",
                salesman="9999",
                tx_datetime="2026-03-01T20:00:00+0800",
                amt=100 + n,
                ccy="HKD",
                lang="en",
                webhook_url=silent_receiver.url,
            ),
        )
        lifecycle.settle(txn, TxStatus.SUCCESS)
        rrns.append(txn.rrn)

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
