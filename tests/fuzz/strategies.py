"""Hypothesis strategies and settings shared by the fuzz tests.

The number of examples is bounded so CI stays fast; MOCKPMS_FUZZ_EXAMPLES=5000
runs a long fuzz (e.g. before a release).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from mockpms.endpoints import ENDPOINTS as REGISTRY
from mockpms.endpoints import NAMES

EXAMPLES = int(os.environ.get("MOCKPMS_FUZZ_EXAMPLES", "150"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # shared, noisy machines: speed is for the benchmarks
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)

ENDPOINTS = NAMES  # the registry's: a new endpoint is fuzzed without a change here

# Every field name the endpoints read (from the field-spec table), and a few near misses.
FIELDS = tuple(
    dict.fromkeys(
        ["apiKey", "timestamp", "sign"]
        + [field.name for endpoint in REGISTRY for field in endpoint.request]
        + ["RRN", "Amt", "salesMan", "salesman"]
    )
)

# Any text, lone surrogates and control characters included: a JSON body can carry
# them as \u escapes.
# Characters that break naive code: lone surrogates (not encodable as UTF-8), controls,
# line and paragraph separators, BOM, HTML and JSON metacharacters, astral emoji.
SPECIALS = ["\ud800", "\udfff", "\x00", "\x1f", "\x7f", "\u2028", "\ufeff", "<", ">", "&",
            '"', "'", "\\", "/", "%", "\U0001f600", "é", "中"]  # fmt: skip
tricky_text = st.text(
    st.sampled_from(SPECIALS) | st.characters(min_codepoint=32, max_codepoint=126), max_size=40
)
any_text = (
    tricky_text
    | st.text(st.characters(categories=["L", "M", "N", "P", "S", "Z", "C"]), max_size=80)
    | st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | any_text
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=12,
)

# Values close to the valid ones: PMS-shaped strings that are just off.
near_values = st.sampled_from(
    [
        "", " ", "0", "-1", "10", "10.5", "1e3", "ten", "true", "false", "HKD", "hkd", "USD",
        "WXPAY", "wxpay", "VMPAY", "zh_hk", "zh-HK", "EN", "2021-06-09T13:10:33+0800",
        "2021-13-40T25:61:61+0800", "2021-06-09 13:10:33", "../x", "..%2Fx", "a" * 65,
        "x" * 5000, "<script>alert(1)</script>", "javascript:alert(1)", "file:///etc/passwd",
        "http://", "https://example.test/ok", '{"subject":"s"}', '{"subject":1}', "[]",
        "١٢٣", "²", "\u0000", "\ud800", "\U0001f600", ".", "..", "9" * 5000, "9" * 20,
    ]
)  # fmt: skip


# The shapes that made 0.1.0 answer 500 (hostile audit D5), so the class stays covered:
# integers of hundreds of digits (a signed timestamp), JSON nested far too deep inside a
# string (extendParam) or as a value (the journal), bracketed hosts that do not parse.
def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


audit_shapes = st.one_of(
    st.integers(min_value=10**300, max_value=10**400),
    st.integers(min_value=20, max_value=4000).map(lambda n: "[" * n),
    st.integers(min_value=20, max_value=4000).map(lambda n: '{"a":' * n),
    st.sampled_from(["http://[::1", "http://[abc]/", "https://[::1]]:80/", "http://[", "http://]"]),
    st.integers(min_value=900, max_value=1000).map(_nested),
)
field_values = (
    json_values | near_values | st.integers(min_value=-5, max_value=2**31 + 5) | audit_shapes
)

content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/JSON",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ]
)


@st.composite
def mutated_bodies(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """A valid body with fields replaced, removed or added at random."""
    body = dict(base)
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=4, unique=True)):
        action = draw(st.sampled_from(["replace", "remove"]))
        if action == "remove":
            body.pop(name, None)
        else:
            body[name] = draw(field_values)
    body.update(draw(st.dictionaries(any_text, json_values, max_size=2)))
    return body
