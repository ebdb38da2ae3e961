"""/_mock/sessions: look at H5 sessions and act as the payer's wallet.

`scan` is what opening the QR code in WeChat or Alipay does (the countdown
starts), `pay` is the payer pressing 付款 (scanning first if nobody has), so a
test can drive an H5 payment without a browser.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from mockpms.errors import ControlError
from mockpms.models import H5Session
from mockpms.sessions import SessionClosed
from mockpms.urls import h5_url
from mockpms.views._web import base_url, sandbox
from mockpms.views.control import api_key_of, control_body, named_session, paging

bp = Blueprint("control_sessions", __name__, url_prefix="/_mock")

STATUSES = ("0", "1", "2")


def session_json(session: H5Session) -> dict[str, Any]:
    """The session's state plus the URL its QR code encodes (what a wallet opens)."""
    answer = dict(sandbox().sessions.control_json(session))
    answer["url"] = h5_url(base_url(), session.token)
    return answer


@bp.get("/sessions")
def list_sessions() -> Any:
    """Every session, oldest first; `?apiKey=` and `?status=0|1|2` narrow the list."""
    api_key = request.args.get("apiKey") or None
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise ControlError(f"status: {status[:20]!r} is not one of 0, 1, 2")
    wanted = paging()
    page = sandbox().sessions.page(
        api_key, status, after=wanted.after, limit=wanted.limit, newest_first=wanted.newest_first
    )
    items = [session_json(s) for s in page.records]
    return jsonify({"sessions": items, "count": len(items), "next": page.next_cursor})


@bp.get("/sessions/<session_id>")
def get_session(session_id: str) -> Any:
    return jsonify(session_json(named_session(session_id, request.args.get("apiKey"))))


@bp.post("/sessions/<session_id>/scan")
def scan_session(session_id: str) -> Any:
    """As if the QR code was opened in the wallet; starts the countdown once."""
    body = control_body()
    wallet = wallet_of(body)
    sessions = sandbox().sessions
    session = sessions.scan(named_session(session_id, api_key_of(body)), wallet)
    if not sessions.payable(session):
        raise ControlError(
            f"session {session_id!r} is expired or paid: {sessions.closed_reason(session)}",
            status=409,
        )
    return jsonify(session_json(session))


@bp.post("/sessions/<session_id>/pay")
def pay_session(session_id: str) -> Any:
    """As if the payer paid in the wallet; the answer carries the new transaction."""
    body = control_body()
    wallet = wallet_of(body)
    session = named_session(session_id, api_key_of(body))
    try:
        txn = sandbox().sessions.pay(session, wallet)
    except SessionClosed as error:
        raise ControlError(error.message, status=409) from None
    answer = session_json(session)
    answer["transaction"] = txn.to_control_json()
    return jsonify(answer)


def wallet_of(body: dict[str, Any]) -> str | None:
    """The `wallet` a scan or pay names: one of the H5 gateways, or None for the default."""
    value = body.get("wallet")
    if value is None or value == "":
        return None
    h5_types = sandbox().gateways.h5_types
    if not isinstance(value, str) or value not in h5_types:
        raise ControlError(f"wallet: must be one of {', '.join(h5_types)} (got {value!r:.40})")
    return value
