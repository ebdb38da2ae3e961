"""One sandbox: settings plus every piece of state, and the single reset() of it all."""

from __future__ import annotations

from mockpms.clock import Clock
from mockpms.config import Settings
from mockpms.gateways import GatewayCatalog
from mockpms.ids import IdGenerator
from mockpms.lifecycle import Lifecycle
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
        self.webhooks = WebhookEngine(settings, self.clock)
        self.lifecycle = Lifecycle(
            settings, self.store, self.clock, self.ids, self.gateways, notifier=self.webhooks
        )

    def reset(self) -> None:
        """Back to the start state: no transactions, sessions, deliveries; clock offset 0."""
        with self.store.lock:
            self.webhooks.reset()
            self.store.reset()
            self.clock.reset()
            self.ids.reseed(self.settings.seed)

    def close(self) -> None:
        self.webhooks.close()
