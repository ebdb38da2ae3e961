"""Testing the merchant's webhook handling (CONTRACT 13): resend, forge, and the report.

    POST /_mock/webhooks/<id>/resend     a series' payload again now (attempt or series id)
    POST /_mock/webhooks/forge           {"rrn"} or {"sessionId"} (+ "apiKey"): a notification
                                         for a payment that was not made
    GET  /_mock/report                   what the integration did wrong, per apiKey

Webhook faults (duplicate, drop, delay) are armed through POST /_mock/faults.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from mockpms.errors import ControlError
from mockpms.models import Transaction, TxStatus
from mockpms.views._web import sandbox
from mockpms.views.control import api_key_of, control_body, named_session, named_transaction
from mockpms.views.control_webhooks import advance_wait

bp = Blueprint("control_notifications", __name__, url_prefix="/_mock")


@bp.post("/webhooks/<id_>/resend")
def resend(id_: str) -> Any:
    """Send the series again now; answers once the resent attempt is logged (or its
    deadline passed: then `attempt` is null and it is still running)."""
    if not id_.isascii() or not id_.isdigit() or len(id_) > 18:
        raise ControlError(
            f"id: {id_[:20]!r} is not an attempt or series id (a number)", status=404
        )
    box = sandbox()
    delivery = box.webhooks.series(int(id_))
    if delivery is None:
        raise ControlError(f"no webhook attempt or series with id {id_}", status=404)
    job = box.webhooks.resend(delivery)
    done = job.wait(advance_wait(box))
    attempts = [a for a in box.webhooks.attempts(rrn=delivery.rrn) if a.delivery_id == delivery.id]
    resent = next((a for a in reversed(attempts) if a.resent), None) if done else None
    return jsonify(
        {
            "delivery": delivery.to_json(),
            "attempt": resent.to_json() if resent is not None else None,
            "stillRunning": not done,
        }
    )


@bp.post("/webhooks/forge")
def forge() -> Any:
    """A notification with the document's payload for a transaction that is not paid."""
    body = control_body()
    unknown = sorted(set(body) - {"rrn", "sessionId", "apiKey"})
    if unknown:
        raise ControlError(f"{unknown[0]}: unknown field; forge takes rrn or sessionId, apiKey")
    rrn, session_id = body.get("rrn"), body.get("sessionId")
    if (rrn is None) == (session_id is None) or not isinstance(rrn or session_id, str):
        raise ControlError('rrn: give one of "rrn" (an online sale) or "sessionId" (H5)')
    txn = _online(str(rrn), api_key_of(body)) if rrn else _h5(str(session_id), api_key_of(body))
    if not txn.webhook_url:
        raise ControlError(
            f"{'rrn' if rrn else 'sessionId'}: it has no webhookUrl to notify", status=409
        )
    box = sandbox()
    payload = txn.webhook_payload()
    if not payload["gwRefCode"]:
        payload["gwRefCode"] = box.ids.for_merchant(txn.api_key).uuid()
    delivery = box.webhooks.forge(txn, payload)
    return jsonify({"delivery": delivery.to_json()}), 201


def _online(rrn: str, api_key: str | None) -> Transaction:
    txn = named_transaction(rrn, api_key)
    if txn.status is TxStatus.SUCCESS:
        raise ControlError(
            f"rrn: {rrn!r} is paid; a forged notification is for a payment that was not made",
            status=409,
        )
    return txn


def _h5(session_id: str, api_key: str | None) -> Transaction:
    sessions = sandbox().sessions
    session = named_session(session_id, api_key)
    if session.paid_rrn is not None:
        raise ControlError(
            f"sessionId: {session_id!r} is paid; a forged notification is for a payment "
            f"that was not made",
            status=409,
        )
    return sessions.unpaid_transaction(session)


@bp.get("/report")
def report() -> Any:
    """Findings per apiKey (?apiKey= for one merchant)."""
    return jsonify(sandbox().report.to_json(request.args.get("apiKey") or None))
