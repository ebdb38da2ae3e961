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


GLOBAL = ""  # the scope of the sandbox-wide policy; a merchant's scope is its apiKey


class AutoSettle:
    """Holds the policies (the sandbox's, and merchants' own) and the settlements they
    scheduled. A merchant's own policy takes precedence over the sandbox's (CONTRACT 17)."""

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
        # By scope (GLOBAL or an apiKey): the policy, the mock time it was set (it
        # settles what came after), and a generation bumped by each change.
        self._policies: dict[str, Policy] = {GLOBAL: initial} if initial else {}
        self._since: dict[str, float] = {}
        self._generations: dict[str, int] = {}
        self._jobs: dict[Job, str] = {}  # scheduled and not yet run, with their scope
        # Called (under the lock) with the snapshot whenever a policy changes: a data
        # dir keeps it (mockpms.sandbox wires it).
        self.on_change: Callable[[dict[str, Any]], None] = _nothing
        events.subscribe(self.on_event)

    @property
    def policy(self) -> Policy | None:
        """The sandbox-wide policy."""
        return self._policies.get(GLOBAL)

    def policy_for(self, api_key: str | None) -> Policy | None:
        """The policy a merchant's payments follow: its own, else the sandbox's."""
        policies = self._policies
        return policies.get(api_key or GLOBAL) or policies.get(GLOBAL)

    def own(self, api_key: str) -> Policy | None:
        return self._policies.get(api_key)

    def set(self, policy: Policy | None, api_key: str | None = None) -> None:
        """Replace the policy (one merchant's, with `api_key`); the settlements the old
        one scheduled are cancelled."""
        scope = api_key or GLOBAL
        with self._lock:
            if policy is None:
                self._policies.pop(scope, None)
            else:
                self._policies[scope] = policy
            self._since[scope] = self.clock.now(api_key)
            jobs = self._forget(lambda job_scope: job_scope == scope)
            self.on_change(self.snapshot())
        for job in jobs:
            job.cancel()

    def clear(self) -> None:
        """No policy at all, the sandbox's or any merchant's (DELETE /_mock/policy)."""
        with self._lock:
            self._policies.clear()
            self._since = {GLOBAL: self.clock.now()}
            jobs = self._forget(lambda job_scope: True)
            self.on_change(self.snapshot())
        for job in jobs:
            job.cancel()

    def _forget(self, matches: Callable[[str], bool]) -> list[Job]:
        """Drop the jobs of matching scopes and bump those scopes' generations (lock held):
        a job a worker already took, too late to cancel, then finds its scope moved on."""
        jobs = [job for job, scope in self._jobs.items() if matches(scope)]
        for scope in {self._jobs[job] for job in jobs}:
            self._generations[scope] = self._generations.get(scope, 0) + 1
        for job in jobs:
            del self._jobs[job]
        return jobs

    def reset(self, api_key: str | None = None) -> None:
        """Back to the configured policy (a global reset), or no own policy for a merchant."""
        if api_key is not None:
            self.set(None, api_key)
            with self._lock:  # its settlements under the sandbox's policy go too
                owned = [job for job in self._jobs if job.owner == api_key]
                for job in owned:
                    del self._jobs[job]
            for job in owned:
                job.cancel()
            return
        with self._lock:
            self._policies = {GLOBAL: self.initial} if self.initial else {}
            self._since = {GLOBAL: self.clock.now()}
            jobs = self._forget(lambda job_scope: True)
            self.on_change(self.snapshot())
        for job in jobs:
            job.cancel()

    def snapshot(self) -> dict[str, Any]:
        return {
            "policies": {scope: policy.to_json() for scope, policy in self._policies.items()},
            "since": dict(self._since),
        }

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Take back the policies a data dir kept."""
        with self._lock:
            self._policies = {
                scope: Policy.from_json(kept) for scope, kept in snapshot["policies"].items()
            }
            self._since = {scope: float(t) for scope, t in snapshot["since"].items()}

    def resume(self, transactions: Iterable[Transaction], sessions: Iterable[H5Session]) -> int:
        """After a restart: schedule again what the policies had scheduled when the server
        stopped (a pending sale, a scanned unpaid session), at its original time on the
        merchant's mock clock (at once if that passed while the server was down); how many."""
        resumed = 0
        for txn in transactions:
            policy, scope = self._policy_of(txn.api_key)
            if policy and txn.session_id is None and txn.created_at >= self._since_of(scope):
                due = txn.created_at + policy.after_seconds
                work = partial(self._settle, txn, policy.outcome)
                self._schedule(policy, scope, txn.api_key, work, 0, due)
                resumed += 1
        for session in sessions:
            policy, scope = self._policy_of(session.api_key)
            if (
                policy
                and policy.outcome == "success"
                and session.scanned_at is not None
                and session.scanned_at >= self._since_of(scope)
            ):
                due = session.scanned_at + policy.after_seconds
                self._schedule(policy, scope, session.api_key, partial(self._pay, session), 0, due)
                resumed += 1
        return resumed

    def _policy_of(self, api_key: str) -> tuple[Policy | None, str]:
        own = self._policies.get(api_key)
        return (own, api_key) if own else (self._policies.get(GLOBAL), GLOBAL)

    def _since_of(self, scope: str) -> float:
        return self._since.get(scope, 0.0)

    # ------------------------------------------------------ lifecycle events

    def on_event(self, event: Event) -> None:
        """A new sale, or a session's first scan: settle it later, as the policy says."""
        if isinstance(event, TransactionEvent) and event.kind is Kind.SALE_CREATED:
            self.transaction_created(event.transaction, event.generation)
        elif isinstance(event, SessionEvent) and event.kind is Kind.SESSION_SCANNED:
            self.session_scanned(event.session, event.generation)

    def transaction_created(self, txn: Transaction, sandbox_generation: int = 0) -> None:
        policy, scope = self._policy_of(txn.api_key)
        if policy is None or txn.session_id is not None:
            return
        work = partial(self._settle, txn, policy.outcome)
        self._schedule(policy, scope, txn.api_key, work, sandbox_generation)

    def session_scanned(self, session: H5Session, sandbox_generation: int = 0) -> None:
        policy, scope = self._policy_of(session.api_key)
        if policy is None or policy.outcome != "success":
            return
        work = partial(self._pay, session)
        self._schedule(policy, scope, session.api_key, work, sandbox_generation)

    def _schedule(
        self,
        policy: Policy,
        scope: str,
        api_key: str,
        work: Callable[[], None],
        sandbox_generation: int,
        due_at: float | None = None,
    ) -> None:
        """Put `work` on the scheduler, on the merchant's clock; it does nothing if its
        scope's policy changed meanwhile, and it runs as work of the sandbox generation
        that scheduled it, so after a reset the lifecycle refuses whatever it would change."""
        scheduled: list[Job] = []

        def run() -> None:
            with self._lock:  # held by _schedule until `scheduled` is filled in
                for job in scheduled:
                    self._jobs.pop(job, None)
                if generation != self._generations.get(scope, 0):
                    return
            with entered(sandbox_generation):
                work()

        if due_at is None:
            due_at = self.clock.now(api_key) + policy.after_seconds
        with self._lock:
            generation = self._generations.get(scope, 0)
            job = self.scheduler.schedule(due_at, run, name="auto-settle", owner=api_key)
            scheduled.append(job)
            self._jobs[job] = scope

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
