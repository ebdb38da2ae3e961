"""One PMS call, from the bytes received to the bytes answered, without a web framework.

Both ways in reach the PMS endpoints through this module alone:
- the Flask view (views/pms.py), for waitress, the pytest fixture and Flask's
  test client;
- the direct path of `mockpms serve` on granian (granian_server.py), which
  answers a PMS POST on its event loop without building a WSGI environ or a
  Flask request: the framework costs several times what the call itself does.

A call runs in two steps around an injected fault's delay (`begin`, then
`finish`), so a server with an event loop waits without holding a thread, and
a threaded one sleeps (`run`). Authentication, faults, the answer's JSON, the
journal and the request event are the same for every endpoint and live here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mockpms import endpoints
from mockpms.config import Merchant
from mockpms.endpoints import Endpoint
from mockpms.errors import AuthError, HttpError, InvalidField, PmsError, body_too_large, envelope
from mockpms.events import RequestEvent
from mockpms.faults import Fault
from mockpms.journal import kept_body
from mockpms.jsontext import answer_bytes, decode_json
from mockpms.qr import qr_data_uri
from mockpms.sandbox import Sandbox
from mockpms.signing import verify
from mockpms.urls import h5_url, payment_url
from mockpms.validation import Body, read, sale_request, session_request

log = logging.getLogger("mockpms")

SALES_MESSAGES = {"zh_hk": "成功", "zh_cn": "成功", "en": "success"}
JSON = "application/json"


@dataclass(frozen=True)
class Call:
    """One authenticated PMS call: who is calling, what they sent, where our pages are."""

    sandbox: Sandbox
    merchant: Merchant
    body: Body
    base_url: str


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
    return txn.to_sales_json(payment_url(call.base_url, txn.token), SALES_MESSAGES[txn.lang])


def online_query(call: Call) -> dict[str, Any]:
    query = read(call.body, endpoints.QUERY.request, call.sandbox.gateways.types)
    txn = call.sandbox.lifecycle.find_transaction(
        call.merchant, query["rrn"], query["type"], query["store_code"]
    )
    return txn.to_query_json(query["lang"])


def session_create(call: Call) -> dict[str, Any]:
    session = call.sandbox.sessions.create(call.merchant, session_request(call.body))
    url = h5_url(call.base_url, session.token)
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


# ------------------------------------------------------------------ the call


@dataclass(frozen=True)
class Incoming:
    """What a server hands over of a PMS request (the path already names an endpoint)."""

    method: str
    path: str
    content_type: str  # the header as sent; "" when there is none
    body: bytes
    base_url: str  # where paymentUrl and H5 content point
    over_limit: int | None = None  # the Content-Length, when it is over --max-body (unread)


@dataclass(frozen=True)
class Answer:
    """The outcome: an HTTP status and the PMS document, or a connection to drop."""

    status: int
    document: dict[str, Any] | None  # None: drop the connection without a byte

    @property
    def dropped(self) -> bool:
        return self.document is None

    @property
    def body(self) -> bytes:
        return answer_bytes(self.document) if self.document is not None else b""


def parse_body(incoming: Incoming, max_body: int) -> dict[str, Any]:
    """The request's JSON object, or an HttpError saying what is wrong with it."""
    content_type = incoming.content_type
    # Fast path for the usual header; parsing it in full costs as much as the JSON.
    if content_type != JSON and content_type.partition(";")[0].strip().lower() != JSON:
        shown = content_type or "none"
        raise HttpError(
            415, f"Content-Type must be application/json (got {shown}); send the body as JSON"
        )
    if incoming.over_limit is not None:
        raise body_too_large(max_body)
    try:
        data = decode_json(incoming.body)
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


