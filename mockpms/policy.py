"""The auto-settle policy: outcomes for pipelines that only speak PMS.

With a policy set (`POST /_mock/policy` or `--auto-settle success:5`), every new
online/sales transaction is settled with the policy's outcome `afterSeconds`
later on the mock clock, and, when the outcome is success, every H5 session
is paid with the wallet it was scanned with, `afterSeconds` after the scan.
The work is put on the sandbox's scheduler: it runs when the mock clock reaches
it, and a clock advance runs it before answering.
A transaction or session that something else finished first is left alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from typing import Any

from mockpms.checkout import Checkout
from mockpms.errors import ControlError, PmsError
from mockpms.events import Event, Events, Kind, SessionEvent, TransactionEvent
from mockpms.fence import entered
from mockpms.models import H5Session, Transaction
from mockpms.scheduler import Job, Scheduler
from mockpms.sessions import Sessions

OUTCOMES = ("success", "failed")
MAX_AFTER = 10 * 365 * 86400.0


@dataclass(frozen=True)
class Policy:
    outcome: str  # "success" or "failed"
    after_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "afterSeconds": self.after_seconds}

    @classmethod
    def parse(cls, text: str) -> Policy:
        """`--auto-settle OUTCOME[:SECONDS]`, already checked by the config converter."""
        outcome, _, after = text.partition(":")
        return cls(outcome, float(after) if after else 0.0)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Policy:
        unknown = sorted(set(data) - {"outcome", "afterSeconds"})
        if unknown:
            raise ControlError(f"{unknown[0]}: unknown field; a policy has outcome, afterSeconds")
        outcome = data.get("outcome")
        if not isinstance(outcome, str) or outcome not in OUTCOMES:
            raise ControlError(f'outcome: must be "success" or "failed" (got {outcome!r})')
        after = data.get("afterSeconds", 0)
        if (
            isinstance(after, bool)
            or not isinstance(after, int | float)
            or not 0 <= after <= MAX_AFTER
        ):
            raise ControlError(
                f"afterSeconds: must be a number of seconds from 0 to {MAX_AFTER:.0f} "
                f"(got {after!r})"
            )
        return cls(str(outcome), float(after))


class AutoSettle:
    """Holds the current policy and the settlements it has scheduled."""

    def __init__(
        self,
        checkout: Checkout,
        sessions: Sessions,
        scheduler: Scheduler,
        initial: Policy | None,
        events: Events,
    ) -> None:
        self.checkout = checkout
        self.sessions = sessions
        self.clock = sessions.clock
        self.scheduler = scheduler
        self.initial = initial
        self._lock = threading.Lock()
        self._policy = initial
        self._jobs: set[Job] = set()  # scheduled and not yet run
        self._generation = 0
        self._since = 0.0  # mock time the policy was set: it settles what came after
        # Called (under the lock) with the snapshot whenever the policy changes: a data
        # dir keeps it (mockpms.sandbox wires it).
        self.on_change: Callable[[dict[str, Any]], None] = _nothing
        events.subscribe(self.on_event)

    @property
    def policy(self) -> Policy | None:
        return self._policy

    def set(self, policy: Policy | None) -> None:
        """Replace the policy; settlements already scheduled by the old one are cancelled."""
        with self._lock:
            self._policy = policy
            self._since = self.clock.now()
            self._generation += 1
            jobs, self._jobs = self._jobs, set()
            self.on_change(self.snapshot())
        for job in jobs:
            job.cancel()

    def reset(self) -> None:
        self.set(self.initial)

    def snapshot(self) -> dict[str, Any]:
        return {"policy": self._policy.to_json() if self._policy else None, "since": self._since}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Take back the policy a data dir kept."""
        kept = snapshot["policy"]
        with self._lock:
            self._policy = Policy.from_json(kept) if kept is not None else None
            self._since = float(snapshot["since"])

    def resume(self, transactions: Iterable[Transaction], sessions: Iterable[H5Session]) -> int:
        """After a restart: schedule again what the policy had scheduled when the server
        stopped (a pending sale, a scanned unpaid session), at its original time on the
        mock clock (at once if that time passed while the server was down); how many."""
        policy = self._policy
        if policy is None:
            return 0
        resumed = 0
        for txn in transactions:
            if txn.session_id is None and txn.created_at >= self._since:
                due = txn.created_at + policy.after_seconds
                self._schedule(policy, partial(self._settle, txn, policy.outcome), 0, due)
                resumed += 1
        if policy.outcome == "success":
            for session in sessions:
                if session.scanned_at is not None and session.scanned_at >= self._since:
                    due = session.scanned_at + policy.after_seconds
                    self._schedule(policy, partial(self._pay, session), 0, due)
                    resumed += 1
        return resumed

    # ------------------------------------------------------ lifecycle events

    def on_event(self, event: Event) -> None:
        """A new sale, or a session's first scan: settle it later, as the policy says."""
        if isinstance(event, TransactionEvent) and event.kind is Kind.SALE_CREATED:
            self.transaction_created(event.transaction, event.generation)
        elif isinstance(event, SessionEvent) and event.kind is Kind.SESSION_SCANNED:
            self.session_scanned(event.session, event.generation)

    def transaction_created(self, txn: Transaction, sandbox_generation: int = 0) -> None:
        policy = self._policy
        if policy is None or txn.session_id is not None:
            return
        self._schedule(policy, lambda: self._settle(txn, policy.outcome), sandbox_generation)

    def session_scanned(self, session: H5Session, sandbox_generation: int = 0) -> None:
        policy = self._policy
        if policy is None or policy.outcome != "success":
            return
        self._schedule(policy, lambda: self._pay(session), sandbox_generation)

    def _schedule(
        self,
        policy: Policy,
        work: Callable[[], None],
        sandbox_generation: int,
        due_at: float | None = None,
    ) -> None:
        """Put `work` on the scheduler; it does nothing if the policy changed meanwhile,
        and it runs as work of the sandbox generation that scheduled it, so after a
        reset the lifecycle refuses whatever it would change."""
        generation = self._generation
        scheduled: list[Job] = []

        def run() -> None:
            with self._lock:  # held by _schedule until `scheduled` is filled in
                self._jobs.difference_update(scheduled)
                if generation != self._generation:
                    return
            with entered(sandbox_generation):
                work()

        if due_at is None:
            due_at = self.clock.now() + policy.after_seconds
        with self._lock:
            job = self.scheduler.schedule(due_at, run, name="auto-settle")
            scheduled.append(job)
            self._jobs.add(job)

    def _settle(self, txn: Transaction, outcome: str) -> None:
        # As POST /_mock/transactions/<rrn>/settle does (card types get a test card).
        # A transaction finished first (paid, expired, settled by hand) is left alone.
        with suppress(PmsError):
            self.checkout.settle_outcome(txn, outcome)

    def _pay(self, session: H5Session) -> None:
        # Paid already, cancelled before the scan, or the countdown ran out: left alone.
        with suppress(PmsError):
            self.sessions.pay(session, session.wallet)


def _nothing(snapshot: dict[str, Any]) -> None:
    return None
