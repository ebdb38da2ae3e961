"""In-process under freezegun: the webhook schedule follows frozen time.

Documented pattern: `frozen.tick(seconds)` moves time, then `sandbox.run_due()`
(or `POST /_mock/clock/advance {"seconds": 0}`) runs what fell due and waits for it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from freezegun import freeze_time

from mockpms.config import Settings
from mockpms.models import TxStatus
from mockpms.sandbox import Sandbox
from mockpms.testing import make_sale_request
from tests.conftest import SHOP_A, Receiver, Reply

FROZEN = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def test_attempts_are_sent_at_exactly_0_300_600_seconds_of_frozen_time(
    receiver: Receiver,
) -> None:
    receiver.respond(Reply(500), Reply(500))
    with freeze_time(FROZEN) as frozen:
        sandbox = Sandbox(Settings(merchants=(SHOP_A,)))
        try:
            txn = sandbox.lifecycle.create_sale(
                SHOP_A,
                make_sale_request(rrn="FROZEN0001", amt=100, webhook_url=receiver.url),
            )
            sandbox.lifecycle.settle(txn, TxStatus.SUCCESS)
            sandbox.run_due()
            frozen.tick(299)
            sandbox.run_due()
            assert len(sandbox.webhooks.attempts()) == 1
            frozen.tick(1)
            sandbox.run_due()
            frozen.tick(300)
            sandbox.run_due()
        finally:
            sandbox.close()

    logged = sandbox.webhooks.attempts()
    start = FROZEN.timestamp()
    assert [a.sent_at - start for a in logged] == [0, 300, 600]
    assert [a.scheduled_at - start for a in logged] == [0, 300, 600]
    assert [a.acknowledged for a in logged] == [False, False, True]
    assert len(receiver.requests) == 3
