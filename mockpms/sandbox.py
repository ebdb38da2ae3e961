"""One sandbox: settings plus every piece of state, and the single reset() of it all."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from mockpms.checkout import Checkout
from mockpms.clock import Clock
from mockpms.config import Merchant, Settings
from mockpms.durable import NO_SINK, Saved, StateSink
from mockpms.event_stream import Broadcaster
from mockpms.events import Events
from mockpms.faults import FaultBook
from mockpms.fence import Fence
from mockpms.gateways import GatewayCatalog
from mockpms.ids import IdGenerator
from mockpms.journal import Journal
from mockpms.lifecycle import Lifecycle
from mockpms.merchants import Merchants
from mockpms.policy import AutoSettle, Policy
from mockpms.report import Report
from mockpms.scheduler import Scheduler
from mockpms.sessions import Sessions
from mockpms.store import MemoryStore, Store
from mockpms.webhooks import WebhookEngine

if TYPE_CHECKING:
    from mockpms.datadir import DataDir


class Sandbox:
    """The composition root: builds every stateful part and wires them through one event bus.

    The lifecycle (transactions) and sessions (H5) own every state change and emit
    events; the webhook engine and the auto-settle policy listen to them.
    """

    def __init__(
        self, settings: Settings, store: Store | None = None, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        # --data-dir: the whole state in SQLite (opened first: a dir in use, a foreign
        # file or one from a newer mockpms is a ConfigError before anything starts).
        self.data = _open_data_dir(settings.data_dir) if settings.data_dir and not store else None
        sink: StateSink = NO_SINK
        saved: Saved | None = None
        if self.data is not None:
            from mockpms.sqlite_state import SqliteState
            from mockpms.sqlite_store import SqliteStore

            state = SqliteState(self.data, settings.journal_cap, settings.webhook_log_cap)
            store, sink, saved = SqliteStore(self.data, *self._caps()), state, state.load()
        self.store: Store = store or MemoryStore(*self._caps())
        self.merchants = Merchants(settings.merchants)  # configured, plus runtime tenants
        self.ids = IdGenerator(settings.seed)
        self.gateways = GatewayCatalog(settings.gateways, settings.gateway_definitions)
        self.events = Events()
        self.fence = Fence()  # one generation per reset: see mockpms.fence
        # Jobs on the mock clock (webhook attempts, auto-settlement): one timer thread
        # and a bounded pool, started on first use.
        self.scheduler = Scheduler(self.clock, settings.webhook_workers)
        self.faults = FaultBook()  # PMS faults, and webhook faults the engine takes
        self.webhooks = WebhookEngine(
            settings, self.clock, self.scheduler, self.events, self.fence, self.faults, sink
        )
        self.lifecycle = Lifecycle(
            settings,
            self.store,
            self.clock,
            self.ids,
            self.gateways,
            self.events,
            self.fence,
            self.merchants,
        )
        self.sessions = Sessions(settings, self.lifecycle)
        self.checkout = Checkout(self.lifecycle)
        self.journal = Journal(settings.journal_cap, self.fence, sink)
        self.report = Report(self.events, self.merchants)
        # Each open stream holds a server thread: at most half of them.
        self.stream = Broadcaster(
            self.events,
            heartbeat=settings.events_heartbeat,
            max_streams=max(1, settings.threads // 2),
        )
        initial = Policy.parse(settings.auto_settle) if settings.auto_settle else None
        self.policy = AutoSettle(self.checkout, self.sessions, self.scheduler, initial, self.events)
        # What /_mock/ready reports: loaded at construction, so an app that exists is
        # ready unless its configuration left it without merchants or gateways.
        self.loaded = {"merchants": len(settings.merchants), "gateways": len(self.gateways.types)}
        self.closed = False
        self.resumed = 0  # time-based work a data dir gave back (webhooks, auto-settlement)
        if saved is not None:
            self._restore(saved, sink)

    def _caps(self) -> tuple[int, int, float]:
        settings = self.settings
        return settings.transaction_cap, settings.session_cap, settings.h5_countdown

    def _restore(self, saved: Saved, sink: StateSink) -> None:
        """Take back what the data dir kept, then keep every later change there."""
        state = saved.state
        if "clock" in state:
            self.clock.restore(state["clock"])
        if "ids" in state:
            self.ids.restore(state["ids"])
        if "faults" in state:
            self.faults.restore(state["faults"])
        if "policy" in state:
            self.policy.restore(state["policy"])
        if "merchants" in state:
            self.merchants.restore(state["merchants"])
        self.journal.restore(saved.journal)
        self.clock.on_change = lambda snapshot: sink.save("clock", snapshot)
        self.ids.on_change = lambda snapshot: sink.save("ids", snapshot)
        self.faults.on_change = lambda snapshot: sink.save("faults", snapshot)
        self.policy.on_change = lambda snapshot: sink.save("policy", snapshot)
        self.merchants.on_change = lambda snapshot: sink.save("merchants", snapshot)
        self.resumed = self.webhooks.restore(saved.deliveries, saved.attempts)
        if self.policy.snapshot()["policies"]:
            self.resumed += self.policy.resume(*self.store.open_records())

    def reset(self, api_key: str | None = None) -> None:
        """Back to the start state: only the configured merchants; no transactions,
        sessions, deliveries, journal entries or faults; every clock offset 0; the
        configured seed and auto-settle policy.

        With `api_key`, one merchant's part only (CONTRACT 17): its records,
        deliveries (pending retries cancelled), journal entries, faults, policy,
        report, seed and own clock offset. The merchant itself stays.
        """
        if api_key is not None:
            self._clear_merchant(api_key)
            self.stream.publish("reset", {"at": self.clock.now(api_key), "apiKey": api_key})
            return
        with self.store.lock, self.data.batch() if self.data else nullcontext():
            self.fence.bump()  # first: whatever began before this changes nothing after it
            self.scheduler.cancel_all()
            self.policy.reset()
            self.journal.reset()
            self.report.reset()
            self.faults.reset()
            self.webhooks.reset()
            self.store.reset()
            self.clock.reset()
            self.ids.reseed(self.settings.seed)
            self.merchants.reset()
        self.stream.publish("reset", {"at": self.clock.now()})

    def _clear_merchant(self, api_key: str) -> None:
        """Everything of one merchant, as one cut (and one transaction on disk)."""
        with self.store.lock, self.data.batch() if self.data else nullcontext():
            self.scheduler.cancel_owned(api_key)  # its webhook attempts and settlements
            self.policy.reset(api_key)
            self.journal.reset(api_key)
            self.report.reset(api_key)
            self.faults.clear(api_key)
            self.webhooks.reset(api_key)
            self.store.remove_merchant(api_key)
            self.clock.reset(api_key)
            self.ids.reseed(None, api_key)

    def add_merchant(self, fields: Mapping[str, Any]) -> Merchant:
        """A runtime merchant (POST /_mock/merchants); see mockpms.merchants."""
        return self.merchants.add(fields)

    def remove_merchant(self, api_key: str) -> Merchant:
        """Remove a runtime merchant and all its data (DELETE /_mock/merchants/<apiKey>)."""
        with self.store.lock, self.data.batch() if self.data else nullcontext():
            merchant = self.merchants.remove(api_key)  # first: no new record can begin
            self._clear_merchant(api_key)
        self.stream.publish("merchant", {"removed": api_key})
        return merchant

    def advance(self, seconds: float, wait: float, api_key: str | None = None) -> tuple[int, int]:
        """Move mock time forward (one merchant's own clock, with `api_key`) and run what
        fell due (see run_due); the one way to advance, for the control API and the
        dashboard alike. `seconds` is checked by the caller (advance_seconds)."""
        self.clock.advance(seconds, api_key)
        if api_key is not None:
            self.scheduler.shift(api_key)
        ran, still_running = self.run_due(wait)
        now = self.clock.now(api_key)
        scope = {"apiKey": api_key} if api_key is not None else {}
        self.stream.publish(
            "clock",
            {"advanced": seconds, "offset": self.clock.offset, **scope, "now": now, "ran": ran},
        )
        return ran, still_running

    def run_due(self, timeout: float = 60.0) -> tuple[int, int]:
        """Run every job due on the mock clock now and wait for them (see Scheduler.run_due).

        Call it after moving time without the control API, e.g. after freezegun's tick().
        """
        return self.scheduler.run_due(timeout)

    def close(self) -> None:
        """Stop the scheduler (pending jobs cancelled, at most a few seconds) and the engine."""
        self.closed = True
        self.stream.shutdown()
        self.scheduler.close()
        self.webhooks.close()
        if self.data is not None:
            with self.store.lock:
                self.data.close()


def _open_data_dir(path: str) -> DataDir:
    """The data dir (sqlite3 is imported only when there is one)."""
    from mockpms.datadir import DataDir

    return DataDir.open(path)
