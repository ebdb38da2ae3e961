"""Merchant-supplied text is data, never markup: echoed as JSON, escaped in HTML.

Every field a payer or an operator can see, filled with payloads aimed at
different HTML contexts. The pages are also opened in headless Chromium, where
a payload that executed would raise a dialog.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.conftest import WECHAT_UA, Live, sale_fields, session_fields
from tests.security.helpers import XSS_PAYLOADS, raw_request

SESSION_TEXT_FIELDS = ("merchantName", "storeCode", "tillId", "salesMan", "remarks", "subject")


def h5_session(live: Live, payload: str) -> dict[str, Any]:
    fields = dict.fromkeys(SESSION_TEXT_FIELDS, payload)
    answer = live.client.h5_create(**session_fields(**fields))
    assert answer["errorCode"] == "0", answer
    return answer


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_h5_create_echoes_payloads_as_json_data(live: Live, payload: str) -> None:
    response = live.client._http.post(
        f"{live.rest}/h5Payment/session/create",
        json=live.client.signed(session_fields(**dict.fromkeys(SESSION_TEXT_FIELDS, payload))),
    )
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    for name in SESSION_TEXT_FIELDS:
        assert answer[name] == payload  # the same text back, as a JSON string


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_sales_echo_payloads_as_json_data(live: Live, payload: str) -> None:
    extend = json.dumps({"subject": payload, "seller": payload})
    fields = sale_fields(remarks=payload, cashier=payload, salesman=payload, extendParam=extend)
    answer = live.client.sales(**fields)
    assert answer["errorCode"] == "0", answer
    assert answer["extendParam"] == extend


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_error_messages_echo_input_only_inside_json(live: Live, payload: str) -> None:
    answer = live.client.query(type="VMPAY", rrn=payload, storeCode="WP001")
    assert answer["errorCode"] == "40002" and answer["errorMessage"].startswith("rrn:")
    answer = live.client.sales(**sale_fields(type=payload))
    assert answer["errorCode"] == "40002" and answer["errorMessage"].startswith("type:")


def test_a_path_with_markup_gets_a_json_404(live: Live) -> None:
    status, _, answer = raw_request(
        live.url, "POST", "/tt-pms-ws/rest/%3Cscript%3Ealert(1)%3C/script%3E", b"{}"
    )
    assert status == 404 and answer["errorCode"] == "40002"
    assert "<script>" in answer["errorMessage"]  # echoed as JSON text, served as JSON


def assert_escaped(html: str, payload: str) -> None:
    """The payload is shown (escaped) and no tag or handler of it survives."""
    assert payload not in html
    for tag in re.findall(r"<(script|img|svg|b)\b", payload):
        assert not re.search(rf"<{tag}\b[^>]*(xss|alert)", html), tag


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_h5_page_escapes_every_field(live: Live, payload: str) -> None:
    url = h5_session(live, payload)["content"]
    html = live.http.get(url, headers={"User-Agent": WECHAT_UA}).text
    assert_escaped(html, payload)
    assert "xss" in html  # the text is displayed, not dropped


def sale_with(live: Live, payload: str, type_: str) -> dict[str, Any]:
    """A sale whose every displayed text field carries the payload."""
    fields = sale_fields(
        type=type_,
        remarks=payload,
        storeCode=payload,
        tillId=payload,
        salesman=payload,
        cashier=payload,
        extendParam=json.dumps({"subject": payload, "seller": payload}),
        returnUrl="",
    )
    answer = live.client.sales(**fields)
    assert answer["errorCode"] == "0", answer
    return fields | {"paymentUrl": answer["paymentUrl"]}


@pytest.mark.parametrize("type_", ["WXPAY", "VMPAY"])
@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payment_pages_escape_every_field(live: Live, payload: str, type_: str) -> None:
    sale = sale_with(live, payload, type_)
    pages = [live.http.get(sale["paymentUrl"]).text]
    if type_ == "WXPAY":  # the wallet app's confirm screen the QR code opens
        token = sale["paymentUrl"].split("value=")[1]
        pages.append(live.http.get(f"/pms-payment/eft-payment/wallet?value={token}").text)
    settled = live.control(
        "POST", f"/transactions/{sale['rrn']}/settle", json={"outcome": "success"}
    )
    assert settled.status_code == 200, settled.text
    pages.append(live.http.get(sale["paymentUrl"]).text)  # the result page
    for html in pages:
        assert_escaped(html, payload)
        assert "xss" in html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_dashboard_rows_and_story_pages_escape_every_field(live: Live, payload: str) -> None:
    sale = sale_with(live, payload, "WXPAY")
    created = live.client.h5_create(**session_fields(merchantName=payload, remarks=payload))
    session_id = created["sessionId"]
    pages = [
        live.http.get("/_mock/").text,
        live.http.get(f"/_mock/transactions/{sale['rrn']}/view").text,
        live.http.get(f"/_mock/sessions/{session_id}/view").text,
        live.http.get(
            "/_mock/dashboard/rows/transaction", params={"apiKey": "shop-a", "rrn": sale["rrn"]}
        ).text,
        live.http.get(
            "/_mock/dashboard/rows/session", params={"apiKey": "shop-a", "sessionId": session_id}
        ).text,
    ]
    for html in pages:
        assert_escaped(html, payload)
        assert "xss" in html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_page_urls_do_not_reflect_their_query(live: Live, payload: str) -> None:
    responses = [
        live.http.get(path, params={"value": payload, "lang": payload})
        for path in ("/pms-payment/eft-payment", "/pms-payment/eft-payment/wallet")
    ]
    responses.append(live.http.get(f"/pms-payment/h5/{payload}"))
    for response in responses:
        if response.headers["content-type"].startswith("application/json"):
            continue  # a JSON 404 may quote the path: JSON is never rendered as HTML
        assert response.headers["content-type"].startswith("text/html")
        assert_escaped(response.text, payload)


@pytest.mark.browser
def test_no_payload_runs_in_a_browser(live: Live, chromium: Any) -> None:
    """Open every page that shows merchant text; any alert() that fires is a failure."""
    urls = [h5_session(live, payload)["content"] for payload in XSS_PAYLOADS]
    for payload in XSS_PAYLOADS:
        urls += [sale_with(live, payload, type_)["paymentUrl"] for type_ in ("WXPAY", "VMPAY")]
    context = chromium.new_context(user_agent=WECHAT_UA)
    dialogs: list[str] = []
    page = context.new_page()

    def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    try:
        for url in urls:
            page.goto(url)
            page.wait_for_load_state("load")
            assert "xss" in page.content()
    finally:
        context.close()
    assert dialogs == []
