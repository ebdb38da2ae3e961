"""What a payer (or the gateway behind them) can do to an online-sale transaction.

Used by the hosted payment page and by the control API's settle call. Every
change goes through Lifecycle.settle, so the transition table decides: a
finished transaction raises InvalidTransition and keeps its one outcome,
however many tabs, clicks or scripts try again. Pure domain: no Flask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

from mockpms import cards
from mockpms.cards import CardError, Outcome
from mockpms.events import Kind
from mockpms.gateways import Gateway
from mockpms.lifecycle import InvalidTransition, Lifecycle, awaiting_issuer
from mockpms.models import Transaction, TxStatus
from mockpms.outcomes import PaymentResult, failure, mask_card, success


class WalletAction(str, Enum):
    PAY = "pay"
    FAIL = "fail"
    CANCEL = "cancel"


# POST /_mock/transactions/<rrn>/settle {"outcome": ...}
OUTCOMES = ("success", "failed", "timeout", "refunded")

CANCELLED_CODE = "CANCELLED"
CANCELLED_MESSAGE = "the payer cancelled the payment"
WALLET_FAILED_CODE = "PAYMENT_FAILED"
WALLET_FAILED_MESSAGE = "the payer's wallet did not complete the payment"


@dataclass(frozen=True)
class CardForm:
    """The card form as typed; lives only for the request that carries it."""

    number: str
    expiry: str
    cvc: str
    name: str = ""

    def __repr__(self) -> str:  # never let a card number reach a log or a traceback
        return "CardForm(<redacted>)"


class Checkout:
    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle

    def gateway(self, txn: Transaction) -> Gateway:
        """The profile of the transaction's type (also when --gateways left it out later)."""
        return self.lifecycle.gateways.profile(txn.type)

    # ------------------------------------------------------------- the page

    def wallet(self, txn: Transaction, action: WalletAction) -> Transaction:
        """A sandbox button on a wallet page (or the wallet's own confirm screen)."""
        gateway = self.gateway(txn)
        if action is WalletAction.PAY:
            return self.lifecycle.settle(txn, TxStatus.SUCCESS, self._success(gateway, txn))
        if action is WalletAction.FAIL:
            result = failure(gateway, code=WALLET_FAILED_CODE, message=WALLET_FAILED_MESSAGE)
            return self.lifecycle.settle(txn, TxStatus.FAILED, result)
        return self.payer_cancel(txn)

    def payer_cancel(self, txn: Transaction) -> Transaction:
        """The page's cancel button: only a pending payment with no card at its issuer.

        (The table lets a success become refunded; that is a refund by the
        merchant, never the payer's cancel from a stale tab.)
        """
        return self.cancel(txn, precondition=_pending_without_card)

    def cancel(
        self, txn: Transaction, precondition: Callable[[Transaction], None] | None = None
    ) -> Transaction:
        """The payer gives up: PMS reports it as 04 (refunded/cancelled)."""
        gateway = self.gateway(txn)
        result = replace(
            failure(gateway, code=CANCELLED_CODE, message=CANCELLED_MESSAGE),
            pay_detail=txn.pay_detail,
        )
        return self.lifecycle.settle(
            txn, TxStatus.REFUNDED, result, precondition=precondition, event=Kind.CANCELLED
        )

    def card(self, txn: Transaction, form: CardForm) -> Transaction:
        """Check the card form, then let the test card decide the outcome.

        Raises CardError (nothing changes) for a form the page refuses, and
        InvalidTransition when the transaction is already finished.
        """
        now = self.lifecycle.clock.now(txn.api_key)
        digits, brand = cards.check_number(form.number, self.gateway(txn).brands)
        cards.check_expiry(form.expiry, now)
        cards.check_cvc(form.cvc)
        card = cards.sandbox_card(digits)
        if card is None:
            raise CardError("number", "card_not_test_card")
        if card.outcome is Outcome.PENDING:
            return self._hold(txn, digits, brand)
        status, result = self._charge(txn, card, digits=digits, brand=brand, now=now)
        return self._settle_card(txn, status, result)

    def _charge(
        self, txn: Transaction, card: cards.SandboxCard, *, digits: str, brand: str, now: float
    ) -> tuple[TxStatus, PaymentResult]:
        """What the issuer answers for this test card."""
        gateway = self.gateway(txn)
        if card.outcome is Outcome.APPROVE:
            result = success(
                gateway,
                amt=txn.amt,
                ids=self.lifecycle.ids.for_merchant(txn.api_key),
                now=now,
                card_number=digits,
                card_brand=brand,
            )
            return TxStatus.SUCCESS, result
        result = failure(
            gateway,
            code=card.gw_error_code,
            message=card.gw_error_message,
            card_number=digits,
            card_brand=brand,
        )
        # the card gateway did process it, so there is a reference to look it up by
        ids = self.lifecycle.ids.for_merchant(txn.api_key)
        return TxStatus.FAILED, replace(result, gw_ref_code=ids.uuid())

    def _settle_card(
        self, txn: Transaction, status: TxStatus, result: PaymentResult
    ) -> Transaction:
        """Settle unless another card is waiting for its issuer: both checked under one lock."""
        return self.lifecycle.settle(
            txn, status, result, precondition=self.lifecycle.refuse_second_card
        )

    def _hold(self, txn: Transaction, digits: str, brand: str) -> Transaction:
        """The issuer never answers: the transaction stays 05, now carrying the card."""
        return self.lifecycle.hold_card(txn, brand, mask_card(digits))

    @staticmethod
    def awaiting_issuer(txn: Transaction) -> bool:
        """A card was submitted and the issuer has not answered: no second card."""
        return awaiting_issuer(txn)

    # ---------------------------------------------------------- the control API

    def settle_outcome(self, txn: Transaction, outcome: str) -> Transaction:
        """POST /_mock/transactions/<rrn>/settle: what the payer or gateway would do."""
        gateway = self.gateway(txn)
        if outcome == "success":
            return self.lifecycle.settle(txn, TxStatus.SUCCESS, self._success(gateway, txn))
        if outcome == "failed":
            if gateway.is_card:
                card_number, brand = self._card_on_file(txn)
                result = failure(gateway, card_number=card_number, card_brand=brand)
            else:
                result = failure(gateway, code=WALLET_FAILED_CODE, message=WALLET_FAILED_MESSAGE)
            return self.lifecycle.settle(txn, TxStatus.FAILED, result)
        if outcome == "timeout":
            return self.lifecycle.settle(txn, TxStatus.TIMEOUT, PaymentResult())
        if txn.status is TxStatus.PENDING:
            return self.cancel(txn)
        return self.lifecycle.settle(txn, TxStatus.REFUNDED)

    def _success(self, gateway: Gateway, txn: Transaction) -> PaymentResult:
        now = self.lifecycle.clock.now(txn.api_key)
        ids = self.lifecycle.ids.for_merchant(txn.api_key)
        if not gateway.is_card:
            return success(gateway, amt=txn.amt, ids=ids, now=now)
        card_number, brand = self._card_on_file(txn)
        return success(
            gateway,
            amt=txn.amt,
            ids=ids,
            now=now,
            card_number=card_number,
            card_brand=brand,
        )

    def _card_on_file(self, txn: Transaction) -> tuple[str, str]:
        """The masked card a held payment carries, else the type's approving test card."""
        if txn.pay_detail and txn.pay_type:
            return txn.pay_detail, txn.pay_type  # masked: first 6 + last 4 survive masking
        card = cards.default_card(self.gateway(txn).brands)
        return card.number, card.brand


