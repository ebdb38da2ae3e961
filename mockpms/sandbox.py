"""One sandbox: settings plus every piece of state, and the single reset() of it all."""

from __future__ import annotations

from mockpms.clock import Clock
from mockpms.config import Settings
from mockpms.faults import FaultBook
from mockpms.gateways import GatewayCatalog
from mockpms.ids import IdGenerator
from mockpms.journal import Journal
from mockpms.lifecycle import Lifecycle
from mockpms.policy import AutoSettle, Policy
from mockpms.scheduler import Scheduler
from mockpms.store import Store
from mockpms.webhooks import WebhookEngine


class Sandbox:
    def __init__(
        self, settings: Settings, store: Store | None = None, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.store = store or Store(transaction_cap=settings.transaction_cap)
        self.ids = IdGenerator(settings.seed)
        self.gateways = GatewayCatalog(settings.gateways)
        # Jobs on the mock clock (webhook attempts, auto-settlement): one timer thread
        # and a bounded pool, started on first use.
        self.scheduler = Scheduler(self.clock, settings.webhook_workers)
        self.webhooks = WebhookEngine(settings, self.clock, self.scheduler)
        self.lifecycle = Lifecycle(
            settings, self.store, self.clock, self.ids, self.gateways, notifier=self.webhooks
        )
        self.journal = Journal(settings.journal_cap)
        self.faults = FaultBook()
        initial = Policy.parse(settings.auto_settle) if settings.auto_settle else None
        self.policy = AutoSettle(self.lifecycle, self.clock, self.scheduler, initial)
        self.lifecycle.on_sale = self.policy.transaction_created
        self.lifecycle.on_scan = self.policy.session_scanned
        # What /_mock/ready reports: loaded at construction, so an app that exists is
        # ready unless its configuration left it without merchants or gateways.
        self.loaded = {"merchants": len(settings.merchants), "gateways": len(self.gateways.types)}
        self.closed = False

    def reset(self) -> None:
        """Back to the start state: no transactions, sessions, deliveries, journal entries
        or faults; clock offset 0; the configured seed and auto-settle policy."""
        with self.store.lock:
            self.scheduler.cancel_all()
            self.policy.reset()
            self.journal.reset()
            self.faults.reset()
            self.webhooks.reset()
            self.store.reset()
            self.clock.reset()
            self.ids.reseed(self.settings.seed)

    def run_due(self, timeout: float = 60.0) -> tuple[int, int]:
        """Run every job due on the mock clock now and wait for them (see Scheduler.run_due).

        Call it after moving time without the control API, e.g. after freezegun's tick().
        """
        return self.scheduler.run_due(timeout)

    def close(self) -> None:
        """Stop the scheduler (pending jobs cancelled, at most a few seconds) and the engine."""
        self.closed = True
        self.scheduler.close()
        self.webhooks.close()
