"""The hosted payment page at paymentUrl, its sandbox actions and result pages.

Server-rendered; the only script is the countdown (a static file, allowed by
the Content-Security-Policy). Every POST carries a token bound to its
transaction and must come from the page itself (Sec-Fetch-Site / Origin), so
another site cannot pay, fail or cancel a payment in the payer's browser.
After an action the browser is sent (303, a GET) to the merchant's returnUrl
with the result, or back to the page, which then shows the result.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, make_response, redirect, render_template, request
from werkzeug.wrappers import Response

from mockpms import cards
from mockpms.cards import CardError
from mockpms.checkout import CardForm, Checkout, WalletAction, return_url_with_result
from mockpms.fence import SandboxReset
from mockpms.i18n import DEFAULT_LANG, Texts, format_amount, texts
from mockpms.lifecycle import InvalidTransition
from mockpms.models import Transaction, TxStatus
from mockpms.qr import qr_data_uri
from mockpms.urls import PAYMENT_PAGE
from mockpms.views._web import base_url, form_token_ok, sandbox, secure_page
from mockpms.views._web import form_token as _form_token

bp = Blueprint("pages", __name__)

WALLET_PAGE = PAYMENT_PAGE + "/wallet"
# A desktop wallet page reloads itself this often, as PMS's page polls, so a
# payment confirmed on the phone that scanned the QR code moves the desktop on.
POLL_SECONDS = 10
_TOKEN = re.compile(r"[0-9A-Fa-f]{16,128}")
_MOBILE = re.compile(
    r"Mobi|Android|iPhone|iPad|iPod|Windows Phone|MicroMessenger|AlipayClient|HarmonyOS",
    re.IGNORECASE,
)
_CSP_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


# ------------------------------------------------------------------ routes


@bp.get(PAYMENT_PAGE)
def payment_page() -> Response:
    found = _transaction()
    if found is None:
        return _not_found()
    txn, checkout = found
    if _finished(txn, checkout):
        if request.args.get("poll") and txn.return_url:
            return _redirect(return_url_with_result(txn.return_url, txn))
        return _render_result(txn, checkout)
    return _render_payment(txn, checkout)


@bp.post(PAYMENT_PAGE)
def payment_action() -> Response:
    found = _transaction()
    if found is None:
        return _not_found()
    txn, checkout = found
    if not _genuine_post(txn):
        return _forbidden(txn)
    if _finished(txn, checkout):  # a stale tab or a second click: the one outcome stands
        return _finish(txn)
    gateway = checkout.gateway(txn)
    action = request.form.get("action", "")
    try:
        if action == WalletAction.CANCEL.value:
            checkout.payer_cancel(txn)
        elif gateway.is_card and action == "card":
            checkout.card(txn, _card_form())
        elif not gateway.is_card and action in (WalletAction.PAY.value, WalletAction.FAIL.value):
            checkout.wallet(txn, WalletAction(action))
        else:
            return _redirect(_page_url(txn))
    except CardError as error:
        return _render_payment(txn, checkout, error=error)
    except InvalidTransition:
        pass  # finished already (another tab, a double click): its one outcome stands
    except SandboxReset:  # wiped while the payer pressed the button
        return _not_found()
    return _finish(txn)


@bp.get(WALLET_PAGE)
def wallet_page() -> Response:
    """What the QR code opens: the wallet app's confirm screen, simulated."""
    found = _transaction()
    if found is None or found[1].gateway(found[0]).is_card:
        return _not_found()
    txn, checkout = found
    if _finished(txn, checkout):
        return _render_result(txn, checkout, wallet_screen=_via() != "app")
    return _page("pages/wallet_app.html", txn, checkout, via=_via())


@bp.post(WALLET_PAGE)
def wallet_action() -> Response:
    found = _transaction()
    if found is None:
        return _not_found()
    txn, checkout = found
    if not _genuine_post(txn):
        return _forbidden(txn)
    action = {"confirm": WalletAction.PAY, "refuse": WalletAction.FAIL}.get(
        request.form.get("action", "")
    )
    if action is not None and not checkout.gateway(txn).is_card:
        with contextlib.suppress(InvalidTransition, SandboxReset):  # finished or wiped
            checkout.wallet(txn, action)
    if _via() == "app":  # the wallet app hands the payer back to the browser
        return _finish(txn)
    return _redirect(f"{WALLET_PAGE}?value={txn.token}")


# ----------------------------------------------------------------- helpers


def _transaction() -> tuple[Transaction, Checkout] | None:
    token = request.args.get("value", "")
    if not _TOKEN.fullmatch(token):
        return None
    box = sandbox()
    txn = box.lifecycle.transaction_by_token(token.upper())
    if txn is None:
        return None
    return txn, box.checkout


def _finished(txn: Transaction, checkout: Checkout) -> bool:
    return txn.status.is_final or checkout.awaiting_issuer(txn)


def _via() -> str:
    return "app" if request.values.get("via") == "app" else ""


def _card_form() -> CardForm:
    form = request.form
    return CardForm(
        number=form.get("number", "")[:64],
        expiry=form.get("expiry", "")[:16],
        cvc=form.get("cvc", "")[:8],
        name=form.get("name", "")[:128],
    )


def _kept_fields() -> dict[str, str]:
    """What a re-rendered card form shows again: never the card number or the CVC."""
    return {
        "expiry": request.form.get("expiry", "")[:16],
        "name": request.form.get("name", "")[:128],
    }


