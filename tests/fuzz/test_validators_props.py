"""Property tests of the validators and the signature check, in-process.

Each rule either gives the typed value or raises a PmsError naming the field:
never another exception (which would be a 500 over HTTP).
"""

from __future__ import annotations

import time
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mockpms.errors import AuthError, InvalidField, PmsError
from mockpms.fields import MAX_AMT, MAX_TEXT
from mockpms.signing import sign, verify
from mockpms.validation import (
    ID_PATTERN,
    Body,
    sale_request,
    session_request,
)
from tests.fuzz.strategies import FIELDS, FUZZ, any_text, field_values, json_values

GATEWAYS = ("WXPAY", "ALIPAY", "ALIPAYOS", "FPSPAY", "VMPAY", "UNIONPAY")
bodies = st.dictionaries(st.sampled_from(FIELDS) | any_text, field_values, max_size=14)


@FUZZ
@given(value=field_values)
def test_amount_is_a_positive_java_integer_or_refused(value: Any) -> None:
    try:
        amt = Body({"amt": value}).amount()
    except InvalidField as error:
        assert error.field == "amt" and error.message.startswith("amt: ")
        return
    assert isinstance(amt, int) and not isinstance(amt, bool)
    assert 0 < amt <= MAX_AMT
    assert value == amt or (isinstance(value, str) and value.isascii() and int(value) == amt)


@FUZZ
@given(value=field_values)
def test_identifiers_match_the_rule_or_are_refused(value: Any) -> None:
    try:
        rrn = Body({"rrn": value}).identifier("rrn")
    except InvalidField as error:
        assert error.field == "rrn"
        return
    assert ID_PATTERN.fullmatch(rrn) and ".." not in rrn.split("/")


@FUZZ
@given(value=field_values)
def test_text_is_bounded_printable_and_encodable(value: Any) -> None:
    try:
        text = Body({"remarks": value}).text("remarks", required=False)
    except InvalidField as error:
        assert error.field == "remarks"
        return
    assert len(text) <= MAX_TEXT
    assert all(ord(ch) >= 32 for ch in text)
    text.encode("utf-8")  # no lone surrogate: it is echoed in answers and pages


@FUZZ
@given(value=field_values)
def test_urls_are_http_or_https_with_a_host(value: Any) -> None:
    try:
        url = Body({"webhookUrl": value}).url("webhookUrl", required=False)
    except InvalidField:
        return
    assert url == "" or url.lower().startswith(("http://", "https://"))


@FUZZ
@given(value=field_values)
def test_flags_are_booleans(value: Any) -> None:
    try:
        flag = Body({"bitmap": value}).flag("bitmap")
    except InvalidField:
        return
    assert isinstance(flag, bool)


@FUZZ
@given(data=bodies)
def test_whole_requests_are_typed_or_refused_with_a_field(data: dict[str, Any]) -> None:
    for build in (lambda b: sale_request(b, GATEWAYS), session_request):
        try:
            build(Body(data))
        except PmsError as error:
            assert error.error_code == "40002"
            assert error.field is not None and error.message.startswith(error.field)


@FUZZ
@given(timestamp=json_values | st.integers(), signature=json_values)
def test_verify_refuses_anything_but_a_fresh_correct_sign(timestamp: Any, signature: Any) -> None:
    now = int(time.time() * 1000)
    try:
        verify(
            timestamp=timestamp,
            signature=signature,
            secret="secret-a",
            now_ms=now,
            tolerance_seconds=300,
        )
    except AuthError as error:
        assert "secret-a" not in error.message  # never echo the secret
        return
    assert signature == sign(str(timestamp), "secret-a")
    assert abs(int(timestamp) - now) <= 300_000


@FUZZ
@given(offset_ms=st.integers(min_value=-299_000, max_value=299_000), as_text=st.booleans())
def test_a_fresh_correct_sign_passes(offset_ms: int, as_text: bool) -> None:
    now = int(time.time() * 1000)
    timestamp: int | str = now + offset_ms
    if as_text:
        timestamp = str(timestamp)
    verify(
        timestamp=timestamp,
        signature=sign(timestamp, "secret-a"),
        secret="secret-a",
        now_ms=now,
        tolerance_seconds=300,
    )
