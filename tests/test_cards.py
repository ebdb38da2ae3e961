"""Card numbers: Luhn, brand, expiry, and the sandbox test cards in fixtures/."""

from __future__ import annotations

import calendar
from datetime import datetime

import pytest

from mockpms import cards
from mockpms.cards import CardError, Outcome
from mockpms.clock import HONG_KONG
from mockpms.gateways import load_gateways


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4111111111111111", "VISA"),
        ("5555555555554444", "MASTERCARD"),
        ("2223000048410010", "MASTERCARD"),
        ("6250946000000016", "UNIONPAY"),
        ("378282246310005", "AMEX"),
        ("3530111333300000", "JCB"),
        ("6011111111111117", None),
    ],
)
def test_brand_from_the_number(number: str, brand: str | None) -> None:
    assert cards.luhn_ok(number)
    assert cards.brand_of(number) == brand


@pytest.mark.parametrize("number", ["4111111111111112", "79927398710", "", "4111-1111", "４１１１"])
def test_luhn_refuses_typos_and_non_digits(number: str) -> None:
    assert not cards.luhn_ok(number)


def test_every_fixture_card_is_valid_and_of_its_brand() -> None:
    loaded = cards.load_sandbox_cards()
    assert {c.outcome for c in loaded} == set(Outcome)
    assert {c.gw_error_code for c in loaded if c.outcome is Outcome.DECLINE} >= {
        "DECLINED",
        "INSUFFICIENT_FUNDS",
    }
    for card in loaded:
        assert cards.luhn_ok(card.number), card.number
        assert cards.brand_of(card.number) == card.brand, card.number
    approving = {c.brand for c in loaded if c.outcome is Outcome.APPROVE}
    assert approving == {"VISA", "MASTERCARD", "UNIONPAY"}


def test_cards_for_a_type_are_the_brands_it_accepts() -> None:
    profiles = {g.type: g for g in load_gateways()}
    vmpay, unionpay = profiles["VMPAY"].brands, profiles["UNIONPAY"].brands
    assert {c.brand for c in cards.cards_for(vmpay)} == {"VISA", "MASTERCARD"}
    assert {c.brand for c in cards.cards_for(unionpay)} == {"UNIONPAY"}
    assert cards.default_card(vmpay).outcome is Outcome.APPROVE


def test_number_with_spaces_or_dashes_is_read() -> None:
    assert cards.check_number("4111 1111-1111 1111", ("VISA",)) == ("4111111111111111", "VISA")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("", "card_number_missing"),
        ("4111 abcd 1111 1111", "card_number_format"),
        ("41111111111", "card_number_format"),
        ("4111111111111112", "card_number_luhn"),
        ("6250946000000016", "card_brand_not_accepted"),
    ],
)
def test_number_errors_name_the_reason(number: str, reason: str) -> None:
    with pytest.raises(CardError) as caught:
        cards.check_number(number, ("VISA", "MASTERCARD"))
    assert (caught.value.field, caught.value.reason) == ("number", reason)
    assert number.replace(" ", "") not in str(caught.value) or not number


def test_expiry_is_checked_against_the_mock_clock() -> None:
    now = datetime(2026, 11, 26, 12, tzinfo=HONG_KONG).timestamp()
    assert cards.check_expiry("11/26", now) == (11, 2026)  # valid to the end of the month
    assert cards.check_expiry("1230", now) == (12, 2030)
    assert cards.check_expiry("03 / 2031", now) == (3, 2031)
    for text, reason in (
        ("10/26", "card_expired"),
        ("13/30", "card_expiry_format"),
        ("x", "card_expiry_format"),
    ):
        with pytest.raises(CardError) as caught:
            cards.check_expiry(text, now)
        assert caught.value.reason == reason
    last_day = calendar.monthrange(2026, 11)[1]
    december = datetime(2026, 11, last_day, 23, 59, tzinfo=HONG_KONG).timestamp() + 120
    with pytest.raises(CardError):
        cards.check_expiry("11/26", december)


@pytest.mark.parametrize("cvc", ["", "12", "1234", "abc", "１２３"])
def test_cvc_has_three_digits(cvc: str) -> None:
    with pytest.raises(CardError):
        cards.check_cvc(cvc)
