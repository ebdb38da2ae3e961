"""The H5 page an H5 QR code opens: the payer's side of h5Payment sessions.

GET renders the page; the first GET is the scan and starts the countdown (any
browser, CONTRACT 9). POST is the payer pressing 付款. The countdown is the
server's: the page shows the seconds left at render time, a static script only
ticks them down, and a POST after the end is refused here whatever the page
showed. Text is Simplified Chinese, as in the document's screenshots.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for

from mockpms.app import sandbox
from mockpms.lifecycle import H5_WALLETS, SessionClosed
from mockpms.models import H5Session
from mockpms.sandbox import Sandbox
from mockpms.urls import H5_PAGE

bp = Blueprint("h5", __name__, url_prefix=H5_PAGE)

# The in-app browsers of the two wallets, as their User-Agents name themselves.
USER_AGENT_WALLETS = (("MicroMessenger", "WXPAY"), ("AlipayClient", "ALIPAY"))
WALLET_NAMES = {"WXPAY": "微信支付", "ALIPAY": "支付宝"}

# Scripts and styles come only from our own /static; no inline code at all.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def wallet_of(user_agent: str) -> str | None:
    """WXPAY inside WeChat, ALIPAY inside Alipay, None for any other browser."""
    for marker, wallet in USER_AGENT_WALLETS:
        if marker in user_agent:
            return wallet
    return None


def format_amount(amt: int) -> str:
    """Cents as PMS's pages show them: 10 → "0.10"."""
    return f"{amt // 100}.{amt % 100:02d}"


def _chosen_wallet(value: str | None) -> str | None:
    return value if value in H5_WALLETS else None


def _page_wallet() -> str | None:
    """The wallet this request pays with: the User-Agent's, else the chooser's choice."""
    chosen = request.form.get("wallet") if request.method == "POST" else request.args.get("wallet")
    return wallet_of(request.user_agent.string) or _chosen_wallet(chosen)


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"  # the countdown is never stale
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/<token>", methods=["GET", "POST"])
def page(token: str) -> Any:
    box = sandbox()
    session = box.store.session_by_token(token)
    if session is None:
        return _missing()
    wallet = _page_wallet()
    if request.method == "POST":
        return _pay(box, session, wallet)
    with box.store.lock:
        if request.method == "GET":  # a HEAD (link preview) is no scan
            box.lifecycle.scan(session, wallet)
        if not box.lifecycle.session_payable(session):
            return _closed(box, session)
        seconds = box.lifecycle.seconds_left(session)
    left = int(-(-(seconds or 0) // 1)) if seconds is not None else None
    template = "h5/page.html" if wallet else "h5/chooser.html"
    return render_template(
        template,
        **_view(session),
        wallet=wallet,
        wallet_name=WALLET_NAMES.get(wallet or "", ""),
        wallets=WALLET_NAMES,
        seconds_left=left,
    )


def _pay(box: Sandbox, session: H5Session, wallet: str | None) -> Any:
    try:
        box.lifecycle.pay_session(session, wallet)
    except SessionClosed:
        return _closed(box, session, status=409)
    return redirect(url_for("h5.result", token=session.token), code=303)


@bp.get("/<token>/result")
def result(token: str) -> Any:
    """The payer's receipt after paying; without a payment, back to the page."""
    box = sandbox()
    session = box.store.session_by_token(token)
    if session is None:
        return _missing()
    txn = box.store.transaction(session.api_key, session.paid_rrn) if session.paid_rrn else None
    if txn is None:
        return redirect(url_for("h5.page", token=token), code=303)
    return render_template(
        "h5/result.html",
        **_view(session),
        wallet=txn.type,
        wallet_name=WALLET_NAMES.get(txn.type, txn.type),
        rrn=txn.rrn,
        tx_datetime=txn.tx_datetime,
    )


def _view(session: H5Session) -> dict[str, Any]:
    return {
        "merchant_name": session.merchant_name,
        "sales_man": session.sales_man,
        "store_code": session.store_code,
        "till_id": session.till_id,
        "amount": format_amount(session.amt),
        "remarks": session.remarks,
    }


def _closed(box: Sandbox, session: H5Session, status: int = 200) -> Response:
    """The document's "Session Id Expired or Paid" page."""
    body = render_template(
        "h5/closed.html",
        merchant_name=session.merchant_name,
        wallet=wallet_of(request.user_agent.string),
        reason=box.lifecycle.closed_reason(session),
    )
    return make_response(body, status)


def _missing() -> Response:
    return make_response(render_template("h5/missing.html"), 404)
