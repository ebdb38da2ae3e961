"""Transactions and H5 sessions, and how each becomes PMS JSON.

Plain data; the rules for changing them live in lifecycle.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class TxStatus(str, Enum):
    PENDING = "pending"
    SUCCESS = "success"
    FAILED = "failed"
    TIMEOUT = "timeout"
    REFUNDED = "refunded"

    @property
    def gw_ref_status(self) -> str:
        return GW_REF_STATUS[self]

    @property
    def is_final(self) -> bool:
        return self is not TxStatus.PENDING


# The document's GwRefSataus table.
GW_REF_STATUS = {
    TxStatus.SUCCESS: "01",
    TxStatus.FAILED: "02",
    TxStatus.TIMEOUT: "03",
    TxStatus.REFUNDED: "04",
    TxStatus.PENDING: "05",
}

# online/sales answers `lang` as PMS's own language codes.
LANG_CODES = {"zh_hk": "TC", "zh_cn": "SC", "en": "EN"}


@dataclass
class Transaction:
    api_key: str
    rrn: str
    type: str
    store_code: str
    till_id: str
    salesman: str
    tx_datetime: str
    amt: int
    ccy: str
    lang: str
    token: str
    created_at: float
    expires_at: float
    extend_param: str = ""
    return_url: str = ""
    webhook_url: str = ""
    remarks: str = ""
    cashier: str = ""
    session_id: str | None = None
    status: TxStatus = TxStatus.PENDING
    finished_at: float | None = None
    opened_at: float | None = None  # the payment page's first opening
    opened_view: str = ""  # how: "desktop, zh_hk", "mobile, en"
    pay_type: str = ""
    pay_detail: str = ""
    gw_ref_code: str = ""
    gw_error_code: str = ""
    gw_error_message: str = ""
    gateway_details: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.api_key, self.rrn)

    @property
    def gw_ref_status(self) -> str:
        return self.status.gw_ref_status

    def extend(self) -> dict[str, Any]:
        """The merchant's extendParam as a dict (validated as a JSON object at create time)."""
        if not self.extend_param:
            return {}
        value = json.loads(self.extend_param)
        return value if isinstance(value, dict) else {}

    @property
    def subject(self) -> str:
        return str(self.extend().get("subject", "") or "")

    @property
    def seller(self) -> str:
        return str(self.extend().get("seller", "") or "")

    def to_sales_json(self, payment_url: str, error_message: str) -> dict[str, Any]:
        """The document's online/sales response, field for field."""
        return {
            "type": self.type,
            "rrn": self.rrn,
            "storeCode": self.store_code,
            "tillId": self.till_id,
            "tradeMode": "WEBSITE",
            "txDateTime": self.tx_datetime,
            "amt": self.amt,
            "additionalAmt": 0,
            "ccy": self.ccy,
            "lang": LANG_CODES[self.lang],
            "paymentUrl": payment_url,
            "gwRefCode": "",
            "gwErrorCode": "Approved",
            "gwErrorMessage": "",
            "extendParam": self.extend_param,
            "timeout": 0,
            "errorCode": "0",
            "errorMessage": error_message,
        }

    def to_query_json(self, lang: str | None) -> dict[str, Any]:
        """The document's online/query response, field for field."""
        return {
            "additionalAmt": 0,
            "amt": self.amt,
            "ccy": self.ccy,
            "errorCode": "0",
            "errorMessage": "SUCCESS",
            "extendParam": json.dumps(self.gateway_details, ensure_ascii=False)
            if self.gateway_details
            else "",
            "gwErrorCode": self.gw_error_code,
            "gwErrorMessage": self.gw_error_message,
            "gwRefCode": self.gw_ref_code,
            "gwRefStatus": self.gw_ref_status,
            "lang": LANG_CODES[lang] if lang else None,
            "orgGwRefCode": "",
            "orgRrn": "",
            "payDetail": self.pay_detail,
            "payType": self.pay_type,
            "rrn": self.rrn,
            "storeCode": self.store_code,
            "tillId": self.till_id,
            "txDateTime": self.tx_datetime,
            "type": self.type,
        }

    def webhook_payload(self) -> dict[str, Any]:
        """The document's webhook body; H5 payments add sessionId."""
        payload: dict[str, Any] = {
            "storeCode": self.store_code,
            "tillId": self.till_id,
            "type": self.type,
            "rrn": self.rrn,
            "amount": self.amt,
            "gwRefCode": self.gw_ref_code,
            "txDatetime": self.tx_datetime,
            "salesman": self.salesman,
            "orgRrn": "",
        }
        if self.session_id is not None:
            payload["sessionId"] = self.session_id
        return payload

    def to_control_json(self) -> dict[str, Any]:
        return {
            "apiKey": self.api_key,
            "rrn": self.rrn,
            "type": self.type,
            "amt": self.amt,
            "ccy": self.ccy,
            "status": self.status.value,
            "gwRefStatus": self.gw_ref_status,
            "storeCode": self.store_code,
            "tillId": self.till_id,
            "salesman": self.salesman,
            "txDateTime": self.tx_datetime,
            "lang": self.lang,
            "createdAt": self.created_at,
            "expiresAt": self.expires_at,
            "finishedAt": self.finished_at,
            "returnUrl": self.return_url,
            "webhookUrl": self.webhook_url,
            "extendParam": self.extend_param,
            "remarks": self.remarks,
            "sessionId": self.session_id,
            "payType": self.pay_type,
            "payDetail": self.pay_detail,
            "gwRefCode": self.gw_ref_code,
        }


