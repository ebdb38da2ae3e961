"""/_mock/sessions: look at H5 sessions and act as the payer's wallet.

`scan` is what opening the QR code in WeChat or Alipay does (the countdown
starts), `pay` is the payer pressing 付款 (scanning first if nobody has), so a
test can drive an H5 payment without a browser.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from mockpms.app import base_url, sandbox
from mockpms.errors import ControlError
from mockpms.lifecycle import H5_WALLETS, SessionClosed
from mockpms.models import H5Session
from mockpms.sandbox import Sandbox
from mockpms.urls import h5_url
from mockpms.views.control import control_body, one_record

bp = Blueprint("control_sessions", __name__, url_prefix="/_mock")

STATUSES = ("0", "1", "2")


def session_json(box: Sandbox, session: H5Session) -> dict[str, Any]:
    """The session's state plus the URL its QR code encodes (what a wallet opens)."""
    answer = session.to_control_json(box.clock.now(), box.settings.h5_countdown)
    answer["url"] = h5_url(base_url(), session.token)
    return answer


@bp.get("/sessions")
def list_sessions() -> Any:
    """Every session, oldest first; `?apiKey=` and `?status=0|1|2` narrow the list."""
    box = sandbox()
    api_key = request.args.get("apiKey") or None
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise ControlError(f"status: {status[:20]!r} is not one of 0, 1, 2")
    with box.store.lock:
        items = [session_json(box, s) for s in box.store.sessions(api_key)]
    if status is not None:
        items = [item for item in items if item["status"] == status]
    return jsonify({"sessions": items})


@bp.get("/sessions/<session_id>")
def get_session(session_id: str) -> Any:
    box = sandbox()
    with box.store.lock:
        session = _find(box, session_id, request.args.get("apiKey"))
        return jsonify(session_json(box, session))


@bp.post("/sessions/<session_id>/scan")
def scan_session(session_id: str) -> Any:
    """As if the QR code was opened in the wallet; starts the countdown once."""
    box = sandbox()
    body = control_body()
    wallet = _wallet(body)
    with box.store.lock:
        session = _find(box, session_id, _api_key(body))
        box.lifecycle.scan(session, wallet)
        if not box.lifecycle.session_payable(session):
            raise ControlError(
                f"session {session_id!r} is expired or paid: "
                f"{box.lifecycle.closed_reason(session)}",
                status=409,
            )
        return jsonify(session_json(box, session))


@bp.post("/sessions/<session_id>/pay")
def pay_session(session_id: str) -> Any:
    """As if the payer paid in the wallet; the answer carries the new transaction."""
    box = sandbox()
    body = control_body()
    wallet = _wallet(body)
    with box.store.lock:
        session = _find(box, session_id, _api_key(body))
    try:
        txn = box.lifecycle.pay_session(session, wallet)
    except SessionClosed as error:
        raise ControlError(error.message, status=409) from None
    with box.store.lock:
        answer = session_json(box, session)
        answer["transaction"] = txn.to_control_json()
    return jsonify(answer)


def _api_key(body: dict[str, Any]) -> str | None:
    value = body.get("apiKey", request.args.get("apiKey"))
    if value is not None and not isinstance(value, str):
        raise ControlError("apiKey: must be a string")
    return value or None


def _wallet(body: dict[str, Any]) -> str | None:
    value = body.get("wallet")
    if value is None or value == "":
        return None
    if value not in H5_WALLETS:
        raise ControlError(f"wallet: must be one of {', '.join(H5_WALLETS)} (got {value!r:.40})")
    assert isinstance(value, str)
    return value


def _find(box: Sandbox, session_id: str, api_key: str | None) -> H5Session:
    """The session with this id; a sessionId two merchants used needs `apiKey`."""
    return one_record(
        f"H5 session {session_id!r}",
        api_key,
        lambda key: box.store.session(key, session_id),
        lambda: box.store.sessions_with_id(session_id),
        lambda session: session.api_key,
    )
