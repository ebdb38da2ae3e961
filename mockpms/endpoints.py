"""The PMS endpoints mockpms serves, written once.

The PMS views, the fault book, the OpenAPI document, PMSClient, the 404 message
and the fuzz tests all read this table: a new endpoint is one entry here plus
its handler (views/pms.py) and its request spec (mockpms.fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockpms import fields
from mockpms.fields import RequestSpec

# --field-names: which of the document's two spellings an answer carries. "both" (the
# default) answers both; "example" only the spellings of the document's examples,
# "table" only those of its field tables, so a client reading the wrong one fails here.
FIELD_NAME_PROFILES = ("both", "example", "table")

# The document uses all three: /tt-pms-ws/rest/<endpoint>, /tt-pms-ws/<endpoint>, /<endpoint>.
PREFIXES = ("/tt-pms-ws/rest", "/tt-pms-ws", "")
PREFIX_NAMES = {"/tt-pms-ws/rest": "rest", "/tt-pms-ws": "ws", "": "root"}
DEFAULT_PREFIX = PREFIXES[0]


@dataclass(frozen=True)
class Endpoint:
    """One PMS endpoint: its path, what it reads, what it answers, and where its example is."""

    name: str  # the path after the prefix, e.g. "online/sales"
    operation_id: str
    summary: str
    request: RequestSpec
    response_schema: str  # a component schema of mockpms.openapi_schemas
    example: str  # fixtures/examples/<example>.request.json and .response.json
    client_method: str  # the PMSClient method that calls it
    notifies: bool = False  # a payment made through it is notified to webhookUrl
    # Answer fields the document spells two ways: field -> "example" or "table", the
    # place that spells it so. Only these differ between --field-names profiles.
    spellings: tuple[tuple[str, str], ...] = ()

    def paths(self) -> tuple[str, ...]:
        return tuple(f"{prefix}/{self.name}" for prefix in PREFIXES)

    def spelled(self, answer: dict[str, Any], profile: str) -> dict[str, Any]:
        """The answer with only the spellings the --field-names profile keeps (the
        answer itself, uncopied, when it keeps them all: the usual case, on every call)."""
        if profile == "both" or not self.spellings:
            return answer
        dropped = {name for name, source in self.spellings if source != profile}
        return {key: value for key, value in answer.items() if key not in dropped}


GATEWAY = Endpoint(
    "online/gateway", "onlineGateway", "Available gateways", fields.GATEWAY,
    "GatewayResponse", "gateway", "gateway",
)  # fmt: skip
SALES = Endpoint(
    "online/sales", "onlineSales", "Create a transaction", fields.SALES,
    "SalesResponse", "sales", "sales", notifies=True,
)  # fmt: skip
QUERY = Endpoint(
    "online/query", "onlineQuery", "Query a transaction", fields.QUERY,
    "QueryResponse", "query", "query",
)  # fmt: skip
SESSION_CREATE = Endpoint(
    "h5Payment/session/create", "h5SessionCreate", "Create an H5 session (QR content)",
    fields.SESSION_CREATE, "SessionCreateResponse", "h5-create", "h5_create", notifies=True,
    spellings=(("amount", "example"), ("amt", "table")),
)  # fmt: skip
SESSION_QUERY = Endpoint(
    "h5Payment/session/query", "h5SessionQuery", "Query an H5 session", fields.SESSION,
    "SessionQueryResponse", "h5-query", "h5_query",
    spellings=(("salesman", "example"), ("salesMan", "table")),
)  # fmt: skip
SESSION_CANCEL = Endpoint(
    "h5Payment/session/cancel", "h5SessionCancel", "Cancel an H5 session", fields.SESSION,
    "SessionCancelResponse", "h5-cancel", "h5_cancel",
)  # fmt: skip

ENDPOINTS: tuple[Endpoint, ...] = (
    GATEWAY, SALES, QUERY, SESSION_CREATE, SESSION_QUERY, SESSION_CANCEL,
)  # fmt: skip
BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}
NAMES = tuple(BY_NAME)


def endpoint_of(path: str) -> Endpoint | None:
    """The endpoint a path names under any prefix ("/tt-pms-ws/rest/online/sales" too)."""
    for prefix in PREFIXES:
        if prefix and path.startswith(prefix + "/"):
            found = BY_NAME.get(path[len(prefix) + 1 :])
            if found is not None:
                return found
    return BY_NAME.get(path.lstrip("/"))


# Paths real clients call that Online Payment v1.9 does not describe, and what does the job.
UNDESCRIBED: tuple[tuple[str, str], ...] = (
    ("present", "for a QR code a payer scans, use h5Payment/session/create (H5 payment)"),
    ("cancel", "it describes no cancel of an online sale: an unpaid one times out after 5 "
               "minutes (gwRefStatus 03); an H5 session has h5Payment/session/cancel"),
    ("refund", "it describes no refund call: online/query shows a refund as gwRefStatus 04 (in "
               'mockpms: POST /_mock/transactions/<rrn>/settle {"outcome": "refunded"})'),
)  # fmt: skip


def undescribed(path: str) -> str | None:
    """What to say about a path the document does not describe but clients call, or None."""
    if path.startswith("/_mock"):
        return None
    lowered = path.lower()
    for word, advice in UNDESCRIBED:
        if word in lowered:
            return (
                f"mockpms implements PMS Online Payment v1.9, which does not describe "
                f"{path[:80]}; {advice}. (The document's revision history mentions a Cancel "
                f"API that this version does not describe.)"
            )
    return None


def listing() -> str:
    """The endpoints in prose, for messages (404, faults)."""
    return ", ".join(NAMES) + f" (under {', '.join(p or '/' for p in PREFIXES)})"
