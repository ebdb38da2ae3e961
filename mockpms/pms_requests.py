"""The typed PMS requests the lifecycle acts on, as validation builds them from a body.

Attribute names are the field table's (mockpms.fields `Field.attribute`), so
validation fills them with one `**values`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class SaleRequest:
    """online/sales, checked."""

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
    additional_amt: int = 0  # only 0: a field of the answer (see fields.ANSWER_ONLY)
    timeout: int = 0

    def record_fields(self) -> dict[str, Any]:
        """What a Transaction keeps of the request (not the answer-only fields)."""
        fields = asdict(self)
        del fields["additional_amt"], fields["timeout"]
        return fields


@dataclass(frozen=True)
class SessionRequest:
    """h5Payment/session/create, checked; None means "the merchant's default"."""

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