class SessionStatus(str, Enum):
    """h5Payment/session/query `status` values."""

    CANCELLED = "0"
    NOT_PAID = "1"
    PAID = "2"


@dataclass
class H5Session:
    api_key: str
    session_id: str
    merchant_name: str
    store_code: str
    till_id: str
    sales_man: str
    amt: int
    webhook_url: str
    token: str
    created_at: float
    remarks: str = ""
    subject: str = ""
    bitmap: bool = False
    scanned_at: float | None = None
    wallet: str | None = None
    cancelled_at: float | None = None
    paid_rrn: str | None = None
    expired_at: float | None = None  # set once the lifecycle saw the countdown run out

    @property
    def key(self) -> tuple[str, str]:
        return (self.api_key, self.session_id)

    def countdown_ends_at(self, countdown: float) -> float | None:
        return None if self.scanned_at is None else self.scanned_at + countdown

    def status(self, now: float, countdown: float) -> SessionStatus:
        if self.paid_rrn is not None:
            return SessionStatus.PAID
        if self.cancelled_at is not None:
            return SessionStatus.CANCELLED
        ends = self.countdown_ends_at(countdown)
        if ends is not None and now >= ends:
            return SessionStatus.CANCELLED
        return SessionStatus.NOT_PAID

    def payable(self, now: float, countdown: float) -> bool:
        """Still payable: unpaid, not cancelled before the scan, countdown running.

        A cancel after the scan does not stop the payer (the document's warning).
        """
        if self.paid_rrn is not None:
            return False
        ends = self.countdown_ends_at(countdown)
        if ends is None:
            return self.cancelled_at is None
        return now < ends

    def to_create_json(self, content: str) -> dict[str, Any]:
        """The document's create response: echoes the request, `amount` and `amt` both."""
        return {
            "errorCode": "0",
            "errorMessage": "no error",
            "content": content,
            "sessionId": self.session_id,
            "merchantName": self.merchant_name,
            "storeCode": self.store_code,
            "tillId": self.till_id,
            "salesMan": self.sales_man,
            "amount": self.amt,
            "amt": self.amt,
            "remarks": self.remarks,
            "bitmap": self.bitmap,
            "subject": self.subject,
            "webhookUrl": self.webhook_url,
        }

    def to_query_json(self, status: SessionStatus, paid: Transaction | None) -> dict[str, Any]:
        """h5Payment/session/query's answer; once paid, with the payment's fields."""
        answer: dict[str, Any] = {
            "errorCode": "0",
            "errorMessage": "no error",
            "sessionId": self.session_id,
        }
        if paid is not None:
            answer.update(
                {
                    "type": paid.type,
                    "storeCode": self.store_code,
                    "tillId": self.till_id,
                    "rrn": paid.rrn,
                    "salesman": self.sales_man,
                    "salesMan": self.sales_man,
                    "txDatetime": paid.tx_datetime,
                    "amt": self.amt,
                    "gwRefCode": paid.gw_ref_code,
                    "remarks": self.remarks,
                    "subject": self.subject,
                    "merchantName": self.merchant_name,
                }
            )
        answer["status"] = status.value
        return answer

    def to_control_json(self, now: float, countdown: float) -> dict[str, Any]:
        ends = self.countdown_ends_at(countdown)
        return {
            "apiKey": self.api_key,
            "sessionId": self.session_id,
            "status": self.status(now, countdown).value,
            "merchantName": self.merchant_name,
            "storeCode": self.store_code,
            "tillId": self.till_id,
            "salesMan": self.sales_man,
            "amt": self.amt,
            "remarks": self.remarks,
            "subject": self.subject,
            "webhookUrl": self.webhook_url,
            "createdAt": self.created_at,
            "scannedAt": self.scanned_at,
            "wallet": self.wallet,
            "countdownEndsAt": ends,
            "secondsLeft": None
            if ends is None or self.paid_rrn is not None
            else max(0.0, ends - now),
            "cancelledAt": self.cancelled_at,
            "payable": self.payable(now, countdown),
            "rrn": self.paid_rrn,
        }
