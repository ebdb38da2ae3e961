"""The journal, webhook series and attempts and the small state, in the data dir.

The StateSink (mockpms.durable) on SQLite: each call is one committed write,
made by the journal or the engine under its own lock, so what is on disk is
what memory held when the answer went out. `load()` reads it all back once, at
start-up; the logs are capped on disk as in memory (the entry or attempt that
falls off the front of the deque is deleted in the same call).
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


class SqliteState:
    """StateSink writing to a DataDir; `load()` gives what a previous run kept."""

    def __init__(self, data: DataDir) -> None:
        self.data = data

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
        statements: list[tuple[str, tuple[Any, ...]]] = [
            ("INSERT OR REPLACE INTO journal (id, entry, body) VALUES (?, ?, ?)",
             (entry.id, json.dumps(shown), body)),
        ]  # fmt: skip
        if dropped_id is not None:
            statements.append(("DELETE FROM journal WHERE id = ?", (dropped_id,)))
        self.data.write_many(statements)

    def journal_cleared(self) -> None:
        self.data.write("DELETE FROM journal")

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
        statements: list[tuple[str, tuple[Any, ...]]] = [
            ("INSERT OR REPLACE INTO attempts (id, data) VALUES (?, ?)",
             (attempt.id, json.dumps(attempt.__dict__))),
        ]  # fmt: skip
        if dropped_id is not None:
            statements.append(("DELETE FROM attempts WHERE id = ?", (dropped_id,)))
        self.data.write_many(statements)

    def webhooks_cleared(self) -> None:
        self.data.write_many([("DELETE FROM deliveries", ()), ("DELETE FROM attempts", ())])

    # ------------------------------------------------------------------ load

    def load(self) -> Saved:
        """Everything kept, oldest first."""
        saved = Saved()
        for name, value in self.data.read("SELECT name, value FROM state"):
            saved.state[name] = json.loads(value)
        for text, body in self.data.read("SELECT entry, body FROM journal ORDER BY id"):
            saved.journal.append(Entry(body=body, **json.loads(text)))
        for (text,) in self.data.read("SELECT data FROM deliveries ORDER BY id"):
            saved.deliveries.append(Delivery(**json.loads(text)))
        for (text,) in self.data.read("SELECT data FROM attempts ORDER BY id"):
            saved.attempts.append(Attempt(**json.loads(text)))
        return saved
