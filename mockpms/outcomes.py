"""What a gateway reports for a payment: payType, payDetail, gwRefCode and the
extendParam details that online/query returns, shaped like the document's
WXPAY example. Ids come from the (seedable) IdGenerator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mockpms.clock import HONG_KONG
from mockpms.gateways import Gateway
from mockpms.ids import IdGenerator


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


def wallet_payer_id(gateway_type: str, ids: IdGenerator) -> str:
    """A payer id in the gateway's own shape: WeChat openid, Alipay buyer id, FPS reference."""
    if gateway_type == "WXPAY":
        return "o_" + ids.chars(
            26, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
        )
    if gateway_type in ("ALIPAY", "ALIPAYOS"):
        return "2088" + ids.digits(12)
    return "FPS" + ids.digits(10)


def gateway_ref_code(gateway_type: str, ids: IdGenerator, now: float) -> str:
    day = datetime.fromtimestamp(now, HONG_KONG).strftime("%Y%m%d")
    if gateway_type == "WXPAY":
        return "42000" + ids.digits(5) + day + ids.digits(10)
    if gateway_type in ("ALIPAY", "ALIPAYOS"):
        return day + "2200" + ids.digits(16)
    if gateway_type == "FPSPAY":
        return "FRN" + day + ids.hex(12)
    return ids.uuid()


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
    """A successful payment through `gateway` (card details only for VMPAY / UNIONPAY)."""
    trade_time = datetime.fromtimestamp(now, HONG_KONG).strftime("%Y-%m-%d %H:%M:%S")
    details: dict[str, Any] = {
        "total": str(amt),
        "currency": "HKD",
        "payerTotal": str(amt),
        "payerCurrency": "HKD",
        "exchangeRateType": "SETTLEMENT_RATE",
        "exchangeRate": 1.0,
    }
    if card_number is not None:
        pay_detail = mask_card(card_number)
        pay_type = card_brand or gateway.pay_type
        details.update({"cardBrand": pay_type, "maskedCard": pay_detail})
    else:
        pay_detail = wallet_payer_id(gateway.type, ids)
        pay_type = gateway.pay_type
        details["openid" if gateway.type == "WXPAY" else "payerId"] = pay_detail
    details.update(
        {
            "gateway": gateway.gateway,
            "tradeTime": trade_time,
            "bankType": "CMB_CREDIT" if gateway.type == "WXPAY" else pay_type,
            "statusDesc": status_desc,
        }
    )
    return PaymentResult(
        pay_type=pay_type,
        pay_detail=pay_detail,
        gw_ref_code=gateway_ref_code(gateway.type, ids, now),
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