class PmsCall:
    """One PMS call: `begin` (read the body, take a fault), wait its delay, `finish`.

    Run it as work of the sandbox generation it arrived in (fence.entered); the
    answer is journaled and announced by `finish`, whatever it is.
    """

    def __init__(self, box: Sandbox, endpoint: Endpoint, incoming: Incoming) -> None:
        self.box = box
        self.endpoint = endpoint
        self.incoming = incoming
        self.started = time.perf_counter()
        self.data: dict[str, Any] | None = None
        self.fault: Fault | None = None
        self._unreadable: HttpError | None = None

    def begin(self) -> Fault | None:
        """Read the body and take the fault armed for this call; the caller waits its delay."""
        faults = self.box.faults
        try:
            self.data = parse_body(self.incoming, self.box.settings.max_body)
        except HttpError as error:
            self._unreadable = error
            self.fault = faults.take(self.endpoint.name)  # no apiKey to read: global faults
            return self.fault
        # A merchant's own faults come first; a request without a readable apiKey meets
        # only global ones (CONTRACT 17).
        self.fault = faults.take(self.endpoint.name, _text_of(self.data, "apiKey"))
        return self.fault

    def finish(self) -> Answer:
        """The answer (or the drop), journaled and announced."""
        reason: str | None = None
        try:
            answer = self._answer()
        except (PmsError, HttpError) as error:
            reason = error.reason if isinstance(error, PmsError) else None
            answer = Answer(*envelope(error))
        except Exception as error:  # never a traceback to the client
            log.exception("unexpected error on %s %s", self.incoming.method, self.incoming.path)
            message = f"internal error in mockpms: {type(error).__name__}"
            answer = Answer(500, {"errorCode": "40002", "errorMessage": message})
        self._journal(answer, reason)
        return answer

    def run(self) -> Answer:
        """Both steps, sleeping through a delay: for a server that gives each request a thread."""
        fault = self.begin()
        if fault is not None and fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
        return self.finish()

    def _answer(self) -> Answer:
        fault = self.fault
        if fault is not None:
            if fault.drop:
                return Answer(502, None)
            error = fault.error()
            if error is not None:
                raise error
        if self._unreadable is not None:
            raise self._unreadable
        box = self.box
        body = Body(self.data or {})
        call = Call(box, authenticate(box, body), body, self.incoming.base_url)
        document = HANDLERS[self.endpoint.name](call)
        box.fence.check()  # a reset answered meanwhile: this request's answer is void
        return Answer(200, self.endpoint.spelled(document, box.settings.field_names))

    def _journal(self, answer: Answer, reason: str | None) -> None:
        """Record the call in the journal (GET /_mock/requests) and announce it.

        The body's bytes are kept (cut at the journal's limit) and shown without any
        sign when read; the parsed body gives only the fields the journal filters on.
        """
        box, incoming = self.box, self.incoming
        over = incoming.over_limit
        body: Any = kept_body(incoming.body) if over is None else _unread_over_limit(over)
        data = self.data or {}
        api_key, rrn = _text_of(data, "apiKey"), _text_of(data, "rrn")
        session_id = _text_of(data, "sessionId")
        document = answer.document or {}
        status = None if answer.dropped else answer.status
        error_code = document.get("errorCode")
        now = box.clock.now(api_key)
        duration_ms = (time.perf_counter() - self.started) * 1000
        recorded = box.journal.record(
            generation=box.fence.began(),
            time=now,
            method=incoming.method,
            path=incoming.path,
            endpoint=self.endpoint.name,
            api_key=api_key,
            rrn=rrn,
            session_id=session_id,
            body=body,
            status=status,
            error_code=error_code,
            error_message=document.get("errorMessage"),
            duration_ms=duration_ms,
            fault=self.fault.to_json() if self.fault is not None else None,
        )
        if recorded is not None:  # not a request of a wiped sandbox
            box.events.emit(
                RequestEvent(
                    endpoint=self.endpoint.name,
                    api_key=api_key,
                    error_code=error_code,
                    reason=reason,
                    rrn=rrn,
                    session_id=session_id,
                    at=now,
                    status=status,
                    journal_id=recorded.id,
                    method=incoming.method,
                    path=incoming.path,
                    duration_ms=duration_ms,
                )
            )


def _text_of(data: dict[str, Any], name: str) -> str | None:
    """A string field of the parsed body, for the journal's filters (None otherwise)."""
    value = data.get(name)
    return value[:128] if isinstance(value, str) else None


def _unread_over_limit(size: int) -> str:
    """The journal's body of a request over --max-body, which is never read."""
    return f"(not read: {size} bytes is over the limit)"


def journal_refusal(box: Sandbox, method: str, path: str, status: int, answer: dict[str, Any],
                    content_length: int | None) -> None:  # fmt: skip
    """A PMS call the server refused before any view (a body over the limit, a bad request)
    still appears in the journal."""
    endpoint = endpoints.endpoint_of(path)
    if endpoint is None:
        return
    box.journal.record(
        time=box.clock.now(),
        method=method,
        path=path,
        endpoint=endpoint.name,
        api_key=None,
        body=_unread_over_limit(content_length or 0)
        if status == 413
        else "(not read: the server refused the request)",
        status=status,
        error_code=answer.get("errorCode"),
        error_message=answer.get("errorMessage"),
        duration_ms=0.0,
    )
