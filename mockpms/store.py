"""Where transactions and H5 sessions are kept: the Store interface and its in-memory
implementation.

The lifecycle is the only writer. It takes `lock` (re-entrant) around every
check-then-change (a duplicate rrn, a settle), changes the record, and hands the
changed record back through `update_transaction`/`update_session`, so a store
that writes elsewhere (a database) sees every change. Reads return the stored
records; callers outside the lifecycle treat them as read-only.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from typing import Any, Generic, Protocol, TypeVar

from mockpms.errors import PaymentError, PmsError
from mockpms.models import H5Session, Transaction

EVICTION_LOOKAHEAD = 1000


class Store(Protocol):
    """What the lifecycle needs of a store; MemoryStore is the first implementation."""

    lock: threading.RLock

    def add_transaction(self, txn: Transaction) -> None:
        """Insert; PaymentError (601) when the merchant already used the rrn."""

    def update_transaction(self, txn: Transaction) -> None:
        """The lifecycle changed this stored transaction: keep the change."""

    def transaction(self, api_key: str, rrn: str) -> Transaction | None: ...
    def transaction_by_token(self, token: str) -> Transaction | None: ...
    def transactions(self, api_key: str | None = None) -> list[Transaction]: ...
    def transactions_with_rrn(self, rrn: str) -> list[Transaction]: ...

    def add_session(self, session: H5Session) -> None:
        """Insert; PmsError when the merchant already used the sessionId."""

    def update_session(self, session: H5Session) -> None:
        """The lifecycle changed this stored session: keep the change."""

    def session(self, api_key: str, session_id: str) -> H5Session | None: ...
    def session_by_token(self, token: str) -> H5Session | None: ...
    def sessions(self, api_key: str | None = None) -> list[H5Session]: ...
    def sessions_with_id(self, session_id: str) -> list[H5Session]: ...
    def counts(self) -> dict[str, int]: ...

    def transaction_page(
        self,
        after: int | None,
        limit: int,
        newest_first: bool,
        match: Callable[[Transaction], bool],
    ) -> Page[Transaction]:
        """A bounded page in arrival order from a cursor, looking at a bounded number
        of records under the lock (a page may come back short, with a cursor)."""

    def session_page(
        self,
        after: int | None,
        limit: int,
        newest_first: bool,
        match: Callable[[H5Session], bool],
    ) -> Page[H5Session]: ...

    def reset(self) -> None:
        """Forget every transaction and session."""

    def remove_merchant(self, api_key: str) -> None:
        """Forget every transaction and session of one merchant."""

    def open_records(self) -> tuple[list[Transaction], list[H5Session]]:
        """Pending transactions and sessions not closed: what scheduled work may still
        change (a restart resumes the auto-settlements of these)."""

    def describe(self) -> dict[str, Any]:
        """What GET /_mock/health says of the storage: {"storage": "memory"} or more."""


R = TypeVar("R", Transaction, H5Session)
Key = tuple[str, str]
PAGE_SCAN = 20_000  # positions one page may look at under the lock (filters that match little)


@dataclass(frozen=True)
class Page(Generic[R]):
    """One page of a listing: the records, and the cursor of the next page (None: done)."""

    records: list[R]
    next_cursor: str | None


class _Ledger(Generic[R]):
    """Records by key in arrival order, each with a sequence number for paging.

    `order` is the sorted list of live and removed sequence numbers (removed ones
    are skipped, and compacted away once they outnumber the live), so a page
    starts with one bisect and never walks from the front.
    """

    def __init__(self) -> None:
        self.items: OrderedDict[Key, R] = OrderedDict()
        self.by_token: dict[str, R] = {}
        self._seq_of: dict[Key, int] = {}
        self._key_at: dict[int, Key] = {}
        self._order: list[int] = []
        self._next = 1

    def add(self, key: Key, record: R) -> None:
        seq, self._next = self._next, self._next + 1
        self.items[key] = record
        self.by_token[record.token] = record
        self._seq_of[key] = seq
        self._key_at[seq] = key
        self._order.append(seq)

    def remove(self, key: Key) -> R:
        record = self.items.pop(key)
        self.by_token.pop(record.token, None)
        del self._key_at[self._seq_of.pop(key)]
        if len(self._order) > 2 * len(self.items) + 64:
            self._order = [seq for seq in self._order if seq in self._key_at]
        return record

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]

    def page(
        self, after: int | None, limit: int, newest_first: bool, match: Callable[[R], bool]
    ) -> Page[R]:
        order = self._order
        if newest_first:
            position = (bisect_left(order, after) if after is not None else len(order)) - 1
            step, stop = -1, -1
        else:
            position = bisect_right(order, after) if after is not None else 0
            step, stop = 1, len(order)
        found: list[R] = []
        last: int | None = None
        for _ in range(PAGE_SCAN):
            if position == stop or len(found) == limit:
                break
            seq = order[position]
            key = self._key_at.get(seq)
            if key is not None and match(self.items[key]):
                found.append(self.items[key])
            last = seq
            position += step
        more = position != stop
        return Page(found, str(last) if more and last is not None else None)


def duplicate_rrn(txn: Transaction) -> PaymentError:
    return PaymentError(
        f"rrn: {txn.rrn!r} is a duplicate of an earlier transaction of this "
        f"merchant; the payment fails. Every online/sales call needs a new rrn "
        f"(query the first one with online/query)",
        field="rrn",
        reason="duplicate-rrn",
    )


def duplicate_session(session: H5Session) -> PmsError:
    return PmsError(
        f"sessionId: {session.session_id!r} was already used by this merchant; "
        f"every h5Payment/session/create needs a new sessionId",
        field="sessionId",
    )


# What session eviction may take, first to last (see MemoryStore._evict_sessions).
CLOSED, COUNTING_DOWN, UNSCANNED = 0, 1, 2


def standing(session: H5Session) -> int:
    """CLOSED (paid, countdown noticed over, cancelled before the scan), COUNTING_DOWN
    (scanned) or UNSCANNED: the eviction order of a session."""
    if (
        session.paid_rrn is not None
        or session.expired_at is not None
        or (session.cancelled_at is not None and session.scanned_at is None)
    ):
        return CLOSED
    return COUNTING_DOWN if session.scanned_at is not None else UNSCANNED


class MemoryStore:
    """Dicts under one RLock; caps evict the oldest finished records first."""

    def __init__(
        self,
        transaction_cap: int = 200_000,
        session_cap: int | None = None,
        h5_countdown: float = 300.0,
    ) -> None:
        self.lock = threading.RLock()
        self.transaction_cap = transaction_cap
        self.session_cap = session_cap or transaction_cap
        self.h5_countdown = h5_countdown
        self._transactions: _Ledger[Transaction] = _Ledger()
        self._sessions: _Ledger[H5Session] = _Ledger()
        # Sessions by what eviction may take: closed ones, counting down (by scan
        # time), never scanned (by creation). Every session is in exactly one.
        self._closed: OrderedDict[Key, None] = OrderedDict()
        self._scanned: OrderedDict[Key, None] = OrderedDict()
        self._unscanned: OrderedDict[Key, None] = OrderedDict()

    # ------------------------------------------------------------ transactions

    def add_transaction(self, txn: Transaction) -> None:
        with self.lock:
            if txn.key in self._transactions.items:
                raise duplicate_rrn(txn)
            self._transactions.add(txn.key, txn)
            if len(self._transactions.items) > self.transaction_cap:
                self._evict(now=txn.created_at)

    def _evict(self, now: float) -> None:
        """Drop the oldest finished (or unpaid and past expiry) transactions over the cap.

        Looks at most EVICTION_LOOKAHEAD of the oldest entries, so a sale costs the
        same at the cap as below it; transactions still payable are never evicted
        (the store may then briefly hold more than the cap). OrderedDict: iterating
        from the front stays cheap however many entries were deleted there.
        """
        items = self._transactions.items
        excess = len(items) - self.transaction_cap
        doomed: list[Key] = []
        for key, txn in islice(items.items(), EVICTION_LOOKAHEAD):
            if len(doomed) == excess:
                break
            if txn.status.is_final or txn.expires_at <= now:
                doomed.append(key)
        for key in doomed:
            self._transactions.remove(key)

    def update_transaction(self, txn: Transaction) -> None:
        return None  # the stored object is the one the lifecycle changed

    def transaction(self, api_key: str, rrn: str) -> Transaction | None:
        with self.lock:
            return self._transactions.items.get((api_key, rrn))

    def transaction_by_token(self, token: str) -> Transaction | None:
        with self.lock:
            return self._transactions.by_token.get(token)

    def transactions(self, api_key: str | None = None) -> list[Transaction]:
        with self.lock:
            return [t for t in self._transactions.items.values() if api_key in (None, t.api_key)]

    def transactions_with_rrn(self, rrn: str) -> list[Transaction]:
        with self.lock:
            return [t for t in self._transactions.items.values() if t.rrn == rrn]

    def transaction_page(
        self,
        after: int | None,
        limit: int,
        newest_first: bool,
        match: Callable[[Transaction], bool],
    ) -> Page[Transaction]:
        with self.lock:
            return self._transactions.page(after, limit, newest_first, match)

    # ------------------------------------------------------------ H5 sessions

    def add_session(self, session: H5Session) -> None:
        with self.lock:
            if session.key in self._sessions.items:
                raise duplicate_session(session)
            self._sessions.add(session.key, session)
            self._file(session)
            if len(self._sessions.items) > self.session_cap:
                self._evict_sessions(now=session.created_at)

    def _file(self, session: H5Session) -> None:
        """Put the session in the one eviction index that fits its state now."""
        key = session.key
        for index in (self._closed, self._scanned, self._unscanned):
            index.pop(key, None)
        (self._closed, self._scanned, self._unscanned)[standing(session)][key] = None

    def _evict_sessions(self, now: float) -> None:
        """Keep the sessions near their cap, taking first what no payer can still use.

        Closed sessions go first (paid, cancelled before the scan, countdown over),
        then sessions whose countdown has run out unnoticed, then the oldest that
        were never scanned (a QR code nobody opened). A countdown still running
        is never cut short: those are bounded by the countdown itself.
        """
        while len(self._sessions.items) > self.session_cap:
            if self._closed:
                key = next(iter(self._closed))
            elif self._scanned and self._countdown_over(next(iter(self._scanned)), now):
                key = next(iter(self._scanned))
            elif self._unscanned:
                key = next(iter(self._unscanned))
            else:
                return
            for index in (self._closed, self._scanned, self._unscanned):
                index.pop(key, None)
            self._sessions.remove(key)

    def _countdown_over(self, key: Key, now: float) -> bool:
        scanned_at = self._sessions.items[key].scanned_at
        return scanned_at is not None and scanned_at + self.h5_countdown <= now

    def update_session(self, session: H5Session) -> None:
        with self.lock:
            if session.key in self._sessions.items:
                self._file(session)

    def session(self, api_key: str, session_id: str) -> H5Session | None:
        with self.lock:
            return self._sessions.items.get((api_key, session_id))

    def session_by_token(self, token: str) -> H5Session | None:
        with self.lock:
            return self._sessions.by_token.get(token)

    def sessions(self, api_key: str | None = None) -> list[H5Session]:
        with self.lock:
            return [s for s in self._sessions.items.values() if api_key in (None, s.api_key)]

    def sessions_with_id(self, session_id: str) -> list[H5Session]:
        with self.lock:
            return [s for s in self._sessions.items.values() if s.session_id == session_id]

    def session_page(
        self,
        after: int | None,
        limit: int,
        newest_first: bool,
        match: Callable[[H5Session], bool],
    ) -> Page[H5Session]:
        with self.lock:
            return self._sessions.page(after, limit, newest_first, match)

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {
                "transactions": len(self._transactions.items),
                "sessions": len(self._sessions.items),
            }

    def reset(self) -> None:
        with self.lock:
            self._transactions.clear()
            self._sessions.clear()
            self._closed.clear()
            self._scanned.clear()
            self._unscanned.clear()

    def remove_merchant(self, api_key: str) -> None:
        with self.lock:
            for key in [k for k in self._transactions.items if k[0] == api_key]:
                self._transactions.remove(key)
            for key in [k for k in self._sessions.items if k[0] == api_key]:
                for index in (self._closed, self._scanned, self._unscanned):
                    index.pop(key, None)
                self._sessions.remove(key)

    def open_records(self) -> tuple[list[Transaction], list[H5Session]]:
        with self.lock:
            pending = [t for t in self._transactions.items.values() if not t.status.is_final]
            unclosed = [self._sessions.items[k] for k in (*self._scanned, *self._unscanned)]
            return pending, unclosed

    def describe(self) -> dict[str, Any]:
        return {"storage": "memory"}
