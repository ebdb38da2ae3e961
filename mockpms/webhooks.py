"""Webhook delivery with PMS's retry policy, on the mock clock.

On every successful payment with a webhookUrl (the lifecycle's `sale.paid` event)
the engine POSTs the document's JSON payload to that URL: attempt 1 at once, then every
`webhook_interval` seconds of mock time, at most `webhook_attempts` in all,
stopping at the first acknowledgement: HTTP 2xx whose JSON body has errorCode "0".

Anything else is a failed attempt with its reason recorded: another status, a
body that is empty, not JSON or has another errorCode, a connect or read timeout,
a DNS failure, a refused connection. Attempts run as jobs on the sandbox's
Scheduler (bounded workers, never on a request thread), so a receiver that hangs
costs a worker for at most `webhook_timeout` seconds and nothing else.

For testing the merchant's handler (CONTRACT 13) a series can be duplicated,
its first attempt dropped or delayed (webhook faults from the FaultBook), sent
again on demand (`resend`), or forged for a payment that was not made.
Sending and judging one POST is mockpms.webhook_sender's.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mockpms.clock import Clock
from mockpms.config import Settings
from mockpms.durable import NO_SINK, StateSink
from mockpms.events import Event, Events, TransactionEvent, WebhookAttemptEvent
from mockpms.fence import Fence
from mockpms.models import Transaction
from mockpms.scheduler import Job, Scheduler, real_monotonic
from mockpms.webhook_answers import Outcome
from mockpms.webhook_sender import Sender

if TYPE_CHECKING:
    from mockpms.faults import Fault, FaultBook

if TYPE_CHECKING:  # imported by the first attempt: httpx is ~40 ms of every start-up
    import httpx

DROPPED = 'dropped: not sent (webhook fault "drop"); the retry policy takes over'


def iso_time(epoch_seconds: float) -> str:
    """Mock time as ISO 8601 UTC with milliseconds (the control API's time format)."""
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Attempt:
    """One POST of a webhook, as the log shows it."""

    id: int
    api_key: str
    rrn: str
    session_id: str | None
    url: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    scheduled_at: float
    sent_at: float
    duration_ms: float
    http_status: int | None
    response_body: str | None
    error: str | None
    acknowledged: bool
    next_attempt_at: float | None
    delivery_id: int = 0
    resent: bool = False  # POST /_mock/webhooks/<id>/resend: not one of the series' attempts
    duplicate: bool = False  # the second copy of a "duplicate" fault
    dropped: bool = False  # skipped by a "drop" fault
    forged: bool = False  # POST /_mock/webhooks/forge: the transaction is not paid

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "deliveryId": self.delivery_id,
            "apiKey": self.api_key,
            "rrn": self.rrn,
            "sessionId": self.session_id,
            "url": self.url,
            "payload": self.payload,
            "attempt": self.attempt,
            "maxAttempts": self.max_attempts,
            "scheduledAt": self.scheduled_at,
            "scheduledTime": iso_time(self.scheduled_at),
            "sentAt": self.sent_at,
            "sentTime": iso_time(self.sent_at),
            "durationMs": round(self.duration_ms, 1),
            "httpStatus": self.http_status,
            "responseBody": self.response_body,
            "error": self.error,
            "acknowledged": self.acknowledged,
            "nextAttemptAt": self.next_attempt_at,
            "resent": self.resent,
            "duplicate": self.duplicate,
            "dropped": self.dropped,
            "forged": self.forged,
        }


@dataclass
class Delivery:
    """One webhook series: a payload for a URL, attempted until acknowledged or exhausted."""

    id: int
    api_key: str
    rrn: str
    session_id: str | None
    url: str
    payload: dict[str, Any]
    first_due: float
    max_attempts: int
    attempts_made: int = 0
    acknowledged: bool = False
    cancelled: bool = False
    next_due: float | None = None
    job: Job | None = field(default=None, repr=False)
    forged: bool = False
    duplicate: bool = False  # every attempt goes out twice (a "duplicate" fault)
    drop_first: bool = False  # attempt 1 is skipped (a "drop" fault)

    @property
    def state(self) -> str:
        if self.acknowledged:
            return "acknowledged"
        if self.cancelled:
            return "cancelled"
        if self.attempts_made >= self.max_attempts:
            return "exhausted"
        return "pending"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "apiKey": self.api_key,
            "rrn": self.rrn,
            "sessionId": self.session_id,
            "url": self.url,
            "payload": self.payload,
            "state": self.state,
            "attempts": self.attempts_made,
            "maxAttempts": self.max_attempts,
            "acknowledged": self.acknowledged,
            "firstDueAt": self.first_due,
            "nextAttemptAt": self.next_due,
            "forged": self.forged,
        }


