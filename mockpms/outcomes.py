"""What a gateway reports for a payment: payType, payDetail, gwRefCode and the
extendParam details that online/query returns, shaped like the document's
WXPAY example. Ids come from the (seedable) IdGenerator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mockpms.clock import HONG_KONG
from mockpms.gateways import PLACEHOLDER, Gateway
from mockpms.ids import IdGenerator

PAYER_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"


@dataclass(frozen=True)
class PaymentResult:
    pay_type: str = ""
    pay_detail: str = ""
    gw_ref_code: str = ""
    gw_error_code: str = ""
    gw_error_message: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def mask_card(number: str) -> str:
    """PMS's payDetail for cards: first 6, xxxxxx, last 4 (e.g. 550690xxxxxx0305)."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return digits[:6] + "xxxxxx" + digits[-4:]


def generate(template: str, ids: IdGenerator, now: float) -> str:
    """Fill a gateway profile's id template: {digits:N} {chars:N} {hex:N} {date} {uuid}."""

    def fill(match: re.Match[str]) -> str:
        name, size = match.group(1), int(match.group(2) or 0)
        if name == "digits":
            return ids.digits(size)
        if name == "chars":
            return ids.chars(size, PAYER_ID_CHARS)
        if name == "hex":
            return ids.hex(size)
        if name == "date":
            return datetime.fromtimestamp(now, HONG_KONG).strftime("%Y%m%d")
        return ids.uuid()

    return PLACEHOLDER.sub(fill, template)


def payer_rate(gateway: Gateway, ids: IdGenerator) -> float:
    """HKD to the payer's currency: 1.0 in HKD; for CNY a settlement rate near 0.92 (seeded)."""
    if not gateway.payer_currency or gateway.payer_currency == "HKD":
        return 1.0
    return round(0.88 + int(ids.digits(3)) / 10_000, 4)


def success(
    gateway: Gateway,
    *,
    amt: int,
    ids: IdGenerator,
    now: float,
    card_number: str | None = None,
    card_brand: str | None = None,
    status_desc: str = "支付成功",
) -> PaymentResult:
    """A successful payment through `gateway` (card details only for a card gateway)."""
    trade_time = datetime.fromtimestamp(now, HONG_KONG).strftime("%Y-%m-%d %H:%M:%S")
    rate = payer_rate(gateway, ids)
    details: dict[str, Any] = {
        "total": str(amt),
        "currency": "HKD",
        "payerTotal": str(max(1, round(amt * rate))),
        "payerCurrency": gateway.payer_currency or "HKD",
        "exchangeRateType": "SETTLEMENT_RATE",
        "exchangeRate": rate,
    }
    if card_number is not None:
        pay_detail = mask_card(card_number)
        pay_type = card_brand or gateway.pay_type
        details.update({"cardBrand": pay_type, "maskedCard": pay_detail})
    else:
        pay_detail = generate(gateway.payer_id, ids, now)
        pay_type = gateway.pay_type
        details[gateway.payer_id_key] = pay_detail
    details.update(
        {
            "gateway": gateway.gateway,
            "tradeTime": trade_time,
            "bankType": gateway.bank_type or pay_type,
            "statusDesc": status_desc,
        }
    )
    return PaymentResult(
        pay_type=pay_type,
        pay_detail=pay_detail,
        gw_ref_code=generate(gateway.ref_code, ids, now),
        gw_error_code="0",
        gw_error_message="SUCCESS",
        details=details,
    )


def failure(
    gateway: Gateway,
    *,
    code: str = "DECLINED",
    message: str = "payment declined by the gateway",
    card_number: str | None = None,
    card_brand: str | None = None,
) -> PaymentResult:
    """A refused or failed payment: gwErrorCode and gwErrorMessage say why."""
    return PaymentResult(
        pay_type=(card_brand or gateway.pay_type) if card_number else gateway.pay_type,
        pay_detail=mask_card(card_number) if card_number else "",
        gw_error_code=code,
        gw_error_message=message,
        details={"gateway": gateway.gateway, "statusDesc": message},
    )
