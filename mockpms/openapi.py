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
from functools import cache
from typing import Any

from mockpms import __version__
from mockpms.faults import ERROR_CODES, MAX_COUNT, MAX_DELAY_MS, PMS_ENDPOINTS

PREFIXES = {"rest": "/tt-pms-ws/rest", "ws": "/tt-pms-ws", "root": ""}
JSON = "application/json"
Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _string(description: str = "", **extra: Any) -> Schema:
    schema: Schema = {"type": "string", **extra}
    if description:
        schema["description"] = description
    return schema


def _object(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


DIGITS = r"^[0-9]+$"
TEXT: dict[str, Any] = {"maxLength": 256}

SCHEMAS: dict[str, Schema] = {
    "Timestamp": {
        "description": "Milliseconds since the epoch, as a JSON number or a string of "
        "digits; within --timestamp-tolerance (default 300 s) of the server's clock.",
        "oneOf": [
            {"type": "integer", "format": "int64", "minimum": 0},
            {"type": "string", "pattern": DIGITS},
        ],
        "example": 1623205724171,
    },
    "Amount": {
        "description": "Amount in cents (10 = HKD 0.10): a positive integer or a string "
        "of ASCII digits; at most 2147483647.",
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": 2147483647},
            {"type": "string", "pattern": r"^0*[1-9][0-9]{0,9}$"},
        ],
        "example": 10,
    },
    "Lang": _string(
        "zh_hk (default), zh_cn or en; zh-HK and zh-CN also accepted, case-insensitive",
        example="zh_hk",
    ),
    "Identifier": _string(
        "1 to 64 letters, digits, '.', '_', ':' or '-'",
        pattern=r"^[A-Za-z0-9._:-]{1,64}$",
    ),
    "HttpUrl": _string("an http:// or https:// URL", format="uri", maxLength=2048),
    "ErrorEnvelope": _object(
        {
            "errorCode": _string(
                '"3" response timeout, "601" payment error, "40002" other error',
                enum=list(ERROR_CODES),
            ),
            "errorMessage": _string("what was wrong and how to fix it"),
        },
        ["errorCode", "errorMessage"],
    ),
    "Signed": _object(
        {
            "apiKey": _string("the merchant's apiKey", minLength=1),
            "timestamp": _ref("Timestamp"),
            "sign": _string("Base64(HMAC-SHA1(key = secret, message = timestamp digits))"),
        },
        ["apiKey", "timestamp", "sign"],
    ),
    "GatewayRequest": {
        "allOf": [_ref("Signed"), _object({"lang": _ref("Lang")})],
    },
    "Gateway": _object(
        {
            "type": _string("payment type", example="WXPAY"),
            "desc": _string(example="Wechat Pay"),
            "langDesc": _string("description in the requested language", example="微信支付"),
            "base64Logo": _string("data:image/svg+xml;base64,..."),
        },
        ["type", "desc", "langDesc"],
    ),
    "GatewayResponse": _object(
        {
            "extendParam": _string(),
            "gateways": {"type": "array", "items": _ref("Gateway")},
            "errorCode": _string(enum=["0"]),
            "errorMessage": _string(example="no error"),
        },
        ["gateways", "errorCode"],
    ),
    "SalesRequest": {
        "allOf": [
            _ref("Signed"),
            _object(
                {
                    "type": _string("payment type from online/gateway", example="WXPAY"),
                    "rrn": _ref("Identifier"),
                    "storeCode": _string(minLength=1, **TEXT),
                    "tillId": _string(minLength=1, **TEXT),
                    "salesman": _string(minLength=1, **TEXT),
                    "txDateTime": _string(
                        "yyyy-MM-dd'T'HH:mm:ssZ",
                        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$",
                        example="2021-06-09T13:10:33+0800",
                    ),
                    "amt": _ref("Amount"),
                    "ccy": _string("only HKD", enum=["HKD"]),
                    "lang": _ref("Lang"),
                    "extendParam": _string(
                        'a JSON object as a string: {"subject": "...", "seller": "..."}',
                        maxLength=4096,
                    ),
                    "returnUrl": _string("http(s) URL, or empty for mockpms's result page"),
                    "webhookUrl": _string("http(s) URL, or empty for no notification"),
                    "remarks": _string(**TEXT),
                    "cashier": _string(**TEXT),
                },
                [
                    "type",
                    "rrn",
                    "storeCode",
                    "tillId",
                    "salesman",
                    "txDateTime",
                    "amt",
                    "ccy",
                ],
            ),
        ]
    },
    "SalesResponse": _object(
        {
            "type": _string(),
            "rrn": _string(),
            "storeCode": _string(),
            "tillId": _string(),
            "tradeMode": _string(enum=["WEBSITE"]),
            "txDateTime": _string(),
            "amt": {"type": "integer"},
            "additionalAmt": {"type": "integer"},
            "ccy": _string(),
            "lang": _string("TC (zh_hk), SC (zh_cn), EN (en)", enum=["TC", "SC", "EN"]),
            "paymentUrl": _string("the hosted payment page", format="uri"),
            "gwRefCode": _string(),
            "gwErrorCode": _string(),
            "gwErrorMessage": _string(),
            "extendParam": _string(),
            "timeout": {"type": "integer"},
            "errorCode": _string(enum=["0"]),
            "errorMessage": _string(),
        },
        ["type", "rrn", "txDateTime", "amt", "ccy", "paymentUrl", "errorCode"],
    ),
    "QueryRequest": {
        "allOf": [
            _ref("Signed"),
            _object(
                {
                    "type": _string("the type used in online/sales"),
                    "rrn": _ref("Identifier"),
                    "storeCode": _string(minLength=1, **TEXT),
                    "tillId": _string(**TEXT),
                    "lang": _ref("Lang"),
                },
                ["type", "rrn", "storeCode"],
            ),
        ]
    },
    "QueryResponse": _object(
        {
            "additionalAmt": {"type": "integer"},
            "amt": {"type": "integer"},
            "ccy": _string(),
            "errorCode": _string(enum=["0"]),
            "errorMessage": _string(),
            "extendParam": _string("gateway details as a JSON object string, once paid"),
            "gwErrorCode": _string(),
            "gwErrorMessage": _string(),
            "gwRefCode": _string(),
            "gwRefStatus": _string(
                "01 success, 02 failed, 03 timed out, 04 refunded/cancelled, 05 pending",
                enum=["01", "02", "03", "04", "05"],
            ),
            "lang": {"type": "string", "nullable": True, "enum": ["TC", "SC", "EN", None]},
            "orgGwRefCode": _string(),
            "orgRrn": _string(),
            "payDetail": _string("masked card (550690xxxxxx0305) or wallet payer id"),
            "payType": _string(),
            "rrn": _string(),
            "storeCode": _string(),
            "tillId": _string(),
            "txDateTime": _string(),
            "type": _string(),
        },
        ["errorCode", "type", "rrn", "txDateTime", "amt", "ccy", "gwRefStatus"],
    ),
    "SessionCreateRequest": {
        "allOf": [
            _ref("Signed"),
            _object(
                {
                    "sessionId": _ref("Identifier"),
                    "amt": _ref("Amount"),
                    "webhookUrl": _ref("HttpUrl"),
                    "merchantName": _string("default from the merchant's config", **TEXT),
                    "storeCode": _string(**TEXT),
                    "tillId": _string(**TEXT),
                    "salesMan": _string(**TEXT),
                    "remarks": _string(maxLength=1024),
                    "subject": _string(**TEXT),
                    "bitmap": {
                        "description": "true: content is a PNG QR data URI; false: the URL",
                        "oneOf": [
                            {"type": "boolean"},
                            {"type": "string", "enum": ["true", "false", "TRUE", "FALSE", ""]},
                        ],
                    },
                },
                ["sessionId", "amt", "webhookUrl"],
            ),
        ]
    },
    "SessionCreateResponse": _object(
        {
            "errorCode": _string(enum=["0"]),
            "errorMessage": _string(),
            "content": _string("data:image/png;base64,... QR, or the H5 page URL"),
            "sessionId": _string(),
            "merchantName": _string(),
            "storeCode": _string(),
            "tillId": _string(),
            "salesMan": _string(),
            "amount": {"type": "integer", "description": "as the document's example"},
            "amt": {"type": "integer", "description": "as the document's field table"},
            "remarks": _string(),
            "bitmap": {"type": "boolean"},
            "subject": _string(),
            "webhookUrl": _string(),
        },
        ["errorCode", "content", "sessionId", "amt"],
    ),
    "SessionRequest": {
        "allOf": [_ref("Signed"), _object({"sessionId": _ref("Identifier")}, ["sessionId"])]
    },
    "SessionQueryResponse": _object(
        {
            "errorCode": _string(enum=["0"]),
            "errorMessage": _string(),
            "sessionId": _string(),
            "status": _string("0 cancelled or expired, 1 not paid yet, 2 paid", enum=list("012")),
            "type": _string("when status is 2"),
            "storeCode": _string(),
            "tillId": _string(),
            "rrn": _string(),
            "salesman": _string(),
            "salesMan": _string(),
            "txDatetime": _string(),
            "amt": {"type": "integer"},
            "gwRefCode": _string(),
            "remarks": _string(),
            "subject": _string(),
            "merchantName": _string(),
        },
        ["errorCode", "sessionId", "status"],
    ),
    "SessionCancelResponse": _object(
        {
            "errorCode": _string(enum=["0"]),
            "errorMessage": _string(),
            "sessionId": _string(),
        },
        ["errorCode", "sessionId"],
    ),
    "ControlError": _object(
        {"error": _string("what was wrong, naming the field"), "status": {"type": "integer"}},
        ["error", "status"],
    ),
    "Fault": _object(
        {
            "endpoint": _string(
                "a PMS endpoint (any prefix); omitted or null: every endpoint",
                nullable=True,
                enum=[*PMS_ENDPOINTS, None],
            ),
            "errorCode": _string(enum=list(ERROR_CODES)),
            "httpStatus": {"type": "integer", "minimum": 400, "maximum": 599},
            "delayMs": {"type": "integer", "minimum": 0, "maximum": MAX_DELAY_MS},
            "drop": {"type": "boolean", "description": "close the connection, no answer"},
            "count": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT, "default": 1},
        }
    ),
    "ActiveFault": {
        "allOf": [
            _ref("Fault"),
            _object(
                {"id": {"type": "integer"}, "remaining": {"type": "integer"}},
                ["id", "endpoint", "remaining"],
            ),
        ]
    },
    "Policy": _object(
        {
            "outcome": _string(enum=["success", "failed"]),
            "afterSeconds": {"type": "number", "minimum": 0, "default": 0},
        },
        ["outcome"],
    ),
    "ControlTransaction": _object(
        {
            "apiKey": _string(),
            "rrn": _string(),
            "type": _string(),
            "amt": {"type": "integer"},
            "ccy": _string(),
            "status": _string(enum=["pending", "success", "failed", "timeout", "refunded"]),
            "gwRefStatus": _string(enum=["01", "02", "03", "04", "05"]),
            "storeCode": _string(),
            "tillId": _string(),
            "salesman": _string(),
            "txDateTime": _string(),
            "lang": _string(),
            "createdAt": {"type": "number"},
            "expiresAt": {"type": "number"},
            "finishedAt": {"type": "number", "nullable": True},
            "returnUrl": _string(),
            "webhookUrl": _string(),
            "extendParam": _string(),
            "remarks": _string(),
            "sessionId": _string(nullable=True),
            "payType": _string(),
            "payDetail": _string(),
            "gwRefCode": _string(),
        },
        ["apiKey", "rrn", "type", "amt", "status", "gwRefStatus"],
    ),
    "ControlSession": _object(
        {
            "apiKey": _string(),
            "sessionId": _string(),
            "status": _string("0 cancelled or expired, 1 not paid yet, 2 paid", enum=list("012")),
            "merchantName": _string(),
            "storeCode": _string(),
            "tillId": _string(),
            "salesMan": _string(),
            "amt": {"type": "integer"},
            "remarks": _string(),
            "subject": _string(),
            "webhookUrl": _string(),
            "createdAt": {"type": "number"},
            "scannedAt": {"type": "number", "nullable": True},
            "wallet": _string(nullable=True),
            "countdownEndsAt": {"type": "number", "nullable": True},
            "secondsLeft": {"type": "number", "nullable": True},
            "cancelledAt": {"type": "number", "nullable": True},
            "payable": {"type": "boolean"},
            "rrn": _string(nullable=True),
            "url": _string("the H5 page the QR code opens"),
            "transaction": _ref("ControlTransaction"),
        },
        ["apiKey", "sessionId", "status", "amt", "payable", "url"],
    ),
    "Clock": _object(
        {
            "offset": {"type": "number", "description": "seconds added to the wall clock"},
            "now": {"type": "number", "description": "mock time, epoch seconds"},
            "time": _string("mock time, ISO 8601 UTC", format="date-time"),
            "advanced": {"type": "number"},
            "ran": {"type": "integer", "description": "jobs run by this advance"},
            "stillRunning": {"type": "integer", "description": "due jobs not finished in time"},
            "pending": {"type": "integer", "description": "jobs scheduled, not yet started"},
            "nextDueAt": {"type": "number", "nullable": True},
        },
        ["offset", "now", "time", "pending"],
    ),
    "WebhookAttempt": _object(
        {
            "id": {"type": "integer"},
            "apiKey": _string(),
            "rrn": _string(),
            "sessionId": _string(nullable=True),
            "url": _string(),
            "payload": {"type": "object"},
            "attempt": {"type": "integer", "minimum": 1},
            "maxAttempts": {"type": "integer"},
            "scheduledAt": {"type": "number"},
            "scheduledTime": _string(format="date-time"),
            "sentAt": {"type": "number"},
            "sentTime": _string(format="date-time"),
            "durationMs": {"type": "number"},
            "httpStatus": {"type": "integer", "nullable": True},
            "responseBody": _string(nullable=True),
            "error": _string(nullable=True),
            "acknowledged": {"type": "boolean"},
            "nextAttemptAt": {"type": "number", "nullable": True},
        },
        ["id", "rrn", "url", "payload", "attempt", "sentAt", "acknowledged"],
    ),
    "WebhookDelivery": _object(
        {
            "id": {"type": "integer"},
            "apiKey": _string(),
            "rrn": _string(),
            "sessionId": _string(nullable=True),
            "url": _string(),
            "payload": {"type": "object"},
            "state": _string(enum=["pending", "acknowledged", "exhausted", "cancelled"]),
            "attempts": {"type": "integer"},
            "maxAttempts": {"type": "integer"},
            "acknowledged": {"type": "boolean"},
            "firstDueAt": {"type": "number"},
            "nextAttemptAt": {"type": "number", "nullable": True},
        },
        ["id", "rrn", "url", "state", "attempts"],
    ),
    "JournalEntry": _object(
        {
            "id": {"type": "integer"},
            "receivedAt": {"type": "number", "description": "mock clock, epoch seconds"},
            "receivedTime": _string("mock clock, ISO 8601 UTC", format="date-time"),
            "method": _string(),
            "path": _string(),
            "endpoint": _string(nullable=True),
            "apiKey": _string(nullable=True),
            "body": {"description": "the JSON body with sign redacted, or (cut) text"},
            "status": {"type": "integer", "nullable": True, "description": "null: dropped"},
            "errorCode": _string(nullable=True),
            "errorMessage": _string(nullable=True),
            "durationMs": {"type": "number"},
            "fault": {"type": "object", "nullable": True},
        },
        ["id", "receivedAt", "method", "path", "endpoint", "status", "durationMs"],
    ),
}

