"""online/sales and online/query: duplicates, isolation, languages, expiry."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from mockpms.client import PMSClient
from tests.conftest import SHOP_A, Live, sale_fields


def query(live: Live, sale: dict[str, Any], client: PMSClient | None = None) -> dict[str, Any]:
    client = client or live.client
    return client.query(type=sale["type"], rrn=sale["rrn"], storeCode=sale["storeCode"])


def test_new_sale_is_pending(live: Live) -> None:
    sale = sale_fields()
    assert live.client.sales(**sale)["errorCode"] == "0"
    answer = query(live, sale)
    assert answer["errorCode"] == "0" and answer["gwRefStatus"] == "05"
    assert answer["payType"] == "" and answer["payDetail"] == "" and answer["gwRefCode"] == ""


def test_duplicate_rrn_is_601_and_leaves_the_first_untouched(live: Live) -> None:
    sale = sale_fields(amt=100)
    first = live.client.sales(**sale)
    again = live.client.sales(**{**sale, "amt": 999})
    assert again["errorCode"] == "601" and "duplicate" in again["errorMessage"]
    assert query(live, sale)["amt"] == 100
    assert live.transaction(sale["rrn"]).token in first["paymentUrl"]


def test_duplicate_rrn_under_20_concurrent_requests(live: Live) -> None:
    sale = sale_fields()
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: live.client.sales(**sale)["errorCode"], range(20)))
    assert sorted(answers) == ["0"] + ["601"] * 19


def test_the_same_rrn_for_two_merchants_is_two_transactions(live: Live) -> None:
    sale = sale_fields()
    assert live.client.sales(**sale)["errorCode"] == "0"
    assert live.client_b.sales(**sale)["errorCode"] == "0"


def test_another_merchant_finds_nothing(live: Live) -> None:
    sale = sale_fields()
    live.client.sales(**sale)
    answer = query(live, sale, live.client_b)
    assert answer["errorCode"] == "40002" and "no transaction" in answer["errorMessage"]


def test_query_checks_type_and_store_code(live: Live) -> None:
    sale = sale_fields(type="WXPAY")
    live.client.sales(**sale)
    wrong_type = live.client.query(type="ALIPAY", rrn=sale["rrn"], storeCode=sale["storeCode"])
    assert wrong_type["errorCode"] == "40002" and "WXPAY" in wrong_type["errorMessage"]
    wrong_store = live.client.query(type="WXPAY", rrn=sale["rrn"], storeCode="OTHER")
    assert wrong_store["errorCode"] == "40002" and wrong_store["errorMessage"].startswith(
        "storeCode"
    )


@pytest.mark.parametrize(
    "lang, code, message",
    [
        ("zh_hk", "TC", "成功"),
        ("zh_cn", "SC", "成功"),
        ("en", "EN", "success"),
        ("zh-HK", "TC", "成功"),
        ("ZH-CN", "SC", "成功"),
        (None, "TC", "成功"),
    ],
)
def test_sales_lang_variants(live: Live, lang: str | None, code: str, message: str) -> None:
    sale = sale_fields(lang=lang)
    if lang is None:
        del sale["lang"]
    answer = live.client.sales(**sale)
    assert answer["lang"] == code and answer["errorMessage"] == message


@pytest.mark.parametrize(
    "lang, wxpay",
    [("zh_hk", "微信支付"), ("zh_cn", "微信支付"), ("en", "WeChat Pay"), ("zh-CN", "微信支付")],
)
def test_gateway_lang_variants(live: Live, lang: str, wxpay: str) -> None:
    gateways = {g["type"]: g["langDesc"] for g in live.client.gateway(lang)["gateways"]}
    assert gateways["WXPAY"] == wxpay
    expected_alipay = {"zh_hk": "支付寶", "zh-CN": "支付宝", "zh_cn": "支付宝", "en": "Alipay"}[
        lang
    ]
    assert gateways["ALIPAY"] == expected_alipay


def test_unpaid_sale_times_out_after_five_minutes_on_the_mock_clock(live: Live) -> None:
    sale = sale_fields()
    live.client.sales(**sale)
    live.sandbox.clock.advance(299)
    assert query(live, sale)["gwRefStatus"] == "05"
    live.sandbox.clock.advance(2)
    assert query(live, sale)["gwRefStatus"] == "03"


def test_all_three_prefixes_share_one_store(live: Live) -> None:
    sale = sale_fields()
    created = live.client.sales(**sale)
    assert created["errorCode"] == "0"
    for prefix in ("/tt-pms-ws/rest", "/tt-pms-ws", ""):
        from mockpms.client import PMSClient

        client = PMSClient(live.url + prefix, SHOP_A.api_key, SHOP_A.secret)
        assert query(live, sale, client)["rrn"] == sale["rrn"]
