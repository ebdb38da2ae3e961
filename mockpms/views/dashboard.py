"""The HTML dashboard at /_mock/: what the sandbox holds, with the buttons a tester needs.

Server-rendered; its buttons are plain HTML forms posting to /_mock/dashboard/*,
which call the same domain methods as the control API and redirect back (POST,
redirect, GET). The forms carry a CSRF token, and a cross-origin Origin header
is refused, so another web page cannot press the buttons. Every value is
HTML-escaped by Jinja and a restrictive Content-Security-Policy allows only the
page's own nonce'd style and script.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Response, redirect, render_template, request, url_for

from mockpms.checkout import OUTCOMES
from mockpms.clock import pms_datetime
from mockpms.errors import ControlError, PmsError
from mockpms.i18n import format_amount
from mockpms.models import H5Session
from mockpms.views._web import form_token, form_token_ok, sandbox, secure_page
from mockpms.views.control_webhooks import advance_seconds, advance_wait

bp = Blueprint("dashboard", __name__, url_prefix="/_mock")
FORMS = "dashboard-form"


def csrf_token() -> str:
    """Per-process token in every form: a page on another origin cannot read it."""
    return form_token(FORMS)


@bp.get("/")
def index() -> Response:
    box = sandbox()
    now = box.clock.now()
    transactions = box.lifecycle.transactions()
    sessions = [box.sessions.control_json(s) for s in box.sessions.all()]
    transactions.sort(key=lambda t: t.created_at, reverse=True)
    sessions.sort(key=lambda s: float(s["createdAt"]), reverse=True)  # type: ignore[arg-type]
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
        wallets=box.gateways.h5_types,
        when=_when,
        amount=format_amount,
    )
    policy_header = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    # no-referrer would make Origin "null" on the dashboard's own form posts
    return secure_page(Response(html, mimetype="text/html"), policy=policy_header)


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
    if not form_token_ok(FORMS):
        raise ControlError("csrf: missing or wrong form token; reload the dashboard", status=403)
    return dict(request.form.items())


def _back(notice: str) -> Response:
    return redirect(url_for("dashboard.index", notice=notice), 303)  # type: ignore[return-value]


@bp.post("/dashboard/settle")
def settle() -> Response:
    form = _checked_form()
    box = sandbox()
    outcome = form.get("outcome", "")
    if outcome not in OUTCOMES:
        raise ControlError(f"outcome: must be one of {', '.join(OUTCOMES)}")
    txn = box.lifecycle.transaction(form.get("apiKey", ""), form.get("rrn", ""))
    if txn is None:
        raise ControlError("rrn: no such transaction (was the sandbox reset?)", status=404)
    try:  # the same path as POST /_mock/transactions/<rrn>/settle
        box.checkout.settle_outcome(txn, outcome)
    except PmsError as error:
        return _back(error.message)
    return _back(f"rrn {txn.rrn}: {outcome}")


def _session() -> tuple[str | None, H5Session]:
    form = _checked_form()
    box = sandbox()
    session = box.sessions.session(form.get("apiKey", ""), form.get("sessionId", ""))
    if session is None:
        raise ControlError("sessionId: no such H5 session (was the sandbox reset?)", status=404)
    wallet = form.get("wallet") or None
    if wallet is not None and wallet not in box.gateways.h5_types:
        raise ControlError(f"wallet: must be one of {', '.join(box.gateways.h5_types)}")
    return wallet, session


@bp.post("/dashboard/scan")
def scan() -> Response:
    wallet, session = _session()
    sandbox().sessions.scan(session, wallet)
    return _back(f"session {session.session_id}: scanned")


@bp.post("/dashboard/pay")
def pay() -> Response:
    wallet, session = _session()
    try:
        txn = sandbox().sessions.pay(session, session.wallet or wallet)
    except PmsError as error:
        return _back(error.message)
    return _back(f"session {session.session_id}: paid, rrn {txn.rrn}")


@bp.post("/dashboard/advance")
def advance() -> Response:
    form = _checked_form()
    box = sandbox()
    try:
        typed = float(form.get("seconds", ""))
    except ValueError:
        raise ControlError("seconds: must be a number of seconds") from None
    seconds = advance_seconds(typed, box.clock.now())
    box.advance(seconds, advance_wait(box))  # as POST /_mock/clock/advance: due work runs first
    return _back(f"clock advanced {seconds:g} s")
