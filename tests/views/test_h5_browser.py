"""The H5 page in headless Chromium, as WeChat's and Alipay's in-app browsers.

Open the URL the QR code holds, see the countdown tick, pay, see the receipt;
reopen and see "expired or paid". One browser for the run, a fresh context
(cookies, User-Agent) per test.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from tests.conftest import ALIPAY_UA, ARTIFACTS, DESKTOP_UA, WECHAT_UA, Live, session_fields

pytestmark = pytest.mark.browser

SECONDS = re.compile(r"付款\((\d+)秒后关闭\)")
CLOSED = "Session Id Expired or Paid"


def qr_url(live: Live, **overrides: Any) -> tuple[str, str]:
    """Create a session with a PNG QR code and read it like a phone: (sessionId, URL)."""
    answer = live.client.h5_create(**session_fields(bitmap="true", **overrides))
    assert answer["errorCode"] == "0", answer
    png = base64.b64decode(answer["content"].split(",", 1)[1])
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(codes) == 1
    return answer["sessionId"], str(codes[0].text)


@pytest.fixture
def open_page(chromium: Any) -> Iterator[Any]:
    """A factory of pages in a new browser context with the given User-Agent."""
    contexts: list[Any] = []
    problems: list[str] = []

    def factory(user_agent: str) -> Any:
        context = chromium.new_context(
            user_agent=user_agent, viewport={"width": 390, "height": 780}, locale="zh-CN"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if _is_problem(m) else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        return page

    yield factory
    for context in contexts:
        context.close()
    assert problems == []  # no script errors, no Content-Security-Policy violations


def _is_problem(message: Any) -> bool:
    """Script errors and CSP violations; a 409 page is an answer, not a problem."""
    return bool(message.type == "error" and "Failed to load resource" not in message.text)


def seconds_on(page: Any) -> int:
    found = SECONDS.search(page.locator("#pay").inner_text())
    assert found
    return int(found.group(1))


@pytest.mark.parametrize(
    ("user_agent", "wallet", "name"),
    [(WECHAT_UA, "WXPAY", "微信支付"), (ALIPAY_UA, "ALIPAY", "支付宝")],
    ids=["wechat", "alipay"],
)
def test_scan_see_countdown_pay_and_reopen(
    live: Live, open_page: Any, user_agent: str, wallet: str, name: str
) -> None:
    from playwright.sync_api import expect

    session_id, url = qr_url(live)
    page = open_page(user_agent)
    page.goto(url)
    expect(page).to_have_title("TT test h5 service in pms 09")
    expect(page.locator(".payee")).to_contain_text("收款方")
    expect(page.locator(".salesman")).to_have_text("销售员:tt.test TEST store/01")
    expect(page.locator(".amount")).to_have_text("0.10 HKD")
    expect(page.locator(".wallet-name")).to_have_text(name)
    expect(page.locator("#pay")).to_have_text(SECONDS)
    first = seconds_on(page)
    assert 290 <= first <= 300
    # the script ticks the server's figure down
    page.wait_for_function(
        "n => parseInt(document.querySelector('#pay .seconds').textContent, 10) < n", arg=first
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"h5-{wallet.lower()}.png"))

    page.locator("#pay").click()
    expect(page.locator(".result .status")).to_have_text("支付成功")
    paid = live.client.h5_query(session_id)
    assert paid["status"] == "2"
    assert paid["type"] == wallet
    expect(page.locator(".rrn")).to_have_text(paid["rrn"])
    expect(page.locator(".result .wallet")).to_have_text(name)

    page.goto(url)
    expect(page.locator(".closed .status")).to_have_text(CLOSED)
    expect(page.locator("#pay")).to_have_count(0)
    assert len(live.sandbox.store.transactions()) == 1


def test_plain_browser_chooses_a_wallet(live: Live, open_page: Any) -> None:
    from playwright.sync_api import expect

    session_id, url = qr_url(live)
    page = open_page(DESKTOP_UA)
    page.goto(url)
    expect(page.locator("#pay")).to_have_count(0)
    page.get_by_role("link", name="支付宝").click()
    expect(page.locator("body")).to_have_class(re.compile(r"\bwallet-alipay\b"))
    expect(page.locator("#pay")).to_have_text(SECONDS)
    page.locator("#pay").click()
    expect(page.locator(".result .wallet")).to_have_text("支付宝")
    assert live.client.h5_query(session_id)["type"] == "ALIPAY"


def test_reload_shows_the_servers_time_left(live: Live, open_page: Any) -> None:
    from playwright.sync_api import expect

    _, url = qr_url(live)
    page = open_page(WECHAT_UA)
    page.goto(url)
    expect(page.locator("#pay")).to_have_text(SECONDS)
    live.sandbox.clock.advance(120)
    page.reload()
    expect(page.locator("#pay")).to_have_text(SECONDS)
    assert 170 <= seconds_on(page) <= 180


def test_pay_after_the_countdown_is_refused(live: Live, open_page: Any) -> None:
    from playwright.sync_api import expect

    session_id, url = qr_url(live)
    page = open_page(ALIPAY_UA)
    page.goto(url)
    expect(page.locator("#pay")).to_have_text(SECONDS)
    live.sandbox.clock.advance(300)  # the page still counts; the server has ended it
    page.locator("#pay").click()
    expect(page.locator(".closed .status")).to_have_text(CLOSED)
    assert live.client.h5_query(session_id)["status"] == "0"
    assert live.sandbox.store.transactions() == []


def test_page_closes_itself_at_zero(live: Live, open_page: Any) -> None:
    from playwright.sync_api import expect

    session_id, url = qr_url(live)
    page = open_page(WECHAT_UA)
    page.goto(url)
    live.sandbox.clock.advance(298)
    page.reload()
    expect(page.locator("#pay")).to_have_text(SECONDS)
    assert seconds_on(page) <= 2
    expect(page.locator(".closed .status")).to_have_text(CLOSED)  # reloaded by the script
    assert live.client.h5_query(session_id)["status"] == "0"


def test_cancelled_before_scan_shows_expired(live: Live, open_page: Any) -> None:
    from playwright.sync_api import expect

    session_id, url = qr_url(live)
    live.client.h5_cancel(session_id)
    page = open_page(WECHAT_UA)
    page.goto(url)
    expect(page.locator(".closed .status")).to_have_text(CLOSED)