# The document's own examples, under the fields mockpms uses.
EXAMPLES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "online/gateway": (
        {
            "apiKey": "pXBf7pn6lswN7b4N",
            "lang": "zh_hk",
            "sign": "oqfrzy/ABJH4vn+LA0E4wz1UA0c=",
            "timestamp": 1623205724171,
        },
        {
            "extendParam": "",
            "gateways": [
                {
                    "type": "WXPAY",
                    "desc": "Wechat Pay",
                    "langDesc": "微信支付",
                    "base64Logo": "data:image/svg+xml;base64,...",
                }
            ],
            "errorCode": "0",
            "errorMessage": "no error",
        },
    ),
    "online/sales": (
        {
            "apiKey": "pxBf7pn6lswN7b4N",
            "timestamp": 1623399510000,
            "sign": "KkiMG0H1KFHvj/YdbucvZ8SUwgQ=",
            "lang": "zh_hk",
            "storeCode": "WP001",
            "tillId": "01",
            "txDateTime": "2021-06-11T16:18:30+0800",
            "type": "VMPAY",
            "salesman": "WP9999",
            "cashier": "WP9999",
            "amt": 90000,
            "rrn": "002106110418309975314570",
            "extendParam": '{"subject":"Long Desc", "seller":"Short Desc"}',
            "returnUrl": "https://www.xxxx.com/checkout-2/order-paid/648",
            "ccy": "HKD",
            "webhookUrl": "https://www.xxx.com/service/order-paid/648",
        },
        {
            "type": "VMPAY",
            "rrn": "002106110418309975314570",
            "storeCode": "WP001",
            "tillId": "01",
            "tradeMode": "WEBSITE",
            "txDateTime": "2021-06-11T16:18:30+0800",
            "amt": 90000,
            "additionalAmt": 0,
            "ccy": "HKD",
            "lang": "TC",
            "paymentUrl": "http://127.0.0.1:8080/pms-payment/eft-payment?value=ACAC81D9FEB9D131",
            "gwRefCode": "",
            "gwErrorCode": "Approved",
            "gwErrorMessage": "",
            "extendParam": '{"subject":"Long Desc", "seller":"Short Desc"}',
            "timeout": 0,
            "errorCode": "0",
            "errorMessage": "成功",
        },
    ),
    "online/query": (
        {
            "apiKey": "pXBf7pn6lswN7b4N",
            "timestamp": "1623724168633",
            "sign": "6qLdwsBVo1brE2A2n7IVMtFsMAM=",
            "type": "WXPAY",
            "rrn": "25115260676212289",
            "storeCode": "ST01",
            "tillId": "01",
        },
        {
            "additionalAmt": 0,
            "amt": 10,
            "ccy": "HKD",
            "errorCode": "0",
            "errorMessage": "SUCCESS",
            "extendParam": '{"total": "10", "currency": "HKD", "openid": '
            '"o_QFg1OHDEhdkwt3iJKs8xrwkAW8", "statusDesc": "支付成功"}',
            "gwErrorCode": "0",
            "gwErrorMessage": "SUCCESS",
            "gwRefCode": "4200001518202207204230074447",
            "gwRefStatus": "01",
            "lang": None,
            "orgGwRefCode": "",
            "orgRrn": "",
            "payDetail": "o_QFg1OHDEhdkwt3iJKs8xrwkAW8",
            "payType": "Wechat Pay",
            "rrn": "20220720114303876656",
            "storeCode": "TT001",
            "tillId": "01",
            "txDateTime": "2022-07-20T11:43:03+0800",
            "type": "WXPAY",
        },
    ),
    "h5Payment/session/create": (
        {
            "apiKey": "eRhVIR0fLVy9oYHp",
            "timestamp": "1683013883655",
            "sign": "d9FXWbX+Su+XGPAw/LuYS/zN19w=",
            "merchantName": "TT test h5 service in pms 09",
            "sessionId": "9-6E1EB438B29127058E54C0C33CE0D7AE",
            "storeCode": "TEST store",
            "tillId": "",
            "salesMan": "tt.test",
            "amt": 10,
            "remarks": "docNum:S03757845-09",
            "bitmap": "true",
            "subject": "T-Shirt-09",
            "webhookUrl": "https://pms-dev-fps.tech-trans.com/tt-pms-ws/rest",
        },
        {
            "errorCode": "0",
            "errorMessage": "no error",
            "content": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA...",
            "sessionId": "9-6E1EB438B29127058E54C0C33CE0D7AE",
            "merchantName": "TT test h5 service in pms 09",
            "storeCode": "TEST store",
            "tillId": "01",
            "salesMan": "tt.test",
            "amount": 10,
            "amt": 10,
            "remarks": "docNum:S03757845-09",
            "bitmap": True,
            "subject": "T-Shirt-09",
            "webhookUrl": "https://pms-dev-fps.tech-trans.com/tt-pms-ws/rest",
        },
    ),
    "h5Payment/session/query": (
        {
            "apiKey": "eRhVIR0fLVy9oYHp",
            "timestamp": "1683014770333",
            "sign": "fXtGuGmj072DvJUP86EZN3zRpnA=",
            "sessionId": "8-6E1EB438B29127058E54C0C33CE0D7AE",
        },
        {
            "errorCode": "0",
            "errorMessage": "no error",
            "sessionId": "8-6E1EB438B29127058E54C0C33CE0D7AE",
            "type": "WXPAY",
            "storeCode": "nick store",
            "tillId": "01",
            "rrn": "002305021227131279298914",
            "salesman": "nick.lam",
            "txDatetime": "2023-05-02T12:27:14+0800",
            "amt": 10,
            "gwRefCode": "4200001856202305025004077715",
            "remarks": "docNum:S03757845-08",
            "subject": "T-Shirt-08",
            "merchantName": "nick test h5 service in pms 08",
            "status": "2",
        },
    ),
    "h5Payment/session/cancel": (
        {
            "apiKey": "eRhVIR0fLVy9oYHp",
            "timestamp": "1683015164178",
            "sign": "ohNNu5V+ij/zE2GWhADdmAl6jTk=",
            "sessionId": "5-6E1EB438B29127058E54C0C33CE0D7AE",
        },
        {
            "errorCode": "0",
            "errorMessage": "no error",
            "sessionId": "5-6E1EB438B29127058E54C0C33CE0D7AE",
        },
    ),
}

