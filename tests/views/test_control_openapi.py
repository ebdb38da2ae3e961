"""GET /_mock/openapi.json: a valid OpenAPI 3 document that matches what mockpms does."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from mockpms.endpoints import NAMES as PMS_ENDPOINTS
from mockpms.views.pms import HANDLERS as ENDPOINTS
from tests.conftest import Live, Receiver, sale_fields, session_fields


@pytest.fixture
def spec(live: Live) -> dict[str, Any]:
    response = live.control("GET", "/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


def validator(spec: dict[str, Any], schema: dict[str, Any]) -> OAS30Validator:
    """A validator for `schema` whose #/components/... references resolve in the spec."""
    root = {"$ref": "#/x-checked", "x-checked": schema, "components": spec["components"]}
    return OAS30Validator(root)


def check(spec: dict[str, Any], schema: dict[str, Any], value: Any) -> None:
    errors = list(validator(spec, schema).iter_errors(value))
    assert not errors, [e.message for e in errors[:3]]


def test_the_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_every_route_is_described(live: Live, spec: dict[str, Any]) -> None:
    """Catches drift: a route added without its description fails here."""
    app = live.server.app
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not (
            rule.rule.startswith("/_mock") or rule.endpoint.startswith("pms")
        ):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    described = {
        (path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method in ("get", "post", "delete", "put", "patch")
    }
    dashboard_forms = {r for r in routes if r[0].startswith("/_mock/dashboard/")}
    assert routes - dashboard_forms - described == set()
    assert described - routes == set()


def test_pms_endpoints_under_three_prefixes(spec: dict[str, Any]) -> None:
    assert tuple(ENDPOINTS) == PMS_ENDPOINTS
    for endpoint in PMS_ENDPOINTS:
        for prefix in ("/tt-pms-ws/rest", "/tt-pms-ws", ""):
            assert "post" in spec["paths"][f"{prefix}/{endpoint}"]


def test_document_examples_fit_the_schemas(spec: dict[str, Any]) -> None:
    for endpoint in PMS_ENDPOINTS:
        operation = spec["paths"][f"/tt-pms-ws/rest/{endpoint}"]["post"]
        request = operation["requestBody"]["content"]["application/json"]
        check(spec, request["schema"], request["examples"]["document"]["value"])
        answer = operation["responses"]["200"]["content"]["application/json"]
        check(spec, answer["schema"], answer["examples"]["document"]["value"])


@pytest.mark.parametrize(
    ("field", "value", "fits"),
    [
        ("amt", 10, True),
        ("amt", "10", True),
        ("amt", 10.5, False),
        ("amt", "ten", False),
        ("amt", 0, False),
        ("timestamp", 1623205724171, True),
        ("timestamp", "1623205724171", True),
        ("timestamp", "16e11", False),
    ],
)
def test_amt_and_timestamp_are_integers_or_digit_strings(
    spec: dict[str, Any], field: str, value: Any, fits: bool
) -> None:
    if field == "amt":
        sales = spec["components"]["schemas"]["OnlineSalesRequest"]["allOf"][1]
        schema = sales["properties"]["amt"]
    else:
        schema = {"$ref": "#/components/schemas/Timestamp"}
    errors = list(validator(spec, schema).iter_errors(value))
    assert (not errors) is fits


def schema_of(spec: dict[str, Any], path: str, method: str, status: str = "200") -> Any:
    return spec["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]


def test_live_pms_answers_fit_their_schemas(live: Live, spec: dict[str, Any]) -> None:
    sale, session = sale_fields(), session_fields()
    answers = {
        "online/gateway": live.client.gateway(),
        "online/sales": live.client.call("online/sales", **sale),
        "online/query": live.client.call(
            "online/query", type="VMPAY", rrn=sale["rrn"], storeCode="WP001"
        ),
        "h5Payment/session/create": live.client.call("h5Payment/session/create", **session),
        "h5Payment/session/query": live.client.call(
            "h5Payment/session/query", sessionId=session["sessionId"]
        ),
        "h5Payment/session/cancel": live.client.call(
            "h5Payment/session/cancel", sessionId=session["sessionId"]
        ),
    }
    for endpoint, answer in answers.items():
        assert answer["errorCode"] == "0", answer
        check(spec, schema_of(spec, f"/{endpoint}", "post"), answer)
    error = live.client.call("online/query", type="VMPAY", rrn="none", storeCode="WP001")
    check(spec, schema_of(spec, "/online/query", "post"), error)
    refused = live.http.post("/online/sales", content=b"x", headers={"Content-Type": "text/x"})
    check(spec, schema_of(spec, "/online/sales", "post", "415"), refused.json())


def test_live_control_answers_fit_their_schemas(live: Live, spec: dict[str, Any]) -> None:
    live.client.gateway()
    live.control("POST", "/faults", json={"endpoint": "online/sales", "httpStatus": 503})
    live.control("POST", "/policy", json={"outcome": "failed", "afterSeconds": 3})
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("/_mock/health", "get", None),
        ("/_mock/ready", "get", None),
        ("/_mock/requests", "get", None),
        ("/_mock/faults", "get", None),
        ("/_mock/policy", "get", None),
        ("/_mock/seed", "get", None),
        ("/_mock/seed", "post", {"seed": 3}),
    ]
    for path, method, body in calls:
        response = live.http.request(method.upper(), path, json=body)
        check(spec, schema_of(spec, path, method), response.json())
    session_id = session_fields()["sessionId"]
    live.client.call("h5Payment/session/create", **session_fields(sessionId=session_id))
    for path, method, body in [
        ("/_mock/sessions", "get", None),
        (f"/_mock/sessions/{session_id}", "get", None),
        (f"/_mock/sessions/{session_id}/scan", "post", {"wallet": "ALIPAY"}),
        (f"/_mock/sessions/{session_id}/pay", "post", None),
    ]:
        response = live.http.request(method.upper(), path, json=body)
        assert response.status_code == 200, response.text
        template = path.replace(session_id, "{session_id}")
        check(spec, schema_of(spec, template, method), response.json())
    live.control("DELETE", "/faults")
    rrn = sale_fields()["rrn"]
    assert live.client.call("online/sales", **sale_fields(rrn=rrn))["errorCode"] == "0"
    for path, method, body in [
        ("/_mock/transactions", "get", None),
        (f"/_mock/transactions/{rrn}", "get", None),
        (f"/_mock/transactions/{rrn}/settle", "post", {"outcome": "success"}),
    ]:
        response = live.http.request(method.upper(), path, json=body)
        assert response.status_code == 200, response.text
        check(spec, schema_of(spec, path.replace(rrn, "{rrn}"), method), response.json())
    for path, method, body in [
        ("/_mock/clock/advance", "post", {"seconds": 0}),
        ("/_mock/clock", "get", None),
        ("/_mock/webhooks", "get", None),
    ]:
        response = live.http.request(method.upper(), path, json=body)
        assert response.status_code == 200, response.text
        check(spec, schema_of(spec, path, method), response.json())
    assert live.http.get("/_mock/webhooks").json()["count"] == 2  # H5 payment and sale
    bad = live.http.post("/_mock/faults", json={"errorCode": "9"})
    check(spec, schema_of(spec, "/_mock/faults", "post", "400"), bad.json())


def test_webhook_callback_describes_what_the_receiver_gets(
    live: Live, spec: dict[str, Any], receiver: Receiver
) -> None:
    live.control("POST", "/policy", json={"outcome": "success"})
    live.client.call("online/sales", **sale_fields(webhookUrl=receiver.url))
    live.control("POST", "/clock/advance", json={"seconds": 0})
    (received,) = receiver.wait_for(1)
    callback = spec["paths"]["/online/sales"]["post"]["callbacks"]["paymentNotification"]
    body = callback["{$request.body#/webhookUrl}"]["post"]["requestBody"]
    check(spec, body["content"]["application/json"]["schema"], received.json)
