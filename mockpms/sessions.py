"""The H5 session lifecycle: create, scan, cancel, pay, expire; the owner of every change.

    open (not scanned) ──scan──> counting down ──pay──> paid (a paid transaction is born)
       │                            ├──cancel──> cancelled, still payable until the end
       └──cancel──> cancelled       └──countdown ends──> expired (status "0")

Status is derived from the timestamps (models.H5Session.status) against the mock
clock. Like the transaction lifecycle, every change takes the store lock (through
Lifecycle.changing), tells the store, and emits one event after the lock; the
countdown's end is noticed lazily on read and emitted once (session.expired).
"""

from __future__ import annotations

from mockpms.clock import pms_datetime
from mockpms.config import Merchant, Settings
from mockpms.errors import NotFound, PaymentError, PmsError
from mockpms.events import Kind, SessionEvent
from mockpms.gateways import Gateway
from mockpms.lifecycle import Lifecycle
from mockpms.models import H5Session, SessionStatus, Transaction
from mockpms.outcomes import generate, success
from mockpms.pms_requests import SessionRequest
from mockpms.store import Page


class SessionClosed(PaymentError):
    """An H5 session that is paid, cancelled before its scan, or past its countdown."""


class Sessions:
    """H5 sessions of every merchant; transactions of their payments go through Lifecycle."""

    def __init__(self, settings: Settings, lifecycle: Lifecycle) -> None:
        self.settings = settings
        self.lifecycle = lifecycle
        self.store = lifecycle.store
        self.clock = lifecycle.clock
        self.ids = lifecycle.ids
        self.gateways = lifecycle.gateways

    # ------------------------------------------------------------------ create

    def create(self, merchant: Merchant, request: SessionRequest) -> H5Session:
        session = H5Session(
            api_key=merchant.api_key,
            session_id=request.session_id,
            merchant_name=request.merchant_name or merchant.merchant_name,
            store_code=request.store_code or merchant.store_code,
            till_id=request.till_id or merchant.till_id,
            sales_man=request.sales_man or merchant.sales_man,
            amt=request.amt,
            webhook_url=request.webhook_url,
            token=self.ids.for_merchant(merchant.api_key).token(),
            created_at=self.clock.now(merchant.api_key),
            remarks=request.remarks,
            subject=request.subject,
            bitmap=request.bitmap,
        )
        with self.lifecycle.changing() as events:
            self.lifecycle.check_merchant(merchant.api_key)
            self.store.add_session(session)
            events.append(SessionEvent(Kind.SESSION_CREATED, session, session.created_at))
        return session

    # ------------------------------------------------------------------- read

    def find(self, merchant: Merchant, session_id: str) -> H5Session:
        found = self.session(merchant.api_key, session_id)
        if found is None:
            raise NotFound(
                f"sessionId: no H5 session {session_id!r} for this apiKey "
                f"(create it with h5Payment/session/create first)",
                field="sessionId",
            )
        return found

    def session(self, api_key: str, session_id: str) -> H5Session | None:
        with self.lifecycle.changing():
            return self._fresh(self.store.session(api_key, session_id))

    def by_token(self, token: str) -> H5Session | None:
        with self.lifecycle.changing():
            return self._fresh(self.store.session_by_token(token))

    def all(self, api_key: str | None = None) -> list[H5Session]:
        with self.lifecycle.changing():
            found = self.store.sessions(api_key)
            for session in found:
                self._note_expiry(session)
            return found

    def with_id(self, session_id: str) -> list[H5Session]:
        with self.lifecycle.changing():
            found = self.store.sessions_with_id(session_id)
            for session in found:
                self._note_expiry(session)
            return found

    def page(
        self,
        api_key: str | None,
        status: str | None,
        *,
        after: int | None,
        limit: int,
        newest_first: bool,
    ) -> Page[H5Session]:
        """A page of sessions (of a merchant, with a query status 0/1/2), expiries noted."""
        clock, countdown = self.clock, self.settings.h5_countdown

        def match(session: H5Session) -> bool:
            if api_key is not None and session.api_key != api_key:
                return False
            if status is None:
                return True
            return session.status(clock.now(session.api_key), countdown).value == status

        with self.lifecycle.changing():
            page = self.store.session_page(after, limit, newest_first, match)
            for session in page.records:
                self._note_expiry(session)
            return page

    def paid_transaction(self, session: H5Session) -> Transaction | None:
        if session.paid_rrn is None:
            return None
        return self.lifecycle.transaction(session.api_key, session.paid_rrn)

    def query_answer(self, session: H5Session) -> dict[str, object]:
        """h5Payment/session/query's answer: status, and the payment once paid."""
        with self.lifecycle.changing():
            status = self.status(session)
            txn = self.paid_transaction(session)
            return session.to_query_json(status, txn)

    def status(self, session: H5Session) -> SessionStatus:
        return session.status(self.clock.now(session.api_key), self.settings.h5_countdown)

    def payable(self, session: H5Session) -> bool:
        """Whether the payer can still pay (a cancel after the scan does not stop them)."""
        return session.payable(self.clock.now(session.api_key), self.settings.h5_countdown)

    def seconds_left(self, session: H5Session) -> float | None:
        """Seconds of the scan countdown left; None before the first scan."""
        ends = session.countdown_ends_at(self.settings.h5_countdown)
        return None if ends is None else max(0.0, ends - self.clock.now(session.api_key))

    def closed_reason(self, session: H5Session) -> str:
        """Why a session can no longer be paid, for error messages and the closed page."""
        if session.paid_rrn is not None:
            return f"it is paid (rrn {session.paid_rrn})"
        if session.scanned_at is None and session.cancelled_at is not None:
            return "it was cancelled before the QR code was scanned"
        return f"its {self.settings.h5_countdown:g}-second countdown after the scan has ended"

    def control_json(self, session: H5Session) -> dict[str, object]:
        return session.to_control_json(self.clock.now(session.api_key), self.settings.h5_countdown)

    def _fresh(self, session: H5Session | None) -> H5Session | None:
        if session is not None:
            self._note_expiry(session)
        return session

    def _note_expiry(self, session: H5Session) -> None:
        """The countdown ran out unpaid: recorded and emitted once (caller holds the lock)."""
        if session.expired_at is not None or session.paid_rrn is not None:
            return
        ends = session.countdown_ends_at(self.settings.h5_countdown)
        if ends is not None and self.clock.now(session.api_key) >= ends:
            session.expired_at = ends
            self.store.update_session(session)
            self.lifecycle.pending_events.append(SessionEvent(Kind.SESSION_EXPIRED, session, ends))

    # ------------------------------------------------------------------ change

    def cancel(self, session: H5Session) -> H5Session:
        """Before the scan: closed at once. After: payable until the countdown ends."""
        with self.lifecycle.changing() as events:
            if session.paid_rrn is not None:
                raise PaymentError(
                    f"sessionId: {session.session_id!r} is already paid (rrn "
                    f"{session.paid_rrn}); a paid session cannot be cancelled",
                    field="sessionId",
                )
            if session.cancelled_at is None:
                session.cancelled_at = self.clock.now(session.api_key)
                self.store.update_session(session)
                events.append(SessionEvent(Kind.SESSION_CANCELLED, session, session.cancelled_at))
        return session

    def scan(self, session: H5Session, wallet: str | None) -> H5Session:
        """The first scan starts the countdown; later scans change nothing but the wallet.

        A closed session (paid, cancelled before the scan, countdown over) is not
        re-opened: the payer sees the "expired or paid" page.
        """
        self.check_wallet(wallet)
        with self.lifecycle.changing() as events:
            self._note_expiry(session)
            changed = False
            if session.scanned_at is None and self.status(session) is SessionStatus.NOT_PAID:
                session.scanned_at = self.clock.now(session.api_key)
                changed = True
                events.append(
                    SessionEvent(
                        Kind.SESSION_SCANNED, session, session.scanned_at, {"wallet": wallet}
                    )
                )
            if wallet and session.wallet is None and self.payable(session):
                session.wallet = wallet
                changed = True
            if changed:
                self.store.update_session(session)
        return session

    def pay(self, session: H5Session, wallet: str | None = None) -> Transaction:
        """The payer pays in the wallet: a transaction is born paid, and notified.

        Scans first if nobody has; the wallet defaults to the one that scanned, else
        the first H5 wallet. Raises SessionClosed once the session is paid or expired.
        One `now` for the whole step: a clock advance meanwhile cannot leave a
        half-made payment behind.
        """
        self.check_wallet(wallet)
        with self.lifecycle.changing() as events:
            self.scan(session, wallet)
            if not self.payable(session):
                raise SessionClosed(
                    f"sessionId: {session.session_id!r} is expired or paid and can no "
                    f"longer be paid: {self.closed_reason(session)}",
                    field="sessionId",
                )
            now = self.clock.now(session.api_key)
            gateway = self._wallet(wallet or session.wallet)
            txn = self._transaction(session, gateway, now)
            ids = self.ids.for_merchant(session.api_key)
            result = success(gateway, amt=txn.amt, ids=ids, now=now)
            self.lifecycle.add_paid(txn, result, events)
            session.wallet = gateway.type
            session.paid_rrn = txn.rrn
            self.store.update_session(session)
            events.append(SessionEvent(Kind.SESSION_PAID, session, now, {"rrn": txn.rrn}))
        return txn

    def check_wallet(self, wallet: str | None) -> None:
        if wallet is not None and wallet not in self.gateways.h5_types:
            raise PmsError(
                f"wallet: {wallet!r:.40} is not one of {', '.join(self.gateways.h5_types)} "
                f"(an H5 QR code is scanned in a wallet app)",
                field="wallet",
            )

    def _wallet(self, type_: str | None) -> Gateway:
        if type_ is not None:
            return self.gateways.profile(type_)
        if self.gateways.h5:
            return self.gateways.h5[0]
        raise SessionClosed("no gateway with h5 = true is defined; no wallet can pay H5")

    def unpaid_transaction(self, session: H5Session) -> Transaction:
        """The transaction paying this session would create, made up and not stored: what a
        forged notification claims (POST /_mock/webhooks/forge)."""
        now = self.clock.now(session.api_key)
        gateway = self._wallet(session.wallet)
        txn = self._transaction(session, gateway, now)
        txn.gw_ref_code = generate(gateway.ref_code, self.ids.for_merchant(session.api_key), now)
        return txn

    def _transaction(self, session: H5Session, gateway: Gateway, now: float) -> Transaction:
        """The transaction an H5 payment creates; its rrn is PMS-shaped: 00yyMMddHHmmss + 10."""
        stamp = pms_datetime(now)
        rrn = "00" + stamp[2:19].replace("-", "").replace("T", "").replace(":", "")
        ids = self.ids.for_merchant(session.api_key)
        return Transaction(
            api_key=session.api_key,
            rrn=rrn + ids.digits(10),
            type=gateway.type,
            store_code=session.store_code,
            till_id=session.till_id,
            salesman=session.sales_man,
            tx_datetime=stamp,
            amt=session.amt,
            ccy="HKD",
            lang="zh_hk",
            token=ids.token(),
            created_at=now,
            expires_at=now + self.settings.payment_timeout,
            webhook_url=session.webhook_url,
            remarks=session.remarks,
            session_id=session.session_id,
        )
