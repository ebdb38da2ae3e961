"""The request journal: what the merchant's code actually sent to PMS, and what it got back.

A bounded deque (oldest entries dropped past `journal_cap`), so a sandbox that
runs for weeks keeps a constant footprint. Bodies are stored with `sign`
redacted and cut to a few KiB: the journal is for reading, not for replaying.
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

# Stored bodies larger than this are kept as truncated text, not as JSON.
BODY_LIMIT = 8 * 1024
REDACTED = "***"
_SIGN_IN_TEXT = re.compile(r'("sign"\s*:\s*)"(?:[^"\\]|\\.)*"')


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
            "body": _without_sign(self.body),
            "status": self.status,
            "errorCode": self.error_code,
            "errorMessage": self.error_message,
            "durationMs": round(self.duration_ms, 3),
            "fault": self.fault,
        }


def _without_sign(body: Any) -> Any:
    """The body as shown: a JSON object keeps every field but `sign`'s value.

    Redacted when read, not when recorded, so the request path only keeps a reference.
    """
    if isinstance(body, dict) and "sign" in body:
        return {**body, "sign": REDACTED}
    return body


def redact(raw: bytes) -> Any:
    """A request body as the journal keeps it: a JSON object with sign hidden, or text.

    Text bodies (not JSON, not an object, or over BODY_LIMIT) are cut to BODY_LIMIT
    characters, with any `"sign": "..."` masked all the same.
    """
    if len(raw) <= BODY_LIMIT:
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            data = None
        if isinstance(data, dict):
            if "sign" in data:
                data["sign"] = REDACTED
            return data
    text = raw[:BODY_LIMIT].decode("utf-8", errors="replace")
    text = _SIGN_IN_TEXT.sub(rf'\1"{REDACTED}"', text)
    if len(raw) > BODY_LIMIT:
        text += f"... ({len(raw)} bytes in all)"
    return text


class Journal:
    """Thread-safe, capped, oldest first."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._lock = threading.Lock()
        self._entries: deque[Entry] = deque(maxlen=cap)
        self._ids = count(1)
        self.dropped = 0  # entries that fell off the front since the last reset

    def record(self, **fields: Any) -> Entry:
        body = fields.get("body")
        if isinstance(body, dict):
            rrn, session_id = body.get("rrn"), body.get("sessionId")
            fields.setdefault("rrn", rrn if isinstance(rrn, str) else None)
            fields.setdefault("session_id", session_id if isinstance(session_id, str) else None)
        with self._lock:
            entry = Entry(id=next(self._ids), **fields)
            if len(self._entries) == self.cap:
                self.dropped += 1
            self._entries.append(entry)
        return entry

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

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
            self.dropped = 0
