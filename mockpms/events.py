"""Typed domain events: what the lifecycle (and the webhook engine) tell the rest.

The lifecycle emits one event per state change, after the change is made and
the store lock released. Everything that reacts to a payment subscribes here,
in one place: webhook delivery, auto-settle, and later the event stream and
the integration report. A listener that raises is logged and skipped; it never
fails the request that caused the event.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Union

from mockpms.models import H5Session, Transaction

if TYPE_CHECKING:
    from mockpms.webhooks import Attempt

log = logging.getLogger("mockpms.events")


class Kind(str, Enum):
    SALE_CREATED = "sale.created"
    PAGE_OPENED = "sale.page_opened"
    PAID = "sale.paid"
    FAILED = "sale.failed"
    EXPIRED = "sale.expired"
    REFUNDED = "sale.refunded"
    CANCELLED = "sale.cancelled"  # by the payer, before paying (gwRefStatus 04 too)
    CARD_HELD = "sale.card_held"  # a card waits for its issuer (stays 05)
    SESSION_CREATED = "session.created"
    SESSION_SCANNED = "session.scanned"
    SESSION_PAID = "session.paid"
    SESSION_CANCELLED = "session.cancelled"
    SESSION_EXPIRED = "session.expired"
    WEBHOOK_ATTEMPT = "webhook.attempt"
    REQUEST = "request"


@dataclass(frozen=True)
class TransactionEvent:
    """A transaction changed. `notify`: PMS tells the merchant's webhookUrl about it
    (the lifecycle decides which changes PMS notifies; the webhook engine obeys)."""

    kind: Kind
    transaction: Transaction
    at: float
    detail: dict[str, Any] = field(default_factory=dict)
    notify: bool = False
    generation: int = 0  # the sandbox generation it happened in (mockpms.fence)


@dataclass(frozen=True)
class SessionEvent:
    kind: Kind
    session: H5Session
    at: float
    detail: dict[str, Any] = field(default_factory=dict)
    generation: int = 0


@dataclass(frozen=True)
class WebhookAttemptEvent:
    attempt: Attempt
    kind: Kind = Kind.WEBHOOK_ATTEMPT


@dataclass(frozen=True)
class RequestEvent:
    """A PMS call was answered: who, what, and how (`reason`: a report code, if any)."""

    endpoint: str
    api_key: str | None
    error_code: str | None
    reason: str | None
    rrn: str | None
    session_id: str | None
    at: float
    status: int | None = 200
    journal_id: int | None = None  # its entry in GET /_mock/requests
    method: str = "POST"
    path: str = ""
    duration_ms: float = 0.0
    kind: Kind = Kind.REQUEST


Event = Union[TransactionEvent, SessionEvent, WebhookAttemptEvent, RequestEvent]  # noqa: UP007
Listener = Callable[[Event], None]


class Events:
    """The one subscription point: `subscribe(listener)`, then every event reaches it."""

    def __init__(self) -> None:
        self._listeners: tuple[Listener, ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners = (*self._listeners, listener)

    def emit(self, *events: Event) -> None:
        """Tell every listener, in subscription order; call it without holding the store lock."""
        for event in events:
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:  # a listener's bug must not fail the payment
                    log.exception("event listener %r failed on %s", listener, event.kind.value)