class WebhookEngine:
    """Schedules, sends and logs webhook attempts; listens to the lifecycle's events and
    emits one `webhook.attempt` event per logged attempt."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        scheduler: Scheduler,
        events: Events | None = None,
        fence: Fence | None = None,
        faults: FaultBook | None = None,
        sink: StateSink = NO_SINK,
    ) -> None:
        self.settings = settings
        self.sink = sink  # a data dir keeps every series and attempt (mockpms.durable)
        self.fence = fence or Fence()
        self.faults = faults
        self.events = events or Events()
        self.events.subscribe(self.on_event)
        self.clock = clock
        self.scheduler = scheduler
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._log: deque[Attempt] = deque(maxlen=settings.webhook_log_cap)
        self._deliveries: OrderedDict[int, Delivery] = OrderedDict()
        # One counter for attempts and series: an id names exactly one of them (resend).
        self._ids = itertools.count(1)
        self._generation = 0  # bumped by reset(): work started before it is forgotten
        self.sender = Sender(settings)

    def use_transport(self, transport: httpx.BaseTransport) -> None:
        """Send webhooks through this httpx transport from now on (see Sender)."""
        self.sender.use_transport(transport)

    # ------------------------------------------------------------- events

    def on_event(self, event: Event) -> None:
        """A change PMS notifies (a payment, online or H5): POST it to the webhookUrl."""
        if isinstance(event, TransactionEvent) and event.notify:
            self.payment_succeeded(event.transaction, event.generation)

    def payment_succeeded(self, txn: Transaction, generation: int | None = None) -> None:
        """A payment succeeded: schedule attempt 1 for now (not if it happened before a reset).

        The next webhook fault (duplicate, drop, delay) applies to this notification.
        """
        if txn.webhook_url:
            fault = self.faults.take_webhook(txn.api_key) if self.faults is not None else None
            self.notify(txn, txn.webhook_payload(), generation, fault=fault)

    def forge(self, txn: Transaction, payload: dict[str, Any]) -> Delivery:
        """Notify a payment that did not happen (POST /_mock/webhooks/forge)."""
        delivery = self.notify(txn, payload, None, forged=True)
        assert delivery is not None  # the caller checked the webhookUrl
        return delivery

    def notify(
        self,
        txn: Transaction,
        payload: dict[str, Any],
        generation: int | None,
        *,
        fault: Fault | None = None,
        forged: bool = False,
    ) -> Delivery | None:
        """Start a series for `payload` to the transaction's webhookUrl (on the merchant's
        clock: its own offset moves its schedule)."""
        now = self.clock.now(txn.api_key)
        held = fault.seconds if fault is not None and fault.webhook == "delay" else 0.0
        with self._lock:
            if generation is not None and generation != self.fence.current:
                return None  # a payment of the wiped sandbox: no series in the fresh one
            delivery = Delivery(
                id=next(self._ids),
                api_key=txn.api_key,
                rrn=txn.rrn,
                session_id=txn.session_id,
                url=txn.webhook_url,
                payload=payload,
                first_due=now + held,  # later retries count from the delayed attempt
                max_attempts=self.settings.webhook_attempts,
                forged=forged,
                duplicate=fault is not None and fault.webhook == "duplicate",
                drop_first=fault is not None and fault.webhook == "drop",
            )
            self._deliveries[delivery.id] = delivery
            while len(self._deliveries) > self.settings.webhook_log_cap:
                self._drop_oldest_finished_delivery()
            self._schedule(delivery, delivery.first_due, self._generation)
            self.sink.delivery_changed(delivery)
            return delivery

    def restore(self, deliveries: list[Delivery], attempts: list[Attempt]) -> int:
        """Take back the series and attempt log a data dir kept, and schedule each pending
        series' next attempt at its time (at once if it fell due while the server was
        down); how many were scheduled."""
        resumed = 0
        with self._lock:
            self._log.extend(attempts)
            for delivery in deliveries:
                self._deliveries[delivery.id] = delivery
                if delivery.state == "pending" and delivery.next_due is not None:
                    self._schedule(delivery, delivery.next_due, self._generation)
                    resumed += 1
            last = max([0] + [d.id for d in deliveries] + [a.id for a in attempts])
            self._ids = itertools.count(last + 1)
        return resumed

    def series(self, id_: int) -> Delivery | None:
        """The series an id names: a series id, or the id of one of its attempts."""
        with self._lock:
            found = self._deliveries.get(id_)
            if found is not None:
                return found
            for attempt in self._log:
                if attempt.id == id_:
                    return self._deliveries.get(attempt.delivery_id)
        return None

    def resend(self, delivery: Delivery) -> Job:
        """Send the series' payload again now, as an extra attempt marked `resent`.

        It does not count toward the series' attempts; if it is acknowledged, the
        series is acknowledged and its retries stop. Wait on the returned job.
        """
        now = self.clock.now(delivery.api_key)
        with self._lock:
            generation = self._generation
            return self.scheduler.schedule(
                now,
                lambda: self._resend(delivery, now, generation),
                name=f"webhook {delivery.rrn} resend",
                lane=_receiver(delivery.url),
                owner=delivery.api_key,
            )

    # --------------------------------------------------------------- reading

    def attempts(
        self, rrn: str | None = None, session_id: str | None = None, api_key: str | None = None
    ) -> list[Attempt]:
        """Every logged attempt, oldest first (the log keeps the last webhook_log_cap)."""
        with self._lock:
            return [
                a
                for a in self._log
                if rrn in (None, a.rrn)
                and session_id in (None, a.session_id)
                and api_key in (None, a.api_key)
            ]

    def deliveries(
        self, rrn: str | None = None, session_id: str | None = None, api_key: str | None = None
    ) -> list[Delivery]:
        """Every webhook series, oldest first."""
        with self._lock:
            return [
                d
                for d in self._deliveries.values()
                if rrn in (None, d.rrn)
                and session_id in (None, d.session_id)
                and api_key in (None, d.api_key)
            ]

    def wait_for_attempts(
        self, count: int, rrn: str | None = None, timeout: float = 10.0
    ) -> list[Attempt]:
        """Block until at least `count` attempts (for `rrn`) are logged, or `timeout` passes."""
        deadline = real_monotonic() + timeout
        with self._lock:
            while True:
                found = [a for a in self._log if rrn in (None, a.rrn)]
                remaining = deadline - real_monotonic()
                if len(found) >= count or remaining <= 0:
                    return found
                self._changed.wait(remaining)

    # ------------------------------------------------------------- lifecycle

    def reset(self, api_key: str | None = None) -> None:
        """Forget every delivery and attempt; pending attempts never run. With `api_key`,
        only that merchant's (its series are cancelled the same way).

        An attempt already on the wire cannot be unsent, but its result is not logged
        and it schedules no retry.
        """
        if api_key is not None:
            with self._lock:
                for key, delivery in list(self._deliveries.items()):
                    if delivery.api_key == api_key:
                        delivery.cancelled = True
                        if delivery.job is not None:
                            delivery.job.cancel()
                        del self._deliveries[key]
                kept = [a for a in self._log if a.api_key != api_key]
                self._log.clear()
                self._log.extend(kept)
                self.sink.webhooks_cleared(api_key)
                self._changed.notify_all()
            return
        with self._lock:
            self._generation += 1
            for delivery in self._deliveries.values():
                delivery.cancelled = True
                if delivery.job is not None:
                    delivery.job.cancel()
            self._deliveries.clear()
            self._log.clear()
            self.sink.webhooks_cleared()
            self._changed.notify_all()

    def close(self) -> None:
        """Stop scheduling; the HTTP client is closed (the scheduler is closed by its owner)."""
        with self._lock:
            self._generation += 1
        self.sender.close()

    # ------------------------------------------------------------- internals

    def _schedule(self, delivery: Delivery, due_at: float, generation: int) -> None:
        """Schedule the next attempt of `delivery` (engine lock held)."""
        number = delivery.attempts_made + 1
        delivery.next_due = due_at
        delivery.job = self.scheduler.schedule(
            due_at,
            lambda: self._attempt(delivery, number, due_at, generation),
            name=f"webhook {delivery.rrn} #{number}",
            lane=_receiver(delivery.url),  # a hung receiver only holds up itself
            owner=delivery.api_key,  # on the merchant's clock
        )

    def _attempt(
        self, delivery: Delivery, number: int, scheduled_at: float, generation: int
    ) -> None:
        """One attempt (two with a "duplicate" fault, none sent with "drop"); log it,
        then stop or schedule the next."""
        with self._lock:
            if generation != self._generation or delivery.cancelled:
                return
        sent_at = self.clock.now(delivery.api_key)
        dropped = delivery.drop_first and number == 1
        outcome, duration_ms = (
            (Outcome(error=DROPPED), 0.0) if dropped else self._timed_post(delivery)
        )
        copy = self._timed_post(delivery) if delivery.duplicate and not dropped else None
        with self._lock:
            if generation != self._generation or delivery.cancelled:
                return
            delivery.attempts_made = number
            next_due: float | None = None
            if outcome.acknowledged or (copy is not None and copy[0].acknowledged):
                delivery.acknowledged = True
            elif number < delivery.max_attempts:
                # On the schedule of the first attempt, so the times are exact multiples
                # of the interval however long each attempt took.
                next_due = delivery.first_due + number * self.settings.webhook_interval
            delivery.next_due = next_due
            delivery.job = None
            logged = [
                self._log_attempt(
                    delivery, number, scheduled_at, sent_at, outcome, duration_ms, next_due,
                    dropped=dropped,
                )
            ]  # fmt: skip
            if copy is not None:
                logged.append(
                    self._log_attempt(
                        delivery, number, scheduled_at, sent_at, copy[0], copy[1], next_due,
                        duplicate=True,
                    )
                )  # fmt: skip
            if next_due is not None:
                self._schedule(delivery, next_due, generation)
            self.sink.delivery_changed(delivery)
            self._changed.notify_all()
        self.events.emit(*(WebhookAttemptEvent(attempt) for attempt in logged))

    def _resend(self, delivery: Delivery, scheduled_at: float, generation: int) -> None:
        sent_at = self.clock.now(delivery.api_key)
        outcome, duration_ms = self._timed_post(delivery)
        with self._lock:
            if generation != self._generation or delivery.cancelled:
                return
            if outcome.acknowledged and not delivery.acknowledged:
                delivery.acknowledged = True
                if delivery.job is not None:
                    delivery.job.cancel()
                delivery.job, delivery.next_due = None, None
            attempt = self._log_attempt(
                delivery, delivery.attempts_made, scheduled_at, sent_at, outcome, duration_ms,
                delivery.next_due, resent=True,
            )  # fmt: skip
            self.sink.delivery_changed(delivery)
            self._changed.notify_all()
        self.events.emit(WebhookAttemptEvent(attempt))

    def _timed_post(self, delivery: Delivery) -> tuple[Outcome, float]:
        started = real_monotonic()
        outcome = self.sender.post(delivery.url, delivery.payload)
        return outcome, (real_monotonic() - started) * 1000

    def _log_attempt(
        self,
        delivery: Delivery,
        number: int,
        scheduled_at: float,
        sent_at: float,
        outcome: Outcome,
        duration_ms: float,
        next_due: float | None,
        **flags: bool,
    ) -> Attempt:
        """Append one attempt to the log (engine lock held)."""
        attempt = Attempt(
            id=next(self._ids),
            api_key=delivery.api_key,
            rrn=delivery.rrn,
            session_id=delivery.session_id,
            url=delivery.url,
            payload=delivery.payload,
            attempt=number,
            max_attempts=delivery.max_attempts,
            scheduled_at=scheduled_at,
            sent_at=sent_at,
            duration_ms=duration_ms,
            http_status=outcome.http_status,
            response_body=outcome.body,
            error=outcome.error,
            acknowledged=outcome.acknowledged,
            next_attempt_at=next_due,
            delivery_id=delivery.id,
            forged=delivery.forged,
            **flags,
        )
        dropped_id = self._log[0].id if len(self._log) == self._log.maxlen else None
        self._log.append(attempt)
        self.sink.attempt_logged(attempt, dropped_id)
        return attempt

    def _drop_oldest_finished_delivery(self) -> None:
        for key, delivery in self._deliveries.items():
            if delivery.state != "pending":
                del self._deliveries[key]
                self.sink.delivery_removed(key)
                return
        # All pending: the oldest goes (its job still runs).
        key, _ = self._deliveries.popitem(last=False)
        self.sink.delivery_removed(key)


def _receiver(url: str) -> str:
    """The scheduler lane of a webhook: its scheme, host and port."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"
