"""The Flask application factory: wires a Sandbox to the PMS, page and control views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from mockpms import jsontext
from mockpms.clock import Clock
from mockpms.config import Settings
from mockpms.endpoints import listing as endpoint_listing
from mockpms.endpoints import undescribed
from mockpms.errors import ControlError, HttpError, PmsError
from mockpms.sandbox import Sandbox
from mockpms.store import Store
from mockpms.views._web import (
    EXTENSION,
    begin_request,
    end_request,
    install_form_key,
    render_error,
)


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    clock: Clock | None = None,
) -> Flask:
    settings = settings or Settings()
    app = SyncFlask(__name__)
    app.url_rule_class = LazyBuildRule
    app.json = JsonProvider(app)  # the document's field order, UTF-8 (jsontext.dumps)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body
    app.extensions[EXTENSION] = Sandbox(settings, store=store, clock=clock)
    install_form_key(app)
    app.before_request(begin_request)
    app.teardown_request(end_request)

    from mockpms.drop import DropMiddleware
    from mockpms.views import (
        control,
        control_admin,
        control_merchants,
        control_notifications,
        control_sessions,
        control_transactions,
        control_webhooks,
        dashboard,
        guard,
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
    app.register_blueprint(control_notifications.bp)
    app.register_blueprint(control_merchants.bp)
    app.register_blueprint(dashboard.bp)
    guard.install(app)
    if settings.admin_token:  # no per-request cost for the open sandbox
        app.before_request(control_admin.admin_guard)
    app.wsgi_app = DropMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    _register_error_handlers(app)
    return app


class SyncFlask(Flask):
    """Flask, told that every view and hook here is synchronous.

    Flask asks `inspect` whether each view and each request hook is a coroutine on
    every request (five calls a PMS request); mockpms has no async view, so the
    answer is fixed.
    """

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return func


class JsonProvider(DefaultJSONProvider):
    """Readable UTF-8 JSON in the document's field order: jsontext.dumps, the one encoder."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", self.default)
        return jsontext.dumps(obj, **kwargs)


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


def _register_error_handlers(app: Flask) -> None:
    """One path for every error: typed errors through views._web.render_error, werkzeug's
    HTTP errors in the same shapes, and anything unexpected as a 500 without a traceback."""

    @app.errorhandler(PmsError)
    @app.errorhandler(HttpError)
    @app.errorhandler(ControlError)
    def _typed_error(error: PmsError | HttpError | ControlError) -> Response:
        return render_error(error)

    @app.errorhandler(HTTPException)
    def _werkzeug_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = _HTTP_MESSAGES.get(status, error.description or error.name)
        allowed = ", ".join(sorted(getattr(error, "valid_methods", None) or ()))
        if status == 405:
            hint = f"use {allowed}" if request.path.startswith("/_mock") else message
            message = f"{request.method} is not allowed on {request.path}; {hint}"
        if status == 404:
            message = undescribed(request.path) or f"no such endpoint: {request.path}; " + message
        response = render_error(HttpError(status, message))
        if status == 405 and allowed:
            response.headers["Allow"] = allowed
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:  # never a traceback to the client
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return render_error(HttpError(500, f"internal error in mockpms: {type(error).__name__}"))


_HTTP_MESSAGES = {
    404: f"PMS endpoints are POST {endpoint_listing()}",
    405: "PMS endpoints take POST with a JSON body",
    413: "the request body is larger than the limit (--max-body)",
    415: "send the body as JSON with Content-Type: application/json",
}
