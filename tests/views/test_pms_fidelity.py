"""What real merchant clients hit that the document leaves open: each gets a message that
names the cause and the fix."""

from __future__ import annotations

import time
from typing import Any

import pytest

from mockpms.signing import sign
from tests.conftest import SHOP_A, Live, sale_fields


def post(live: Live, path: str, body: dict[str, Any]) -> Any:
    return live.http.post(path, json=body)


def test_the_documents_javascript_snippet_sent_as_the_timestamp_points_at_the_typo(
    live: Live,
) -> None:
    literal = "+(new Date()).getTime()"
    body = {"apiKey": SHOP_A.api_key, "timestamp": literal, "sign": sign("1", SHOP_A.secret)}
    answer = post(live, "/tt-pms-ws/rest/online/gateway", body).json()
    assert answer["errorCode"] == "40002"
    assert "JavaScript snippet" in answer["errorMessage"]
    assert '"" + Date.now()' in answer["errorMessage"]


def test_a_seconds_timestamp_names_the_fix_in_php_too(live: Live) -> None:
    seconds = int(time.time())
    body = {"apiKey": SHOP_A.api_key, "timestamp": seconds, "sign": sign(seconds, SHOP_A.secret)}
    message = post(live, "/online/gateway", body).json()["errorMessage"]
    for fix in ("System.currentTimeMillis()", "Date.now()", "int(time.time() * 1000)",
                "(int) round(microtime(true) * 1000)"):  # fmt: skip
        assert fix in message


@pytest.mark.parametrize(
    ("path", "advice"),
    [
        ("/tt-pms-ws/rest/qrpay/sales/present", "h5Payment/session/create"),
        ("/tt-pms-ws/rest/online/cancel", "h5Payment/session/cancel"),
        ("/online/refund", "gwRefStatus 04"),
    ],
)
def test_paths_the_document_does_not_describe_get_a_404_that_helps(
    live: Live, path: str, advice: str
) -> None:
    response = post(live, path, {})
    assert response.status_code == 404
    message = response.json()["errorMessage"]
    assert "Online Payment v1.9" in message
    assert advice in message
    assert "Cancel API" in message  # the revision history's, which v1.9 does not describe


@pytest.mark.parametrize("value", [0, "0", ""])
@pytest.mark.parametrize("field", ["additionalAmt", "timeout"])
def test_answer_only_fields_sent_as_zero_are_accepted(live: Live, field: str, value: Any) -> None:
    assert live.client.sales(**sale_fields(**{field: value}))["errorCode"] == "0"


@pytest.mark.parametrize("value", [5, "300", True, 1.5])
@pytest.mark.parametrize("field", ["additionalAmt", "timeout"])
def test_answer_only_fields_with_a_value_are_refused_not_ignored(
    live: Live, field: str, value: Any
) -> None:
    answer = live.client.sales(**sale_fields(**{field: value}))
    assert answer["errorCode"] == "40002"
    assert answer["errorMessage"].startswith(f"{field}: is a field of PMS's answer")


@pytest.mark.parametrize(
    ("type_", "payer"), [("WXPAY", "CNY"), ("ALIPAY", "CNY"), ("FPSPAY", "HKD")]
)
def test_the_query_answer_shows_the_payers_currency_like_the_document(
    live: Live, type_: str, payer: str
) -> None:
    import json

    fields = sale_fields(type=type_, amt=1000, webhookUrl="")
    live.client.sales(**fields)
    live.control("POST", f"/transactions/{fields['rrn']}/settle", json={"outcome": "success"})
    answer = live.client.query(type=type_, rrn=fields["rrn"], storeCode=fields["storeCode"])
    details = json.loads(answer["extendParam"])
    documented = ["total", "currency", "payerTotal", "payerCurrency", "exchangeRateType",
                  "exchangeRate"]  # fmt: skip
    assert list(details)[:6] == documented
    assert details["total"] == "1000"
    assert details["currency"] == "HKD"
    assert details["payerCurrency"] == payer
    if payer == "CNY":
        assert 0.88 <= details["exchangeRate"] < 0.98
        assert details["payerTotal"] == str(round(1000 * details["exchangeRate"]))
    else:
        assert details["payerTotal"] == "1000"


def test_the_payer_currency_is_seedable(make_live: Any) -> None:
    import json

    rates = []
    for _ in range(2):
        seeded = make_live(seed=11)
        fields = sale_fields(type="WXPAY", rrn="SEEDED-1", webhookUrl="")
        seeded.client.sales(**fields)
        seeded.control("POST", "/transactions/SEEDED-1/settle", json={"outcome": "success"})
        answer = seeded.client.query(type="WXPAY", rrn="SEEDED-1", storeCode=fields["storeCode"])
        rates.append(json.loads(answer["extendParam"])["exchangeRate"])
    assert rates[0] == rates[1]
