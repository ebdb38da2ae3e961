"""The component schemas of mockpms's OpenAPI description (see mockpms.openapi).

They follow what mockpms accepts and answers, field for field: `amt` and
`timestamp` are an integer or a string of digits, optional text has the same
length limits as the validation, and the control API's JSON shapes are those
the views render.
"""

from __future__ import annotations

from typing import Any

from mockpms.endpoints import NAMES as PMS_ENDPOINTS
from mockpms.faults import ERROR_CODES, MAX_COUNT, MAX_DELAY_MS, WEBHOOK_KINDS
from mockpms.models import GW_REF_STATUS, LANG_CODES, TxStatus
from mockpms.policy import OUTCOMES as POLICY_OUTCOMES
from mockpms.report import FINDINGS as REPORT_FINDINGS

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def string(description: str = "", **extra: Any) -> Schema:
    schema: Schema = {"type": "string", **extra}
    if description:
        schema["description"] = description
    return schema


def obj(properties: dict[str, Schema], required: list[str] | None = None) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


DIGITS = r"^[0-9]+$"

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
    "ErrorEnvelope": obj(
        {
            "errorCode": string(
                '"3" response timeout, "601" payment error, "40002" other error',
                enum=list(ERROR_CODES),
            ),
            "errorMessage": string("what was wrong and how to fix it"),
        },
        ["errorCode", "errorMessage"],
    ),
    "Signed": obj(
        {
            "apiKey": string("the merchant's apiKey", minLength=1),
            "timestamp": ref("Timestamp"),
            "sign": string("Base64(HMAC-SHA1(key = secret, message = timestamp digits))"),
        },
        ["apiKey", "timestamp", "sign"],
    ),
    "Gateway": obj(
        {
            "type": string("payment type", example="WXPAY"),
            "desc": string(example="Wechat Pay"),
            "langDesc": string("description in the requested language", example="微信支付"),
            "base64Logo": string("data:image/svg+xml;base64,..."),
        },
        ["type", "desc", "langDesc"],
    ),
    "GatewayResponse": obj(
        {
            "extendParam": string(),
            "gateways": {"type": "array", "items": ref("Gateway")},
            "errorCode": string(enum=["0"]),
            "errorMessage": string(example="no error"),
        },
        ["gateways", "errorCode"],
    ),
    "SalesResponse": obj(
        {
            "type": string(),
            "rrn": string(),
            "storeCode": string(),
            "tillId": string(),
            "tradeMode": string(enum=["WEBSITE"]),
            "txDateTime": string(),
            "amt": {"type": "integer"},
            "additionalAmt": {"type": "integer"},
            "ccy": string(),
            "lang": string("TC (zh_hk), SC (zh_cn), EN (en)", enum=list(LANG_CODES.values())),
            "paymentUrl": string("the hosted payment page", format="uri"),
            "gwRefCode": string(),
            "gwErrorCode": string(),
            "gwErrorMessage": string(),
            "extendParam": string(),
            "timeout": {"type": "integer"},
            "errorCode": string(enum=["0"]),
            "errorMessage": string(),
        },
        ["type", "rrn", "txDateTime", "amt", "ccy", "paymentUrl", "errorCode"],
    ),
    "QueryResponse": obj(
        {
            "additionalAmt": {"type": "integer"},
            "amt": {"type": "integer"},
            "ccy": string(),
            "errorCode": string(enum=["0"]),
            "errorMessage": string(),
            "extendParam": string("gateway details as a JSON object string, once paid"),
            "gwErrorCode": string(),
            "gwErrorMessage": string(),
            "gwRefCode": string(),
            "gwRefStatus": string(
                "01 success, 02 failed, 03 timed out, 04 refunded/cancelled, 05 pending",
                enum=sorted(GW_REF_STATUS.values()),
            ),
            "lang": {"type": "string", "nullable": True, "enum": [*LANG_CODES.values(), None]},
            "orgGwRefCode": string(),
            "orgRrn": string(),
            "payDetail": string("masked card (550690xxxxxx0305) or wallet payer id"),
            "payType": string(),
            "rrn": string(),
            "storeCode": string(),
            "tillId": string(),
            "txDateTime": string(),
            "type": string(),
        },
        ["errorCode", "type", "rrn", "txDateTime", "amt", "ccy", "gwRefStatus"],
    ),
    "SessionCreateResponse": obj(
        {
            "errorCode": string(enum=["0"]),
            "errorMessage": string(),
            "content": string("data:image/png;base64,... QR, or the H5 page URL"),
            "sessionId": string(),
            "merchantName": string(),
            "storeCode": string(),
            "tillId": string(),
            "salesMan": string(),
            "amount": {
                "type": "integer",
                "description": "as the document's example (absent with --field-names table)",
            },
            "amt": {
                "type": "integer",
                "description": "as the document's field table (absent with --field-names example)",
            },
            "remarks": string(),
            "bitmap": {"type": "boolean"},
            "subject": string(),
            "webhookUrl": string(),
        },
        ["errorCode", "content", "sessionId"],
    ),
    "SessionQueryResponse": obj(
        {
            "errorCode": string(enum=["0"]),
            "errorMessage": string(),
            "sessionId": string(),
            "status": string("0 cancelled or expired, 1 not paid yet, 2 paid", enum=list("012")),
            "type": string("when status is 2"),
            "storeCode": string(),
            "tillId": string(),
            "rrn": string(),
            "salesman": string(),
            "salesMan": string(),
            "txDatetime": string(),
            "amt": {"type": "integer"},
            "gwRefCode": string(),
            "remarks": string(),
            "subject": string(),
            "merchantName": string(),
        },
        ["errorCode", "sessionId", "status"],
    ),
    "SessionCancelResponse": obj(
        {
            "errorCode": string(enum=["0"]),
            "errorMessage": string(),
            "sessionId": string(),
        },
        ["errorCode", "sessionId"],
    ),
    "WebhookPayload": obj(
        {
            "storeCode": string(),
            "tillId": string(),
            "type": string(),
            "rrn": string(),
            "amount": {"type": "integer"},
            "gwRefCode": string(),
            "txDatetime": string(),
            "salesman": string(),
            "orgRrn": string(),
            "sessionId": string("H5 payments only"),
        },
        ["storeCode", "tillId", "type", "rrn", "amount", "gwRefCode", "txDatetime", "salesman"],
    ),
    "ControlError": obj(
        {"error": string("what was wrong, naming the field"), "status": {"type": "integer"}},
        ["error", "status"],
    ),
    "Fault": obj(
        {
            "webhook": string(
                "a fault of the next `count` notifications instead of PMS calls",
                enum=list(WEBHOOK_KINDS),
            ),
            "seconds": {"type": "number", "minimum": 0, "description": "for webhook: delay"},
            "endpoint": string(
                "a PMS endpoint (any prefix); omitted or null: every endpoint",
                nullable=True,
                enum=[*PMS_ENDPOINTS, None],
            ),
            "errorCode": string(enum=list(ERROR_CODES)),
            "httpStatus": {"type": "integer", "minimum": 400, "maximum": 599},
            "delayMs": {"type": "integer", "minimum": 0, "maximum": MAX_DELAY_MS},
            "drop": {"type": "boolean", "description": "close the connection, no answer"},
            "count": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT, "default": 1},
        }
    ),
    "ActiveFault": {
        "allOf": [
            ref("Fault"),
            obj(
                {
                    "id": {"type": "integer"},
                    "remaining": {"type": "integer"},
                    "apiKey": string("only this merchant's requests (absent: everyone's)"),
                },
                ["id", "endpoint", "remaining"],
            ),
        ]
    },
    "Policy": obj(
        {
            "outcome": string(enum=list(POLICY_OUTCOMES)),
            "afterSeconds": {"type": "number", "minimum": 0, "default": 0},
        },
        ["outcome"],
    ),
    "ControlTransaction": obj(
        {
            "apiKey": string(),
            "rrn": string(),
            "type": string(),
            "amt": {"type": "integer"},
            "ccy": string(),
            "status": string(enum=[s.value for s in TxStatus]),
            "gwRefStatus": string(enum=sorted(GW_REF_STATUS.values())),
            "storeCode": string(),
            "tillId": string(),
            "salesman": string(),
            "txDateTime": string(),
            "lang": string(),
            "createdAt": {"type": "number"},
            "expiresAt": {"type": "number"},
            "finishedAt": {"type": "number", "nullable": True},
            "returnUrl": string(),
            "webhookUrl": string(),
            "extendParam": string(),
            "remarks": string(),
            "sessionId": string(nullable=True),
            "payType": string(),
            "payDetail": string(),
            "gwRefCode": string(),
        },
        ["apiKey", "rrn", "type", "amt", "status", "gwRefStatus"],
    ),
    "ControlSession": obj(
        {
            "apiKey": string(),
            "sessionId": string(),
            "status": string("0 cancelled or expired, 1 not paid yet, 2 paid", enum=list("012")),
            "merchantName": string(),
            "storeCode": string(),
            "tillId": string(),
            "salesMan": string(),
            "amt": {"type": "integer"},
            "remarks": string(),
            "subject": string(),
            "webhookUrl": string(),
            "createdAt": {"type": "number"},
            "scannedAt": {"type": "number", "nullable": True},
            "wallet": string(nullable=True),
            "countdownEndsAt": {"type": "number", "nullable": True},
            "secondsLeft": {"type": "number", "nullable": True},
            "cancelledAt": {"type": "number", "nullable": True},
            "payable": {"type": "boolean"},
            "rrn": string(nullable=True),
            "url": string("the H5 page the QR code opens"),
            "transaction": ref("ControlTransaction"),
        },
        ["apiKey", "sessionId", "status", "amt", "payable", "url"],
    ),
    "Clock": obj(
        {
            "offset": {"type": "number", "description": "seconds added to the wall clock"},
            "apiKey": string("the merchant whose time this is (?apiKey=)"),
            "ownOffset": {
                "type": "number",
                "description": "the merchant's own offset, on top of `offset`",
            },
            "now": {"type": "number", "description": "mock time, epoch seconds"},
            "time": string("mock time, ISO 8601 UTC", format="date-time"),
            "advanced": {"type": "number"},
            "ran": {"type": "integer", "description": "jobs run by this advance"},
            "stillRunning": {"type": "integer", "description": "due jobs not finished in time"},
            "pending": {"type": "integer", "description": "jobs scheduled, not yet started"},
            "nextDueAt": {"type": "number", "nullable": True},
        },
        ["offset", "now", "time", "pending"],
    ),
    "WebhookAttempt": obj(
        {
            "id": {"type": "integer"},
            "apiKey": string(),
            "rrn": string(),
            "sessionId": string(nullable=True),
            "url": string(),
            "payload": {"type": "object"},
            "attempt": {"type": "integer", "minimum": 1},
            "maxAttempts": {"type": "integer"},
            "scheduledAt": {"type": "number"},
            "scheduledTime": string(format="date-time"),
            "sentAt": {"type": "number"},
            "sentTime": string(format="date-time"),
            "durationMs": {"type": "number"},
            "httpStatus": {"type": "integer", "nullable": True},
            "responseBody": string(nullable=True),
            "error": string(nullable=True),
            "acknowledged": {"type": "boolean"},
            "nextAttemptAt": {"type": "number", "nullable": True},
            "deliveryId": {"type": "integer"},
            "resent": {"type": "boolean"},
            "duplicate": {"type": "boolean"},
            "dropped": {"type": "boolean"},
            "forged": {"type": "boolean"},
        },
        ["id", "rrn", "url", "payload", "attempt", "sentAt", "acknowledged"],
    ),
    "Report": obj(
        {
            "merchants": {
                "type": "object",
                "additionalProperties": {
                    "type": "array",
                    "items": obj(
                        {
                            "code": string(enum=list(REPORT_FINDINGS)),
                            "severity": string(enum=["error", "warning"]),
                            "message": string("what PMS will do and how to fix it"),
                            "count": {"type": "integer"},
                            "examples": {"type": "array", "items": string()},
                        },
                        ["code", "severity", "message", "count", "examples"],
                    ),
                },
            }
        },
        ["merchants"],
    ),
    "WebhookDelivery": obj(
        {
            "id": {"type": "integer"},
            "apiKey": string(),
            "rrn": string(),
            "sessionId": string(nullable=True),
            "url": string(),
            "payload": {"type": "object"},
            "state": string(enum=["pending", "acknowledged", "exhausted", "cancelled"]),
            "attempts": {"type": "integer"},
            "maxAttempts": {"type": "integer"},
            "acknowledged": {"type": "boolean"},
            "firstDueAt": {"type": "number"},
            "nextAttemptAt": {"type": "number", "nullable": True},
            "forged": {"type": "boolean"},
        },
        ["id", "rrn", "url", "state", "attempts"],
    ),
    "JournalEntry": obj(
        {
            "id": {"type": "integer"},
            "receivedAt": {"type": "number", "description": "mock clock, epoch seconds"},
            "receivedTime": string("mock clock, ISO 8601 UTC", format="date-time"),
            "method": string(),
            "path": string(),
            "endpoint": string(nullable=True),
            "apiKey": string(nullable=True),
            "body": {"description": "the JSON body with sign redacted, or (cut) text"},
            "status": {"type": "integer", "nullable": True, "description": "null: dropped"},
            "errorCode": string(nullable=True),
            "errorMessage": string(nullable=True),
            "durationMs": {"type": "number"},
            "fault": {"type": "object", "nullable": True},
        },
        ["id", "receivedAt", "method", "path", "endpoint", "status", "durationMs"],
    ),
}
