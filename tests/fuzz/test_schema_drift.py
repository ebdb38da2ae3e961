"""The served OpenAPI request schemas and the server's validation agree, field by field.

For every field of every PMS request in /_mock/openapi.json: values generated
from the field's schema, put into an otherwise valid body and *signed*, are
accepted by the server; values the schema refuses (wrong types, out of range,
mutated text) are refused naming the field; an absent mandatory field is
refused, an absent optional one is not. Where a rule needs more than JSON
Schema can say, the schema names it in `x-beyond-schema` and only a refusal
carrying those words is allowed for a schema-valid value.

Schemas are judged here with ECMA-262 semantics for patterns (a full match, no
trailing newline), as a JSON Schema tool would.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockpms.endpoints import ENDPOINTS, Endpoint
from mockpms.openapi import request_component
from mockpms.paths import FIXTURES_DIR
from mockpms.signing import sign
from tests.conftest import SHOP_A, Live, Receiver
from tests.fuzz.strategies import EXAMPLES, FUZZ

PER_FIELD = settings(FUZZ, max_examples=max(EXAMPLES // 6, 12))
_ids = count(1)
# Answers that are not a validation refusal of the field: a lookup that found nothing
# (query, cancel of an id the generator made up) or a duplicate id.
NOT_VALIDATION = (
    "no transaction",
    "no H5 session",
    "was created with type",
    "belongs to storeCode",
    "is a duplicate",
    "was already used",
)
JUNK = ["", " ", ".", "..", "\x00", "\x1f", "[", "]", "@", "#", "é", "中", "\n", "-", ":",
        "0", "x" * 300, "{}", "true", "TRUE", "zh-hk"]  # fmt: skip
FIELDS = [(endpoint, field.name) for endpoint in ENDPOINTS for field in endpoint.request]


@pytest.fixture(scope="module")
def drift(live_server: Live) -> Iterator[tuple[Live, dict[str, Any]]]:
    live_server.reset()
    spec = live_server.http.get("/_mock/openapi.json").json()
    yield live_server, spec
    live_server.reset()


def field_schemas(spec: dict[str, Any], endpoint: Endpoint) -> tuple[dict[str, Any], list[str]]:
    schema = spec["components"]["schemas"][request_component(endpoint)]
    fields = schema["allOf"][1]
    return fields["properties"], fields.get("required", [])


def base_body(endpoint: Endpoint, receiver_url: str) -> dict[str, Any]:
    """The document's example request for the endpoint, with fresh ids and our receiver."""
    path = FIXTURES_DIR / "examples" / f"{endpoint.example}.request.json"
    body = dict(json.loads(path.read_text()))
    for key in ("apiKey", "timestamp", "sign"):
        body.pop(key, None)
    unique = f"DRIFT{time.time_ns()}{next(_ids)}"
    if "rrn" in body and endpoint.name == "online/sales":
        body["rrn"] = unique
    if "sessionId" in body and endpoint.name == "h5Payment/session/create":
        body["sessionId"] = unique
    for url in ("webhookUrl", "returnUrl"):
        if url in body:
            body[url] = receiver_url
    if endpoint.name == "online/sales":
        body["webhookUrl"] = ""  # no webhook for these throwaway sales
    return body


