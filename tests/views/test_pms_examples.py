"""The document's own examples, sent to mockpms and compared with the document's answers.

Field names and JSON types must match; echoed and constant values must be equal.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from mockpms.paths import FIXTURES_DIR
from mockpms.signing import sign
from tests.conftest import SHOP_A, Live, new_rrn

EXAMPLES = FIXTURES_DIR / "examples"
PREFIXES = ["/tt-pms-ws/rest", "/tt-pms-ws", ""]


def example(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return found


def fields(name: str) -> dict[str, Any]:
    """An example request without its credentials, for PMSClient to sign."""
    return {k: v for k, v in example(name).items() if k not in ("apiKey", "timestamp", "sign")}


def send(
    live: Live, endpoint: str, request: dict[str, Any], prefix: str = "/tt-pms-ws/rest"
) -> dict[str, Any]:
    """Send the example signed for shop-a, keeping the timestamp's JSON type."""
    body = dict(request)
    ts = int(time.time() * 1000)
    body["apiKey"] = SHOP_A.api_key
    body["timestamp"] = str(ts) if isinstance(request["timestamp"], str) else ts
    body["sign"] = sign(ts, SHOP_A.secret)
    response = live.http.post(f"{prefix}/{endpoint}", json=body)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    answer: dict[str, Any] = response.json()
    return answer


def assert_same_shape(answer: dict[str, Any], documented: dict[str, Any]) -> None:
    missing = set(documented) - set(answer)
    assert not missing, f"fields of the document's response missing: {missing}"
    for key, value in documented.items():
        if value is None:
            continue
        assert type(answer[key]) is type(value), f"{key}: {answer[key]!r} vs {value!r}"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_online_gateway_example(live: Live, prefix: str) -> None:
    answer = send(live, "online/gateway", example("gateway.request"), prefix)
    documented = example("gateway.response")
    assert_same_shape(answer, documented)
    assert answer["errorCode"] == "0" and answer["errorMessage"] == "no error"
    assert answer["extendParam"] == ""
    for ours, theirs in zip(answer["gateways"], documented["gateways"], strict=True):
        assert {k: ours[k] for k in ("type", "desc", "langDesc")} == {
            k: theirs[k] for k in ("type", "desc", "langDesc")
        }
        assert ours["base64Logo"].startswith("data:image/svg+xml;base64,")
    assert list(answer) == list(documented), "field order follows the document"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_online_sales_example(live: Live, prefix: str) -> None:
    request = example("sales.request") | {"rrn": new_rrn()}
    answer = send(live, "online/sales", request, prefix)
    documented = example("sales.response")
    assert_same_shape(answer, documented)
    for key in (
        "type",
        "storeCode",
        "tillId",
        "tradeMode",
        "txDateTime",
        "amt",
        "additionalAmt",
        "ccy",
        "lang",
        "gwRefCode",
        "gwErrorCode",
        "gwErrorMessage",
        "timeout",
        "errorCode",
        "errorMessage",
    ):
        assert answer[key] == documented[key], key
    assert answer["rrn"] == request["rrn"]
    assert re.fullmatch(
        r"http://127\.0\.0\.1:\d+/pms-payment/eft-payment\?value=[0-9A-F]{64}", answer["paymentUrl"]
    )


