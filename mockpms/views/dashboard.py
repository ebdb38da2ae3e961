"""The HTML dashboard at /_mock/: what the sandbox holds, with the buttons a tester needs.

Server-rendered; its buttons are plain HTML forms posting to /_mock/dashboard/*,
which call the lifecycle and redirect back (POST, redirect, GET). The forms
carry a CSRF token, and a cross-origin Origin header is refused, so another
web page cannot press the buttons. Every value is HTML-escaped by Jinja and a
restrictive Content-Security-Policy allows only the page's own nonce'd
style and script.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from mockpms.app import sandbox
from mockpms.checkout import OUTCOMES, Checkout
from mockpms.clock import pms_datetime
from mockpms.errors import ControlError, PmsError
from mockpms.lifecycle import H5_WALLETS
from mockpms.views.control_webhooks import ADVANCE_WAIT, LATEST_MOCK_TIME

bp = Blueprint("dashboard", __name__, url_prefix="/_mock")
KEY = "MOCKPMS_DASHBOARD_KEY"
WALLETS = H5_WALLETS
MAX_ADVANCE = 10 * 365 * 86400


@bp.record_once
def _make_key(state: Any) -> None:
    state.app.config.setdefault(KEY, secrets.token_bytes(32))


def csrf_token() -> str:
    """Per-process token in every form: a page on another origin cannot read it."""
    key: bytes = current_app.config[KEY]
    return hmac.new(key, b"dashboard-form", hashlib.sha256).hexdigest()


@bp.get("/")
def index() -> Response:
    box = sandbox()
    now = box.clock.now()
    countdown = box.settings.h5_countdown
    with box.store.lock:
        transactions = [box.lifecycle.refresh(t) for t in box.store.transactions()]
        sessions = [s.to_control_json(now, countdown) for s in box.store.sessions()]
    transactions.sort(key=lambda t: t.created_at, reverse=True)
    sessions.sort(key=lambda s: s["createdAt"], reverse=True)
    nonce = secrets.token_urlsafe(16)
    policy = box.policy.policy
    html = render_template(
        "dashboard/index.html",
        nonce=nonce,
        csrf=csrf_token(),
        notice=request.args.get("notice", "")[:300],
        now=pms_datetime(now),
        offset=box.clock.offset,
        transactions=transactions[:500],
        transaction_count=len(transactions),
        sessions=sessions[:500],
        session_count=len(sessions),
        attempts=[a.to_json() for a in box.webhooks.attempts()][-200:][::-1],
        faults=[f.to_json() for f in box.faults.active()],
        policy=policy.to_json() if policy else None,
        seed=box.ids.seed,
        outcomes=list(OUTCOMES),
        wallets=WALLETS,
        when=_when,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"  # no-referrer would make Origin "null"
    response.headers["Cache-Control"] = "no-store"
    return response


def _when(epoch: float | None) -> str:
    return "" if epoch is None else pms_datetime(epoch)


# ------------------------------------------------------------------ actions


def _checked_form() -> dict[str, str]:
    """The posted form, after the cross-site checks (Origin, then CSRF token)."""
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        parts = urlsplit(origin)
        if parts.netloc != request.host:
            raise ControlError(f"cross-origin post from {origin[:80]} refused", status=403)
    elif origin == "null":
        raise ControlError("cross-origin post refused", status=403)
    form = dict(request.form.items())
    if not hmac.compare_digest(form.get("csrf", "").encode(), csrf_token().encode()):
        raise ControlError("csrf: missing or wrong form token; reload the dashboard", status=403)
    return form


def _back(notice: str) -> Response:
    return redirect(url_for("dashboard.index", notice=notice), 303)  # type: ignore[return-value]


@bp.post("/dashboard/settle")
def settle() -> Response:
    form = _checked_form()
    box = sandbox()
    outcome = form.get("outcome", "")
    if outcome not in OUTCOMES:
        raise ControlError(f"outcome: must be one of {', '.join(OUTCOMES)}")
    txn = box.store.transaction(form.get("apiKey", ""), form.get("rrn", ""))
    if txn is None:
        raise ControlError("rrn: no such transaction (was the sandbox reset?)", status=404)
    try:  # the same path as POST /_mock/transactions/<rrn>/settle
        Checkout(box.lifecycle).settle_outcome(txn, outcome)
    except PmsError as error:
        return _back(error.message)
    return _back(f"rrn {txn.rrn}: {outcome}")


def _session() -> tuple[dict[str, str], Any]:
    form = _checked_form()
    session = sandbox().store.session(form.get("apiKey", ""), form.get("sessionId", ""))
    if session is None:
        raise ControlError("sessionId: no such H5 session (was the sandbox reset?)", status=404)
    wallet = form.get("wallet", "WXPAY")
    if wallet not in WALLETS:
        raise ControlError(f"wallet: must be one of {', '.join(WALLETS)}")
    return form, session


@bp.post("/dashboard/scan")
def scan() -> Response:
    form, session = _session()
    sandbox().lifecycle.scan(session, form.get("wallet", "WXPAY"))
    return _back(f"session {session.session_id}: scanned")


@bp.post("/dashboard/pay")
def pay() -> Response:
    form, session = _session()
    try:
        wallet = session.wallet or form.get("wallet", "WXPAY")
        txn = sandbox().lifecycle.pay_session(session, wallet)
    except PmsError as error:
        return _back(error.message)
    return _back(f"session {session.session_id}: paid, rrn {txn.rrn}")


@bp.post("/dashboard/advance")
def advance() -> Response:
    form = _checked_form()
    try:
        seconds = float(form.get("seconds", ""))
    except ValueError:
        raise ControlError("seconds: must be a number of seconds") from None
    box = sandbox()
    if not 0 <= seconds <= MAX_ADVANCE or box.clock.now() + seconds > LATEST_MOCK_TIME:
        raise ControlError(f"seconds: must be from 0 to {MAX_ADVANCE}")
    box.clock.advance(seconds)
    box.run_due(ADVANCE_WAIT)  # as POST /_mock/clock/advance: due work runs first
    return _back(f"clock advanced {seconds:g} s")
