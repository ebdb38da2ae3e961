"""The OpenAPI 3.0 description of mockpms: the six PMS endpoints and the /_mock control API.

Built in Python rather than kept as a JSON file so that the repeated parts
(three path prefixes, the signed envelope, the error envelope) are written
once. Schemas follow what mockpms accepts and answers, field for field, so a
property-based tester (Schemathesis) can use them: `amt` and `timestamp` are
an integer or a string of digits, PMS answers business errors with HTTP 200
and a non-zero errorCode, and refusals before parsing (400, 413, 415) carry
the same envelope.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from mockpms import __version__
from mockpms.checkout import OUTCOMES as SETTLE_OUTCOMES
from mockpms.endpoints import ENDPOINTS, PREFIX_NAMES, PREFIXES, Endpoint
from mockpms.endpoints import NAMES as PMS_ENDPOINTS
from mockpms.fields import request_schema
from mockpms.openapi_schemas import SCHEMAS, Schema, obj, ref, string
from mockpms.paths import FIXTURES_DIR

JSON = "application/json"


def _example(stem: str, kind: str) -> Any:
    path = FIXTURES_DIR / "examples" / f"{stem}.{kind}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def request_component(endpoint: Endpoint) -> str:
    """The component schema name of an endpoint's request, e.g. OnlineSalesRequest."""
    return endpoint.operation_id[0].upper() + endpoint.operation_id[1:] + "Request"


def _pms_operation(endpoint: Endpoint, prefix_name: str) -> dict[str, Any]:
    stem = endpoint.example
    request_example, response_example = _example(stem, "request"), _example(stem, "response")
    refused = {
        "description": "refused before parsing, same envelope",
        "content": {JSON: {"schema": ref("ErrorEnvelope")}},
    }
    operation: dict[str, Any] = {
        "operationId": f"{endpoint.operation_id}_{prefix_name}",
        "tags": ["PMS"],
        "security": [],  # PMS calls are signed; the admin token is for /_mock only
        "summary": endpoint.summary,
        "description": "Business and validation errors answer HTTP 200 with a non-zero "
        "errorCode, as PMS does.",
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": ref(request_component(endpoint)),
                    "examples": {"document": {"value": request_example}},
                }
            },
        },
        "responses": {
            "200": {
                "description": 'errorCode "0" with the fields, or an error envelope',
                "content": {
                    JSON: {
                        "schema": {"anyOf": [ref(endpoint.response_schema), ref("ErrorEnvelope")]},
                        "examples": {"document": {"value": response_example}},
                    }
                },
            },
            "400": refused,
            "413": refused,
            "415": refused,
        },
    }
    if endpoint.notifies:
        operation["callbacks"] = {"paymentNotification": _webhook_callback()}
    return operation


