"""The H5 page an H5 QR code opens: the payer's side of h5Payment sessions.

GET renders the page; the first GET is the scan and starts the countdown (any
browser, CONTRACT 9). POST is the payer pressing 付款. The countdown is the
server's: the page shows the seconds left at render time, a static script only
ticks them down, and a POST after the end is refused here whatever the page
showed. Text is Simplified Chinese, as in the document's screenshots. Which
wallets exist, and the in-app browser that marks each, come from the gateway
profiles (h5 = true).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for

from mockpms.fence import SandboxReset
from mockpms.i18n import format_amount
from mockpms.models import H5Session
from mockpms.sandbox import Sandbox
from mockpms.sessions import SessionClosed
from mockpms.urls import H5_PAGE
from mockpms.views._web import sandbox, secure_page

bp = Blueprint("h5", __name__, url_prefix=H5_PAGE)
NAMES_LANG = "zh_cn"  # the H5 page's language, as in the document's screenshots


def wallet_of(box: Sandbox, user_agent: str) -> str | None:
    """The H5 wallet whose in-app browser this is (WeChat, Alipay...), else None."""
    found = box.gateways.h5_wallet_of(user_agent)
    return None if found is None else found.type


def _page_wallet(box: Sandbox) -> str | None:
    """The wallet this request pays with: the User-Agent's, else the chooser's choice."""
    chosen = request.form.get("wallet") if request.method == "POST" else request.args.get("wallet")
    return wallet_of(box, request.user_agent.string) or (
        chosen if chosen in box.gateways.h5_types else None
    )


def _wallet_names(box: Sandbox) -> dict[str, str]:
    return {g.type: g.name_in(NAMES_LANG) for g in box.gateways.h5}


@bp.after_request
def _headers(response: Response) -> Response:
    # the countdown is never stale (no-store); the page URL is the payer's capability
    return secure_page(response, referrer="no-referrer")


@bp.route("/<token>", methods=["GET", "POST"])
def page(token: str) -> Any:
    box = sandbox()
    session = box.sessions.by_token(token)
    if session is None:
        return _missing()
    wallet = _page_wallet(box)
    if request.method == "POST":
        return _pay(box, session, wallet)
    if request.method == "GET":  # a HEAD (link preview) is no scan
        box.sessions.scan(session, wallet)
    if not box.sessions.payable(session):
        return _closed(box, session)
    seconds = box.sessions.seconds_left(session)
    left = int(-(-(seconds or 0) // 1)) if seconds is not None else None
    template = "h5/page.html" if wallet else "h5/chooser.html"
    names = _wallet_names(box)
    return render_template(
        template,
        **_view(session),
        wallet=wallet,
        wallet_name=names.get(wallet or "", ""),
        wallets=names,
        seconds_left=left,
    )


def _pay(box: Sandbox, session: H5Session, wallet: str | None) -> Any:
    try:
        box.sessions.pay(session, wallet)
    except SessionClosed:
        return _closed(box, session, status=409)
    except SandboxReset:  # the session was wiped while the payer pressed pay
        return _missing()
    return redirect(url_for("h5.result", token=session.token), code=303)


@bp.get("/<token>/result")
def result(token: str) -> Any:
    """The payer's receipt after paying; without a payment, back to the page."""
    box = sandbox()
    session = box.sessions.by_token(token)
    if session is None:
        return _missing()
    txn = box.sessions.paid_transaction(session)
    if txn is None:
        return redirect(url_for("h5.page", token=token), code=303)
    return render_template(
        "h5/result.html",
        **_view(session),
        wallet=txn.type,
        wallet_name=box.gateways.profile(txn.type).name_in(NAMES_LANG),
        rrn=txn.rrn,
        tx_datetime=txn.tx_datetime,
    )


def _view(session: H5Session) -> dict[str, Any]:
    return {
        "merchant_name": session.merchant_name,
        "sales_man": session.sales_man,
        "store_code": session.store_code,
        "till_id": session.till_id,
        "amount": format_amount(session.amt, ccy=""),
        "remarks": session.remarks,
    }


def _closed(box: Sandbox, session: H5Session, status: int = 200) -> Response:
    """The document's "Session Id Expired or Paid" page."""
    body = render_template(
        "h5/closed.html",
        merchant_name=session.merchant_name,
        wallet=wallet_of(box, request.user_agent.string),
        reason=box.sessions.closed_reason(session),
    )
    return make_response(body, status)


def _missing() -> Response:
    return make_response(render_template("h5/missing.html"), 404)