def _page_url(txn: Transaction) -> str:
    return f"{PAYMENT_PAGE}?value={txn.token}"


def _finish(txn: Transaction) -> Response:
    """After an action: the merchant's returnUrl with the result, else our result page."""
    if txn.return_url:
        return _redirect(return_url_with_result(txn.return_url, txn))
    return _redirect(_page_url(txn))


def _redirect(location: str) -> Response:
    return _secure(redirect(location, code=303), None)


def is_mobile(user_agent: str) -> bool:
    """PMS renders a PC or a mobile page depending on the User-Agent."""
    return bool(_MOBILE.search(user_agent or ""))


# ------------------------------------------------------------ cross-site posts


def form_token(txn: Transaction) -> str:
    """The token every form of this transaction's pages carries (bound to its page token)."""
    return _form_token("pms-page:" + txn.token)


def _genuine_post(txn: Transaction) -> bool:
    """Sent by a form of this transaction's own page, not by another site."""
    if not form_token_ok("pms-page:" + txn.token):
        return False
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser (curl, a test client); the token still had to match
    allowed = {request.host_url.rstrip("/"), _origin(base_url())}
    return origin in allowed


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# ----------------------------------------------------------------- rendering


def _render_payment(
    txn: Transaction, checkout: Checkout, *, error: CardError | None = None, status: int = 200
) -> Response:
    gateway = checkout.gateway(txn)
    mobile = is_mobile(request.headers.get("User-Agent", ""))
    box = sandbox()
    extra: dict[str, Any] = {
        "seconds_left": max(0, int(txn.expires_at - box.clock.now(txn.api_key))),
        "poll_url": f"{PAYMENT_PAGE}?value={txn.token}&poll=1",
    }
    sandbox().lifecycle.page_opened(txn, mobile=mobile, lang=txn.lang)
    if gateway.is_card:
        extra.update(
            test_cards=cards.cards_for(gateway.brands),
            accepted=" / ".join(gateway.brands),
            error=error,
            error_text=texts(txn.lang).t(error.reason, **error.params) if error else "",
            kept=_kept_fields() if error else {},
        )
        return _page("pages/card.html", txn, checkout, status=status, **extra)
    wallet_url = f"{base_url()}{WALLET_PAGE}?value={txn.token}"
    extra.update(
        qr=None if mobile else qr_data_uri(wallet_url),
        app_url=f"{WALLET_PAGE}?value={txn.token}&via=app",
        refresh=None if mobile else POLL_SECONDS,
    )
    return _page("pages/wallet.html", txn, checkout, status=status, **extra)


def _render_result(
    txn: Transaction, checkout: Checkout, *, wallet_screen: bool = False
) -> Response:
    state = "pending" if txn.status is TxStatus.PENDING else txn.status.value
    return _page(
        "pages/result.html",
        txn,
        checkout,
        state=state,
        wallet_screen=wallet_screen,
        back_url=return_url_with_result(txn.return_url, txn) if txn.return_url else None,
    )


def _page(
    template: str, txn: Transaction, checkout: Checkout, *, status: int = 200, **context: Any
) -> Response:
    t = texts(txn.lang)
    gateway = checkout.gateway(txn)
    html = render_template(
        template,
        t=t,
        txn=txn,
        gateway=gateway,
        wallet=gateway.name_in(t.lang),
        amount=format_amount(txn.amt, txn.ccy),
        seller=txn.seller,
        subject=txn.subject,
        mobile=is_mobile(request.headers.get("User-Agent", "")),
        csrf=form_token(txn),
        page_url=_page_url(txn),
        wallet_page=f"{WALLET_PAGE}?value={txn.token}",
        **context,
    )
    return _secure(make_response(html, status), txn.return_url)


def _not_found() -> Response:
    t = _texts_for_browser()
    html = render_template(
        "pages/error.html", t=t, title=t.t("not_found"), note=t.t("not_found_note"), mobile=False
    )
    return _secure(make_response(html, 404), None)


def _forbidden(txn: Transaction) -> Response:
    t = texts(txn.lang)
    html = render_template(
        "pages/error.html", t=t, title=t.t("forbidden"), note=t.t("forbidden_note"), mobile=False
    )
    return _secure(make_response(html, 403), None)


def _texts_for_browser() -> Texts:
    """No transaction to take the language from: the browser's preference."""
    wanted = request.accept_languages.best_match(["zh-HK", "zh-TW", "zh-CN", "zh", "en"])
    lang = {"zh-HK": "zh_hk", "zh-TW": "zh_hk", "zh-CN": "zh_cn", "zh": "zh_cn", "en": "en"}
    return texts(lang.get(wanted or "", DEFAULT_LANG))


def _secure(response: Response, return_url: str | None) -> Response:
    """Headers every page gets: a strict CSP, no caching, no framing, and no Referer
    (it holds the page token) sent to another site.

    form-action must also allow the returnUrl's origin: Chromium applies it to
    the redirect that follows a form submission.
    """
    form_action = "'self'"
    if return_url:
        form_action += " " + _csp_source(return_url)
    return secure_page(response, form_action=form_action)


def _csp_source(url: str) -> str:
    """scheme://host[:port] of a URL, or just the scheme when the host is odd."""
    parts = urlsplit(url)
    scheme = parts.scheme if parts.scheme in ("http", "https") else "https"
    host = parts.netloc.rpartition("@")[2]
    if _CSP_HOST.fullmatch(host):
        return f"{scheme}://{host}"
    return f"{scheme}:"
