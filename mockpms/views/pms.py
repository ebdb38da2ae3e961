"""The PMS endpoints (mockpms.endpoints), under the three path prefixes the document uses.

Each handler parses through the field-spec table, calls the domain once and
returns the answer; errors are raised as typed PmsError/HttpError and rendered
by the app's one handler (views._web.render_error). Authentication, faults and
the journal are the same for every endpoint and live in `_view` and `_journal`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Request, Response, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from mockpms import endpoints
from mockpms.config import Merchant
from mockpms.drop import ENVIRON_KEY as DROP_KEY
from mockpms.drop import drop_connection
from mockpms.errors import AuthError, HttpError, InvalidField
from mockpms.events import RequestEvent
from mockpms.faults import Fault
from mockpms.journal import kept_body
from mockpms.qr import qr_data_uri
from mockpms.sandbox import Sandbox
from mockpms.signing import verify
from mockpms.urls import h5_url, payment_url
from mockpms.validation import Body, read, sale_request, session_request
from mockpms.views._web import base_url, decode_json, pms_answer, sandbox

SALES_MESSAGES = {"zh_hk": "成功", "zh_cn": "成功", "en": "success"}


@dataclass(frozen=True)
class Call:
    """One authenticated PMS call: who is calling and what they sent."""

    sandbox: Sandbox
    merchant: Merchant
    body: Body


Handler = Callable[[Call], dict[str, Any]]


def online_gateway(call: Call) -> dict[str, Any]:
    lang = read(call.body, endpoints.GATEWAY.request)["lang"] or "zh_hk"
    return {
        "extendParam": "",
        "gateways": [g.to_pms_json(lang) for g in call.sandbox.gateways],
        "errorCode": "0",
        "errorMessage": "no error",
    }


def online_sales(call: Call) -> dict[str, Any]:
    sale = sale_request(call.body, call.sandbox.gateways.types)
    txn = call.sandbox.lifecycle.create_sale(call.merchant, sale)
    return txn.to_sales_json(payment_url(base_url(), txn.token), SALES_MESSAGES[txn.lang])


def online_query(call: Call) -> dict[str, Any]:
    query = read(call.body, endpoints.QUERY.request, call.sandbox.gateways.types)
    txn = call.sandbox.lifecycle.find_transaction(
        call.merchant, query["rrn"], query["type"], query["store_code"]
    )
    return txn.to_query_json(query["lang"])


def session_create(call: Call) -> dict[str, Any]:
    session = call.sandbox.sessions.create(call.merchant, session_request(call.body))
    url = h5_url(base_url(), session.token)
    return session.to_create_json(qr_data_uri(url) if session.bitmap else url)


def session_query(call: Call) -> dict[str, Any]:
    session_id = read(call.body, endpoints.SESSION_QUERY.request)["session_id"]
    sessions = call.sandbox.sessions
    return dict(sessions.query_answer(sessions.find(call.merchant, session_id)))


def session_cancel(call: Call) -> dict[str, Any]:
    session_id = read(call.body, endpoints.SESSION_CANCEL.request)["session_id"]
    session = call.sandbox.sessions.find(call.merchant, session_id)
    call.sandbox.sessions.cancel(session)
    return {"errorCode": "0", "errorMessage": "no error", "sessionId": session.session_id}


HANDLERS: dict[str, Handler] = {
    endpoints.GATEWAY.name: online_gateway,
    endpoints.SALES.name: online_sales,
    endpoints.QUERY.name: online_query,
    endpoints.SESSION_CREATE.name: session_create,
    endpoints.SESSION_QUERY.name: session_query,
    endpoints.SESSION_CANCEL.name: session_cancel,
}


def parse_body() -> dict[str, Any]:
    """The request's JSON object, or an HttpError saying what is wrong with it."""
    content_type = request.environ.get("CONTENT_TYPE", "")
    # Fast path for the usual header; parsing it in full costs as much as the JSON.
    if content_type != "application/json" and request.mimetype != "application/json":
        shown = request.content_type or "none"
        raise HttpError(
            415, f"Content-Type must be application/json (got {shown}); send the body as JSON"
        )
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise HttpError(
            413, f"the body is larger than the limit of {sandbox().settings.max_body} bytes"
        ) from None
    try:
        data = decode_json(raw)
    except UnicodeDecodeError:
        raise HttpError(400, "the body is not UTF-8 text; send UTF-8 encoded JSON") from None
    except ValueError as exc:
        raise HttpError(400, f"the body is not valid JSON ({_short(exc)})") from None
    if not isinstance(data, dict):
        raise HttpError(
            400, "the body must be a JSON object with apiKey, timestamp, sign and the fields"
        )
    return data


def _short(exc: Exception) -> str:
    return str(exc)[:120] if str(exc) else type(exc).__name__