@pytest.mark.parametrize("prefix", PREFIXES)
def test_online_query_example_after_a_wxpay_payment(live: Live, prefix: str) -> None:
    rrn = new_rrn()
    sale = {
        "type": "WXPAY",
        "rrn": rrn,
        "storeCode": "ST01",
        "tillId": "01",
        "salesman": "9999",
        "txDateTime": "2022-07-20T11:43:03+0800",
        "amt": 10,
        "ccy": "HKD",
        "lang": "zh_hk",
    }
    assert live.client.sales(**sale)["errorCode"] == "0"
    box = live.sandbox
    from mockpms.models import TxStatus

    box.lifecycle.settle(live.transaction(rrn, SHOP_A.api_key), TxStatus.SUCCESS)
    answer = send(live, "online/query", example("query.request") | {"rrn": rrn}, prefix)
    documented = example("query.response")
    assert_same_shape(answer, documented)
    assert list(answer) == list(documented), "field order follows the document"
    for key in (
        "additionalAmt",
        "amt",
        "ccy",
        "errorCode",
        "errorMessage",
        "gwErrorCode",
        "gwErrorMessage",
        "gwRefStatus",
        "lang",
        "orgGwRefCode",
        "orgRrn",
        "payType",
        "tillId",
        "txDateTime",
        "type",
    ):
        assert answer[key] == documented[key], key
    # The document asks with storeCode ST01 and answers TT001; mockpms answers the sale's own.
    assert answer["storeCode"] == "ST01"
    assert re.fullmatch(r"4200\d{24}", answer["gwRefCode"])
    assert re.fullmatch(r"o_[A-Za-z0-9_]{26}", answer["payDetail"])
    details, documented_details = (
        json.loads(answer["extendParam"]),
        json.loads(documented["extendParam"]),
    )
    assert set(documented_details) <= set(details)
    assert details["openid"] == answer["payDetail"]
    assert details["gateway"] == "OfficialWXPayV3Gateway" and details["statusDesc"] == "支付成功"


def test_h5_create_example(live: Live) -> None:
    request = example("h5-create.request") | {"sessionId": f"9-{new_rrn()}"}
    answer = send(live, "h5Payment/session/create", request)
    documented = example("h5-create.response")
    assert_same_shape(answer, documented)
    for key in (
        "errorCode",
        "errorMessage",
        "merchantName",
        "storeCode",
        "salesMan",
        "amount",
        "remarks",
        "bitmap",
        "subject",
        "webhookUrl",
    ):
        assert answer[key] == documented[key], key
    assert answer["tillId"] == "01", "empty tillId takes the merchant's configured default"
    assert answer["amt"] == 10, "the field table's name is returned too"
    assert answer["content"].startswith("data:image/png;base64,iVBORw0KGgo")


def test_h5_query_example_after_payment(live: Live) -> None:
    created = live.client.h5_create(
        **fields("h5-create.request")
        | {
            "sessionId": "8-6E1EB438B29127058E54C0C33CE0D7AE",
            "storeCode": "nick store",
            "salesMan": "nick.lam",
            "remarks": "docNum:S03757845-08",
            "subject": "T-Shirt-08",
            "merchantName": "nick test h5 service in pms 08",
            "bitmap": "false",
        }
    )
    assert created["errorCode"] == "0"
    box = live.sandbox
    box.sessions.pay(live.session("8-6E1EB438B29127058E54C0C33CE0D7AE"), "WXPAY")
    answer = send(live, "h5Payment/session/query", example("h5-query.request"))
    documented = example("h5-query.response")
    assert_same_shape(answer, documented)
    for key in (
        "errorCode",
        "errorMessage",
        "sessionId",
        "type",
        "storeCode",
        "tillId",
        "salesman",
        "amt",
        "remarks",
        "subject",
        "merchantName",
        "status",
    ):
        assert answer[key] == documented[key], key
    assert re.fullmatch(r"00\d{22}", answer["rrn"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0800", answer["txDatetime"])


def test_h5_cancel_example(live: Live) -> None:
    live.client.h5_create(
        **fields("h5-create.request")
        | {"sessionId": "5-6E1EB438B29127058E54C0C33CE0D7AE", "bitmap": False}
    )
    answer = send(live, "h5Payment/session/cancel", example("h5-cancel.request"))
    assert answer == example("h5-cancel.response")


def test_webhook_payload_has_the_documents_fields(live: Live) -> None:
    rrn = new_rrn()
    live.client.sales(**{**fields("sales.request"), "rrn": rrn, "amt": 10})
    box = live.sandbox
    from mockpms.models import TxStatus

    txn = box.lifecycle.settle(live.transaction(rrn, SHOP_A.api_key), TxStatus.SUCCESS)
    documented = example("webhook.request")
    payload = txn.webhook_payload()
    assert list(payload) == list(documented)
    assert_same_shape(payload, documented)


def test_examples_are_valid_json() -> None:
    for path in Path(EXAMPLES).glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))
