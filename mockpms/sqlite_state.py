"""The journal, webhook series and attempts and the small state, in the data dir.

The StateSink (mockpms.durable) on SQLite: each call is one committed write,
made by the journal or the engine under its own lock, so what is on disk is
what memory held when the answer went out. `load()` reads it all back once, at
start-up; the logs are capped on disk as in memory (what fell off the front of
the deque is deleted in batches of TRIM_EVERY, and only the newest `cap` are
read back).
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from mockpms.datadir import DataDir
from mockpms.durable import Saved
from mockpms.journal import Entry
from mockpms.webhooks import Attempt, Delivery

_ENTRY_FIELDS = tuple(f.name for f in fields(Entry) if f.name != "body")
_DELIVERY_FIELDS = tuple(f.name for f in fields(Delivery) if f.name != "job")


# The front of a capped log is trimmed on disk once this many entries fell off it, in one
# DELETE: a request then costs one INSERT, not an INSERT and a DELETE in a transaction.
TRIM_EVERY = 64


class SqliteState:
    """StateSink writing to a DataDir; `load()` gives what a previous run kept."""

    def __init__(self, data: DataDir, journal_cap: int, webhook_log_cap: int) -> None:
        self.data = data
        self.journal_cap = journal_cap
        self.webhook_log_cap = webhook_log_cap
        self._journal_dropped = 0
        self._attempts_dropped = 0

    # ------------------------------------------------------------ small state

    def save(self, name: str, value: Any) -> None:
        self.data.write(
            "INSERT INTO state (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, json.dumps(value)),
        )

    # ---------------------------------------------------------------- journal

    def journal_kept(self, entry: Entry, dropped_id: int | None) -> None:
        shown = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
        body = entry.body
        if not isinstance(body, bytes | str | None):
            body = str(body)
        self.data.write(
            "INSERT OR REPLACE INTO journal (id, entry, body) VALUES (?, ?, ?)",
            (entry.id, json.dumps(shown), body),
        )
        if dropped_id is not None:
            self._journal_dropped += 1
            if self._journal_dropped % TRIM_EVERY == 0:
                self.data.write("DELETE FROM journal WHERE id <= ?", (dropped_id,))

    def journal_cleared(self, api_key: str | None = None) -> None:
        if api_key is None:
            self.data.write("DELETE FROM journal")
        else:
            self.data.write(
                "DELETE FROM journal WHERE json_extract(entry, '$.api_key') = ?", (api_key,)
            )

    # --------------------------------------------------------------- webhooks

    def delivery_changed(self, delivery: Delivery) -> None:
        kept = {name: getattr(delivery, name) for name in _DELIVERY_FIELDS}
        self.data.write(
            "INSERT OR REPLACE INTO deliveries (id, data) VALUES (?, ?)",
            (delivery.id, json.dumps(kept)),
        )

    def delivery_removed(self, delivery_id: int) -> None:
        self.data.write("DELETE FROM deliveries WHERE id = ?", (delivery_id,))

    def attempt_logged(self, attempt: Attempt, dropped_id: int | None) -> None:
        self.data.write(
            "INSERT OR REPLACE INTO attempts (id, data) VALUES (?, ?)",
            (attempt.id, json.dumps(attempt.__dict__)),
        )
        if dropped_id is not None:
            self._attempts_dropped += 1
            if self._attempts_dropped % TRIM_EVERY == 0:
                self.data.write("DELETE FROM attempts WHERE id <= ?", (dropped_id,))

    def webhooks_cleared(self, api_key: str | None = None) -> None:
        if api_key is None:
            self.data.write_many([("DELETE FROM deliveries", ()), ("DELETE FROM attempts", ())])
            return
        mine = "WHERE json_extract(data, '$.api_key') = ?"
        self.data.write_many(
            [
                (f"DELETE FROM deliveries {mine}", (api_key,)),
                (f"DELETE FROM attempts {mine}", (api_key,)),
            ]
        )

    # ------------------------------------------------------------------ load

    def load(self) -> Saved:
        """Everything kept, oldest first."""
        saved = Saved()
        for name, value in self.data.read("SELECT name, value FROM state"):
            saved.state[name] = json.loads(value)
        newest = self.data.read(
            "SELECT entry, body FROM journal ORDER BY id DESC LIMIT ?", (self.journal_cap,)
        )
        for text, body in reversed(newest):
            saved.journal.append(Entry(body=body, **json.loads(text)))
        for (text,) in self.data.read("SELECT data FROM deliveries ORDER BY id"):
            saved.deliveries.append(Delivery(**json.loads(text)))
        newest = self.data.read(
            "SELECT data FROM attempts ORDER BY id DESC LIMIT ?", (self.webhook_log_cap,)
        )
        for (text,) in reversed(newest):
            saved.attempts.append(Attempt(**json.loads(text)))
        return saved