PMS_OPERATIONS: dict[str, tuple[str, str, str, str]] = {
    # endpoint: (operationId stem, summary, request schema, response schema)
    "online/gateway": ("onlineGateway", "Available gateways", "GatewayRequest", "GatewayResponse"),
    "online/sales": ("onlineSales", "Create a transaction", "SalesRequest", "SalesResponse"),
    "online/query": ("onlineQuery", "Query a transaction", "QueryRequest", "QueryResponse"),
    "h5Payment/session/create": (
        "h5SessionCreate",
        "Create an H5 session (QR content)",
        "SessionCreateRequest",
        "SessionCreateResponse",
    ),
    "h5Payment/session/query": (
        "h5SessionQuery",
        "Query an H5 session",
        "SessionRequest",
        "SessionQueryResponse",
    ),
    "h5Payment/session/cancel": (
        "h5SessionCancel",
        "Cancel an H5 session",
        "SessionRequest",
        "SessionCancelResponse",
    ),
}


def _pms_operation(endpoint: str, prefix_name: str) -> dict[str, Any]:
    stem, summary, request_schema, response_schema = PMS_OPERATIONS[endpoint]
    request_example, response_example = EXAMPLES[endpoint]
    refused = {
        "description": "refused before parsing, same envelope",
        "content": {JSON: {"schema": _ref("ErrorEnvelope")}},
    }
    return {
        "operationId": f"{stem}_{prefix_name}",
        "tags": ["PMS"],
        "security": [],  # PMS calls are signed; the admin token is for /_mock only
        "summary": summary,
        "description": "Business and validation errors answer HTTP 200 with a non-zero "
        "errorCode, as PMS does.",
        "requestBody": {
            "required": True,
            "content": {
                JSON: {
                    "schema": _ref(request_schema),
                    "examples": {"document": {"value": request_example}},
                }
            },
        },
        "responses": {
            "200": {
                "description": 'errorCode "0" with the fields, or an error envelope',
                "content": {
                    JSON: {
                        "schema": {"anyOf": [_ref(response_schema), _ref("ErrorEnvelope")]},
                        "examples": {"document": {"value": response_example}},
                    }
                },
            },
            "400": refused,
            "413": refused,
            "415": refused,
        },
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
            "content": {JSON: {"schema": _ref("ControlError")}},
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


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _wallet_body() -> Schema:
    return _object(
        {
            "wallet": _string(
                "the wallet (default: the one that scanned, else WXPAY)", enum=["WXPAY", "ALIPAY"]
            ),
            "apiKey": _string("needed only when two merchants used the sessionId"),
        }
    )


def _control_paths() -> dict[str, Any]:
    policy_answer = _object({"policy": {"allOf": [_ref("Policy")], "nullable": True}}, ["policy"])
    seed = {"type": "integer", "nullable": True, "format": "int64"}
    return {
        "/_mock/health": {
            "get": _control(
                "health",
                "Liveness",
                _object({"status": _string(enum=["ok"]), "version": _string()}),
                errors=(),
                secured=False,
            )
        },
        "/_mock/ready": {
            "get": {
                **_control(
                    "ready",
                    "Readiness: config and fixtures loaded",
                    _object(
                        {
                            "status": _string(enum=["ready", "not ready"]),
                            "version": _string(),
                            "checks": {
                                "type": "object",
                                "additionalProperties": {"type": "boolean"},
                            },
                            "merchants": {"type": "integer"},
                            "gateways": {"type": "array", "items": _string()},
                        },
                        ["status", "checks"],
                    ),
                    errors=(),
                    secured=False,
                ),
            }
        },
        "/_mock/reset": {
            "post": _control(
                "reset",
                "Back to the start state",
                _object({"status": _string(enum=["reset"])}),
                errors=(),
            )
        },
        "/_mock/sessions": {
            "get": _control(
                "listSessions",
                "H5 sessions, oldest first",
                _object(
                    {"sessions": {"type": "array", "items": _ref("ControlSession")}},
                    ["sessions"],
                ),
                parameters=[
                    _query("apiKey", "only this merchant"),
                    _query("status", "only this status", _string(enum=list("012"))),
                ],
            )
        },
        "/_mock/sessions/{session_id}": {
            "get": _control(
                "getSession",
                "One H5 session",
                _ref("ControlSession"),
                errors=("404", "409"),
                parameters=[_path("session_id"), _query("apiKey", "when two merchants used it")],
            )
        },
        "/_mock/sessions/{session_id}/scan": {
            "post": _control(
                "scanSession",
                "As if the QR code was opened in the wallet (starts the countdown)",
                _ref("ControlSession"),
                body=_wallet_body(),
                example={"wallet": "WXPAY"},
                errors=("400", "404", "409"),
                parameters=[_path("session_id")],
            )
        },
        "/_mock/sessions/{session_id}/pay": {
            "post": _control(
                "paySession",
                "As if the payer paid in the wallet (scans first if needed)",
                _ref("ControlSession"),
                body=_wallet_body(),
                example={"wallet": "ALIPAY"},
                errors=("400", "404", "409"),
                parameters=[_path("session_id")],
            )
        },
        "/_mock/clock": {
            "get": _control("getClock", "Mock time and the scheduler", _ref("Clock"), errors=())
        },
        "/_mock/clock/advance": {
            "post": _control(
                "advanceClock",
                "Move mock time forward; answers after the work that fell due has run",
                _ref("Clock"),
                body=_object({"seconds": {"type": "number", "minimum": 0}}, ["seconds"]),
                example={"seconds": 300},
            )
        },
        "/_mock/webhooks": {
            "get": _control(
                "listWebhooks",
                "Every webhook attempt and delivery, oldest first",
                _object(
                    {
                        "count": {"type": "integer"},
                        "attempts": {"type": "array", "items": _ref("WebhookAttempt")},
                        "deliveries": {"type": "array", "items": _ref("WebhookDelivery")},
                    },
                    ["count", "attempts", "deliveries"],
                ),
                parameters=[
                    _query("rrn", "only this rrn"),
                    _query("sessionId", "only this H5 session"),
                    _query("limit", "keep the newest N", {"type": "integer", "minimum": 0}),
                ],
            )
        },
        "/_mock/requests": {
            "get": _control(
                "listRequests",
                "Journal of PMS requests, oldest first",
                _object(
                    {
                        "requests": {"type": "array", "items": _ref("JournalEntry")},
                        "cap": {"type": "integer"},
                        "dropped": {"type": "integer"},
                    },
                    ["requests", "cap", "dropped"],
                ),
                parameters=[
                    _query("endpoint", "only this endpoint", _string(enum=list(PMS_ENDPOINTS))),
                    _query("rrn", "only requests whose body has this rrn"),
                    _query("apiKey", "only this merchant"),
                    _query("sessionId", "only requests whose body has this sessionId"),
                ],
            )
        },
        "/_mock/faults": {
            "get": _control(
                "listFaults",
                "Active faults",
                _object({"faults": {"type": "array", "items": _ref("ActiveFault")}}, ["faults"]),
                errors=(),
            ),
            "post": _control(
                "addFault",
                "Inject a fault for the next N calls",
                _ref("ActiveFault"),
                body=_ref("Fault"),
                example={"endpoint": "online/sales", "errorCode": "3", "count": 1},
                status="201",
            ),
            "delete": _control(
                "clearFaults",
                "Remove every fault",
                _object({"cleared": {"type": "integer"}}, ["cleared"]),
                errors=(),
            ),
        },
        "/_mock/policy": {
            "get": _control("getPolicy", "Current auto-settle policy", policy_answer, errors=()),
            "post": _control(
                "setPolicy",
                "Auto-settle new payments",
                policy_answer,
                body=_ref("Policy"),
                example={"outcome": "success", "afterSeconds": 5},
            ),
            "delete": _control("clearPolicy", "Stop auto-settling", policy_answer, errors=()),
        },
        "/_mock/seed": {
            "get": _control("getSeed", "Current id seed", _object({"seed": seed}), errors=()),
            "post": _control(
                "setSeed",
                "Deterministic generated ids from here on",
                _object({"seed": seed}, ["seed"]),
                body=_object({"seed": seed}, ["seed"]),
                example={"seed": 42},
            ),
        },
        "/_mock/openapi.json": {
            "get": _control("openapi", "This description", {"type": "object"}, errors=())
        },
        "/_mock/": {
            "get": {
                "operationId": "dashboard",
                "tags": ["control"],
                "summary": "HTML dashboard (?token=<admin token> once in a browser)",
                "parameters": [_query("token", "the admin token, kept in a cookie")],
                "responses": {
                    "200": {"description": "HTML", "content": {"text/html": {}}},
                    "303": {"description": "token accepted: cookie set, redirect"},
                    "401": {"description": "admin token required"},
                },
            }
        },
    }


@cache
def _build() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for endpoint in PMS_ENDPOINTS:
        for prefix_name, prefix in PREFIXES.items():
            paths[f"{prefix}/{endpoint}"] = {"post": _pms_operation(endpoint, prefix_name)}
    paths.update(_control_paths())
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
            "schemas": SCHEMAS,
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


def openapi_spec() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy: callers may change it)."""
    return copy.deepcopy(_build())
