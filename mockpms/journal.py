"""The request journal: what the merchant's code actually sent to PMS, and what it got back.

A bounded deque (oldest entries dropped past `journal_cap`), so a sandbox that
runs for weeks keeps a constant footprint. Bodies are kept as the bytes that
arrived, cut to BODY_LIMIT: memory is bounded by cap x BODY_LIMIT whatever the
body holds (a parsed body of 8 KiB of `[]` costs 200 KiB), and nothing stored
can break rendering later (a body nested a thousand deep is shown as text).

When read, `sign` is never shown: a JSON object's `sign` is masked, and every
value shaped like a sign (28 characters of Base64 ending in "=", also
URL-encoded or with JSON's escaped slash) is masked wherever it stands, so a
form-encoded body, a cut one or a key written "\u0073ign" leaks nothing.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import count
from typing import Any

from mockpms.durable import NO_SINK, StateSink
from mockpms.fence import Fence

# Stored bodies larger than this are kept as truncated text, not as JSON.
BODY_LIMIT = 8 * 1024
REDACTED = "***"
# Base64(HMAC-SHA1) is 27 characters and "=": as sent, URL-encoded, or JSON-escaped.
SIGN_LIKE = re.compile(r"(?:[A-Za-z0-9+/]|\\/|%2[BbFf]){27}(?:=|%3[Dd])")
_SIGN_IN_TEXT = re.compile(r'("sign"\s*:\s*)"(?:[^"\\]|\\.)*"')
MAX_SHOWN_DEPTH = 64


@dataclass(slots=True)  # not frozen: a frozen dataclass costs a setattr call per field
class Entry:
    """One PMS request and its answer."""

    id: int
    time: float
    method: str
    path: str
    endpoint: str | None
    api_key: str | None
    body: Any
    status: int | None  # None: the connection was dropped without an answer
    error_code: str | None
    error_message: str | None
    duration_ms: float
    fault: dict[str, Any] | None = None
    rrn: str | None = field(default=None)
    session_id: str | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "receivedAt": self.time,
            "receivedTime": datetime.fromtimestamp(self.time, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "method": self.method,
            "path": self.path,
            "endpoint": self.endpoint,
            "apiKey": self.api_key,
            "body": shown_body(self.body),
            "status": self.status,
            "errorCode": self.error_code,
            "errorMessage": self.error_message,
            "durationMs": round(self.duration_ms, 3),
            "fault": self.fault,
        }


def kept_body(raw: bytes) -> bytes:
    """What the journal stores of a body: its bytes, cut to BODY_LIMIT (no copy below it)."""
    return raw if len(raw) <= BODY_LIMIT else raw[:BODY_LIMIT]


def shown_body(body: Any) -> Any:
    """A stored body as GET /_mock/requests shows it, with no sign anywhere.

    Bytes that are a whole JSON object come back as the object; anything else
    (not JSON, cut, nested too deeply to show) as text. Strings already stored as
    text (a refusal's note) are shown as they are, masked all the same.
    """
    if isinstance(body, bytes):
        try:
            data = json.loads(body.decode("utf-8")) if len(body) < BODY_LIMIT else None
        except (UnicodeDecodeError, ValueError, RecursionError):
            data = None
        if isinstance(data, dict):
            masked = _masked(data, 0)
            if masked is not _TOO_DEEP:
                return masked
        text = body.decode("utf-8", errors="replace")
        if len(body) >= BODY_LIMIT:
            text += " ... (cut)"
        return _masked_text(text)
    if isinstance(body, str):
        return _masked_text(body)
    return body


def _masked_text(text: str) -> str:
    return SIGN_LIKE.sub(REDACTED, _SIGN_IN_TEXT.sub(rf'\1"{REDACTED}"', text))


_TOO_DEEP = object()


def _masked(value: Any, depth: int) -> Any:
    if depth > MAX_SHOWN_DEPTH:
        return _TOO_DEEP
    if isinstance(value, str):
        return SIGN_LIKE.sub(REDACTED, value)
    if isinstance(value, dict):
        shown = {}
        for key, item in value.items():
            inner = REDACTED if key == "sign" else _masked(item, depth + 1)
            if inner is _TOO_DEEP:
                return _TOO_DEEP
            shown[SIGN_LIKE.sub(REDACTED, key)] = inner
        return shown
    if isinstance(value, list):
        items = [_masked(item, depth + 1) for item in value]
        return _TOO_DEEP if any(item is _TOO_DEEP for item in items) else items
    return value


class Journal:
    """Thread-safe, capped, oldest first."""

    def __init__(self, cap: int, fence: Fence | None = None, sink: StateSink = NO_SINK) -> None:
        self.cap = cap
        self.fence = fence or Fence()
        self.sink = sink  # a data dir keeps each entry (mockpms.durable)
        self._lock = threading.Lock()
        self._entries: deque[Entry] = deque(maxlen=cap)
        self._ids = count(1)
        self.dropped = 0  # entries that fell off the front since the last reset

    def record(self, *, generation: int | None = None, **fields: Any) -> Entry | None:
        """Keep one entry; None (nothing kept) for a request begun before a reset."""
        with self._lock:
            if generation is not None and generation != self.fence.current:
                return None
            entry = Entry(id=next(self._ids), **fields)
            dropped_id = None
            if len(self._entries) == self.cap:
                self.dropped += 1
                dropped_id = self._entries[0].id
            self._entries.append(entry)
            self.sink.journal_kept(entry, dropped_id)
        return entry

    def restore(self, entries: list[Entry]) -> None:
        """Take back the entries a data dir kept; new ones number on from the last."""
        with self._lock:
            self._entries.extend(entries)
            self._ids = count(entries[-1].id + 1 if entries else 1)

    def entries(
        self,
        *,
        endpoint: str | None = None,
        rrn: str | None = None,
        api_key: str | None = None,
        session_id: str | None = None,
    ) -> list[Entry]:
        with self._lock:
            found = list(self._entries)
        return [
            e
            for e in found
            if endpoint in (None, e.endpoint)
            and rrn in (None, e.rrn)
            and api_key in (None, e.api_key)
            and session_id in (None, e.session_id)
        ]

    def reset(self, api_key: str | None = None) -> None:
        """Forget every entry; with `api_key`, that merchant's entries only."""
        with self._lock:
            if api_key is None:
                self._entries.clear()
                self.dropped = 0
            else:
                kept = [e for e in self._entries if e.api_key != api_key]
                self._entries.clear()
                self._entries.extend(kept)
            self.sink.journal_cleared(api_key)
