"""Transactions and H5 sessions in the data dir's SQLite database (`--data-dir`).

The same Store as MemoryStore, on disk: every add and update is committed
before the lifecycle lets the answer go (see mockpms.datadir for why that
survives `kill -9`). Records are kept as JSON with the columns lookups,
paging and eviction need beside them.

Reads build records from rows, through an identity map of weak references:
while any thread holds a record, every read of it returns that same object, so
the lifecycle's check-then-change under the store lock sees the change another
thread made (two settles of one rrn: one winner), exactly as with the shared
objects of MemoryStore. Records nobody holds are forgotten, so memory does not
grow with what is on disk.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar
from weakref import WeakValueDictionary

from mockpms.datadir import DataDir
from mockpms.models import H5Session, Transaction, TxStatus
from mockpms.store import (
    CLOSED,
    COUNTING_DOWN,
    EVICTION_LOOKAHEAD,
    PAGE_SCAN,
    UNSCANNED,
    Key,
    Page,
    duplicate_rrn,
    duplicate_session,
    standing,
)

R = TypeVar("R", Transaction, H5Session)
NO_CURSOR_LIMIT = 2**62
RECENT = 1024
PAGE_CHUNK = 256  # rows read at a time while a page fills


def transaction_json(txn: Transaction) -> str:
    data = dict(txn.__dict__)
    data["status"] = txn.status.value
    return json.dumps(data)


def transaction_from(text: str) -> Transaction:
    data = json.loads(text)
    data["status"] = TxStatus(data["status"])
    return Transaction(**data)


def session_json(session: H5Session) -> str:
    return json.dumps(session.__dict__)


def session_from(text: str) -> H5Session:
    return H5Session(**json.loads(text))


def _keyed(record: R) -> tuple[Key, R]:
    return record.key, record


class SqliteStore:
    """The Store protocol on SQLite; caps evict as MemoryStore does, on disk."""

    def __init__(
        self,
        data: DataDir,
        transaction_cap: int = 200_000,
        session_cap: int | None = None,
        h5_countdown: float = 300.0,
    ) -> None:
        self.lock = threading.RLock()
        self.data = data
        self.transaction_cap = transaction_cap
        self.session_cap = session_cap or transaction_cap
        self.h5_countdown = h5_countdown
        self._transactions: WeakValueDictionary[Key, Transaction] = WeakValueDictionary()
        self._sessions: WeakValueDictionary[Key, H5Session] = WeakValueDictionary()
        # The records read or written last stay held, so a shop polling online/query for
        # its recent orders is answered from memory (bounded: RECENT records).
        self._recent: deque[Transaction | H5Session] = deque(maxlen=RECENT)
        self._transaction_count = data.read_one("SELECT count(*) FROM transactions")[0]
        self._session_count = data.read_one("SELECT count(*) FROM sessions")[0]

    # ------------------------------------------------------------ transactions

    def add_transaction(self, txn: Transaction) -> None:
        with self.lock:
            try:
                self.data.write(
                    "INSERT INTO transactions (api_key, rrn, token, status, expires_at, data) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (txn.api_key, txn.rrn, txn.token, txn.status.value, txn.expires_at,
                     transaction_json(txn)),
                )  # fmt: skip
            except sqlite3.IntegrityError:
                raise duplicate_rrn(txn) from None
            self._transactions[txn.key] = txn
            self._recent.append(txn)
            self._transaction_count += 1
            if self._transaction_count > self.transaction_cap:
                self._evict(now=txn.created_at)

    def _evict(self, now: float) -> None:
        """As MemoryStore._evict: among the EVICTION_LOOKAHEAD oldest, the finished (or
        unpaid past expiry) ones go, never one still payable."""
        excess = self._transaction_count - self.transaction_cap
        doomed = self.data.read(
            "SELECT seq, api_key, rrn FROM (SELECT seq, api_key, rrn, status, expires_at "
            "FROM transactions ORDER BY seq LIMIT ?) WHERE status != 'pending' OR "
            "expires_at <= ? LIMIT ?",
            (EVICTION_LOOKAHEAD, now, excess),
        )
        if not doomed:
            return
        self.data.write_many(
            [("DELETE FROM transactions WHERE seq = ?", (seq,)) for seq, _, _ in doomed]
        )
        for _, api_key, rrn in doomed:
            self._transactions.pop((api_key, rrn), None)
        self._transaction_count -= len(doomed)

    def update_transaction(self, txn: Transaction) -> None:
        with self.lock:
            self.data.write(
                "UPDATE transactions SET status = ?, expires_at = ?, data = ? "
                "WHERE api_key = ? AND rrn = ?",
                (txn.status.value, txn.expires_at, transaction_json(txn), txn.api_key, txn.rrn),
            )

    def transaction(self, api_key: str, rrn: str) -> Transaction | None:
        with self.lock:
            held = self._transactions.get((api_key, rrn))
            if held is not None:
                return held
            row = self.data.read_one(
                "SELECT data FROM transactions WHERE api_key = ? AND rrn = ?", (api_key, rrn)
            )
            return None if row is None else self._transaction_of(row[0])

    def transaction_by_token(self, token: str) -> Transaction | None:
        with self.lock:
            row = self.data.read_one("SELECT data FROM transactions WHERE token = ?", (token,))
            return None if row is None else self._transaction_of(row[0])

    def transactions(self, api_key: str | None = None) -> list[Transaction]:
        with self.lock:
            if api_key is None:
                rows = self.data.read("SELECT data FROM transactions ORDER BY seq")
            else:
                rows = self.data.read(
                    "SELECT data FROM transactions WHERE api_key = ? ORDER BY seq", (api_key,)
                )
            return [self._transaction_of(text) for (text,) in rows]

    def transactions_with_rrn(self, rrn: str) -> list[Transaction]:
        with self.lock:
            rows = self.data.read(
                "SELECT data FROM transactions WHERE rrn = ? ORDER BY seq", (rrn,)
            )
            return [self._transaction_of(text) for (text,) in rows]

    def transaction_page(
        self,
        after: int | None,
        limit: int,
        newest_first: bool,
        match: Callable[[Transaction], bool],
    ) -> Page[Transaction]:
        with self.lock:
            return self._page("transactions", after, limit, newest_first, match,
                              self._transaction_of)  # fmt: skip

    def _transaction_of(self, text: str) -> Transaction:
        """The held record if some thread has it, else a new one from the row."""
        txn = self._transactions.setdefault(*_keyed(transaction_from(text)))
        self._recent.append(txn)
        return txn

    # ------------------------------------------------------------ H5 sessions

    def add_session(self, session: H5Session) -> None:
        with self.lock:
            try:
                self.data.write(
                    "INSERT INTO sessions (api_key, session_id, token, standing, scanned_at, "
                    "data) VALUES (?, ?, ?, ?, ?, ?)",
                    (session.api_key, session.session_id, session.token, standing(session),
                     session.scanned_at, session_json(session)),
                )  # fmt: skip
            except sqlite3.IntegrityError:
                raise duplicate_session(session) from None
            self._sessions[session.key] = session
            self._recent.append(session)
            self._session_count += 1
            if self._session_count > self.session_cap:
                self._evict_sessions(now=session.created_at)

    def _evict_sessions(self, now: float) -> None:
        """As MemoryStore._evict_sessions: closed first, then countdowns run out
        unnoticed, then the oldest never scanned; a running countdown is never cut."""
        while self._session_count > self.session_cap:
            row = self.data.read_one(
                "SELECT seq, api_key, session_id FROM sessions WHERE standing = ? "
                "ORDER BY seq LIMIT 1",
                (CLOSED,),
            ) or self.data.read_one(
                "SELECT seq, api_key, session_id FROM sessions WHERE standing = ? "
                "AND scanned_at + ? <= ? ORDER BY scanned_at LIMIT 1",
                (COUNTING_DOWN, self.h5_countdown, now),
            ) or self.data.read_one(
                "SELECT seq, api_key, session_id FROM sessions WHERE standing = ? "
                "ORDER BY seq LIMIT 1",
                (UNSCANNED,),
            )  # fmt: skip
            if row is None:
                return
            seq, api_key, session_id = row
            self.data.write("DELETE FROM sessions WHERE seq = ?", (seq,))
            self._sessions.pop((api_key, session_id), None)
            self._session_count -= 1

    def update_session(self, session: H5Session) -> None:
        with self.lock:
            self.data.write(
                "UPDATE sessions SET standing = ?, scanned_at = ?, data = ? "
                "WHERE api_key = ? AND session_id = ?",
                (standing(session), session.scanned_at, session_json(session),
                 session.api_key, session.session_id),
            )  # fmt: skip

    def session(self, api_key: str, session_id: str) -> H5Session | None:
        with self.lock:
            held = self._sessions.get((api_key, session_id))
            if held is not None:
                return held
            row = self.data.read_one(
                "SELECT data FROM sessions WHERE api_key = ? AND session_id = ?",
                (api_key, session_id),
            )
            return None if row is None else self._session_of(row[0])

    def session_by_token(self, token: str) -> H5Session | None:
        with self.lock:
            row = self.data.read_one("SELECT data FROM sessions WHERE token = ?", (token,))
            return None if row is None else self._session_of(row[0])

    def sessions(self, api_key: str | None = None) -> list[H5Session]:
        with self.lock:
            if api_key is None:
                rows = self.data.read("SELECT data FROM sessions ORDER BY seq")
            else:
                rows = self.data.read(
                    "SELECT data FROM sessions WHERE api_key = ? ORDER BY seq", (api_key,)
                )
            return [self._session_of(text) for (text,) in rows]

    def sessions_with_id(self, session_id: str) -> list[H5Session]:
        with self.lock:
            rows = self.data.read(
                "SELECT data FROM sessions WHERE session_id = ? ORDER BY seq", (session_id,)
            )
            return [self._session_of(text) for (text,) in rows]

    def session_page(
        self,
        after: int | None,
        limit: int,
        newest_first: bool,
        match: Callable[[H5Session], bool],
    ) -> Page[H5Session]:
        with self.lock:
            return self._page("sessions", after, limit, newest_first, match, self._session_of)

    def _session_of(self, text: str) -> H5Session:
        session = self._sessions.setdefault(*_keyed(session_from(text)))
        self._recent.append(session)
        return session

    # ------------------------------------------------------------------ both

    def _page(
        self,
        table: str,
        after: int | None,
        limit: int,
        newest_first: bool,
        match: Callable[[R], bool],
        build: Callable[[str], R],
    ) -> Page[R]:
        """A bounded page in arrival order from a cursor (as store._Ledger.page): at most
        PAGE_SCAN rows are looked at; the cursor is the last seq looked at."""
        if newest_first:
            query = f"SELECT seq, data FROM {table} WHERE seq < ? ORDER BY seq DESC LIMIT ?"
            bound = NO_CURSOR_LIMIT if after is None else after
        else:
            query = f"SELECT seq, data FROM {table} WHERE seq > ? ORDER BY seq LIMIT ?"
            bound = 0 if after is None else after
        found: list[R] = []
        last: int | None = None
        looked = 0
        while True:
            wanted = min(PAGE_CHUNK, PAGE_SCAN + 1 - looked)
            rows: list[tuple[int, str]] = self.data.read(query, (bound, wanted))
            for seq, text in rows:
                if looked == PAGE_SCAN or len(found) == limit:
                    return Page(found, None if last is None else str(last))
                record = build(text)
                if match(record):
                    found.append(record)
                last = bound = seq
                looked += 1
            if len(rows) < wanted:  # the end of the table
                return Page(found, None)

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {"transactions": self._transaction_count, "sessions": self._session_count}

    def reset(self) -> None:
        with self.lock:
            self.data.write_many([("DELETE FROM transactions", ()), ("DELETE FROM sessions", ())])
            self._transactions.clear()
            self._sessions.clear()
            self._recent.clear()
            self._transaction_count = self._session_count = 0

    def remove_merchant(self, api_key: str) -> None:
        with self.lock:
            self.data.write_many(
                [
                    ("DELETE FROM transactions WHERE api_key = ?", (api_key,)),
                    ("DELETE FROM sessions WHERE api_key = ?", (api_key,)),
                ]
            )
            for index in (self._transactions, self._sessions):
                for key in [k for k in list(index.keys()) if k[0] == api_key]:
                    index.pop(key, None)
            self._recent = deque((r for r in self._recent if r.api_key != api_key), maxlen=RECENT)
            self._transaction_count = self.data.read_one("SELECT count(*) FROM transactions")[0]
            self._session_count = self.data.read_one("SELECT count(*) FROM sessions")[0]

    def open_records(self) -> tuple[list[Transaction], list[H5Session]]:
        """Only the open records are built, found by their status and standing columns."""
        with self.lock:
            pending = self.data.read(
                "SELECT data FROM transactions WHERE status = 'pending' ORDER BY seq"
            )
            unclosed = self.data.read(
                "SELECT data FROM sessions WHERE standing != ? ORDER BY seq", (CLOSED,)
            )
            return (
                [self._transaction_of(text) for (text,) in pending],
                [self._session_of(text) for (text,) in unclosed],
            )

    def describe(self) -> dict[str, Any]:
        """What /_mock/health says of the storage."""
        return {"storage": "sqlite", "database": str(self.data.database)}
