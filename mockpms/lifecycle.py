"""The payment lifecycle: one transition table, enforced in one place.

    pending ──> success ──> refunded
       │──────> failed
       │──────> timeout   (unpaid `payment_timeout` seconds after creation)
       └──────> refunded  (cancelled by the payer)

Expiry is evaluated lazily against the mock clock whenever a transaction is
read, so moving the clock is enough to expire it; nothing polls. Side effects
of a success (the webhook) go through the Notifier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from mockpms.clock import Clock, pms_datetime
from mockpms.config import Merchant, Settings
from mockpms.errors import NotFound, PaymentError, PmsError
from mockpms.gateways import Gateway, GatewayCatalog, load_gateways
from mockpms.ids import IdGenerator
from mockpms.models import H5Session, SessionStatus, Transaction, TxStatus
from mockpms.outcomes import PaymentResult, success
from mockpms.store import Store

# The wallets an H5 QR code can be scanned in (User-Agent MicroMessenger / AlipayClient).
H5_WALLETS = ("WXPAY", "ALIPAY")

TRANSITIONS: dict[TxStatus, frozenset[TxStatus]] = {
    TxStatus.PENDING: frozenset(
        {TxStatus.SUCCESS, TxStatus.FAILED, TxStatus.TIMEOUT, TxStatus.REFUNDED}
    ),
    TxStatus.SUCCESS: frozenset({TxStatus.REFUNDED}),
    TxStatus.FAILED: frozenset(),
    TxStatus.TIMEOUT: frozenset(),
    TxStatus.REFUNDED: frozenset(),
}


class InvalidTransition(PmsError):
    """A transaction cannot move from its current state to the requested one."""

    error_code = "601"


class SessionClosed(PaymentError):
    """An H5 session that is paid, cancelled before its scan, or past its countdown."""


class Notifier(Protocol):
    """Told about every successful payment; the webhook engine implements it."""

    def payment_succeeded(self, txn: Transaction) -> None: ...


class NoNotifier:
    def payment_succeeded(self, txn: Transaction) -> None:
        return None


@dataclass(frozen=True)
class SaleRequest:
    type: str
    rrn: str
    store_code: str
    till_id: str
    salesman: str
    tx_datetime: str
    amt: int
    ccy: str
    lang: str
    extend_param: str = ""
    return_url: str = ""
    webhook_url: str = ""
    remarks: str = ""
    cashier: str = ""


@dataclass(frozen=True)
class SessionRequest:
    session_id: str
    amt: int
    webhook_url: str
    merchant_name: str | None = None
    store_code: str | None = None
    till_id: str | None = None
    sales_man: str | None = None
    remarks: str = ""
    subject: str = ""
    bitmap: bool = False


class Lifecycle:
    """Creates, finds and moves transactions and H5 sessions; knows nothing of HTTP."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        ids: IdGenerator,
        gateways: GatewayCatalog,
        notifier: Notifier | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.ids = ids
        self.gateways = gateways
        self.notifier: Notifier = notifier or NoNotifier()
        # Optional observers (the auto-settle policy): a new sale, a first scan.
        self.on_sale: Callable[[Transaction], None] | None = None
        self.on_scan: Callable[[H5Session], None] | None = None

    # ------------------------------------------------------------------ online

    def create_sale(self, merchant: Merchant, request: SaleRequest) -> Transaction:
        now = self.clock.now()
        txn = Transaction(
            api_key=merchant.api_key,
            rrn=request.rrn,
            type=request.type,
            store_code=request.store_code,
            till_id=request.till_id,
            salesman=request.salesman,
            tx_datetime=request.tx_datetime,
            amt=request.amt,
            ccy=request.ccy,
            lang=request.lang,
            token=self.ids.token(),
            created_at=now,
            expires_at=now + self.settings.payment_timeout,
            extend_param=request.extend_param,
            return_url=request.return_url,
            webhook_url=request.webhook_url,
            remarks=request.remarks,
            cashier=request.cashier,
        )
        self.store.add_transaction(txn)
        if self.on_sale is not None:
            self.on_sale(txn)
        return txn

    def find_transaction(
        self, merchant: Merchant, rrn: str, type_: str, store_code: str
    ) -> Transaction:
        txn = self.store.transaction(merchant.api_key, rrn)
        if txn is None:
            raise NotFound(
                f"rrn: no transaction {rrn!r} for this apiKey (rrns are per merchant; "
                f"create it with online/sales first)",
                field="rrn",
            )
        if txn.type != type_:
            raise PmsError(
                f"type: transaction {rrn!r} was created with type {txn.type}, not {type_}; "
                f"query with the type used in online/sales",
                field="type",
            )
        if txn.store_code != store_code:
            raise PmsError(
                f"storeCode: transaction {rrn!r} belongs to storeCode {txn.store_code!r}, "
                f"not {store_code!r}",
                field="storeCode",
            )
        return self.refresh(txn)

    def refresh(self, txn: Transaction) -> Transaction:
        """Apply the 5-minute expiry if it has come (pending → timeout)."""
        with self.store.lock:
            if txn.status is TxStatus.PENDING and self.clock.now() >= txn.expires_at:
                self._move(txn, TxStatus.TIMEOUT, PaymentResult(), finished_at=txn.expires_at)
        return txn

    def settle(
        self,
        txn: Transaction,
        status: TxStatus,
        result: PaymentResult | None = None,
        *,
        precondition: Callable[[Transaction], None] | None = None,
    ) -> Transaction:
        """Move a transaction on (payer paid, declined, cancelled, refund...).

        Raises InvalidTransition when the table forbids it, e.g. a second payment of
        a finished transaction. `precondition` runs under the same lock first and may
        raise to refuse. Success notifies the webhook engine, outside the lock.
        """
        with self.store.lock:
            if precondition is not None:
                precondition(txn)
            self._settle(txn, status, result)
        self._notify(txn, status)
        return txn

    def _settle(self, txn: Transaction, status: TxStatus, result: PaymentResult | None) -> None:
        """The state change of settle(); the caller holds the lock and notifies after."""
        self.refresh(txn)
        if status not in TRANSITIONS[txn.status]:
            raise InvalidTransition(_transition_message(txn, status))
        if status is TxStatus.SUCCESS and result is None:
            gateway = self.gateways.get(txn.type) or _any_gateway(txn.type)
            result = success(gateway, amt=txn.amt, ids=self.ids, now=self.clock.now())
        self._move(txn, status, result or PaymentResult(), finished_at=self.clock.now())

    def _notify(self, txn: Transaction, status: TxStatus) -> None:
        """Outside the store lock: a webhook engine must never hold up other requests."""
        if status is TxStatus.SUCCESS and txn.webhook_url:
            self.notifier.payment_succeeded(txn)

    def _move(
        self, txn: Transaction, status: TxStatus, result: PaymentResult, finished_at: float
    ) -> None:
        txn.status = status
        if txn.finished_at is None:
            txn.finished_at = finished_at
        if status is TxStatus.REFUNDED and txn.gw_ref_code:
            return  # a refund keeps the payment's gateway details
        txn.pay_type = result.pay_type
        txn.pay_detail = result.pay_detail
        txn.gw_ref_code = result.gw_ref_code
        txn.gw_error_code = result.gw_error_code
        txn.gw_error_message = result.gw_error_message
        txn.gateway_details = dict(result.details)

    # ------------------------------------------------------------- H5 sessions

    def create_session(self, merchant: Merchant, request: SessionRequest) -> H5Session:
        session = H5Session(
            api_key=merchant.api_key,
            session_id=request.session_id,
            merchant_name=request.merchant_name or merchant.merchant_name,
            store_code=request.store_code or merchant.store_code,
            till_id=request.till_id or merchant.till_id,
            sales_man=request.sales_man or merchant.sales_man,
            amt=request.amt,
            webhook_url=request.webhook_url,
            token=self.ids.token(),
            created_at=self.clock.now(),
            remarks=request.remarks,
            subject=request.subject,
            bitmap=request.bitmap,
        )
        self.store.add_session(session)
        return session

    def find_session(self, merchant: Merchant, session_id: str) -> H5Session:
        session = self.store.session(merchant.api_key, session_id)
        if session is None:
            raise NotFound(
                f"sessionId: no H5 session {session_id!r} for this apiKey "
                f"(create it with h5Payment/session/create first)",
                field="sessionId",
            )
        return session

    def session_status(self, session: H5Session) -> SessionStatus:
        return session.status(self.clock.now(), self.settings.h5_countdown)

    def session_payable(self, session: H5Session) -> bool:
        """Whether the payer can still pay (a cancel after the scan does not stop them)."""
        return session.payable(self.clock.now(), self.settings.h5_countdown)

    def seconds_left(self, session: H5Session) -> float | None:
        """Seconds of the scan countdown left; None before the first scan."""
        ends = session.countdown_ends_at(self.settings.h5_countdown)
        return None if ends is None else max(0.0, ends - self.clock.now())

    def closed_reason(self, session: H5Session) -> str:
        """Why a session can no longer be paid, for error messages and the closed page."""
        if session.paid_rrn is not None:
            return f"it is paid (rrn {session.paid_rrn})"
        if session.scanned_at is None and session.cancelled_at is not None:
            return "it was cancelled before the QR code was scanned"
        return f"its {self.settings.h5_countdown:g}-second countdown after the scan has ended"

    def cancel_session(self, session: H5Session) -> H5Session:
        """Before the scan: closed at once. After: payable until the countdown ends."""
        with self.store.lock:
            if session.paid_rrn is not None:
                raise PaymentError(
                    f"sessionId: {session.session_id!r} is already paid (rrn "
                    f"{session.paid_rrn}); a paid session cannot be cancelled",
                    field="sessionId",
                )
            if session.cancelled_at is None:
                session.cancelled_at = self.clock.now()
        return session

    def scan(self, session: H5Session, wallet: str | None) -> H5Session:
        """The first scan starts the countdown; later scans change nothing but the wallet.

        A closed session (paid, cancelled before the scan, countdown over) is not
        re-opened: the payer sees the "expired or paid" page.
        """
        _check_wallet(wallet)
        with self.store.lock:
            if (
                session.scanned_at is None
                and self.session_status(session) is SessionStatus.NOT_PAID
            ):
                session.scanned_at = self.clock.now()
                first_scan = True
            else:
                first_scan = False
            if wallet and session.wallet is None and self.session_payable(session):
                session.wallet = wallet
        if first_scan and self.on_scan is not None:
            self.on_scan(session)
        return session

    def pay_session(self, session: H5Session, wallet: str | None = None) -> Transaction:
        """The payer pays in the wallet: a transaction is born, paid, and notified.

        Scans first if nobody has; the wallet defaults to the one that scanned, else
        WeChat Pay. Raises SessionClosed once the session is paid or expired.
        """
        _check_wallet(wallet)
        with self.store.lock:
            self.scan(session, wallet)
            if not self.session_payable(session):
                raise SessionClosed(
                    f"sessionId: {session.session_id!r} is expired or paid and can no "
                    f"longer be paid: {self.closed_reason(session)}",
                    field="sessionId",
                )
            now = self.clock.now()
            type_ = wallet or session.wallet or "WXPAY"
            gateway = self.gateways.get(type_) or _any_gateway(type_)
            rrn = (
                "00"
                + pms_datetime(now)[2:19].replace("-", "").replace("T", "").replace(":", "")
                + self.ids.digits(10)
            )
            txn = Transaction(
                api_key=session.api_key,
                rrn=rrn,
                type=gateway.type,
                store_code=session.store_code,
                till_id=session.till_id,
                salesman=session.sales_man,
                tx_datetime=pms_datetime(now),
                amt=session.amt,
                ccy="HKD",
                lang="zh_hk",
                token=self.ids.token(),
                created_at=now,
                expires_at=now + self.settings.payment_timeout,
                webhook_url=session.webhook_url,
                remarks=session.remarks,
                extend_param="",
                session_id=session.session_id,
            )
            self.store.add_transaction(txn)
            self._settle(txn, TxStatus.SUCCESS, None)
            session.wallet = gateway.type
            session.paid_rrn = txn.rrn
        self._notify(txn, TxStatus.SUCCESS)
        return txn

    def reset(self) -> None:
        self.store.reset()


def _check_wallet(wallet: str | None) -> None:
    if wallet is not None and wallet not in H5_WALLETS:
        raise PmsError(
            f"wallet: {wallet!r} is not one of {', '.join(H5_WALLETS)} "
            f"(an H5 QR code is scanned in WeChat or Alipay)",
            field="wallet",
        )


def _any_gateway(type_: str) -> Gateway:
    """A gateway by type even when --gateways leaves it out of online/gateway.

    H5 sessions are paid in WeChat or Alipay whatever the hosted page offers.
    """
    for gateway in load_gateways():
        if gateway.type == type_:
            return gateway
    raise PmsError(f"type: {type_!r} is not a known gateway", field="type")


def _transition_message(txn: Transaction, status: TxStatus) -> str:
    if txn.status is TxStatus.PENDING:
        return f"rrn {txn.rrn}: cannot move a pending transaction to {status.value}"
    return (
        f"rrn {txn.rrn}: the transaction is already {txn.status.value} "
        f"(gwRefStatus {txn.gw_ref_status}) and cannot become {status.value}"
    )
