"""Card numbers on the hosted payment page: Luhn, brand, and the sandbox test cards.

Pure domain: no Flask, no state. The card number a payer types is only ever
held in a local variable while a form is checked; what is kept is the masked
payDetail (first 6 + xxxxxx + last 4).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import lru_cache
from pathlib import Path

from mockpms.clock import HONG_KONG
from mockpms.paths import FIXTURES_DIR

VISA = "VISA"
MASTERCARD = "MASTERCARD"
UNIONPAY = "UNIONPAY"
AMEX = "AMEX"
JCB = "JCB"

_SEPARATORS = re.compile(r"[\s-]+")
_EXPIRY = re.compile(r"(\d{1,2})\s*/?\s*(\d{2}|\d{4})")


class Outcome(str, Enum):
    """What the issuer does with a test card."""

    APPROVE = "approve"
    DECLINE = "decline"
    PENDING = "pending"


@dataclass(frozen=True)
class SandboxCard:
    number: str
    brand: str
    outcome: Outcome
    descriptions: Mapping[str, str]  # lang (zh_hk, zh_cn, en) -> what the card does
    gw_error_code: str = ""
    gw_error_message: str = ""

    def description(self, lang: str) -> str:
        """What the card does, in the page's language (English when not translated)."""
        return self.descriptions.get(lang) or self.descriptions["en"]

    @property
    def spaced(self) -> str:
        """The number in groups of four, as printed on a card."""
        return " ".join(self.number[i : i + 4] for i in range(0, len(self.number), 4))


class CardError(ValueError):
    """A card form the page refuses before any issuer sees it.

    `field` names the form field, `reason` a text key of mockpms.i18n; `params`
    fill the text's placeholders.
    """

    def __init__(self, field: str, reason: str, **params: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.params = params


def digits_of(number: str) -> str:
    """The number without spaces or dashes; anything else is left in, so it fails checks."""
    return _SEPARATORS.sub("", number or "")


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check digit every real card number carries."""
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def brand_of(digits: str) -> str | None:
    """The card brand from the number's issuer prefix (IIN), or None when unknown."""
    if not digits.isascii() or not digits.isdigit() or len(digits) < 6:
        return None
    two, four = int(digits[:2]), int(digits[:4])
    if digits.startswith("4"):
        return VISA
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return MASTERCARD
    if two in (34, 37):
        return AMEX
    if 3528 <= four <= 3589:
        return JCB
    if two in {62, 81}:
        return UNIONPAY
    return None


def check_number(number: str, accepted: tuple[str, ...]) -> tuple[str, str]:
    """(digits, brand) of a typed card number, or CardError saying what is wrong."""
    digits = digits_of(number)
    if not digits:
        raise CardError("number", "card_number_missing")
    if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise CardError("number", "card_number_format")
    if not luhn_ok(digits):
        raise CardError("number", "card_number_luhn")
    brand = brand_of(digits)
    if brand not in accepted:
        raise CardError(
            "number", "card_brand_not_accepted", brand=brand or "?", accepted=" / ".join(accepted)
        )
    return digits, brand


def check_expiry(text: str, now: float) -> tuple[int, int]:
    """(month, year) of an MM/YY expiry that has not passed on the mock clock."""
    match = _EXPIRY.fullmatch((text or "").strip())
    if match is None:
        raise CardError("expiry", "card_expiry_format")
    month, year = int(match.group(1)), int(match.group(2))
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise CardError("expiry", "card_expiry_format")
    today = datetime.fromtimestamp(now, HONG_KONG)
    if (year, month) < (today.year, today.month):
        raise CardError("expiry", "card_expired")
    return month, year


def check_cvc(text: str) -> None:
    value = (text or "").strip()
    if not (value.isascii() and value.isdigit() and len(value) == 3):
        raise CardError("cvc", "card_cvc_format")


@lru_cache(maxsize=4)
def load_sandbox_cards(fixtures_dir: Path = FIXTURES_DIR) -> tuple[SandboxCard, ...]:
    entries = json.loads((fixtures_dir / "test-cards.json").read_text(encoding="utf-8"))
    return tuple(
        SandboxCard(
            number=entry["number"],
            brand=entry["brand"],
            outcome=Outcome(entry["outcome"]),
            descriptions=entry["description"],
            gw_error_code=entry.get("gwErrorCode", ""),
            gw_error_message=entry.get("gwErrorMessage", ""),
        )
        for entry in entries
    )


def sandbox_card(digits: str) -> SandboxCard | None:
    """The test card with this number, if it is one."""
    for card in load_sandbox_cards():
        if card.number == digits:
            return card
    return None


def cards_for(brands: tuple[str, ...]) -> tuple[SandboxCard, ...]:
    """The test cards of these brands (a card gateway's), for its page's sandbox hint."""
    return tuple(card for card in load_sandbox_cards() if card.brand in brands)


def default_card(brands: tuple[str, ...]) -> SandboxCard:
    """The approving card a control-API success uses when nobody typed a card.

    Falls back to any approving test card, so no gateway definition can leave
    a settle without a card (gateway profiles are checked to have one anyway).
    """
    approving = [c for c in load_sandbox_cards() if c.outcome is Outcome.APPROVE]
    return next((c for c in approving if c.brand in brands), approving[0])