def return_url_with_result(return_url: str, txn: Transaction) -> str:
    """returnUrl plus rrn, txDatetime, type, amt, gwRefStatus; its own query is kept.

    The merchant's own parameters stay byte for byte; parameters of the same
    names as ours are dropped, so a merchant never reads a stale value first.
    """
    ours = {
        "rrn": txn.rrn,
        "txDatetime": txn.tx_datetime,
        "type": txn.type,
        "amt": str(txn.amt),
        "gwRefStatus": txn.gw_ref_status,
    }
    parts = urlsplit(return_url)
    kept = [
        piece
        for piece in parts.query.split("&")
        if piece and unquote_plus(piece.split("=", 1)[0]) not in ours
    ]
    query = "&".join([*kept, urlencode(ours)])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _pending_without_card(txn: Transaction) -> None:
    """The payer's cancel: only a pending payment with no card at its issuer.

    (The table lets a success become refunded; that is a refund by the merchant,
    never the payer's cancel from a stale tab.)
    """
    if awaiting_issuer(txn):
        raise InvalidTransition(
            f"rrn {txn.rrn}: card {txn.pay_detail} is still waiting for its issuer; "
            f"settle or let it expire before another payment"
        )
    if txn.status is not TxStatus.PENDING:
        raise InvalidTransition(f"rrn {txn.rrn}: the transaction is already {txn.status.value}")