def authenticate(box: Sandbox, body: Body) -> Merchant:
    data = body.data
    api_key = data.get("apiKey")
    if not isinstance(api_key, str) or not api_key:
        raise InvalidField("apiKey", "mandatory string is missing or empty")
    merchant = box.merchants.get(api_key)
    if merchant is None:
        raise AuthError(
            f"apiKey: {api_key[:64]!r} is not a known apiKey; use the apiKey issued with your "
            f"secret (mockpms prints its sandbox credentials at start)",
            field="apiKey",
            reason="unknown-api-key",
        )
    if data.get("timestamp") in (None, ""):
        raise body.missing("timestamp")
    verify(
        timestamp=data.get("timestamp"),
        signature=data.get("sign"),
        secret=merchant.secret,
        now_ms=box.clock.wall_ms(),
        tolerance_seconds=box.settings.timestamp_tolerance,
    )
    return merchant


@dataclass
class Received:
    """What the journal needs of a PMS call (kept on `g` until the answer is rendered)."""

    endpoint: str
    started: float
    fault: Fault | None
    data: dict[str, Any] | None = None


def _view(endpoint: str, handler: Handler) -> Callable[[], Response]:
    spelled = endpoints.BY_NAME[endpoint].spelled

    def view() -> Response:
        box = sandbox()
        received = Received(endpoint, time.perf_counter(), None)
        g.pms_received = received
        try:
            received.data = parse_body()
        except HttpError:
            received.fault = box.faults.take(endpoint)  # no apiKey to read: global faults
            if received.fault is not None:
                _inject(received.fault)
            raise
        # A merchant's own faults come first; a request without a readable apiKey meets
        # only global ones (CONTRACT 17).
        received.fault = box.faults.take(endpoint, _text_of(received.data, "apiKey"))
        if received.fault is not None:
            _inject(received.fault)
        body = Body(received.data)
        answer = handler(Call(box, authenticate(box, body), body))
        box.fence.check()  # a reset answered meanwhile: this request's answer is void
        return pms_answer(spelled(answer, box.settings.field_names))

    view.__name__ = "pms_" + endpoint.replace("/", "_")
    return view


def _inject(fault: Fault) -> None:
    """Apply an injected fault: wait, then answer with its error or drop the connection."""
    if fault.delay_ms:
        time.sleep(fault.delay_ms / 1000)
    if fault.drop:
        drop_connection(request.environ)
        raise HttpError(502, "connection dropped (fault injected through /_mock/faults)")
    error = fault.error()
    if error is not None:
        raise error


def journal(response: Response) -> Response:
    """after_request: record the PMS call in the journal (GET /_mock/requests).

    The body's bytes are kept (cut at the journal's limit) and shown without any
    sign when read; the parsed body gives only the fields the journal filters on.
    """
    # Every proxy lookup (request, g) costs a context-variable read: one each, here.
    state = g._get_current_object()
    received: Received | None = getattr(state, "pms_received", None)
    answer: dict[str, Any] | None = getattr(state, "pms_answer", None)
    if received is None or answer is None:
        return response
    box = sandbox()
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    try:
        body: Any = kept_body(req.get_data(cache=True))  # already read: no copy below the cut
    except HTTPException:  # over --max-body: never read it
        body = f"(not read: {req.content_length} bytes is over the limit)"
    data = received.data or {}
    api_key, rrn = _text_of(data, "apiKey"), _text_of(data, "rrn")
    session_id = _text_of(data, "sessionId")
    dropped = bool(req.environ.get(DROP_KEY))
    status = None if dropped else state.pms_status
    error_code = None if dropped else answer.get("errorCode")
    now = box.clock.now(api_key)
    recorded = box.journal.record(
        generation=box.fence.began(),
        time=now,
        method=req.method,
        path=req.path,
        endpoint=received.endpoint,
        api_key=api_key,
        rrn=rrn,
        session_id=session_id,
        body=body,
        status=status,
        error_code=error_code,
        error_message=None if dropped else answer.get("errorMessage"),
        duration_ms=(time.perf_counter() - received.started) * 1000,
        fault=received.fault.to_json() if received.fault is not None else None,
    )
    if recorded is not None:  # not a request of a wiped sandbox
        box.events.emit(
            RequestEvent(
                endpoint=received.endpoint,
                api_key=api_key,
                error_code=error_code,
                reason=getattr(state, "pms_reason", None),
                rrn=rrn,
                session_id=session_id,
                at=now,
                status=status,
                journal_id=recorded.id,
            )
        )
    return response


def _text_of(data: dict[str, Any], name: str) -> str | None:
    """A string field of the parsed body, for the journal's filters (None otherwise)."""
    value = data.get(name)
    return value[:128] if isinstance(value, str) else None


def register(app: Flask) -> None:
    """One route per endpoint and prefix; every endpoint of the registry has a handler."""
    missing = [e.name for e in endpoints.ENDPOINTS if e.name not in HANDLERS]
    if missing:  # a registry entry without a handler: fail at start, not with a 404
        raise RuntimeError(f"no handler for PMS endpoint(s) {', '.join(missing)}")
    for endpoint in endpoints.ENDPOINTS:
        view = _view(endpoint.name, HANDLERS[endpoint.name])
        for path in endpoint.paths():
            # No automatic OPTIONS: every answer on a PMS path is the JSON envelope (405).
            app.add_url_rule(
                path,
                endpoint=f"pms{path}",
                view_func=view,
                methods=["POST"],
                provide_automatic_options=False,
            )
    app.after_request(journal)
