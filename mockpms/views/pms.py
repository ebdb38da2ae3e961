"""The six PMS endpoints, under the three path prefixes the document uses."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Request, Response, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from mockpms.app import base_url, sandbox
from mockpms.config import Merchant
from mockpms.drop import ENVIRON_KEY as DROP_KEY
from mockpms.drop import drop_connection
from mockpms.errors import AuthError, HttpError, InvalidField, PmsError
from mockpms.faults import Fault
from mockpms.journal import BODY_LIMIT, redact
from mockpms.qr import qr_data_uri
from mockpms.sandbox import Sandbox
from mockpms.signing import verify
from mockpms.urls import h5_url, payment_url
from mockpms.validation import Body, sale_request, session_request

PREFIXES = ("/tt-pms-ws/rest", "/tt-pms-ws", "")
SALES_MESSAGES = {"zh_hk": "成功", "zh_cn": "成功", "en": "success"}


@dataclass(frozen=True)
class Call:
    """One authenticated PMS call: who is calling and what they sent."""

    sandbox: Sandbox
    merchant: Merchant
    body: Body


Handler = Callable[[Call], dict[str, Any]]


def online_gateway(call: Call) -> dict[str, Any]:
    lang = call.body.lang() or "zh_hk"
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
    body = call.body
    type_ = body.choice("type", call.sandbox.gateways.types)
    rrn = body.identifier("rrn")
    store_code = body.text("storeCode", required=True)
    body.text("tillId", required=False)
    lang = body.lang()
    txn = call.sandbox.lifecycle.find_transaction(call.merchant, rrn, type_, store_code)
    return txn.to_query_json(lang)


def session_create(call: Call) -> dict[str, Any]:
    session = call.sandbox.lifecycle.create_session(call.merchant, session_request(call.body))
    url = h5_url(base_url(), session.token)
    return session.to_create_json(qr_data_uri(url) if session.bitmap else url)


def session_query(call: Call) -> dict[str, Any]:
    lifecycle = call.sandbox.lifecycle
    session = lifecycle.find_session(call.merchant, call.body.identifier("sessionId"))
    with call.sandbox.store.lock:
        status = lifecycle.session_status(session)
        answer: dict[str, Any] = {
            "errorCode": "0",
            "errorMessage": "no error",
            "sessionId": session.session_id,
        }
        if session.paid_rrn is not None:
            txn = call.sandbox.store.transaction(session.api_key, session.paid_rrn)
            if txn is not None:
                answer.update(
                    {
                        "type": txn.type,
                        "storeCode": session.store_code,
                        "tillId": session.till_id,
                        "rrn": txn.rrn,
                        "salesman": session.sales_man,
                        "salesMan": session.sales_man,
                        "txDatetime": txn.tx_datetime,
                        "amt": session.amt,
                        "gwRefCode": txn.gw_ref_code,
                        "remarks": session.remarks,
                        "subject": session.subject,
                        "merchantName": session.merchant_name,
                    }
                )
        answer["status"] = status.value
    return answer


def session_cancel(call: Call) -> dict[str, Any]:
    lifecycle = call.sandbox.lifecycle
    session = lifecycle.find_session(call.merchant, call.body.identifier("sessionId"))
    lifecycle.cancel_session(session)
    return {"errorCode": "0", "errorMessage": "no error", "sessionId": session.session_id}


ENDPOINTS: dict[str, Handler] = {
    "online/gateway": online_gateway,
    "online/sales": online_sales,
    "online/query": online_query,
    "h5Payment/session/create": session_create,
    "h5Payment/session/query": session_query,
    "h5Payment/session/cancel": session_cancel,
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
        data = _DECODER.decode(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise HttpError(400, "the body is not UTF-8 text; send UTF-8 encoded JSON") from None
    except (ValueError, RecursionError) as exc:
        raise HttpError(400, f"the body is not valid JSON ({_short(exc)})") from None
    if not isinstance(data, dict):
        raise HttpError(
            400, "the body must be a JSON object with apiKey, timestamp, sign and the fields"
        )
    return data


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every request: json.loads(..., parse_constant=) builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _short(exc: Exception) -> str:
    return str(exc)[:120] if str(exc) else type(exc).__name__


def authenticate(box: Sandbox, data: dict[str, Any]) -> Merchant:
    body = Body(data)
    api_key = data.get("apiKey")
    if not isinstance(api_key, str) or not api_key:
        raise InvalidField("apiKey", "mandatory string is missing or empty")
    merchant = box.settings.merchant(api_key)
    if merchant is None:
        raise AuthError(
            f"apiKey: {api_key[:64]!r} is not a known apiKey; use the apiKey issued with your "
            f"secret (mockpms prints its sandbox credentials at start)",
            field="apiKey",
        )
    if data.get("timestamp") in (None, ""):
        raise body._missing("timestamp")
    verify(
        timestamp=data.get("timestamp"),
        signature=data.get("sign"),
        secret=merchant.secret,
        now_ms=box.clock.wall_ms(),
        tolerance_seconds=box.settings.timestamp_tolerance,
    )
    return merchant


def _view(endpoint: str, handler: Handler) -> Callable[[], Response]:
    def view() -> Response:
        box = sandbox()
        started = time.perf_counter()
        fault = box.faults.take(endpoint)
        data: dict[str, Any] | None = None
        try:
            if fault is not None:
                _inject(fault)
            data = parse_body()
            merchant = authenticate(box, data)
            answer: dict[str, Any] = handler(Call(box, merchant, Body(data)))
            status = 200
        except PmsError as error:
            answer, status = {"errorCode": error.error_code, "errorMessage": error.message}, 200
        except HttpError as error:
            answer, status = {"errorCode": "40002", "errorMessage": error.message}, error.status
        _journal(
            box, endpoint, fault=fault, answer=answer, status=status, started=started, data=data
        )
        response = jsonify(answer)
        if status != 200:  # a (response, status) tuple costs Flask more to unpack
            response.status_code = status
        return response

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


def _journal(
    box: Sandbox,
    endpoint: str,
    *,
    fault: Fault | None,
    answer: dict[str, Any],
    status: int,
    started: float,
    data: dict[str, Any] | None = None,
) -> None:
    """Record the call in the journal (GET /_mock/requests); `sign` is hidden when read.

    `data` is the body as parse_body() already parsed it: kept by reference (nothing
    changes it after the call), neither parsed nor copied again.
    """
    req: Request = request._get_current_object()  # type: ignore[attr-defined]  # one lookup
    if data is not None and len(req.get_data(cache=True)) <= BODY_LIMIT:  # already read
        body: Any = data
    else:
        try:
            body = redact(req.get_data(cache=True))
        except HTTPException:  # over --max-body: never read it
            body = f"(not read: {req.content_length} bytes is over the limit)"
    dropped = bool(req.environ.get(DROP_KEY))
    box.journal.record(
        time=box.clock.now(),
        method=req.method,
        path=req.path,
        endpoint=endpoint,
        api_key=body.get("apiKey") if isinstance(body, dict) else None,
        body=body,
        status=None if dropped else status,
        error_code=None if dropped else answer.get("errorCode"),
        error_message=None if dropped else answer.get("errorMessage"),
        duration_ms=(time.perf_counter() - started) * 1000,
        fault=fault.to_json() if fault is not None else None,
    )


def register(app: Flask) -> None:
    for endpoint, handler in ENDPOINTS.items():
        view = _view(endpoint, handler)
        for prefix in PREFIXES:
            app.add_url_rule(
                f"{prefix}/{endpoint}",
                endpoint=f"pms{prefix}/{endpoint}",
                view_func=view,
                methods=["POST"],
            )
