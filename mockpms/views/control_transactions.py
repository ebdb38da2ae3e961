"""Control API for online-sale transactions: list, look up, settle.

    GET  /_mock/transactions                 ?apiKey= &status= filter; paged (?limit=
                                              ?order=oldest|newest ?after=<next>)
    GET  /_mock/transactions/<rrn>           ?apiKey= when two merchants used the rrn
    POST /_mock/transactions/<rrn>/settle    {"outcome": "success" | "failed" |
                                              "timeout" | "refunded", "apiKey"?: ...}

Settling does what the payer or gateway would: it goes through the same
lifecycle as the payment page, so success fires the webhook and a move the
transition table forbids is refused (409).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from mockpms.checkout import OUTCOMES
from mockpms.errors import ControlError
from mockpms.lifecycle import InvalidTransition
from mockpms.models import TxStatus
from mockpms.views._web import sandbox
from mockpms.views.control import api_key_of, control_body, named_transaction, paging

bp = Blueprint("control_transactions", __name__, url_prefix="/_mock")


@bp.get("/transactions")
def list_transactions() -> Any:
    api_key = request.args.get("apiKey") or None
    status = request.args.get("status") or None
    statuses = {s.value for s in TxStatus} | {s.gw_ref_status for s in TxStatus}
    if status is not None and status not in statuses:
        raise ControlError(
            f"status: {status[:40]!r} is not one of {', '.join(s.value for s in TxStatus)} "
            f"(or a gwRefStatus 01..05)"
        )
    wanted = paging()
    page = sandbox().lifecycle.transaction_page(
        api_key, status, after=wanted.after, limit=wanted.limit, newest_first=wanted.newest_first
    )
    found = [txn.to_control_json() for txn in page.records]
    return jsonify({"transactions": found, "count": len(found), "next": page.next_cursor})


@bp.get("/transactions/<rrn>")
def get_transaction(rrn: str) -> Any:
    return jsonify(named_transaction(rrn, request.args.get("apiKey")).to_control_json())


@bp.post("/transactions/<rrn>/settle")
def settle(rrn: str) -> Any:
    body = control_body()
    outcome = body.get("outcome")
    if outcome not in OUTCOMES:
        raise ControlError(
            f"outcome: must be one of {', '.join(OUTCOMES)} (got {str(outcome)[:40]!r})"
        )
    txn = named_transaction(rrn, api_key_of(body))
    before = txn.status
    try:  # settle is atomic on its own and tells the webhook engine outside the lock
        sandbox().checkout.settle_outcome(txn, outcome)
    except InvalidTransition as error:
        raise ControlError(
            f"{error.message}; only pending transactions can be settled, and only a "
            f"successful one can become refunded",
            status=409,
        ) from None
    answer = txn.to_control_json()
    answer["previousStatus"] = before.value
    return jsonify(answer)