def post(live: Live, endpoint: Endpoint, fields: dict[str, Any]) -> dict[str, Any]:
    ts = int(time.time() * 1000)
    body = {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": sign(ts, SHOP_A.secret), **fields}
    response = live.http.post(f"/tt-pms-ws/rest/{endpoint.name}", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def refused_for(answer: dict[str, Any], field: str) -> bool:
    """The server refused the request because of this field (its validation message)."""
    message = str(answer.get("errorMessage", ""))
    return (
        answer["errorCode"] != "0"
        and message.startswith(f"{field}:")
        and not any(phrase in message for phrase in NOT_VALIDATION)
    )


# ------------------------------------------------- the schema, read as a tool would


def valid(schema: dict[str, Any], value: Any) -> bool:
    """JSON Schema (the subset the field table emits), patterns as ECMA full matches."""
    if value is None:
        return bool(schema.get("nullable"))
    if "oneOf" in schema:
        return sum(valid(option, value) for option in schema["oneOf"]) == 1
    if "enum" in schema and not any(_same(option, value) for option in schema["enum"]):
        return False
    kind = schema.get("type")
    if kind is None and "enum" in schema:
        return True
    if kind == "string":
        if not isinstance(value, str):
            return False
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", 10**9):
            return False
        pattern = schema.get("pattern")
        return pattern is None or re.fullmatch(pattern, value) is not None
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return False
        low: int = schema.get("minimum", -(10**30))
        high: int = schema.get("maximum", 10**30)
        return low <= value <= high
    if kind == "boolean":
        return isinstance(value, bool)
    raise AssertionError(f"the field table emitted a schema this test does not know: {schema}")


def _same(option: Any, value: Any) -> bool:
    """JSON equality: a boolean is not a number; 0 and 0.0 are the same number."""
    if isinstance(option, bool) or isinstance(value, bool):
        return type(option) is type(value) and option == value
    if isinstance(option, int | float) and isinstance(value, int | float):
        return option == value
    return type(option) is type(value) and option == value


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values the schema accepts."""
    options: list[st.SearchStrategy[Any]] = []
    if schema.get("nullable"):
        options.append(st.none())
    if "oneOf" in schema:
        options += [from_schema(option) for option in schema["oneOf"]]
    elif "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    elif schema.get("type") == "string":
        low, high = schema.get("minLength", 0), schema.get("maxLength", 10**9)
        pattern = schema.get("pattern", "^.*$")
        text = st.from_regex(pattern, fullmatch=True).filter(
            lambda s: low <= len(s) <= high and not re.search("[\ud800-\udfff]", s)
        )
        options.append(text)
    elif schema.get("type") == "integer":
        options.append(st.integers(schema.get("minimum"), schema.get("maximum")))
    elif schema.get("type") == "boolean":
        options.append(st.booleans())
    return st.one_of(options).filter(lambda v: valid(schema, v))


def mutations(example: Any) -> st.SearchStrategy[Any]:
    """Values near and far from a valid one; the schema decides which are valid."""
    junk = st.sampled_from(JUNK)
    text = str(example)
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=False, allow_infinity=False),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
        st.text(max_size=30),
        st.builds(lambda a, b: a + text + b, junk, junk),
        st.builds(lambda n: text * n, st.integers(2, 40)),
    )


def boundaries(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values at and just past the schema's limits (length, minimum, maximum): where a
    limit written twice would drift first."""
    options: list[st.SearchStrategy[Any]] = [st.nothing()]
    for option in schema.get("oneOf", [schema]):
        if option.get("type") == "integer":
            edges = [option.get("minimum"), option.get("maximum")]
            options.append(
                st.sampled_from([v + d for v in edges if v is not None for d in (-1, 0, 1)])
            )
        if option.get("type") == "string" and "maxLength" in option and "enum" not in option:
            limit: int = option["maxLength"]
            lengths = st.integers(limit - 1, limit + 3)
            options.append(st.builds(_pad, from_schema(option), lengths))
    return st.one_of(options)


def _pad(value: Any, length: int) -> Any:
    """A valid string stretched to `length` with a character most patterns allow."""
    if not isinstance(value, str) or not value:
        return value
    return (value + "1" * length)[: max(length, 0)]


# ---------------------------------------------------------------------- the tests


@pytest.mark.parametrize(("endpoint", "name"), FIELDS, ids=[f"{e.name}:{n}" for e, n in FIELDS])
def test_what_the_schema_accepts_the_server_accepts(
    drift: tuple[Live, dict[str, Any]], receiver: Receiver, endpoint: Endpoint, name: str
) -> None:
    live, spec = drift
    schema = spec_field(spec, endpoint, name)

    @PER_FIELD
    @given(value=from_schema(schema))
    def check(value: Any) -> None:
        answer = post(live, endpoint, {**base_body(endpoint, receiver.url), name: value})
        beyond = schema.get("x-beyond-schema")
        if beyond and beyond in str(answer.get("errorMessage", "")):
            return  # the rule the schema names but cannot express
        assert not refused_for(answer, name), (value, answer)

    check()


@pytest.mark.parametrize(("endpoint", "name"), FIELDS, ids=[f"{e.name}:{n}" for e, n in FIELDS])
def test_what_the_schema_refuses_the_server_refuses(
    drift: tuple[Live, dict[str, Any]], receiver: Receiver, endpoint: Endpoint, name: str
) -> None:
    live, spec = drift
    schema = spec_field(spec, endpoint, name)
    example = base_body(endpoint, receiver.url).get(name, "x")

    @PER_FIELD
    @given(value=mutations(example) | boundaries(schema))
    def check(value: Any) -> None:
        answer = post(live, endpoint, {**base_body(endpoint, receiver.url), name: value})
        if valid(schema, value):
            beyond = schema.get("x-beyond-schema")
            if not (beyond and beyond in str(answer.get("errorMessage", ""))):
                assert not refused_for(answer, name), ("schema accepts", value, answer)
        else:
            assert refused_for(answer, name), ("schema refuses", value, answer)

    check()


@pytest.mark.parametrize(("endpoint", "name"), FIELDS, ids=[f"{e.name}:{n}" for e, n in FIELDS])
def test_absent_fields_are_refused_exactly_when_the_schema_requires_them(
    drift: tuple[Live, dict[str, Any]], receiver: Receiver, endpoint: Endpoint, name: str
) -> None:
    live, spec = drift
    _, required = field_schemas(spec, endpoint)
    body = base_body(endpoint, receiver.url)
    body.pop(name, None)
    assert refused_for(post(live, endpoint, body), name) is (name in required)


def spec_field(spec: dict[str, Any], endpoint: Endpoint, name: str) -> dict[str, Any]:
    properties, _ = field_schemas(spec, endpoint)
    schema: dict[str, Any] = properties[name]
    return schema


def test_every_field_of_the_table_is_in_the_served_schema(
    drift: tuple[Live, dict[str, Any]],
) -> None:
    _, spec = drift
    for endpoint in ENDPOINTS:
        properties, _ = field_schemas(spec, endpoint)
        assert list(properties) == [field.name for field in endpoint.request]


def test_the_drift_test_notices_a_schema_that_says_more_than_the_server(
    drift: tuple[Live, dict[str, Any]], receiver: Receiver
) -> None:
    """A planted mismatch (a schema allowing 300 characters where the server allows 256)
    is caught by the same judgement the tests above make."""
    live, spec = drift
    sales = next(e for e in ENDPOINTS if e.name == "online/sales")
    planted = {**spec_field(spec, sales, "remarks"), "maxLength": 300}
    value = "r" * 280
    assert valid(planted, value)
    answer = post(live, sales, {**base_body(sales, receiver.url), "remarks": value})
    assert refused_for(answer, "remarks")  # the drift tests would fail on this value


def test_refused_for_reads_validation_messages_only() -> None:
    assert refused_for({"errorCode": "40002", "errorMessage": "amt: must be positive"}, "amt")
    assert not refused_for({"errorCode": "0", "errorMessage": "ok"}, "amt")
    lookup = {"errorCode": "40002", "errorMessage": "rrn: no transaction 'X' for this apiKey"}
    assert not refused_for(lookup, "rrn")
