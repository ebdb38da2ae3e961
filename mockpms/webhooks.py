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
"""

from __future__ import annotations

import json
import socket
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mockpms import __version__
from mockpms.clock import Clock
from mockpms.config import Settings
from mockpms.events import Event, Events, TransactionEvent, WebhookAttemptEvent
from mockpms.fence import Fence
from mockpms.models import Transaction
from mockpms.scheduler import Job, Scheduler, real_monotonic

if TYPE_CHECKING:  # imported by the first attempt: httpx is ~40 ms of every start-up
    import httpx

# An acknowledgement is a few bytes; reading more would let a receiver stall a worker.
MAX_RESPONSE_BYTES = 64 * 1024
# How much of the receiver's answer the log keeps, to show why an attempt failed.
LOGGED_BODY_CHARS = 500


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

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
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
        }


@dataclass(frozen=True)
class Outcome:
    """What one POST came to."""

    http_status: int | None = None
    body: str | None = None
    error: str | None = None

    @property
    def acknowledged(self) -> bool:
        return self.error is None


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
    ) -> None:
        self.settings = settings
        self.fence = fence or Fence()
        self.events = events or Events()
        self.events.subscribe(self.on_event)
        self.clock = clock
        self.scheduler = scheduler
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._log: deque[Attempt] = deque(maxlen=settings.webhook_log_cap)
        self._deliveries: OrderedDict[int, Delivery] = OrderedDict()
        self._ids = 0
        self._attempt_ids = 0
        self._generation = 0  # bumped by reset(): work started before it is forgotten
        self._client_lock = threading.Lock()
        self._http_client: httpx.Client | None = None  # made by the first attempt

    @property
    def _http(self) -> httpx.Client:
        """The HTTP client, created on first use: building one (httpcore, the TLS trust
        store) costs ~45 ms, which a sandbox that sends no webhook need not pay at start."""
        with self._client_lock:
            if self._http_client is None:
                self._http_client = self._client(None)
            return self._http_client

    def _client(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        import httpx

        from mockpms.deadline import with_deadlines

        if transport is None:
            transport = httpx.HTTPTransport(
                limits=httpx.Limits(
                    max_connections=self.settings.webhook_workers * 2,
                    max_keepalive_connections=self.settings.webhook_workers,
                )
            )
        return httpx.Client(
            timeout=httpx.Timeout(self.settings.webhook_timeout),
            follow_redirects=False,  # a redirect is not an acknowledgement
            trust_env=False,  # never route a merchant's webhook through a proxy from the env
            headers={"User-Agent": f"mockpms/{__version__} (webhook)"},
            transport=with_deadlines(transport),
        )

    def use_transport(self, transport: httpx.BaseTransport) -> None:
        """Send webhooks through this httpx transport from now on.

        For tests: e.g. httpx.WSGITransport(app=shop_app) delivers straight into the
        shop's WSGI app, or a transport that refuses hosts other than 127.0.0.1.
        """
        with self._client_lock:
            old, self._http_client = self._http_client, self._client(transport)
        if old is not None:
            old.close()

    # ------------------------------------------------------------- events

    def on_event(self, event: Event) -> None:
        """A change PMS notifies (a payment, online or H5): POST it to the webhookUrl."""
        if isinstance(event, TransactionEvent) and event.notify:
            self.payment_succeeded(event.transaction, event.generation)

    def payment_succeeded(self, txn: Transaction, generation: int | None = None) -> None:
        """A payment succeeded: schedule attempt 1 for now (not if it happened before a reset)."""
        if not txn.webhook_url:
            return
        now = self.clock.now()
        with self._lock:
            if generation is not None and generation != self.fence.current:
                return  # a payment of the wiped sandbox: no series in the fresh one
            self._ids += 1
            delivery = Delivery(
                id=self._ids,
                api_key=txn.api_key,
                rrn=txn.rrn,
                session_id=txn.session_id,
                url=txn.webhook_url,
                payload=txn.webhook_payload(),
                first_due=now,
                max_attempts=self.settings.webhook_attempts,
            )
            self._deliveries[delivery.id] = delivery
            while len(self._deliveries) > self.settings.webhook_log_cap:
                self._drop_oldest_finished_delivery()
            self._schedule(delivery, now, self._generation)

    # --------------------------------------------------------------- reading

    def attempts(self, rrn: str | None = None, session_id: str | None = None) -> list[Attempt]:
        """Every logged attempt, oldest first (the log keeps the last webhook_log_cap)."""
        with self._lock:
            return [
                a for a in self._log if rrn in (None, a.rrn) and session_id in (None, a.session_id)
            ]

    def deliveries(self, rrn: str | None = None, session_id: str | None = None) -> list[Delivery]:
        """Every webhook series, oldest first."""
        with self._lock:
            return [
                d
                for d in self._deliveries.values()
                if rrn in (None, d.rrn) and session_id in (None, d.session_id)
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

    def reset(self) -> None:
        """Forget every delivery and attempt; pending attempts never run.

        An attempt already on the wire cannot be unsent, but its result is not logged
        and it schedules no retry.
        """
        with self._lock:
            self._generation += 1
            for delivery in self._deliveries.values():
                delivery.cancelled = True
                if delivery.job is not None:
                    delivery.job.cancel()
            self._deliveries.clear()
            self._log.clear()
            self._changed.notify_all()

    def close(self) -> None:
        """Stop scheduling; the HTTP client is closed (the scheduler is closed by its owner)."""
        with self._lock:
            self._generation += 1
        with self._client_lock:
            client = self._http_client
        if client is not None:
            client.close()

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
        )

    def _attempt(
        self, delivery: Delivery, number: int, scheduled_at: float, generation: int
    ) -> None:
        """One POST; log it, then stop or schedule the next attempt."""
        with self._lock:
            if generation != self._generation or delivery.cancelled:
                return
        sent_at = self.clock.now()
        started = real_monotonic()
        outcome = self._post(delivery.url, delivery.payload)
        duration_ms = (real_monotonic() - started) * 1000
        with self._lock:
            if generation != self._generation or delivery.cancelled:
                return
            delivery.attempts_made = number
            next_due: float | None = None
            if outcome.acknowledged:
                delivery.acknowledged = True
            elif number < delivery.max_attempts:
                # On the schedule of the first attempt, so the times are exact multiples
                # of the interval however long each attempt took.
                next_due = delivery.first_due + number * self.settings.webhook_interval
            delivery.next_due = next_due
            delivery.job = None
            self._attempt_ids += 1
            self._log.append(
                Attempt(
                    id=self._attempt_ids,
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
                )
            )
            attempt = self._log[-1]
            if next_due is not None:
                self._schedule(delivery, next_due, generation)
            self._changed.notify_all()
        self.events.emit(WebhookAttemptEvent(attempt))

    def _post(self, url: str, payload: dict[str, Any]) -> Outcome:
        """POST the payload and judge the answer; never raises."""
        import httpx

        from mockpms.deadline import received, within

        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        timeout = self.settings.webhook_timeout
        started = real_monotonic()
        try:
            with (
                within(timeout),
                self._http.stream("POST", url, content=body, headers=headers) as response,
            ):
                raw = bytearray()
                for chunk in response.iter_bytes():
                    raw.extend(chunk)
                    if len(raw) > MAX_RESPONSE_BYTES:
                        break
                return judge(response.status_code, bytes(raw[:MAX_RESPONSE_BYTES]))
        except httpx.TimeoutException as exc:
            if received() and real_monotonic() - started >= timeout * 0.99:  # a trickle
                return Outcome(
                    error=f"timeout: {_host(exc)} did not complete the exchange (connect, "
                    f"send and the whole answer) within {timeout:g} s (--webhook-timeout)"
                )
            return Outcome(error=describe_error(exc, timeout))
        except httpx.HTTPError as exc:
            return Outcome(error=describe_error(exc, timeout))
        except Exception as exc:  # a worker must survive anything a receiver does
            return Outcome(error=f"unexpected error: {type(exc).__name__}: {exc}")

    def _drop_oldest_finished_delivery(self) -> None:
        for key, delivery in self._deliveries.items():
            if delivery.state != "pending":
                del self._deliveries[key]
                return
        self._deliveries.popitem(last=False)  # all pending: the oldest goes (its job still runs)


def judge(status: int, raw: bytes) -> Outcome:
    """Is this answer an acknowledgement? 2xx with a JSON object whose errorCode is "0"."""
    text = raw.decode("utf-8", errors="replace")
    shown = text[:LOGGED_BODY_CHARS]
    if not 200 <= status < 300:
        return Outcome(status, shown, f"HTTP {status}: only a 2xx answer can acknowledge")
    if not text.strip():
        return Outcome(
            status,
            shown,
            f'HTTP {status} with an empty body: the acknowledgement is {{"errorCode": "0"}}',
        )
    try:
        data = json.loads(text)
    except ValueError:
        return Outcome(
            status, shown, f'HTTP {status} but the body is not JSON; answer {{"errorCode": "0"}}'
        )
    if not isinstance(data, dict):
        return Outcome(
            status,
            shown,
            f'HTTP {status} but the body is not a JSON object; answer {{"errorCode": "0"}}',
        )
    if "errorCode" not in data:
        return Outcome(status, shown, f'HTTP {status} but the body has no errorCode; send "0"')
    code = data["errorCode"]
    if code != "0":
        hint = ' (errorCode is a string: send "0", not 0)' if code == 0 else ""
        return Outcome(
            status,
            shown,
            f'errorCode {json.dumps(code)} is not an acknowledgement{hint}; only "0" is',
        )
    return Outcome(status, shown)


def describe_error(exc: httpx.HTTPError, timeout: float) -> str:
    """A short reason for a failed POST: timeout, DNS, refused, or what httpx says."""
    import httpx

    causes = list(_causes(exc))
    host = _host(exc)
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timeout: {host} did not accept a connection within {timeout:g} s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"read timeout: {host} sent no answer within {timeout:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout: {host} did not complete the exchange within {timeout:g} s"
    if any(isinstance(c, socket.gaierror) for c in causes) or _mentions_dns(exc):
        return f"DNS failure: the host name of {host} does not resolve"
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "refused" in str(exc).lower():
        return f"connection refused by {host}: nothing listens there"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{host} closed the connection without a valid HTTP answer ({exc})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {host}: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _receiver(url: str) -> str:
    """The scheduler lane of a webhook: its scheme, host and port."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _mentions_dns(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(
        marker in text
        for marker in (
            "name or service not known",
            "nodename nor servname",
            "temporary failure in name resolution",
            "no address associated",
            "getaddrinfo failed",
        )
    )


def _host(exc: httpx.HTTPError) -> str:
    try:
        url = exc.request.url
    except RuntimeError:  # no request attached
        return "the receiver"
    port = f":{url.port}" if url.port else ""
    return f"{url.host}{port}"
