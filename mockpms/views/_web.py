"""What every view module needs of the web layer, written once.

The current request's Sandbox, the base URL of our pages, the PMS envelope and
the control-API error, strict JSON decoding, per-app form tokens and the
security headers of the HTML pages. Views import this leaf module, never the
app factory.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TypeVar

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.wrappers import Response as BaseResponse

from mockpms import fence, urls
from mockpms.errors import ControlError, HttpError, PmsError, envelope
from mockpms.sandbox import Sandbox

EXTENSION = "mockpms"
BaseResponseT = TypeVar("BaseResponseT", bound=BaseResponse)
FORM_KEY = "MOCKPMS_FORM_KEY"

# Scripts and styles come only from our own /static; no inline code at all.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
)


def sandbox() -> Sandbox:
    """The Sandbox of the app handling the current request."""
    found: Sandbox = current_app.extensions[EXTENSION]
    return found


def base_url() -> str:
    """Base for paymentUrl and H5 content: --public-url, else the request's own host."""
    return urls.base_url(sandbox().settings.public_url, request.scheme, request.host)


# ---------------------------------------------------------------- answers


def pms_error(error: PmsError | HttpError) -> Response:
    """The PMS envelope of an error on a PMS path (refused before the PMS view: a 404 or
    405); kept on `g` for the request log."""
    status, answer = envelope(error)
    g.pms_answer = answer
    response = jsonify(answer)
    response.status_code = status
    return response


def control_error(message: str, status: int) -> Response:
    """The control API's error: `{"error", "status"}` with that HTTP status."""
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    return response


def is_control_path() -> bool:
    return urls.is_control_path(request.path)


def render_error(error: PmsError | HttpError | ControlError) -> Response:
    """The one renderer of typed errors: the control API's shape on /_mock, else PMS's."""
    if isinstance(error, ControlError):
        return control_error(error.message, error.status)
    if is_control_path():
        status = error.status if isinstance(error, HttpError) else 409
        return control_error(error.message, status)
    return pms_error(error)


# ------------------------------------------------------------------- forms


def begin_request() -> None:
    """before_request: this request is work of the sandbox generation it arrived in."""
    g.fence_token = fence.enter(sandbox().fence.current)


def end_request(error: BaseException | None) -> None:
    token = g.pop("fence_token", None)
    if token is not None:
        fence.leave(token)


def install_form_key(app: Flask) -> None:
    """A secret per app for the forms' tokens; a restart invalidates open pages' forms."""
    app.config.setdefault(FORM_KEY, secrets.token_bytes(32))


def form_token(purpose: str) -> str:
    """The token a form for `purpose` carries: another origin cannot read or forge it."""
    key: bytes = current_app.config[FORM_KEY]
    return hmac.new(key, purpose.encode(), hashlib.sha256).hexdigest()


def form_token_ok(purpose: str) -> bool:
    sent = request.form.get("csrf", "")
    return hmac.compare_digest(sent.encode(), form_token(purpose).encode())


def secure_page(
    response: BaseResponseT,
    *,
    policy: str | None = None,
    form_action: str = "'self'",
    referrer: str = "same-origin",
) -> BaseResponseT:
    """Headers every HTML page gets: a strict CSP, no caching, no framing, no sniffing.

    Referrer-Policy differs by page on purpose: the payment page keeps its token
    off other sites, the dashboard needs same-origin for its Origin checks.
    """
    response.headers["Content-Security-Policy"] = policy or PAGE_POLICY.format(
        form_action=form_action
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = referrer
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    return response
