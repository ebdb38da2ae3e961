"""Webhook notifications for successful payments.

The engine is told of each success (it implements lifecycle.Notifier) and
records the delivery as due. Delivery with PMS's retry policy is built on top
of this record.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from mockpms.clock import Clock
from mockpms.config import Settings
from mockpms.models import Transaction


@dataclass
class Delivery:
    """One webhook series: a payload for a URL, attempted up to `webhook_attempts` times."""

    api_key: str
    rrn: str
    url: str
    payload: dict[str, Any]
    due_at: float
    attempts: list[dict[str, Any]] = field(default_factory=list)
    acknowledged: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "apiKey": self.api_key,
            "rrn": self.rrn,
            "url": self.url,
            "payload": self.payload,
            "dueAt": self.due_at,
            "attempts": list(self.attempts),
            "acknowledged": self.acknowledged,
        }


class WebhookEngine:
    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._deliveries: list[Delivery] = []

    def payment_succeeded(self, txn: Transaction) -> None:
        with self._lock:
            self._deliveries.append(
                Delivery(
                    api_key=txn.api_key,
                    rrn=txn.rrn,
                    url=txn.webhook_url,
                    payload=txn.webhook_payload(),
                    due_at=self.clock.now(),
                )
            )

    def deliveries(self, rrn: str | None = None) -> list[Delivery]:
        with self._lock:
            return [d for d in self._deliveries if rrn in (None, d.rrn)]

    def reset(self) -> None:
        with self._lock:
            self._deliveries.clear()

    def close(self) -> None:
        return None
