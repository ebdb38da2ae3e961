"""The integration report: what the sandbox saw the merchant's integration do wrong.

Fed by events (mockpms.events), never by scanning the journal: request events
(a bad sign, a timestamp in seconds, a duplicate rrn), lifecycle events (a sale
without webhookUrl) and webhook attempts (not acknowledged, a malformed
acknowledgement, a forged notification acknowledged). `notification-not-verified`
is worked out when the report is read: a real notification that got an HTTP
answer, and no online/query (or H5 query) for that record after it.

Bounded: per apiKey and code a count and a few examples. Reset clears it.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from mockpms.endpoints import QUERY, SESSION_QUERY
from mockpms.events import (
    Event,
    Events,
    Kind,
    RequestEvent,
    TransactionEvent,
    WebhookAttemptEvent,
)

UNKNOWN = "unknown"  # requests whose apiKey is not a configured merchant
MAX_EXAMPLES = 5
MAX_TRACKED = 10_000  # notifications remembered for notification-not-verified

# code: (severity, message). Each says what PMS will do and how to fix the shop's code.
FINDINGS: dict[str, tuple[str, str]] = {
    "unknown-api-key": (
        "error",
        "a request came with an apiKey PMS does not know; PMS refuses it (40002). Use the "
        "apiKey issued together with your secret (configure it per environment).",
    ),
    "timestamp-in-seconds": (
        "error",
        "timestamp was sent in seconds; PMS refuses every such request (40002). Send "
        "milliseconds: System.currentTimeMillis() (Java), Date.now() (JavaScript), "
        "int(time.time() * 1000) (Python), (int) round(microtime(true) * 1000) (PHP).",
    ),
    "bad-sign": (
        "error",
        "sign did not match; PMS refuses the request (40002). Sign the timestamp's digits "
        "exactly as sent: Base64(HMAC-SHA1(key = secret, message = timestamp)); the "
        "document's JavaScript snippet signs a literal string by mistake.",
    ),
    "stale-timestamp": (
        "error",
        "timestamp was too far from PMS's clock; PMS refuses the request (40002). Sign each "
        "request with the current time (never reuse a signed body) and keep the clock in sync.",
    ),
    "duplicate-rrn": (
        "error",
        "an rrn was used twice; PMS refuses the second sale (601) and keeps the first. Give "
        "every online/sales its own rrn; on a timeout, online/query the first one instead.",
    ),
    "sale-without-webhook": (
        "warning",
        "a sale was made without webhookUrl; PMS will not notify the shop of the payment. "
        "Send webhookUrl, or poll online/query until the payment is final.",
    ),
    "webhook-not-acknowledged": (
        "error",
        "a notification used every attempt without an acknowledgement; PMS stops retrying "
        'and the shop never confirms the order. Answer HTTP 200 with {"errorCode": "0"}.',
    ),
    "webhook-ack-malformed": (
        "error",
        'the webhook answer was a 2xx but not {"errorCode": "0"} (errorCode must be the '
        'string "0"); PMS counts it as a failure and retries. Answer exactly that JSON.',
    ),
    "notification-not-verified": (
        "warning",
        "a notification was answered but the record was never queried after it; PMS "
        "notifications carry no signature, so anyone can send one. Confirm with "
        "online/query (h5Payment/session/query for H5) before shipping.",
    ),
    "forged-notification-acknowledged": (
        "error",
        "the shop acknowledged a notification for a payment that was not made (a forged "
        "one); PMS would never send it, but an attacker can. Verify with online/query "
        "before you acknowledge or ship.",
    ),
}


@dataclass
class Finding:
    code: str
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, example: str | None, times: int = 1) -> None:
        self.count += times
        if example and example not in self.examples and len(self.examples) < MAX_EXAMPLES:
            self.examples.append(example)

    def to_json(self) -> dict[str, Any]:
        severity, message = FINDINGS[self.code]
        return {
            "code": self.code,
            "severity": severity,
            "message": message,
            "count": self.count,
            "examples": list(self.examples),
        }


class Report:
    """Findings per apiKey, kept up to date by the events it listens to."""

    def __init__(self, events: Events, merchants: Container[str]) -> None:
        self.merchants = merchants  # the apiKeys the sandbox knows (runtime ones too)
        self._lock = threading.Lock()
        self._findings: dict[str, dict[str, Finding]] = defaultdict(dict)
        # (apiKey, record) -> mock time of its first answered real notification
        self._notified: dict[tuple[str, str], float] = {}
        # (apiKey, record) -> mock time of its last successful query
        self._queried: dict[tuple[str, str], float] = {}
        events.subscribe(self.on_event)

    @property
    def empty(self) -> bool:
        """Nothing to report (cheap: for callers that only print a non-empty report)."""
        return not self._findings and not self._notified

    def on_event(self, event: Event) -> None:
        if isinstance(event, RequestEvent):
            self._request(event)
        elif isinstance(event, TransactionEvent) and event.kind is Kind.SALE_CREATED:
            if not event.transaction.webhook_url and event.transaction.session_id is None:
                self._file(event.transaction.api_key, "sale-without-webhook", event.transaction.rrn)
        elif isinstance(event, WebhookAttemptEvent):
            self._attempt(event)

    def _request(self, event: RequestEvent) -> None:
        api_key = event.api_key
        key = api_key if api_key is not None and api_key in self.merchants else UNKNOWN
        if event.reason in FINDINGS:
            self._file(key, event.reason, event.rrn or event.session_id)
        if event.error_code == "0" and key != UNKNOWN:
            record = event.rrn if event.endpoint == QUERY.name else None
            if event.endpoint == SESSION_QUERY.name:
                record = event.session_id
            if record is not None:
                with self._lock:
                    self._queried[(key, record)] = event.at

    def _attempt(self, event: WebhookAttemptEvent) -> None:
        attempt = event.attempt
        record = attempt.session_id or attempt.rrn
        status = attempt.http_status
        if attempt.forged and attempt.acknowledged:
            self._file(attempt.api_key, "forged-notification-acknowledged", record)
        refused = status is not None and 200 <= status < 300 and not attempt.acknowledged
        if refused and not attempt.forged:  # refusing a forged one is right, in any form
            self._file(attempt.api_key, "webhook-ack-malformed", record)
        last = attempt.attempt >= attempt.max_attempts and not attempt.resent
        if last and not attempt.acknowledged and not attempt.duplicate:
            self._file(attempt.api_key, "webhook-not-acknowledged", record)
        if status is not None and not attempt.forged:
            with self._lock:
                key = (attempt.api_key, record)
                if key not in self._notified and len(self._notified) < MAX_TRACKED:
                    self._notified[key] = attempt.sent_at

    def _file(self, api_key: str, code: str, example: str | None) -> None:
        with self._lock:
            findings = self._findings[api_key]
            findings.setdefault(code, Finding(code)).add(example)

    def to_json(self, api_key: str | None = None) -> dict[str, Any]:
        """{"merchants": {apiKey: [finding, ...]}}: the layout of GET /_mock/report."""
        with self._lock:
            merged: dict[str, dict[str, Finding]] = {
                key: {code: Finding(code, f.count, list(f.examples)) for code, f in found.items()}
                for key, found in self._findings.items()
            }
            for (key, record), notified_at in self._notified.items():
                queried = self._queried.get((key, record))
                if queried is None or queried < notified_at:
                    code = "notification-not-verified"
                    merged.setdefault(key, {}).setdefault(code, Finding(code)).add(record)
        return {
            "merchants": {
                key: [merged[key][code].to_json() for code in FINDINGS if code in merged[key]]
                for key in sorted(merged)
                if api_key in (None, key) and merged[key]
            }
        }

    def reset(self, api_key: str | None = None) -> None:
        """Forget every finding; with `api_key`, that merchant's only."""
        with self._lock:
            if api_key is None:
                self._findings.clear()
                self._notified.clear()
                self._queried.clear()
                return
            self._findings.pop(api_key, None)
            for tracked in (self._notified, self._queried):
                for key in [k for k in tracked if k[0] == api_key]:
                    del tracked[key]


class Collector:
    """Findings gathered over a test session (each test resets the sandbox), for the
    pytest plugin's terminal summary: per code, a count and an example record."""

    def __init__(self) -> None:
        self.found: dict[str, dict[str, Any]] = {}

    def add(self, report: dict[str, Any]) -> None:
        for api_key, findings in report.get("merchants", {}).items():
            for finding in findings:
                kept = self.found.setdefault(
                    finding["code"], {**finding, "count": 0, "examples": [], "apiKeys": []}
                )
                kept["count"] += finding["count"]
                for example in finding["examples"]:
                    if len(kept["examples"]) < MAX_EXAMPLES and example not in kept["examples"]:
                        kept["examples"].append(example)
                if api_key not in kept["apiKeys"]:
                    kept["apiKeys"].append(api_key)

    def lines(self) -> list[str]:
        """The summary block, grouped by code in the report's order."""
        shown = []
        for code in FINDINGS:
            finding = self.found.get(code)
            if finding is None:
                continue
            example = f" (e.g. {finding['examples'][0]})" if finding["examples"] else ""
            shown.append(f"{finding['severity']}: {code} x{finding['count']}{example}")
            shown.append(f"    {finding['message']}")
        return shown
