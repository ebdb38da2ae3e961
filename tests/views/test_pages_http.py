"""The hosted payment page over plain HTTP: headers, cross-site posts, races, odd input.

What a browser test would only show slowly or not at all: the exact headers,
forged posts from another site, two payments racing, card numbers in logs.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any

import httpx
import pytest

from tests.conftest import Live
from tests.views.pages_support import DESKTOP_UA, MOBILE_UA, create_sale, query, read_qr

CARD = {"number": "4111 1111 1111 1111", "expiry": "12/39", "cvc": "123", "name": "A"}


def get(live: Live, url: str, ua: str = DESKTOP_UA) -> httpx.Response:
    return live.http.get(url, headers={"User-Agent": ua})


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "no form token in the page"
    return found.group(1)


def post(live: Live, url: str, data: dict[str, str], **headers: str) -> httpx.Response:
    origin = live.url
    sent = {"Origin": origin, "Sec-Fetch-Site": "same-origin", **headers}
    return live.http.post(url, data=data, headers={k: v for k, v in sent.items() if v})


def test_pages_send_a_strict_content_security_policy(live: Any, return_receiver: Any) -> None:
    sale = create_sale(live, return_receiver, "WXPAY")
    response = get(live, sale["paymentUrl"])
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    # the form's redirect to returnUrl must be allowed, and nothing else
    assert f"form-action 'self' {return_receiver.url};" in csp
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in response.text  # no inline script at all
    script = live.http.get("/static/pages/countdown.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["Content-Type"]


@pytest.mark.parametrize("value", ["", "nope", "0" * 64, "<script>", "A" * 300])
def test_unknown_page_token_is_a_404_page(live: Any, value: str) -> None:
    response = live.http.get("/pms-payment/eft-payment", params={"value": value})
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<script>" not in response.text
    posted = live.http.post("/pms-payment/eft-payment", params={"value": value}, data={})
    assert posted.status_code == 404


def test_mobile_user_agent_gets_the_app_button_desktop_gets_a_scannable_qr(live: Any) -> None:
    sale = create_sale(live, None, "FPSPAY")
    mobile = get(live, sale["paymentUrl"], MOBILE_UA).text
    desktop = get(live, sale["paymentUrl"], DESKTOP_UA).text
    assert 'id="open-app"' in mobile
    assert 'id="qr"' not in mobile
    assert 'class="mobile"' in mobile
    assert 'id="open-app"' not in desktop
    uri = re.search(r'id="qr" src="data:image/png;base64,([^"]+)"', desktop)
    assert uri
    import base64

    scanned = read_qr(base64.b64decode(uri.group(1)))
    assert scanned.startswith(f"{live.url}/pms-payment/eft-payment/wallet?value=")
    wallet = get(live, scanned, MOBILE_UA)  # the phone opens the wallet's confirm screen
    assert wallet.status_code == 200
    assert 'id="confirm"' in wallet.text


@pytest.mark.parametrize(
    "forged",
    [
        {"csrf": ""},
        {"csrf": "0" * 64},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
    ids=["no-token", "wrong-token", "other-origin", "null-origin", "cross-site", "same-site"],
)
def test_forged_posts_are_refused_and_change_nothing(
    live: Any, return_receiver: Any, forged: dict[str, str]
) -> None:
    sale = create_sale(live, return_receiver, "ALIPAY")
    token = form_token(get(live, sale["paymentUrl"]).text)
    data = {"csrf": forged.pop("csrf", token), "action": "pay"}
    response = post(live, sale["paymentUrl"], data, **forged)
    assert response.status_code == 403
    assert "請重新打開支付頁面" in response.text
    assert query(live, sale)["gwRefStatus"] == "05"


def test_token_of_one_payment_does_not_work_for_another(live: Any) -> None:
    first = create_sale(live, None, "WXPAY")
    second = create_sale(live, None, "WXPAY")
    token = form_token(get(live, first["paymentUrl"]).text)
    response = post(live, second["paymentUrl"], {"csrf": token, "action": "pay"})
    assert response.status_code == 403
    assert query(live, second)["gwRefStatus"] == "05"


def test_racing_pay_and_fail_give_exactly_one_outcome(live: Any, return_receiver: Any) -> None:
    sale = create_sale(live, return_receiver, "WXPAY")
    token = form_token(get(live, sale["paymentUrl"]).text)
    actions = ["pay", "fail", "cancel", "pay", "fail", "pay"] * 2
    barrier = threading.Barrier(len(actions))
    statuses: list[str] = []

    def act(action: str) -> None:
        with httpx.Client(base_url=live.url, timeout=15) as http:
            barrier.wait()
            answer = http.post(
                sale["paymentUrl"],
                data={"csrf": token, "action": action},
                headers={"Origin": live.url},
            )
        location = answer.headers["Location"]
        found = re.search(r"gwRefStatus=(\d\d)", location)
        assert found is not None, location
        statuses.append(found.group(1))

    threads = [threading.Thread(target=act, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    final = query(live, sale)["gwRefStatus"]
    assert final in ("01", "02", "04")
    assert statuses == [final] * len(actions)  # every tab is told the same one outcome
    expected_webhooks = 1 if final == "01" else 0
    assert len(live.sandbox.webhooks.deliveries(sale["rrn"])) == expected_webhooks


def test_expired_page_shows_expired_and_refuses_payment(live: Any, return_receiver: Any) -> None:
    sale = create_sale(live, return_receiver, "VMPAY", lang="en")
    token = form_token(get(live, sale["paymentUrl"]).text)
    live.sandbox.clock.advance(301)
    page = get(live, sale["paymentUrl"])
    assert "Payment expired" in page.text
    assert 'name="number"' not in page.text
    response = post(live, sale["paymentUrl"], {"csrf": token, "action": "card", **CARD})
    assert response.status_code == 303
    assert "gwRefStatus=03" in response.headers["Location"]
    answer = query(live, sale)
    assert (answer["gwRefStatus"], answer["payDetail"]) == ("03", "")


def test_just_before_five_minutes_the_payment_still_goes_through(live: Any) -> None:
    sale = create_sale(live, None, "VMPAY")
    token = form_token(get(live, sale["paymentUrl"]).text)
    live.sandbox.clock.advance(295)
    response = post(live, sale["paymentUrl"], {"csrf": token, "action": "card", **CARD})
    assert response.status_code == 303
    assert query(live, sale)["gwRefStatus"] == "01"


def test_return_url_keeps_its_query_and_fragment_and_drops_stale_names(live: Any) -> None:
    sale = create_sale(
        live,
        None,
        "WXPAY",
        returnUrl="https://shop.example/done?a=1&rrn=stale&b=x%20y#top",
    )
    token = form_token(get(live, sale["paymentUrl"]).text)
    response = post(live, sale["paymentUrl"], {"csrf": token, "action": "pay"})
    location = response.headers["Location"]
    assert location.startswith("https://shop.example/done?a=1&b=x%20y&rrn=")
    assert location.endswith("&gwRefStatus=01#top")
    assert "stale" not in location
    assert f"rrn={sale['rrn']}&txDatetime=2021-06-11T16%3A18%3A30%2B0800&type=WXPAY&amt=10&" in (
        location
    )


def test_card_number_is_never_stored_or_logged(live: Any, caplog: pytest.LogCaptureFixture) -> None:
    sale = create_sale(live, None, "VMPAY")
    token = form_token(get(live, sale["paymentUrl"]).text)
    caplog.set_level(logging.DEBUG)
    for number in ("4111 1111 1111 1112", "4111111111111111"):  # refused, then paid
        post(live, sale["paymentUrl"], {"csrf": token, "action": "card", **CARD, "number": number})
    answer = query(live, sale)
    assert answer["payDetail"] == "411111xxxxxx1111"
    stored = json.dumps(
        [vars(t) for t in live.sandbox.store.transactions()], default=str, ensure_ascii=False
    )
    control = live.control("GET", "/transactions").text
    for text in (stored, control, caplog.text, json.dumps(answer)):
        assert "4111111111111111" not in text
        assert "41111111111111" not in text


def test_card_form_refuses_bad_fields_with_a_message(live: Any) -> None:
    sale = create_sale(live, None, "UNIONPAY", lang="en")
    token = form_token(get(live, sale["paymentUrl"]).text)
    cases = {
        ("", "12/39", "123"): "Enter the card number",
        ("6250 9460 0000 001", "12/39", "123"): "check digit",
        ("4111 1111 1111 1111", "12/39", "123"): "accepts UNIONPAY cards only",
        ("6250 9460 0000 0024", "12/39", "123"): "only the test cards",
        ("6250 9460 0000 0016", "13/39", "123"): "MM/YY",
        ("6250 9460 0000 0016", "01/20", "123"): "expired",
        ("6250 9460 0000 0016", "12/39", "12"): "3 digits",
    }
    for (number, expiry, cvc), message in cases.items():
        data = {"csrf": token, "action": "card", "number": number, "expiry": expiry, "cvc": cvc}
        response = post(live, sale["paymentUrl"], data)
        assert response.status_code == 200, number
        assert message in response.text, (number, expiry, cvc)
        assert 'role="alert"' in response.text
    assert query(live, sale)["gwRefStatus"] == "05"


def test_unknown_action_changes_nothing(live: Any) -> None:
    sale = create_sale(live, None, "VMPAY")
    token = form_token(get(live, sale["paymentUrl"]).text)
    for action in ("", "pay", "refund", "x" * 1000):  # "pay" is a wallet button
        response = post(live, sale["paymentUrl"], {"csrf": token, "action": action})
        assert response.status_code == 303
        assert response.headers["Location"] == sale["paymentUrl"].removeprefix(live.url)
    assert query(live, sale)["gwRefStatus"] == "05"


def test_scanned_wallet_screen_pays_and_the_desktop_page_moves_on(
    live: Any, return_receiver: Any
) -> None:
    sale = create_sale(live, return_receiver, "ALIPAYOS")
    wallet_url = sale["paymentUrl"].replace("eft-payment?", "eft-payment/wallet?")
    token = form_token(get(live, wallet_url, MOBILE_UA).text)
    paid = post(live, wallet_url, {"csrf": token, "action": "confirm"})
    assert paid.status_code == 303
    assert "wallet_done" not in paid.text
    screen = get(live, paid.headers["Location"], MOBILE_UA).text
    assert "已付款" in screen  # the wallet says paid; it does not send the phone to the shop
    polled = get(live, sale["paymentUrl"] + "&poll=1")
    assert polled.status_code == 303  # the desktop page's refresh takes the payer back
    assert "gwRefStatus=01" in polled.headers["Location"]
    assert query(live, sale)["gwRefStatus"] == "01"


def test_desktop_wallet_page_refreshes_itself_mobile_does_not(live: Any) -> None:
    sale = create_sale(live, None, "WXPAY")
    assert 'http-equiv="refresh"' in get(live, sale["paymentUrl"], DESKTOP_UA).text
    assert 'http-equiv="refresh"' not in get(live, sale["paymentUrl"], MOBILE_UA).text
    card = create_sale(live, None, "VMPAY")
    assert 'http-equiv="refresh"' not in get(live, card["paymentUrl"], DESKTOP_UA).text


def test_stale_tab_with_a_bad_card_form_is_told_the_outcome_not_shown_the_form(
    live: Any,
) -> None:
    sale = create_sale(live, None, "VMPAY")
    token = form_token(get(live, sale["paymentUrl"]).text)
    post(live, sale["paymentUrl"], {"csrf": token, "action": "card", **CARD})
    stale = post(
        live, sale["paymentUrl"], {"csrf": token, "action": "card", **CARD, "number": "4111"}
    )
    assert stale.status_code == 303
    assert 'name="number"' not in get(live, stale.headers["Location"]).text
    assert query(live, sale)["gwRefStatus"] == "01"


@pytest.mark.parametrize(
    ("return_url", "source"),
    [
        ("https://user:pw@shop.example:8443/done?x=1", "https://shop.example:8443"),
        ("http://[::1]:9000/done", "http://[::1]:9000"),
        ("https://shop.example/done;'unsafe-inline'", "https://shop.example"),
    ],
)
def test_form_action_allows_only_the_return_url_origin(
    live: Any, return_url: str, source: str
) -> None:
    sale = create_sale(live, None, "WXPAY", returnUrl=return_url)
    csp = get(live, sale["paymentUrl"]).headers["Content-Security-Policy"]
    assert f"form-action 'self' {source};" in csp
    assert "unsafe-inline" not in csp


def test_card_payments_have_no_wallet_screen(live: Any) -> None:
    sale = create_sale(live, None, "UNIONPAY")
    wallet_url = sale["paymentUrl"].replace("eft-payment?", "eft-payment/wallet?")
    assert get(live, wallet_url, MOBILE_UA).status_code == 404


def test_refusing_in_the_wallet_app_fails_the_payment(live: Any, return_receiver: Any) -> None:
    sale = create_sale(live, return_receiver, "WXPAY")
    app_url = sale["paymentUrl"].replace("eft-payment?", "eft-payment/wallet?") + "&via=app"
    token = form_token(get(live, app_url, MOBILE_UA).text)
    refused = post(live, app_url, {"csrf": token, "action": "refuse", "via": "app"})
    assert refused.status_code == 303
    assert refused.headers["Location"].startswith(return_receiver.url)
    assert "gwRefStatus=02" in refused.headers["Location"]
    answer = query(live, sale)
    assert (answer["gwRefStatus"], answer["gwErrorCode"]) == ("02", "PAYMENT_FAILED")


@pytest.mark.parametrize(
    ("lang", "description", "reason"),
    [
        ("zh_hk", "Visa，拒絕：餘額不足", "餘額不足"),
        ("zh_cn", "Visa，拒绝：余额不足", "余额不足"),
        ("en", "Visa, declined: insufficient funds", "Insufficient funds"),
    ],
)
def test_test_cards_and_decline_reasons_speak_the_pages_language(
    live: Any, lang: str, description: str, reason: str
) -> None:
    """The payer reads the page's language; the API keeps the gateway's own gwErrorMessage."""
    sale = create_sale(live, None, "VMPAY", lang=lang)
    page = get(live, sale["paymentUrl"]).text
    assert f"<td>{description}</td>" in page
    data = {"csrf": form_token(page), "action": "card", "number": "4000 0000 0000 9995"}
    response = post(live, sale["paymentUrl"], {**data, "expiry": "12/39", "cvc": "123"})
    result = get(live, response.headers.get("Location", sale["paymentUrl"])).text
    assert f'<dd id="reason">{reason}</dd>' in result
    answer = query(live, sale)
    assert (answer["gwRefStatus"], answer["gwErrorMessage"]) == ("02", "Insufficient funds")
