"""GET /_mock/events: what happens in the sandbox, as a Server-Sent Events stream (CONTRACT 11).

The broadcaster listens to the sandbox's events and turns each into one SSE
message (`event:` request, transaction, session, webhook, clock or reset;
`data:` JSON; `id:` increasing). It keeps the last BUFFER messages so a reader
that reconnects with `Last-Event-ID` gets what it missed, and hands each message
to every reader's own bounded queue without ever waiting: a reader that falls
more than MAX_BEHIND messages behind is dropped (it may reconnect and resume),
so no request ever waits on a reader. A comment line is sent whenever nothing
happened for `heartbeat` seconds, to keep proxies from closing the stream.

Each open stream holds one server worker thread for its lifetime (waitress is a
threaded server), so at most `max_streams` are served at once; more are refused
with 503 rather than starve the API of workers.
"""

from __future__ import annotations

import json
import queue
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mockpms.events import (
    Event,
    Events,
    RequestEvent,
    SessionEvent,
    TransactionEvent,
    WebhookAttemptEvent,
)

BUFFER = 1000
MAX_BEHIND = 1000


@dataclass(frozen=True)
class Message:
    id: int
    type: str
    data: dict[str, Any]

    def encode(self) -> bytes:
        body = json.dumps(self.data, ensure_ascii=False, default=str)
        return f"id: {self.id}\nevent: {self.type}\ndata: {body}\n\n".encode()


class Reader:
    """One open stream: its queue, and whether it was dropped for falling behind."""

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[Message | None] = queue.SimpleQueue()
        self.dropped = False


class Broadcaster:
    def __init__(self, events: Events, *, heartbeat: float = 15.0, max_streams: int = 4) -> None:
        self.heartbeat = heartbeat
        self.max_streams = max_streams
        self._lock = threading.Lock()
        self._buffer: deque[Message] = deque(maxlen=BUFFER)
        self._readers: set[Reader] = set()
        self._next_id = 1
        events.subscribe(self.on_event)

    # ------------------------------------------------------------ publishing

    def on_event(self, event: Event) -> None:
        shown = describe(event)
        if shown is not None:
            self.publish(*shown)

    def publish(self, type_: str, data: dict[str, Any]) -> None:
        """Buffer and hand out one message; never blocks on a reader."""
        with self._lock:
            message = Message(self._next_id, type_, data)
            self._next_id += 1
            self._buffer.append(message)
            for reader in list(self._readers):
                if reader.queue.qsize() >= MAX_BEHIND:
                    self._drop(reader)
                else:
                    reader.queue.put(message)

    def _drop(self, reader: Reader) -> None:
        reader.dropped = True
        self._readers.discard(reader)
        reader.queue.put(None)  # wakes the stream, which then ends

    # -------------------------------------------------------------- reading

    def open(self, last_id: int | None) -> tuple[Reader, list[Message]] | None:
        """A new reader and what it missed since `last_id` (None: full, refuse it)."""
        with self._lock:
            if len(self._readers) >= self.max_streams:
                return None
            reader = Reader()
            self._readers.add(reader)
            missed = [m for m in self._buffer if last_id is not None and m.id > last_id]
            return reader, missed

    def close(self, reader: Reader) -> None:
        with self._lock:
            self._readers.discard(reader)

    def stream(self, reader: Reader, missed: list[Message]) -> Iterator[bytes]:
        """The bytes of one stream, until the reader is dropped or the client goes away."""
        try:
            yield b": connected\n\n"
            for old in missed:
                yield old.encode()
            while True:
                try:
                    message = reader.queue.get(timeout=self.heartbeat)
                except queue.Empty:
                    yield b": heartbeat\n\n"
                    continue
                if message is None or reader.dropped:
                    yield b": dropped: this reader fell behind; reconnect with Last-Event-ID\n\n"
                    return
                yield message.encode()
        finally:
            self.close(reader)

    @property
    def readers(self) -> int:
        with self._lock:
            return len(self._readers)

    def shutdown(self) -> None:
        """End every stream (at server stop)."""
        with self._lock:
            for reader in list(self._readers):
                self._drop(reader)


def describe(event: Event) -> tuple[str, dict[str, Any]] | None:
    """An event as (SSE event type, JSON data)."""
    if isinstance(event, RequestEvent):
        return "request", {
            "endpoint": event.endpoint,
            "apiKey": event.api_key,
            "errorCode": event.error_code,
            "status": event.status,
            "rrn": event.rrn,
            "sessionId": event.session_id,
            "at": event.at,
            "journalId": event.journal_id,
        }
    if isinstance(event, TransactionEvent):
        # The whole row, as GET /_mock/transactions shows it: a live view needs no reload.
        return "transaction", {
            "kind": event.kind.value,
            "at": event.at,
            **event.transaction.to_control_json(),
            **({"detail": event.detail} if event.detail else {}),
        }
    if isinstance(event, SessionEvent):
        session = event.session
        return "session", {
            "kind": event.kind.value,
            "apiKey": session.api_key,
            "sessionId": session.session_id,
            "amt": session.amt,
            "wallet": session.wallet,
            "rrn": session.paid_rrn,
            "at": event.at,
            **({"detail": event.detail} if event.detail else {}),
        }
    if isinstance(event, WebhookAttemptEvent):
        shown = event.attempt.to_json()
        shown.pop("payload", None)  # it is in GET /_mock/webhooks; the stream stays small
        return "webhook", shown
    return None
