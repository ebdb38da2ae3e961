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
from collections import OrderedDict
from itertools import islice
from typing import Protocol

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

    def reset(self) -> None:
        """Forget every transaction and session."""


class MemoryStore:
    """Dicts under one RLock; the cap evicts the oldest finished records first."""

    def __init__(self, transaction_cap: int = 200_000) -> None:
        self.lock = threading.RLock()
        self.transaction_cap = transaction_cap
        self._transactions: OrderedDict[tuple[str, str], Transaction] = OrderedDict()
        self._transactions_by_token: dict[str, Transaction] = {}
        self._sessions: OrderedDict[tuple[str, str], H5Session] = OrderedDict()
        self._sessions_by_token: dict[str, H5Session] = {}

    # ------------------------------------------------------------ transactions

    def add_transaction(self, txn: Transaction) -> None:
        with self.lock:
            if txn.key in self._transactions:
                raise PaymentError(
                    f"rrn: {txn.rrn!r} is a duplicate of an earlier transaction of this "
                    f"merchant; the payment fails. Every online/sales call needs a new rrn "
                    f"(query the first one with online/query)",
                    field="rrn",
                )
            self._transactions[txn.key] = txn
            self._transactions_by_token[txn.token] = txn
            if len(self._transactions) > self.transaction_cap:
                self._evict(now=txn.created_at)

    def _evict(self, now: float) -> None:
        """Drop the oldest finished (or unpaid and past expiry) transactions over the cap.

        Looks at most EVICTION_LOOKAHEAD of the oldest entries, so a sale costs the
        same at the cap as below it; transactions still payable are never evicted
        (the store may then briefly hold more than the cap). OrderedDict: iterating
        from the front stays cheap however many entries were deleted there.
        """
        excess = len(self._transactions) - self.transaction_cap
        doomed: list[tuple[str, str]] = []
        for key, txn in islice(self._transactions.items(), EVICTION_LOOKAHEAD):
            if len(doomed) == excess:
                break
            if txn.status.is_final or txn.expires_at <= now:
                doomed.append(key)
        for key in doomed:
            txn = self._transactions.pop(key)
            self._transactions_by_token.pop(txn.token, None)

    def update_transaction(self, txn: Transaction) -> None:
        return None  # the stored object is the one the lifecycle changed

    def transaction(self, api_key: str, rrn: str) -> Transaction | None:
        with self.lock:
            return self._transactions.get((api_key, rrn))

    def transaction_by_token(self, token: str) -> Transaction | None:
        with self.lock:
            return self._transactions_by_token.get(token)

    def transactions(self, api_key: str | None = None) -> list[Transaction]:
        with self.lock:
            return [t for t in self._transactions.values() if api_key in (None, t.api_key)]

    def transactions_with_rrn(self, rrn: str) -> list[Transaction]:
        with self.lock:
            return [t for t in self._transactions.values() if t.rrn == rrn]

    # ------------------------------------------------------------ H5 sessions

    def add_session(self, session: H5Session) -> None:
        with self.lock:
            if session.key in self._sessions:
                raise PmsError(
                    f"sessionId: {session.session_id!r} was already used by this merchant; "
                    f"every h5Payment/session/create needs a new sessionId",
                    field="sessionId",
                )
            self._sessions[session.key] = session
            self._sessions_by_token[session.token] = session
            if len(self._sessions) > self.transaction_cap:
                self._evict_closed_sessions()

    def _evict_closed_sessions(self) -> None:
        """Drop the oldest paid or cancelled sessions; open ones are never evicted.

        Bounded look-ahead from the front of an OrderedDict, as for transactions.
        """
        excess = len(self._sessions) - self.transaction_cap
        doomed: list[tuple[str, str]] = []
        for key, session in islice(self._sessions.items(), EVICTION_LOOKAHEAD):
            if len(doomed) == excess:
                break
            if session.paid_rrn is not None or session.cancelled_at is not None:
                doomed.append(key)
        for key in doomed:
            session = self._sessions.pop(key)
            self._sessions_by_token.pop(session.token, None)

    def update_session(self, session: H5Session) -> None:
        return None  # the stored object is the one the lifecycle changed

    def session(self, api_key: str, session_id: str) -> H5Session | None:
        with self.lock:
            return self._sessions.get((api_key, session_id))

    def session_by_token(self, token: str) -> H5Session | None:
        with self.lock:
            return self._sessions_by_token.get(token)

    def sessions(self, api_key: str | None = None) -> list[H5Session]:
        with self.lock:
            return [s for s in self._sessions.values() if api_key in (None, s.api_key)]

    def sessions_with_id(self, session_id: str) -> list[H5Session]:
        with self.lock:
            return [s for s in self._sessions.values() if s.session_id == session_id]

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {"transactions": len(self._transactions), "sessions": len(self._sessions)}

    def reset(self) -> None:
        with self.lock:
            self._transactions.clear()
            self._transactions_by_token.clear()
            self._sessions.clear()
            self._sessions_by_token.clear()
