"""The hosted payment page in headless Chromium, as a payer uses it.

For each of the six types, on a desktop and a mobile User-Agent: create a sale
over HTTP, open paymentUrl, complete it (approve, decline, cancel, expiry), land
on returnUrl at a local receiver, and check that online/query agrees.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.views.pages_support import (
    CARD_TYPES,
    DEVICES,
    SELLER,
    SUBJECT,
    TYPES,
    assert_returned,
    back_from_merchant,
    create_sale,
    query,
    read_qr,
    shot,
)

pytestmark = pytest.mark.browser

OpenPage = Callable[[str], Any]
CARD_EXPIRY = "12/39"
APPROVE_CARD = {
    ("VMPAY", "desktop"): ("4111 1111 1111 1111", "VISA", "411111xxxxxx1111"),
    ("VMPAY", "mobile"): ("5506 9001 0000 0305", "MASTERCARD", "550690xxxxxx0305"),
    ("UNIONPAY", "desktop"): ("6250 9460 0000 0016", "UNIONPAY", "625094xxxxxx0016"),
    ("UNIONPAY", "mobile"): ("6250946000000016", "UNIONPAY", "625094xxxxxx0016"),
}
DECLINE_CARD = {"VMPAY": "4000 0000 0000 0002", "UNIONPAY": "6200 0000 0000 0047"}
GATEWAY_NAMES = {
    "WXPAY": "微信支付",
    "ALIPAY": "支付寶",
    "ALIPAYOS": "支付寶(香港)",
    "FPSPAY": "轉數快",
    "VMPAY": "信用卡支付",
    "UNIONPAY": "銀聯(信用卡)支付",
}
# one device each for the outcomes that are the same on both layouts
SPREAD = [
    ("WXPAY", "desktop"),
    ("ALIPAY", "mobile"),
    ("ALIPAYOS", "desktop"),
    ("FPSPAY", "mobile"),
    ("VMPAY", "desktop"),
    ("UNIONPAY", "mobile"),
]
# desktop wallets paid with the sandbox button; the others by scanning the QR code
SANDBOX_BUTTON = ("ALIPAY", "ALIPAYOS")
FLIPPED = [(t, "mobile" if d == "desktop" else "desktop") for t, d in SPREAD]


@pytest.fixture
def open_page(chromium: Any) -> Iterator[OpenPage]:
    """A new browser context per device (cookies, cache and tabs of its own)."""
    contexts: list[Any] = []
    problems: list[str] = []

    def open_(device: str) -> Any:
        context = chromium.new_context(**DEVICES[device])
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()

        def console(message: Any) -> None:
            if message.type == "error":
                problems.append(message.text)

        page.on("console", console)
        page.on("pageerror", lambda e: problems.append(str(e)))
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not problems, f"browser console errors (CSP?): {problems}"


def fill_card(page: Any, number: str) -> None:
    page.fill("#number", number)
    page.fill("#expiry", CARD_EXPIRY)
    page.fill("#cvc", "123")


def expect_order(page: Any, type_: str) -> None:
    """What every payment page shows: amount, seller, subject, gateway name."""
    assert page.locator("#amount").inner_text() == "0.10 HKD"
    assert page.locator("#subject").inner_text() == SUBJECT
    assert page.locator("#seller").inner_text() == SELLER
    assert page.locator("#gateway").inner_text() == GATEWAY_NAMES[type_]
    assert "0:0" not in page.locator("#countdown").inner_text()  # minutes left, not seconds


# ---------------------------------------------------------------- approve


@pytest.mark.parametrize("device", ["desktop", "mobile"])
@pytest.mark.parametrize("type_", TYPES)
def test_approved_payment_returns_to_merchant_and_query_shows_01(
    live: Any, return_receiver: Any, open_page: OpenPage, type_: str, device: str
) -> None:
    sale = create_sale(live, return_receiver, type_)
    page = open_page(device)
    page.goto(sale["paymentUrl"])
    expect_order(page, type_)
    assert page.evaluate("document.body.className") == device
    shot(page, f"{type_.lower()}-{device}")

    if type_ in CARD_TYPES:
        number, brand, masked = APPROVE_CARD[(type_, device)]
        fill_card(page, number)
        page.click("#pay")
    elif device == "mobile":
        assert page.locator("#qr").count() == 0
        page.click("#open-app")  # the wallet app opens, the payer confirms
        assert page.locator("#amount").inner_text() == "0.10 HKD"
        page.click("#confirm")
    elif type_ in SANDBOX_BUTTON:
        assert page.locator("#qr").is_visible()
        page.click("#pay")
    else:  # desktop: the payer scans the QR code with a phone and pays there
        assert page.locator("#open-app").count() == 0
        phone = open_page("mobile")
        phone.goto(read_qr(page.locator("#qr").screenshot()))
        phone.click("#confirm")
        assert phone.locator("#result").get_attribute("data-state") == "success"
        # what the desktop page's own refresh (every 10 s) does, without the wait
        page.goto(sale["paymentUrl"] + "&poll=1")

    assert_returned(return_receiver, sale, "01")
    page.wait_for_url(f"{return_receiver.url}/**")
    answer = query(live, sale)
    assert answer["gwRefStatus"] == "01"
    assert answer["gwRefCode"]
    details = json.loads(answer["extendParam"])
    assert details["total"] == "10"
    if type_ in CARD_TYPES:
        assert (answer["payType"], answer["payDetail"]) == (brand, masked)
        assert details["maskedCard"] == masked
    else:
        assert answer["payDetail"]
        assert answer["payType"] == live.sandbox.gateways.get(type_).pay_type


# ------------------------------------------------------ decline, cancel, expiry


@pytest.mark.parametrize(("type_", "device"), SPREAD)
def test_declined_payment_returns_02(
    live: Any, return_receiver: Any, open_page: OpenPage, type_: str, device: str
) -> None:
    sale = create_sale(live, return_receiver, type_)
    page = open_page(device)
    page.goto(sale["paymentUrl"])
    if type_ in CARD_TYPES:
        fill_card(page, DECLINE_CARD[type_])
        page.click("#pay")
    else:
        page.click("#fail")
    assert_returned(return_receiver, sale, "02")
    answer = query(live, sale)
    assert answer["gwRefStatus"] == "02"
    assert answer["gwErrorCode"] in ("DECLINED", "PAYMENT_FAILED")
    back_from_merchant(page, return_receiver)  # Back shows the result, never the form again
    assert page.locator("#result").get_attribute("data-state") == "failed"
    assert page.locator("#pay").count() == 0
    if type_ == "VMPAY":
        shot(page, "result-failed-desktop")


@pytest.mark.parametrize(("type_", "device"), FLIPPED)
def test_cancelled_payment_returns_04(
    live: Any, return_receiver: Any, open_page: OpenPage, type_: str, device: str
) -> None:
    sale = create_sale(live, return_receiver, type_)
    page = open_page(device)
    page.goto(sale["paymentUrl"])
    page.click("#cancel")
    assert_returned(return_receiver, sale, "04")
    assert query(live, sale)["gwRefStatus"] == "04"


@pytest.mark.parametrize(("type_", "device"), SPREAD)
def test_payment_after_five_minutes_is_refused_and_returns_03(
    live: Any, return_receiver: Any, open_page: OpenPage, type_: str, device: str
) -> None:
    sale = create_sale(live, return_receiver, type_)
    page = open_page(device)
    page.goto(sale["paymentUrl"])
    live.sandbox.clock.advance(301)
    if type_ in CARD_TYPES:
        fill_card(page, APPROVE_CARD[(type_, device)][0])
    page.click("#pay")
    assert_returned(return_receiver, sale, "03")
    answer = query(live, sale)
    assert answer["gwRefStatus"] == "03"
    assert answer["gwRefCode"] == ""
    page.goto(sale["paymentUrl"])
    assert page.locator("#result").get_attribute("data-state") == "timeout"
    assert page.locator("#pay").count() == 0


def test_countdown_ticks(live: Any, open_page: OpenPage) -> None:
    sale = create_sale(live, None, "WXPAY")
    page = open_page("desktop")
    page.goto(sale["paymentUrl"])
    shown = page.locator("#countdown").inner_text()
    assert shown in ("5:00", "4:59", "4:58")
    page.wait_for_function(
        "(shown) => document.getElementById('countdown').textContent !== shown", arg=shown
    )


def test_countdown_at_zero_returns_the_payer_with_03(
    live: Any, return_receiver: Any, open_page: OpenPage
) -> None:
    sale = create_sale(live, return_receiver, "ALIPAY")
    live.sandbox.clock.advance(298)
    page = open_page("desktop")
    page.goto(sale["paymentUrl"], wait_until="commit")
    assert_returned(return_receiver, sale, "03")  # the script asked the server again at 0:00
    assert query(live, sale)["gwRefStatus"] == "03"


# ----------------------------------------------------------------- cards


def test_card_number_with_a_typo_gets_a_clear_error_and_nothing_is_charged(
    live: Any, return_receiver: Any, open_page: OpenPage
) -> None:
    sale = create_sale(live, return_receiver, "VMPAY")
    page = open_page("desktop")
    page.goto(sale["paymentUrl"])
    fill_card(page, "4111 1111 1111 1112")
    page.click("#pay")
    error = page.locator("#form-error")
    assert "卡號無效" in error.inner_text()
    assert page.locator("#number").get_attribute("aria-invalid") == "true"
    assert page.input_value("#number") == ""  # the number is not sent back
    assert page.input_value("#expiry") == CARD_EXPIRY
    shot(page, "card-luhn-error")
    assert query(live, sale)["gwRefStatus"] == "05"
    fill_card(page, "4111 1111 1111 1111")  # corrected, it goes through
    page.click("#pay")
    assert_returned(return_receiver, sale, "01")


def test_card_of_another_brand_is_refused_on_the_form(
    live: Any, return_receiver: Any, open_page: OpenPage
) -> None:
    sale = create_sale(live, return_receiver, "VMPAY", lang="en")
    page = open_page("mobile")
    page.goto(sale["paymentUrl"])
    fill_card(page, "6250 9460 0000 0016")
    page.click("#pay")
    assert "accepts VISA / MASTERCARD cards only" in page.locator("#form-error").inner_text()
    assert query(live, sale)["gwRefStatus"] == "05"


def test_insufficient_funds_card_returns_02_with_the_reason(
    live: Any, return_receiver: Any, open_page: OpenPage
) -> None:
    sale = create_sale(live, return_receiver, "VMPAY")
    page = open_page("desktop")
    page.goto(sale["paymentUrl"])
    fill_card(page, "4000 0000 0000 9995")
    page.click("#pay")
    assert_returned(return_receiver, sale, "02")
    answer = query(live, sale)
    assert (answer["gwErrorCode"], answer["payDetail"]) == (
        "INSUFFICIENT_FUNDS",
        "400000xxxxxx9995",
    )


def test_card_the_issuer_never_answers_stays_pending_until_settled(
    live: Any, return_receiver: Any, open_page: OpenPage
) -> None:
    sale = create_sale(live, return_receiver, "VMPAY")
    page = open_page("desktop")
    page.goto(sale["paymentUrl"])
    fill_card(page, "4000 0000 0000 3220")
    page.click("#pay")
    assert_returned(return_receiver, sale, "05")
    answer = query(live, sale)
    assert (answer["gwRefStatus"], answer["payDetail"]) == ("05", "400000xxxxxx3220")
    page.goto(sale["paymentUrl"])  # no second card while the first one waits
    assert page.locator("#result").get_attribute("data-state") == "pending"
    assert page.locator("#number").count() == 0
    shot(page, "result-pending")
    settled = live.control(
        "POST", f"/transactions/{sale['rrn']}/settle", json={"outcome": "success"}
    )
    assert settled.status_code == 200
    answer = query(live, sale)
    assert (answer["gwRefStatus"], answer["payDetail"]) == ("01", "400000xxxxxx3220")


# ------------------------------------------------------- exactly one outcome


def test_double_click_pays_once(live: Any, return_receiver: Any, open_page: OpenPage) -> None:
    sale = create_sale(live, return_receiver, "WXPAY")
    page = open_page("desktop")
    page.goto(sale["paymentUrl"])
    page.dblclick("#pay")
    assert_returned(return_receiver, sale, "01")
    assert query(live, sale)["gwRefStatus"] == "01"
    assert len(live.sandbox.webhooks.deliveries(sale["rrn"])) == 1


def test_two_tabs_give_one_outcome(live: Any, return_receiver: Any, open_page: OpenPage) -> None:
    sale = create_sale(live, return_receiver, "VMPAY")
    first = open_page("desktop")
    first.goto(sale["paymentUrl"])
    second = first.context.new_page()
    second.goto(sale["paymentUrl"])
    fill_card(first, "4111 1111 1111 1111")
    first.click("#pay")
    assert_returned(return_receiver, sale, "01")
    fill_card(second, "4000 0000 0000 0002")  # the stale tab tries a declining card
    second.click("#pay")
    assert_returned(return_receiver, sale, "01")  # ...and is told the payment succeeded
    answer = query(live, sale)
    assert (answer["gwRefStatus"], answer["payDetail"]) == ("01", "411111xxxxxx1111")
    assert len(live.sandbox.webhooks.deliveries(sale["rrn"])) == 1


def test_back_button_and_reload_show_the_result(
    live: Any, return_receiver: Any, open_page: OpenPage
) -> None:
    sale = create_sale(live, return_receiver, "FPSPAY")
    page = open_page("mobile")
    page.goto(sale["paymentUrl"])
    page.click("#pay")
    assert_returned(return_receiver, sale, "01")
    back_from_merchant(page, return_receiver)
    assert page.locator("#result").get_attribute("data-state") == "success"
    assert page.locator("#pay").count() == 0
    page.reload()
    assert page.locator("#result").get_attribute("data-state") == "success"
    shot(page, "result-success-mobile")
    page.click("#back")
    assert_returned(return_receiver, sale, "01")


def test_without_return_url_the_mock_shows_its_own_result_page(
    live: Any, open_page: OpenPage
) -> None:
    sale = create_sale(live, None, "UNIONPAY", lang="en")
    page = open_page("desktop")
    page.goto(sale["paymentUrl"])
    fill_card(page, "6250 9460 0000 0016")
    page.click("#pay")
    assert page.url == sale["paymentUrl"]
    assert page.locator("#result-title").inner_text() == "Payment successful"
    assert page.locator("#pay-detail").inner_text() == "UNIONPAY 625094xxxxxx0016"
    assert page.locator("#back").count() == 0
    shot(page, "result-success-desktop")


# ------------------------------------------------------ languages and XSS


LANGUAGES = [
    ("zh_hk", "zh-Hant-HK", "交易將要在5分鐘後關閉", "模擬付款成功"),
    ("zh_cn", "zh-Hans-CN", "交易将要在5分钟后关闭", "模拟付款成功"),
    ("en", "en", "This payment closes in 5 minutes", "Simulate: pay"),
]


def test_page_speaks_the_transaction_language(live: Any, open_page: OpenPage) -> None:
    page = open_page("mobile")
    for lang, html_lang, closes, pay in LANGUAGES:
        sale = create_sale(live, None, "ALIPAYOS", lang=lang)
        page.goto(sale["paymentUrl"])
        assert page.evaluate("document.documentElement.lang") == html_lang
        assert closes in page.inner_text("body")
        assert page.locator("#pay").inner_text() == pay
        shot(page, f"alipayos-mobile-{lang}")


def test_script_in_merchant_text_is_shown_as_text(
    live: Any, return_receiver: Any, open_page: OpenPage
) -> None:
    evil = {
        "subject": "<script>window.__pwned = 'subject'</script>",
        "seller": "<img src=x onerror=\"window.__pwned = 'seller'\">",
    }
    remarks = "<script>window.__pwned = 'remarks'</script>"
    sale = create_sale(
        live,
        return_receiver,
        "VMPAY",
        extendParam=json.dumps(evil),
        remarks=remarks,
    )
    page = open_page("desktop")
    page.goto(sale["paymentUrl"])
    assert page.locator("#subject").inner_text() == evil["subject"]
    assert page.locator("#seller").inner_text() == evil["seller"]
    assert page.locator("#remarks").inner_text() == remarks
    fill_card(page, "4000 0000 0000 0002")
    page.click("#pay")
    assert_returned(return_receiver, sale, "02")
    page.goto(sale["paymentUrl"])  # the result page shows them too
    assert page.locator("#subject").inner_text() == evil["subject"]
    assert page.evaluate("window.__pwned") is None


@pytest.mark.parametrize(
    ("lang", "first_font", "own", "other"),
    [
        ("zh_hk", '"PingFang HK"', "CJK TC", "CJK SC"),
        ("zh_cn", '"PingFang SC"', "CJK SC", "CJK TC"),
    ],
)
def test_each_chinese_page_puts_its_own_script_fonts_first(
    live: Any, open_page: OpenPage, lang: str, first_font: str, own: str, other: str
) -> None:
    """Traditional fonts first on zh_hk pages, Simplified first on zh_cn ones."""
    sale = create_sale(live, None, "WXPAY", lang=lang)
    page = open_page("desktop")
    page.goto(sale["paymentUrl"])
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert family.startswith(first_font), family
    assert own in family and other not in family, family
