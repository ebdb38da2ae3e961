"""The payment lifecycle of online-sale transactions: one transition table, one owner.

    pending ──> success ──> refunded
       │──────> failed
       │──────> timeout   (unpaid `payment_timeout` seconds after creation)
       └──────> refunded  (cancelled by the payer; event sale.cancelled)

Every change goes through Lifecycle: it takes the store lock, applies the
expiry that has come, checks the table, changes the record, hands it to the
store (`update_transaction`) and, once the lock is released, emits one typed
event (mockpms.events). Expiry is evaluated lazily against the mock clock
whenever a transaction is read through the lifecycle, so moving the clock is
enough to expire it; nothing polls. Callers (views, checkout, auto-settle)
never touch the lock. H5 sessions have their own owner, mockpms.sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator
from contextlib import contextmanager
from dataclasses import replace

from mockpms.clock import Clock
from mockpms.config import Merchant, Settings
from mockpms.errors import AuthError, NotFound, PmsError
from mockpms.events import Event, Events, Kind, SessionEvent, TransactionEvent
from mockpms.fence import Fence
from mockpms.gateways import GatewayCatalog
from mockpms.ids import IdGenerator
from mockpms.models import Transaction, TxStatus
from mockpms.outcomes import PaymentResult, success
from mockpms.pms_requests import SaleRequest
from mockpms.store import Page, Store

TRANSITIONS: dict[TxStatus, frozenset[TxStatus]] = {
    TxStatus.PENDING: frozenset(
        {TxStatus.SUCCESS, TxStatus.FAILED, TxStatus.TIMEOUT, TxStatus.REFUNDED}
    ),
    TxStatus.SUCCESS: frozenset({TxStatus.REFUNDED}),
    TxStatus.FAILED: frozenset(),
    TxStatus.TIMEOUT: frozenset(),
    TxStatus.REFUNDED: frozenset(),
}
EVENT_OF: dict[TxStatus, Kind] = {
    TxStatus.SUCCESS: Kind.PAID,
    TxStatus.FAILED: Kind.FAILED,
    TxStatus.TIMEOUT: Kind.EXPIRED,
    TxStatus.REFUNDED: Kind.REFUNDED,
}


# What PMS POSTs to webhookUrl (the document: a successful payment, online or H5).
NOTIFIED = frozenset({Kind.PAID})


class InvalidTransition(PmsError):
    """A transaction cannot move from its current state to the requested one."""

    error_code = "601"


class Lifecycle:
    """Creates, finds and moves transactions; knows nothing of HTTP."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        ids: IdGenerator,
        gateways: GatewayCatalog,
        events: Events | None = None,
        fence: Fence | None = None,
        merchants: Container[str] | None = None,
    ) -> None:
        self.settings = settings
        self.merchants = merchants  # who may still have records (None: anyone)
        self.fence = fence or Fence()
        self.store = store
        self.clock = clock
        self.ids = ids
        self.gateways = gateways
        self.events = events or Events()
        # Both only touched under the store lock: events wait for the outermost change.
        self.pending_events: list[Event] = []
        self._depth = 0

    @contextmanager
    def changing(self) -> Iterator[list[Event]]:
        """The store lock, plus a list of events emitted once the lock is released.

        Re-entrant like the lock: events of nested changes wait for the outermost,
        so no listener (a webhook, auto-settle) ever runs while the lock is held.
        """
        events: list[Event] = []
        with self.store.lock:
            if self._depth == 0:
                self.fence.check()  # work begun before a reset changes nothing after it
            self._depth += 1
            try:
                yield self.pending_events
            finally:
                self._depth -= 1
                if self._depth == 0:
                    events, self.pending_events = self.pending_events, []
                    generation = self.fence.current
                    events = [_stamped(event, generation) for event in events]
        if events:
            self.events.emit(*events)

    # ------------------------------------------------------------------ create

    def create_sale(self, merchant: Merchant, request: SaleRequest) -> Transaction:
        now = self.clock.now(merchant.api_key)
        txn = Transaction(
            api_key=merchant.api_key,
            token=self.ids.for_merchant(merchant.api_key).token(),
            created_at=now,
            expires_at=now + self.settings.payment_timeout,
            **request.record_fields(),
        )
        with self.changing() as events:
            self.check_merchant(merchant.api_key)
            self.store.add_transaction(txn)
            events.append(TransactionEvent(Kind.SALE_CREATED, txn, now))
        return txn

    def check_merchant(self, api_key: str) -> None:
        """Refuse a record for a merchant removed while its request ran (DELETE
        /_mock/merchants): nothing may outlive its merchant (caller holds the lock)."""
        if self.merchants is not None and api_key not in self.merchants:
            raise AuthError(
                f"apiKey: {api_key[:64]!r} was removed from this sandbox while the request "
                f"ran; nothing was created",
                field="apiKey",
            )

    # ------------------------------------------------------------------- read

    def find_transaction(
        self, merchant: Merchant, rrn: str, type_: str, store_code: str
    ) -> Transaction:
        """online/query's lookup: the merchant's rrn, with its type and storeCode checked."""
        txn = self.transaction(merchant.api_key, rrn)
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
        return txn

    def transaction(self, api_key: str, rrn: str) -> Transaction | None:
        """A merchant's transaction, its expiry applied."""
        with self.changing():
            return self._fresh(self.store.transaction(api_key, rrn))

    def transaction_by_token(self, token: str) -> Transaction | None:
        """The transaction behind a payment page URL, its expiry applied."""
        with self.changing():
            return self._fresh(self.store.transaction_by_token(token))

    def transactions(self, api_key: str | None = None) -> list[Transaction]:
        """Every transaction (of one merchant), oldest first, expiries applied."""
        with self.changing():
            found = self.store.transactions(api_key)
            for txn in found:
                self._expire_if_due(txn)
            return found

    def transactions_with_rrn(self, rrn: str) -> list[Transaction]:
        """Every merchant's transaction with this rrn (the control API names them so)."""
        with self.changing():
            found = self.store.transactions_with_rrn(rrn)
            for txn in found:
                self._expire_if_due(txn)
            return found

    def transaction_page(
        self,
        api_key: str | None,
        status: str | None,
        *,
        after: int | None,
        limit: int,
        newest_first: bool,
    ) -> Page[Transaction]:
        """A page of transactions (of a merchant, in a state: pending... or 01..05), their
        expiry applied; the walk is bounded, so the store lock is never held for long."""
        clock = self.clock

        def match(txn: Transaction) -> bool:
            if api_key is not None and txn.api_key != api_key:
                return False
            if status is None:
                return True
            expired = txn.status is TxStatus.PENDING and clock.now(txn.api_key) >= txn.expires_at
            state = TxStatus.TIMEOUT if expired else txn.status
            return status in (state.value, state.gw_ref_status)

        with self.changing():
            page = self.store.transaction_page(after, limit, newest_first, match)
            for txn in page.records:
                self._expire_if_due(txn)
            return page

    def _fresh(self, txn: Transaction | None) -> Transaction | None:
        if txn is not None:
            self._expire_if_due(txn)
        return txn

    def _expire_if_due(self, txn: Transaction) -> None:
        """Pending past its expiry → timeout (caller holds the lock via `changing`)."""
        if txn.status is TxStatus.PENDING and self.clock.now(txn.api_key) >= txn.expires_at:
            self._move(txn, TxStatus.TIMEOUT, PaymentResult(), txn.expires_at)

    # ------------------------------------------------------------------ change

    def settle(
        self,
        txn: Transaction,
        status: TxStatus,
        result: PaymentResult | None = None,
        *,
        precondition: Callable[[Transaction], None] | None = None,
        event: Kind | None = None,
    ) -> Transaction:
        """Move a transaction on (payer paid, declined, cancelled, refund...).

        Raises InvalidTransition when the table forbids it, e.g. a second payment of
        a finished transaction. `precondition` runs under the same lock first and may
        raise to refuse. The event (default: the status's) is emitted after the lock.
        """
        with self.changing():
            self._expire_if_due(txn)
            if precondition is not None:
                precondition(txn)
            if status not in TRANSITIONS[txn.status]:
                raise InvalidTransition(_transition_message(txn, status))
            now = self.clock.now(txn.api_key)
            if status is TxStatus.SUCCESS and result is None:
                gateway = self.gateways.profile(txn.type)
                ids = self.ids.for_merchant(txn.api_key)
                result = success(gateway, amt=txn.amt, ids=ids, now=now)
            self._move(txn, status, result or PaymentResult(), now, event)
        return txn

    def hold_card(self, txn: Transaction, pay_type: str, pay_detail: str) -> Transaction:
        """A card waits for an issuer that never answers: still 05, now carrying the card.

        Refused (InvalidTransition) unless the transaction is pending with no card held.
        """
        with self.changing() as events:
            self._expire_if_due(txn)
            self.refuse_second_card(txn)
            if txn.status is not TxStatus.PENDING:
                raise InvalidTransition(_transition_message(txn, TxStatus.PENDING))
            txn.pay_type, txn.pay_detail = pay_type, pay_detail
            self.store.update_transaction(txn)
            events.append(
                TransactionEvent(
                    Kind.CARD_HELD, txn, self.clock.now(txn.api_key), {"card": pay_detail}
                )
            )
        return txn

    def page_opened(self, txn: Transaction, *, mobile: bool, lang: str) -> None:
        """The payer opened the payment page (recorded once, for the story of the payment)."""
        if txn.opened_at is not None:
            return
        with self.changing() as events:
            if txn.opened_at is not None:
                return
            txn.opened_at = self.clock.now(txn.api_key)
            txn.opened_view = f"{'mobile' if mobile else 'desktop'}, {lang}"
            self.store.update_transaction(txn)
            detail = {"mobile": mobile, "lang": lang}
            events.append(TransactionEvent(Kind.PAGE_OPENED, txn, txn.opened_at, detail))

    def refuse_second_card(self, txn: Transaction) -> None:
        """InvalidTransition while a card waits for its issuer: no second payment."""
        if awaiting_issuer(txn):
            raise InvalidTransition(
                f"rrn {txn.rrn}: card {txn.pay_detail} is still waiting for its issuer; "
                f"settle or let it expire before another payment"
            )

    def add_paid(self, txn: Transaction, result: PaymentResult, events: list[Event]) -> None:
        """Insert a transaction born paid (an H5 payment): one step, so no clock advance
        between insert and payment can leave it timed out (caller holds `changing`)."""
        self._apply(txn, TxStatus.SUCCESS, result, txn.created_at)
        self.check_merchant(txn.api_key)
        self.store.add_transaction(txn)
        events.append(
            TransactionEvent(Kind.PAID, txn, txn.created_at, notify=notifies(Kind.PAID, txn))
        )

    def _move(
        self,
        txn: Transaction,
        status: TxStatus,
        result: PaymentResult,
        at: float,
        event: Kind | None = None,
    ) -> None:
        self._apply(txn, status, result, at)
        self.store.update_transaction(txn)
        kind = event or EVENT_OF[status]
        self.pending_events.append(TransactionEvent(kind, txn, at, notify=notifies(kind, txn)))

    @staticmethod
    def _apply(txn: Transaction, status: TxStatus, result: PaymentResult, at: float) -> None:
        txn.status = status
        if txn.finished_at is None:
            txn.finished_at = at
        if status is TxStatus.REFUNDED and txn.gw_ref_code:
            return  # a refund keeps the payment's gateway details
        txn.pay_type = result.pay_type
        txn.pay_detail = result.pay_detail
        txn.gw_ref_code = result.gw_ref_code
        txn.gw_error_code = result.gw_error_code
        txn.gw_error_message = result.gw_error_message
        txn.gateway_details = dict(result.details)


def _stamped(event: Event, generation: int) -> Event:
    if isinstance(event, TransactionEvent | SessionEvent):
        return replace(event, generation=generation)
    return event


def notifies(kind: Kind, txn: Transaction) -> bool:
    """PMS notifies a successful payment, when the sale gave a webhookUrl."""
    return kind in NOTIFIED and bool(txn.webhook_url)


def awaiting_issuer(txn: Transaction) -> bool:
    """A card was submitted and the issuer has not answered: no second card."""
    return txn.status is TxStatus.PENDING and bool(txn.pay_detail)


def _transition_message(txn: Transaction, status: TxStatus) -> str:
    if txn.status is TxStatus.PENDING:
        return f"rrn {txn.rrn}: cannot move a pending transaction to {status.value}"
    return (
        f"rrn {txn.rrn}: the transaction is already {txn.status.value} "
        f"(gwRefStatus {txn.gw_ref_status}) and cannot become {status.value}"
    )
