"""Fault injection: make the next N calls of a PMS endpoint fail the way PMS can fail.

A fault is one of: an errorCode answer ("3" response timeout, "601" payment
error, "40002" other error), an HTTP status (e.g. 503 from a proxy), or a
dropped connection; optionally preceded by a delay (or a delay alone). Faults
are queued first in, first out; each call of a matching endpoint takes one use
of the first matching fault, atomically, so under any concurrency exactly
`count` calls get it. A faulted call never reaches the lifecycle, so it
changes no state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mockpms.endpoints import endpoint_of
from mockpms.endpoints import listing as endpoint_listing
from mockpms.errors import ControlError, HttpError, PaymentError, PmsError, ResponseTimeout

ERROR_CODES = ("3", "601", "40002")
MAX_DELAY_MS = 120_000
MAX_COUNT = 1_000_000
_FIELDS = {"endpoint", "errorCode", "httpStatus", "delayMs", "drop", "count"}
# Webhook faults (CONTRACT 13): for the next `count` notifications, not PMS calls.
WEBHOOK_KINDS = ("duplicate", "drop", "delay")
MAX_WEBHOOK_DELAY = 10 * 365 * 86400
_WEBHOOK_FIELDS = {"webhook", "seconds", "count"}


@dataclass
class Fault:
    id: int
    endpoint: str | None  # None: every PMS endpoint
    remaining: int
    error_code: str | None = None
    http_status: int | None = None
    delay_ms: int = 0
    drop: bool = False
    webhook: str | None = None  # duplicate, drop or delay: a fault of notifications
    seconds: float = 0.0  # a webhook delay, on the mock clock
    api_key: str | None = None  # scoped to one merchant's requests (None: everyone's)

    def error(self) -> PmsError | HttpError | None:
        """The answer this fault gives instead of the real one (None: delay only or drop)."""
        note = "(fault injected through /_mock/faults)"
        if self.error_code == "3":
            return ResponseTimeout(f"response timeout {note}")
        if self.error_code == "601":
            return PaymentError(f"payment error {note}")
        if self.error_code == "40002":
            return PmsError(f"other error {note}")
        if self.http_status is not None:
            return HttpError(self.http_status, f"HTTP {self.http_status} {note}")
        return None

    def to_json(self) -> dict[str, Any]:
        scope = {"apiKey": self.api_key} if self.api_key is not None else {}
        if self.webhook is not None:
            shown: dict[str, Any] = {"id": self.id, **scope, "webhook": self.webhook}
            if self.webhook == "delay":
                shown["seconds"] = self.seconds
            shown["remaining"] = self.remaining
            return shown
        answer: dict[str, Any] = {"id": self.id, **scope, "endpoint": self.endpoint}
        if self.error_code is not None:
            answer["errorCode"] = self.error_code
        if self.http_status is not None:
            answer["httpStatus"] = self.http_status
        if self.drop:
            answer["drop"] = True
        if self.delay_ms:
            answer["delayMs"] = self.delay_ms
        answer["remaining"] = self.remaining
        return answer


def parse_fault(data: Mapping[str, Any]) -> dict[str, Any]:
    """A POST /_mock/faults body → Fault fields; ControlError naming the field otherwise."""
    if "webhook" in data:
        return _webhook_fault(data)
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ControlError(
            f"{unknown[0]}: unknown field; a fault has endpoint, errorCode, httpStatus, "
            f"delayMs, drop and count"
        )
    fields: dict[str, Any] = {"endpoint": _endpoint(data.get("endpoint"))}
    fields["remaining"] = _whole(data, "count", default=1, low=1, high=MAX_COUNT)
    kinds = []
    if data.get("errorCode") is not None:
        code = data["errorCode"]
        if isinstance(code, int) and not isinstance(code, bool):
            code = str(code)
        if code not in ERROR_CODES:
            raise ControlError(f'errorCode: must be one of "3", "601", "40002" (got {code!r})')
        fields["error_code"] = code
        kinds.append("errorCode")
    if data.get("httpStatus") is not None:
        fields["http_status"] = _whole(data, "httpStatus", default=0, low=400, high=599)
        kinds.append("httpStatus")
    if data.get("drop") is not None:
        if not isinstance(data["drop"], bool):
            raise ControlError(f"drop: must be true or false (got {data['drop']!r})")
        fields["drop"] = data["drop"]
        if data["drop"]:
            kinds.append("drop")
    fields["delay_ms"] = _whole(data, "delayMs", default=0, low=0, high=MAX_DELAY_MS)
    if len(kinds) > 1:
        raise ControlError(
            f"{kinds[1]}: a fault is one of errorCode, httpStatus or drop (got "
            f"{' and '.join(kinds)}); post two faults to queue both"
        )
    if not kinds and not fields["delay_ms"]:
        raise ControlError(
            'errorCode: a fault needs errorCode ("3", "601", "40002"), httpStatus, '
            "drop: true or delayMs"
        )
    return fields


def _webhook_fault(data: Mapping[str, Any]) -> dict[str, Any]:
    """{"webhook": "duplicate" | "drop" | "delay", "seconds": S (delay), "count": N}."""
    unknown = sorted(set(data) - _WEBHOOK_FIELDS)
    if unknown:
        raise ControlError(
            f"{unknown[0]}: unknown field; a webhook fault has webhook, seconds (for delay) "
            f"and count"
        )
    kind = data["webhook"]
    if kind not in WEBHOOK_KINDS:
        raise ControlError(f"webhook: must be one of {', '.join(WEBHOOK_KINDS)} (got {kind!r:.40})")
    fields: dict[str, Any] = {
        "endpoint": None,
        "webhook": kind,
        "remaining": _whole(data, "count", default=1, low=1, high=MAX_COUNT),
    }
    seconds = data.get("seconds")
    if kind == "delay":
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ControlError("seconds: a delay needs the seconds to hold the attempt, e.g. 60")
        if not 0 <= seconds <= MAX_WEBHOOK_DELAY:
            raise ControlError(f"seconds: must be from 0 to {MAX_WEBHOOK_DELAY}")
        fields["seconds"] = float(seconds)
    elif seconds is not None:
        raise ControlError(f"seconds: only a delay takes seconds, not {kind}")
    return fields


def _endpoint(value: Any) -> str | None:
    if value is None or value in ("", "*"):
        return None
    if not isinstance(value, str):
        raise ControlError(f"endpoint: must be a string such as 'online/sales' (got {value!r})")
    found = endpoint_of(value)
    if found is None:
        raise ControlError(
            f"endpoint: {value[:80]!r} is not a PMS endpoint; use one of "
            f"{endpoint_listing()} (or omit it for all)"
        )
    return found.name


def _whole(data: Mapping[str, Any], name: str, *, default: int, low: int, high: int) -> int:
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlError(f"{name}: must be a whole number from {low} to {high} (got {value!r})")
    if not low <= value <= high:
        raise ControlError(f"{name}: must be from {low} to {high} (got {value})")
    return value


class FaultBook:
    """The queue of active faults; take() is the one atomic step a PMS call makes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1
        # Called (under the lock) with the snapshot whenever the queue changes: a data
        # dir keeps it (mockpms.sandbox wires it).
        self.on_change: Callable[[dict[str, Any]], None] = _nothing

    def add(self, **fields: Any) -> Fault:
        with self._lock:
            fault = Fault(id=self._next_id, **fields)
            self._next_id += 1
            self._faults.append(fault)
            self.on_change(self._snapshot())
            return fault

    def take(self, endpoint: str, api_key: str | None = None) -> Fault | None:
        """Use up one call of the first fault matching `endpoint` (one scoped to `api_key`
        before a global one); a snapshot of it, or None."""
        if not self._faults:  # the common case, without the lock: no fault is armed
            return None
        return self._take(
            lambda fault: fault.webhook is None and fault.endpoint in (None, endpoint), api_key
        )

    def take_webhook(self, api_key: str | None = None) -> Fault | None:
        """Use up one notification of the first webhook fault (the merchant's first); a
        snapshot of it, or None."""
        if not self._faults:
            return None
        return self._take(lambda fault: fault.webhook is not None, api_key)

    def _take(self, matches: Callable[[Fault], bool], api_key: str | None) -> Fault | None:
        with self._lock:
            scoped = [f for f in self._faults if f.api_key is not None and f.api_key == api_key]
            unscoped = [f for f in self._faults if f.api_key is None]
            for fault in scoped + unscoped if scoped else unscoped:
                if matches(fault):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    self.on_change(self._snapshot())
                    return Fault(**{**fault.__dict__, "remaining": fault.remaining})
        return None

    def active(self, api_key: str | None = None) -> list[Fault]:
        """Every armed fault; with `api_key`, the ones scoped to that merchant."""
        with self._lock:
            return [Fault(**f.__dict__) for f in self._faults if api_key in (None, f.api_key)]

    def clear(self, api_key: str | None = None) -> int:
        """Disarm every fault; with `api_key`, only the ones scoped to that merchant."""
        with self._lock:
            kept = [f for f in self._faults if api_key is not None and f.api_key != api_key]
            cleared = len(self._faults) - len(kept)
            self._faults = kept
            self.on_change(self._snapshot())
            return cleared

    reset = clear

    def _snapshot(self) -> dict[str, Any]:
        return {"nextId": self._next_id, "faults": [dict(f.__dict__) for f in self._faults]}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Take back the queue a data dir kept."""
        with self._lock:
            self._faults = [Fault(**fields) for fields in snapshot["faults"]]
            self._next_id = int(snapshot["nextId"])


def _nothing(snapshot: dict[str, Any]) -> None:
    return None