def _webhook_callback() -> dict[str, Any]:
    """The webhook mockpms POSTs to webhookUrl after a successful payment."""
    return {
        "{$request.body#/webhookUrl}": {
            "post": {
                "summary": "Payment notification (retried until acknowledged)",
                "description": "Attempt 1 at once, then every --webhook-interval seconds, at "
                "most --webhook-attempts in all; acknowledged by a 2xx whose JSON body has "
                'errorCode "0".',
                "requestBody": {
                    "required": True,
                    "content": {
                        JSON: {
                            "schema": ref("WebhookPayload"),
                            "examples": {"document": {"value": _example("webhook", "request")}},
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "acknowledgement",
                        "content": {
                            JSON: {
                                "schema": obj({"errorCode": string(enum=["0"])}),
                                "example": _example("webhook", "response"),
                            }
                        },
                    }
                },
            }
        }
    }


def _json_response(description: str, schema: Schema, status: str = "200") -> dict[str, Any]:
    return {status: {"description": description, "content": {JSON: {"schema": schema}}}}


def _control(
    operation_id: str,
    summary: str,
    response: Schema,
    *,
    body: Schema | None = None,
    example: dict[str, Any] | None = None,
    status: str = "200",
    errors: tuple[str, ...] = ("400",),
    parameters: list[dict[str, Any]] | None = None,
    secured: bool = True,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "tags": ["control"],
        "summary": summary,
        "responses": _json_response(summary, response, status),
    }
    for code in (*errors, *(("401",) if secured else ())):
        operation["responses"][code] = {
            "description": "bad input (naming the field)" if code != "401" else "admin token",
            "content": {JSON: {"schema": ref("ControlError")}},
        }
    if body is not None:
        media: dict[str, Any] = {"schema": body}
        if example is not None:
            media["example"] = example
        operation["requestBody"] = {"required": False, "content": {JSON: media}}
    if parameters:
        operation["parameters"] = parameters
    if not secured:
        operation["security"] = []
    return operation


def _query(name: str, description: str, schema: Schema | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _paging(after: str = "after") -> list[dict[str, Any]]:
    """The paging parameters every listing takes (views/control.paging)."""
    return [
        _query(
            "limit",
            "page size, 1 to 5000 (default 500)",
            {"type": "integer", "minimum": 1, "maximum": 5000},
        ),
        _query(
            "order", "oldest first (default) or newest first", string(enum=["oldest", "newest"])
        ),
        _query(after, "the cursor the previous page answered as `next`"),
    ]


NEXT = {"type": "string", "nullable": True, "description": "cursor of the next page; null: done"}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _wallet_body(h5_types: tuple[str, ...]) -> Schema:
    return obj(
        {
            "wallet": string(
                "an H5 wallet (default: the one that scanned, else the first)",
                enum=list(h5_types),
            ),
            "apiKey": string("needed only when two merchants used the sessionId"),
        }
    )


# CONTRACT 17: a state-changing control call scoped to one merchant.
SCOPE = _query(
    "apiKey",
    "scope the call to this merchant (or the body field apiKey; both given must agree)",
)
SCOPED = obj({"apiKey": string("scope the call to this merchant (or ?apiKey=)")})
MERCHANT = obj(
    {
        "apiKey": string(),
        "secret": string(),
        "merchantName": string(),
        "storeCode": string(),
        "tillId": string(),
        "salesMan": string(),
        "runtime": {"type": "boolean", "description": "added with POST /_mock/merchants"},
    },
    ["apiKey", "merchantName", "storeCode", "tillId", "salesMan", "runtime"],
)


def _control_paths(h5_types: tuple[str, ...]) -> dict[str, Any]:
    policy_answer = obj(
        {
            "policy": {"allOf": [ref("Policy")], "nullable": True},
            "apiKey": string("the merchant it was scoped to"),
            "own": {"type": "boolean", "description": "the merchant has a policy of its own"},
        },
        ["policy"],
    )
    seed = {"type": "integer", "nullable": True, "format": "int64"}
    return {
        "/_mock/health": {
            "get": _control(
                "health",
                "Liveness",
                obj(
                    {
                        "status": string(enum=["ok"]),
                        "version": string(),
                        "storage": string(enum=["memory", "sqlite"]),
                        "database": string("the SQLite file (--data-dir only)"),
                    }
                ),
                errors=(),
                secured=False,
            )
        },
        "/_mock/ready": {
            "get": {
                **_control(
                    "ready",
                    "Readiness: config and fixtures loaded",
                    obj(
                        {
                            "status": string(enum=["ready", "not ready"]),
                            "version": string(),
                            "checks": {
                                "type": "object",
                                "additionalProperties": {"type": "boolean"},
                            },
                            "merchants": {"type": "integer"},
                            "gateways": {"type": "array", "items": string()},
                        },
                        ["status", "checks"],
                    ),
                    errors=(),
                    secured=False,
                ),
            }
        },
        "/_mock/status": {
            "get": _control(
                "status",
                "Version, storage, clock, counts, policy and armed faults",
                obj(
                    {
                        "version": string(),
                        "storage": string(enum=["memory", "sqlite"]),
                        "now": {"type": "number"},
                        "time": string(format="date-time"),
                        "offset": {"type": "number"},
                        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "policy": {"allOf": [ref("Policy")], "nullable": True},
                        "faults": {"type": "array", "items": ref("ActiveFault")},
                        "eventStreams": {"type": "integer"},
                    },
                    ["version", "storage", "now", "counts", "faults"],
                ),
                errors=(),
            )
        },
        "/_mock/events": {
            "get": {
                "operationId": "events",
                "tags": ["control"],
                "summary": "Server-Sent Events of what happens (request, transaction, ...)",
                "parameters": [
                    {
                        "name": "Last-Event-ID",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "resume after this event (while it is in the buffer)",
                    }
                ],
                "responses": {
                    "200": {"description": "the stream", "content": {"text/event-stream": {}}},
                    "400": {
                        "description": "bad Last-Event-ID",
                        "content": {JSON: {"schema": ref("ControlError")}},
                    },
                    "503": {
                        "description": "too many streams open",
                        "content": {JSON: {"schema": ref("ControlError")}},
                    },
                },
            }
        },
        "/_mock/reset": {
            "post": _control(
                "reset",
                "Back to the start state (with apiKey: that merchant's part only)",
                obj({"status": string(enum=["reset"]), "apiKey": string()}),
                body=SCOPED,
                errors=("400", "404"),
                parameters=[SCOPE],
            )
        },
        "/_mock/merchants": {
            "get": _control(
                "listMerchants",
                "The merchants: configured, and added at runtime (with their secrets)",
                obj({"merchants": {"type": "array", "items": MERCHANT}}, ["merchants"]),
                errors=(),
            ),
            "post": _control(
                "addMerchant",
                "Add a runtime merchant; a missing apiKey or secret is generated",
                MERCHANT,
                body=obj({k: string() for k in MERCHANT["properties"] if k != "runtime"}),
                example={"merchantName": "CI job 42"},
                status="201",
                errors=("400", "409"),
            ),
        },
        "/_mock/merchants/{api_key}": {
            "delete": _control(
                "removeMerchant",
                "Remove a runtime merchant and all its data",
                obj({"removed": string()}, ["removed"]),
                errors=("404", "409"),
                parameters=[_path("api_key")],
            )
        },
        "/_mock/transactions": {
            "get": _control(
                "listTransactions",
                "Transactions, a page at a time",
                obj(
                    {
                        "transactions": {"type": "array", "items": ref("ControlTransaction")},
                        "count": {"type": "integer"},
                        "next": NEXT,
                    },
                    ["transactions", "count", "next"],
                ),
                parameters=[
                    _query("apiKey", "only this merchant"),
                    _query("status", "a state (pending, success, ...) or a gwRefStatus (01..05)"),
                    *_paging(),
                ],
            )
        },
        "/_mock/transactions/{rrn}": {
            "get": _control(
                "getTransaction",
                "One transaction",
                ref("ControlTransaction"),
                errors=("404", "409"),
                parameters=[_path("rrn"), _query("apiKey", "when two merchants used the rrn")],
            )
        },
        "/_mock/transactions/{rrn}/settle": {
            "post": _control(
                "settleTransaction",
                "What the payer or gateway would do; success fires the webhook",
                {
                    "allOf": [
                        ref("ControlTransaction"),
                        obj({"previousStatus": string()}, ["previousStatus"]),
                    ]
                },
                body=obj(
                    {
                        "outcome": string(enum=list(SETTLE_OUTCOMES)),
                        "apiKey": string("needed only when two merchants used the rrn"),
                    },
                    ["outcome"],
                ),
                example={"outcome": "success"},
                errors=("400", "404", "409"),
                parameters=[_path("rrn")],
            )
        },
        "/_mock/sessions": {
            "get": _control(
                "listSessions",
                "H5 sessions, a page at a time",
                obj(
                    {
                        "sessions": {"type": "array", "items": ref("ControlSession")},
                        "count": {"type": "integer"},
                        "next": NEXT,
                    },
                    ["sessions", "count", "next"],
                ),
                parameters=[
                    _query("apiKey", "only this merchant"),
                    _query("status", "only this status", string(enum=list("012"))),
                    *_paging(),
                ],
            )
        },
        "/_mock/sessions/{session_id}": {
            "get": _control(
                "getSession",
                "One H5 session",
                ref("ControlSession"),
                errors=("404", "409"),
                parameters=[_path("session_id"), _query("apiKey", "when two merchants used it")],
            )
        },
        "/_mock/sessions/{session_id}/scan": {
            "post": _control(
                "scanSession",
                "As if the QR code was opened in the wallet (starts the countdown)",
                ref("ControlSession"),
                body=_wallet_body(h5_types),
                example={"wallet": "WXPAY"},
                errors=("400", "404", "409"),
                parameters=[_path("session_id")],
            )
        },
        "/_mock/sessions/{session_id}/pay": {
            "post": _control(
                "paySession",
                "As if the payer paid in the wallet (scans first if needed)",
                ref("ControlSession"),
                body=_wallet_body(h5_types),
                example={"wallet": "ALIPAY"},
                errors=("400", "404", "409"),
                parameters=[_path("session_id")],
            )
        },
        "/_mock/clock": {
            "get": _control(
                "getClock",
                "Mock time and the scheduler (with apiKey: that merchant's time)",
                ref("Clock"),
                errors=("404",),
                parameters=[SCOPE],
            )
        },
        "/_mock/clock/advance": {
            "post": _control(
                "advanceClock",
                "Move mock time forward (with apiKey: that merchant's own clock only); "
                "answers after the work that fell due has run",
                ref("Clock"),
                body=obj(
                    {"seconds": {"type": "number", "minimum": 0}, **SCOPED["properties"]},
                    ["seconds"],
                ),
                example={"seconds": 300},
                errors=("400", "404"),
                parameters=[SCOPE],
            )
        },
        "/_mock/webhooks": {
            "get": _control(
                "listWebhooks",
                "Every webhook attempt and delivery, oldest first",
                obj(
                    {
                        "count": {"type": "integer"},
                        "attempts": {"type": "array", "items": ref("WebhookAttempt")},
                        "deliveries": {"type": "array", "items": ref("WebhookDelivery")},
                        "next": NEXT,
                        "nextDelivery": NEXT,
                    },
                    ["count", "attempts", "deliveries", "next", "nextDelivery"],
                ),
                parameters=[
                    _query("rrn", "only this rrn"),
                    _query("sessionId", "only this H5 session"),
                    _query("apiKey", "only this merchant's"),
                    *_paging(),
                    _query("afterDelivery", "the series cursor the previous page gave"),
                ],
            )
        },
        "/_mock/webhooks/{id_}/resend": {
            "post": _control(
                "resendWebhook",
                "Send a series' payload again now, as an extra attempt marked resent",
                obj(
                    {
                        "delivery": ref("WebhookDelivery"),
                        "attempt": {"allOf": [ref("WebhookAttempt")], "nullable": True},
                        "stillRunning": {"type": "boolean"},
                    },
                    ["delivery", "attempt", "stillRunning"],
                ),
                errors=("404",),
                parameters=[
                    {
                        "name": "id_",
                        "in": "path",
                        "required": True,
                        "description": "an attempt id or a series id",
                        "schema": {"type": "integer"},
                    }
                ],
            )
        },
        "/_mock/webhooks/forge": {
            "post": _control(
                "forgeWebhook",
                "Notify a payment that was not made (the record is untouched)",
                obj({"delivery": ref("WebhookDelivery")}, ["delivery"]),
                body=obj(
                    {
                        "rrn": string("an online sale that is not paid"),
                        "sessionId": string("an H5 session that is not paid"),
                        "apiKey": string("needed only when two merchants used the id"),
                    }
                ),
                example={"rrn": "R1"},
                status="201",
                errors=("400", "404", "409"),
            )
        },
        "/_mock/report": {
            "get": _control(
                "report",
                "What the integration did wrong, per apiKey",
                ref("Report"),
                errors=(),
                parameters=[_query("apiKey", "only this merchant")],
            )
        },
        "/_mock/requests": {
            "get": _control(
                "listRequests",
                "Journal of PMS requests, oldest first",
                obj(
                    {
                        "requests": {"type": "array", "items": ref("JournalEntry")},
                        "cap": {"type": "integer"},
                        "dropped": {"type": "integer"},
                        "next": NEXT,
                    },
                    ["requests", "cap", "dropped", "next"],
                ),
                parameters=[
                    _query("endpoint", "only this endpoint", string(enum=list(PMS_ENDPOINTS))),
                    _query("rrn", "only requests whose body has this rrn"),
                    _query("apiKey", "only this merchant"),
                    _query("sessionId", "only requests whose body has this sessionId"),
                    *_paging(),
                ],
            )
        },
        "/_mock/faults": {
            "get": _control(
                "listFaults",
                "Active faults (with apiKey: those scoped to that merchant)",
                obj({"faults": {"type": "array", "items": ref("ActiveFault")}}, ["faults"]),
                errors=("404",),
                parameters=[SCOPE],
            ),
            "post": _control(
                "addFault",
                "Inject a fault for the next N calls (with apiKey: that merchant's calls only)",
                ref("ActiveFault"),
                body={"allOf": [ref("Fault"), SCOPED]},
                example={"endpoint": "online/sales", "errorCode": "3", "count": 1},
                status="201",
                errors=("400", "404"),
                parameters=[SCOPE],
            ),
            "delete": _control(
                "clearFaults",
                "Remove every fault (with apiKey: that merchant's only)",
                obj({"cleared": {"type": "integer"}}, ["cleared"]),
                body=SCOPED,
                errors=("400", "404"),
                parameters=[SCOPE],
            ),
        },
        "/_mock/policy": {
            "get": _control(
                "getPolicy",
                "Current auto-settle policy (with apiKey: the one that merchant follows)",
                policy_answer,
                errors=("404",),
                parameters=[SCOPE],
            ),
            "post": _control(
                "setPolicy",
                "Auto-settle new payments (with apiKey: that merchant's own policy)",
                policy_answer,
                body={"allOf": [ref("Policy"), SCOPED]},
                example={"outcome": "success", "afterSeconds": 5},
                errors=("400", "404"),
                parameters=[SCOPE],
            ),
            "delete": _control(
                "clearPolicy",
                "Stop auto-settling (with apiKey: drop that merchant's own policy)",
                policy_answer,
                body=SCOPED,
                errors=("400", "404"),
                parameters=[SCOPE],
            ),
        },
        "/_mock/seed": {
            "get": _control(
                "getSeed",
                "Current id seed (with apiKey: that merchant's)",
                obj({"seed": seed}),
                errors=("404",),
                parameters=[SCOPE],
            ),
            "post": _control(
                "setSeed",
                "Deterministic generated ids from here on (with apiKey: that merchant's ids)",
                obj({"seed": seed, "apiKey": string()}, ["seed"]),
                body=obj({"seed": seed, **SCOPED["properties"]}, ["seed"]),
                example={"seed": 42},
                errors=("400", "404"),
                parameters=[SCOPE],
            ),
        },
        "/_mock/openapi.json": {
            "get": _control("openapi", "This description", {"type": "object"}, errors=())
        },
        "/_mock/transactions/{rrn}/view": {
            "get": {
                "operationId": "transactionStory",
                "tags": ["control"],
                "summary": "HTML: one transaction's whole story, as a timeline",
                "parameters": [_path("rrn"), _query("apiKey", "when two merchants used the rrn")],
                "responses": {
                    "200": {"description": "HTML", "content": {"text/html": {}}},
                    "404": {
                        "description": "no such transaction",
                        "content": {JSON: {"schema": ref("ControlError")}},
                    },
                },
            }
        },
        "/_mock/sessions/{session_id}/view": {
            "get": {
                "operationId": "sessionStory",
                "tags": ["control"],
                "summary": "HTML: one H5 session's whole story, as a timeline",
                "parameters": [_path("session_id"), _query("apiKey", "when two merchants used it")],
                "responses": {
                    "200": {"description": "HTML", "content": {"text/html": {}}},
                    "404": {
                        "description": "no such session",
                        "content": {JSON: {"schema": ref("ControlError")}},
                    },
                },
            }
        },
        "/_mock/": {
            "get": {
                "operationId": "dashboard",
                "tags": ["control"],
                "summary": "HTML dashboard (?token=<admin token> once in a browser)",
                "parameters": [
                    _query("token", "the admin token, kept in a cookie"),
                    _query("apiKey", "only this merchant"),
                    _query("rrn", "only this rrn"),
                    _query("status", "only transactions in this state or gwRefStatus"),
                    _query("after", "older transactions: the cursor of the 'older' link"),
                ],
                "responses": {
                    "200": {"description": "HTML", "content": {"text/html": {}}},
                    "303": {"description": "token accepted: cookie set, redirect"},
                    "401": {"description": "admin token required"},
                },
            }
        },
    }


@cache
def _build(gateway_types: tuple[str, ...], h5_types: tuple[str, ...]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas = dict(SCHEMAS)
    for endpoint in ENDPOINTS:
        schemas[request_component(endpoint)] = {
            "allOf": [ref("Signed"), request_schema(endpoint.request, gateway_types)]
        }
        for prefix in PREFIXES:
            operation = _pms_operation(endpoint, PREFIX_NAMES[prefix])
            paths[f"{prefix}/{endpoint.name}"] = {"post": operation}
    paths.update(_control_paths(h5_types))
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "mockpms: TTRetail PMS online payment (mock) and its control API",
            "version": __version__,
            "description": "The six PMS endpoints answer under /tt-pms-ws/rest, /tt-pms-ws "
            "and /. The /_mock control API is open unless mockpms runs with "
            "--admin-token.",
        },
        "tags": [
            {"name": "PMS", "description": "PMS API v1.9 as mockpms implements it"},
            {"name": "control", "description": "the sandbox's control API (not PMS)"},
        ],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "only when mockpms runs with --admin-token",
                }
            },
        },
        "security": [{}, {"adminToken": []}],
    }


def openapi_spec(gateway_types: tuple[str, ...], h5_types: tuple[str, ...]) -> dict[str, Any]:
    """The OpenAPI document for a sandbox offering these gateways (a fresh copy).

    The PMS request schemas are emitted from mockpms.fields, the table validation
    reads, so the two cannot drift; `type` enumerates the sandbox's gateways.
    """
    return copy.deepcopy(_build(gateway_types, h5_types))
