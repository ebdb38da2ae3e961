"""The Flask application factory: wires a Sandbox to the PMS, page and control views."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from mockpms.clock import Clock
from mockpms.config import Settings
from mockpms.errors import ControlError, HttpError, PmsError
from mockpms.sandbox import Sandbox
from mockpms.store import Store

EXTENSION = "mockpms"


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
) -> Flask:
    settings = settings or Settings()
    app = Flask(__name__)
    app.url_rule_class = LazyBuildRule
    app.json = provider = JsonProvider(app)
    provider.sort_keys = False  # keep the document's field order
    provider.ensure_ascii = False
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.extensions[EXTENSION] = Sandbox(settings, store=store, clock=clock)

    from mockpms.drop import DropMiddleware
    from mockpms.views import (
        control,
        control_admin,
        control_sessions,
        control_transactions,
        control_webhooks,
        dashboard,
        h5,
        pages,
        pms,
    )

    pms.register(app)
    app.register_blueprint(control.bp)
    app.register_blueprint(control_sessions.bp)
    app.register_blueprint(control_webhooks.bp)
    app.register_blueprint(h5.bp)
    app.register_blueprint(control_transactions.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(control_admin.bp)
    app.register_blueprint(dashboard.bp)
    if settings.admin_token:  # no per-request cost for the open sandbox
        app.before_request(control_admin.admin_guard)
    app.wsgi_app = DropMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    _register_error_handlers(app)
    return app


class JsonProvider(DefaultJSONProvider):
    """Readable UTF-8 JSON, except where text holds a lone surrogate.

    A lone UTF-16 surrogate (a JSON body may carry "\\ud800") cannot be encoded as
    UTF-8; echoed as is it would make the answer fail with a 500. Such text is
    escaped as \\uXXXX instead. Validation refuses it in stored fields; this is
    the guarantee for every other echo (error messages, control API).
    """

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        text = super().dumps(obj, **kwargs)
        if not text.isascii() and _SURROGATE.search(text):
            return super().dumps(obj, **{**kwargs, "ensure_ascii": True})
        return text


_SURROGATE = re.compile("[\ud800-\udfff]")


class LazyBuildRule(Rule):
    """A werkzeug Rule that compiles its URL builder on first url_for, not when added.

    werkzeug generates and compiles Python code for two builders per rule as it is
    added (about 2 ms a rule here); mockpms has dozens of rules and builds URLs for
    a few, so compiling on demand takes that off every start-up.
    """

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compiled: list[Callable[..., tuple[str, str]]] = []

        def build(rule: Rule, **values: Any) -> tuple[str, str]:
            if not compiled:
                compiled.append(Rule._compile_builder(rule, append_unknown).__get__(rule, None))
            return compiled[0](**values)

        return build


def sandbox() -> Sandbox:
    """The Sandbox of the app handling the current request."""
    found: Sandbox = current_app.extensions[EXTENSION]
    return found


def base_url() -> str:
    """Base for paymentUrl and H5 content: --public-url, else the request's own host."""
    configured = sandbox().settings.public_url
    return configured if configured else request.host_url.rstrip("/")


def envelope(error_code: str, message: str, status: int = 200) -> tuple[Response, int]:
    return jsonify({"errorCode": error_code, "errorMessage": message}), status


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(PmsError)
    def _pms_error(error: PmsError) -> Any:
        return envelope(error.error_code, error.message)

    @app.errorhandler(HttpError)
    def _http_error(error: HttpError) -> Any:
        return envelope("40002", error.message, error.status)

    @app.errorhandler(ControlError)
    def _control_error(error: ControlError) -> Any:
        return jsonify({"error": error.message, "status": error.status}), error.status

    @app.errorhandler(HTTPException)
    def _werkzeug_error(error: HTTPException) -> Any:
        status = error.code or 500
        message = _HTTP_MESSAGES.get(status, error.description or error.name)
        if status == 405:
            message = f"{request.method} is not allowed on {request.path}; " + message
        if status == 404:
            message = f"no such endpoint: {request.path}; " + message
        if request.path.startswith("/_mock"):
            return jsonify({"error": message, "status": status}), status
        return envelope("40002", message, status)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:  # never a traceback to the client
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return envelope("40002", f"internal error in mockpms: {type(error).__name__}", 500)


_HTTP_MESSAGES = {
    404: "PMS endpoints are POST /tt-pms-ws/rest/online/gateway, online/sales, online/query "
    "and h5Payment/session/create, /query, /cancel (also under /tt-pms-ws/ and /)",
    405: "PMS endpoints take POST with a JSON body",
    413: "the request body is larger than the limit (--max-body)",
    415: "send the body as JSON with Content-Type: application/json",
}
