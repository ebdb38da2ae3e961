"""Field-by-field validation: each rule names the field and the fix (errorCode 40002)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Live, sale_fields, session_fields

MISSING = object()


def sales_error(live: Live, **overrides: Any) -> str:
    fields = {k: v for k, v in sale_fields(**overrides).items() if v is not MISSING}
    answer = live.client.sales(**fields)
    assert answer["errorCode"] == "40002", answer
    assert set(answer) == {"errorCode", "errorMessage"}
    assert live.sandbox.store.counts()["transactions"] == 0, "a refused sale stores nothing"
    return str(answer["errorMessage"])


@pytest.mark.parametrize(
    "field", ["type", "rrn", "storeCode", "tillId", "salesman", "txDateTime", "amt", "ccy"]
)
def test_mandatory_sales_fields(live: Live, field: str) -> None:
    message = sales_error(live, **{field: MISSING})
    assert message.startswith(f"{field}:") and "mandatory" in message


def test_empty_string_counts_as_missing_for_a_mandatory_field(live: Live) -> None:
    assert "mandatory" in sales_error(live, storeCode="")


def test_misspelt_field_gets_a_hint(live: Live) -> None:
    message = sales_error(live, txDateTime=MISSING, txDatetime="2021-06-11T16:18:30+0800")
    assert "spelled 'txDateTime'" in message


@pytest.mark.parametrize(
    "amt, fragment",
    [
        (10.5, "whole number of cents"),
        ("ten", "whole number of cents"),
        ("10.5", "whole number of cents"),
        (True, "whole number of cents"),
        (0, "positive"),
        (-10, "positive"),
        (2**31, "at most 2147483647"),
        ([10], "whole number of cents"),
    ],
)
def test_amt_rules(live: Live, amt: object, fragment: str) -> None:
    message = sales_error(live, amt=amt)
    assert message.startswith("amt:") and fragment in message


def test_amt_as_digit_string_is_accepted(live: Live) -> None:
    answer = live.client.sales(**sale_fields(amt="10"))
    assert answer["errorCode"] == "0" and answer["amt"] == 10


def test_ccy_other_than_hkd(live: Live) -> None:
    assert "only HKD" in sales_error(live, ccy="USD")


def test_unknown_type_lists_the_known_ones(live: Live) -> None:
    message = sales_error(live, type="PAYPAL")
    assert message.startswith("type:") and "WXPAY" in message and "UNIONPAY" in message


@pytest.mark.parametrize(
    "value",
    [
        "2021-06-09 13:10:33+0800",
        "2021-06-09T13:10:33+08:00",
        "2021-06-09T13:10:33Z",
        "2021-13-09T13:10:33+0800",
        "09/06/2021",
        "2021-06-09T13:10:33",
    ],
)
def test_tx_datetime_format(live: Live, value: str) -> None:
    message = sales_error(live, txDateTime=value)
    assert message.startswith("txDateTime:") and "2021-06-09T13:10:33+0800" in message


@pytest.mark.parametrize("value", ["not json", "[1, 2]", '"text"', '{"subject": 5}'])
def test_extend_param_must_be_a_json_object_string(live: Live, value: str) -> None:
    assert sales_error(live, extendParam=value).startswith("extendParam:")


def test_extend_param_as_a_nested_object_is_explained(live: Live) -> None:
    message = sales_error(live, extendParam={"subject": "Water"})
    assert "encoded as a string" in message


@pytest.mark.parametrize("field", ["returnUrl", "webhookUrl"])
@pytest.mark.parametrize(
    "url", ["ftp://shop/x", "javascript:alert(1)", "file:///etc/passwd", "shop.com/x"]
)
def test_urls_must_be_http(live: Live, field: str, url: str) -> None:
    message = sales_error(live, **{field: url})
    assert message.startswith(f"{field}:") and "http" in message


@pytest.mark.parametrize("field", ["storeCode", "tillId", "salesman", "remarks"])
def test_strings_must_be_strings(live: Live, field: str) -> None:
    message = sales_error(live, **{field: 1})
    assert message == f"{field}: must be a JSON string, got a number"


def test_rrn_rule(live: Live) -> None:
    assert sales_error(live, rrn="../../etc").startswith("rrn: use 1 to 64 characters")
    assert sales_error(live, rrn="x" * 65).startswith("rrn:")


def test_unknown_lang(live: Live) -> None:
    assert sales_error(live, lang="fr").startswith("lang:")


def test_oversized_field(live: Live) -> None:
    assert "at most 256 characters" in sales_error(live, remarks="x" * 300)


def test_query_needs_type_rrn_and_store_code(live: Live) -> None:
    for missing in ("type", "rrn", "storeCode"):
        fields = {"type": "WXPAY", "rrn": "R1", "storeCode": "ST01"}
        del fields[missing]
        answer = live.client.query(**fields)
        assert answer["errorCode"] == "40002" and answer["errorMessage"].startswith(missing)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"sessionId": ""}, "sessionId"),
        ({"amt": "0.10"}, "amt"),
        ({"webhookUrl": ""}, "webhookUrl"),
        ({"webhookUrl": "mailto:x@y"}, "webhookUrl"),
        ({"bitmap": "yes"}, "bitmap"),
        ({"merchantName": 7}, "merchantName"),
    ],
)
def test_h5_create_rules(live: Live, overrides: dict[str, Any], field: str) -> None:
    answer = live.client.h5_create(**session_fields(**overrides))
    assert answer["errorCode"] == "40002" and answer["errorMessage"].startswith(f"{field}:")
    assert live.sandbox.store.counts()["sessions"] == 0
