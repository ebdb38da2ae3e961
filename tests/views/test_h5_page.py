"""The H5 page over HTTP: what it shows, which wallet it is, and its countdown.

The countdown is the server's: a reload shows the time left, and a payment
after the end is refused whatever the page in the browser still shows.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.conftest import ALIPAY_UA, DESKTOP_UA, WECHAT_UA, Live, page_text, session_fields


def create(live: Live, **overrides: Any) -> dict[str, Any]:
    answer = live.client.h5_create(**session_fields(**overrides))
    assert answer["errorCode"] == "0", answer
    return answer


def get(live: Live, url: str, user_agent: str = WECHAT_UA) -> httpx.Response:
    return live.http.get(url, headers={"User-Agent": user_agent})


def post(live: Live, url: str, user_agent: str = WECHAT_UA, **form: str) -> httpx.Response:
    return live.http.post(url, headers={"User-Agent": user_agent}, data=form)


def seconds_shown(html: str) -> int:
    found = re.search(r"付款\((\d+)秒后关闭\)", page_text(html))
    assert found, page_text(html)
    return int(found.group(1))


def state(live: Live, session_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = live.control("GET", f"/sessions/{session_id}").json()
    return answer


def test_page_shows_the_document_screenshot_fields(live: Live) -> None:
    created = create(live)
    response = get(live, created["content"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    title = re.search(r"<title>(.*?)</title>", response.text)
    assert title and title.group(1) == "TT test h5 service in pms 09"
    text = page_text(response.text)
    assert "收款方 TT test h5 service in pms 09" in text
    assert "销售员:tt.test TEST store/01" in text
    assert "0.10 HKD" in text
    assert "docNum:S03757845-09" in text
    assert "付款(300秒后关闭)" in text


@pytest.mark.parametrize(
    ("amt", "shown"),
    [(10, "0.10 HKD"), (1, "0.01 HKD"), (90000, "900.00 HKD"), (12345, "123.45 HKD")],
)
def test_amount_in_hkd(live: Live, amt: int, shown: str) -> None:
    created = create(live, amt=amt)
    assert shown in page_text(get(live, created["content"]).text)


@pytest.mark.parametrize(
    ("user_agent", "wallet", "name"),
    [(WECHAT_UA, "WXPAY", "微信支付"), (ALIPAY_UA, "ALIPAY", "支付宝")],
)
def test_wallet_from_user_agent(live: Live, user_agent: str, wallet: str, name: str) -> None:
    created = create(live)
    page = get(live, created["content"], user_agent)
    assert f'class="h5 wallet-{wallet.lower()}"' in page.text
    assert name in page_text(page.text)
    assert state(live, created["sessionId"])["wallet"] == wallet
    receipt = post(live, created["content"], user_agent)
    assert receipt.status_code == 303
    assert live.client.h5_query(created["sessionId"])["type"] == wallet


def test_other_browsers_get_a_chooser_and_the_scan_starts(live: Live) -> None:
    created = create(live)
    page = get(live, created["content"], DESKTOP_UA)
    assert page.status_code == 200
    assert 'href="?wallet=WXPAY"' in page.text
    assert 'href="?wallet=ALIPAY"' in page.text
    assert "付款(" not in page_text(page.text)  # no pay button before a wallet is chosen
    scanned = state(live, created["sessionId"])
    assert scanned["scannedAt"] is not None
    assert scanned["wallet"] is None

    chosen = get(live, created["content"] + "?wallet=ALIPAY", DESKTOP_UA)
    assert 'class="h5 wallet-alipay"' in chosen.text
    assert 'name="wallet" value="ALIPAY"' in chosen.text
    assert post(live, created["content"], DESKTOP_UA, wallet="ALIPAY").status_code == 303
    paid = live.client.h5_query(created["sessionId"])
    assert paid["status"] == "2"
    assert paid["type"] == "ALIPAY"


def test_unknown_wallet_choice_shows_the_chooser_again(live: Live) -> None:
    created = create(live)
    page = get(live, created["content"] + "?wallet=VMPAY", DESKTOP_UA)
    assert page.status_code == 200
    assert 'href="?wallet=WXPAY"' in page.text


def test_reload_shows_the_time_left(live: Live) -> None:
    created = create(live)
    assert seconds_shown(get(live, created["content"]).text) == 300
    live.sandbox.clock.advance(100)
    left = seconds_shown(get(live, created["content"]).text)
    assert 190 <= left <= 200  # not 300 again


def test_pay_after_the_countdown_is_refused(live: Live) -> None:
    created = create(live)
    page = get(live, created["content"])
    assert seconds_shown(page.text) == 300
    live.sandbox.clock.advance(300)  # the page in the browser still says 300
    refused = post(live, created["content"], wallet="WXPAY")
    assert refused.status_code == 409
    assert "Session Id Expired or Paid" in page_text(refused.text)
    assert "countdown" in page_text(refused.text)
    assert live.client.h5_query(created["sessionId"])["status"] == "0"
    assert live.sandbox.store.transactions() == []


def test_reopen_after_paying_is_expired_or_paid(live: Live) -> None:
    created = create(live)
    get(live, created["content"])
    paid = post(live, created["content"])
    assert paid.status_code == 303
    receipt = live.http.get(created["content"] + "/result", headers={"User-Agent": WECHAT_UA})
    text = page_text(receipt.text)
    assert "支付成功" in text
    rrn = live.client.h5_query(created["sessionId"])["rrn"]
    assert rrn in text
    assert "0.10 HKD" in text

    again = get(live, created["content"])
    assert again.status_code == 200
    assert "Session Id Expired or Paid" in page_text(again.text)
    assert "付款(" not in page_text(again.text)
    second = post(live, created["content"])
    assert second.status_code == 409  # never a second payment
    assert len(live.sandbox.store.transactions()) == 1
    assert len(live.sandbox.webhooks.deliveries()) == 1


def test_result_without_payment_goes_back_to_the_page(live: Live) -> None:
    created = create(live)
    response = get(live, created["content"] + "/result")
    assert response.status_code == 303
    assert response.headers["location"].endswith(created["content"].rsplit("/", 1)[1])


def test_cancelled_before_scan_page_is_expired_and_starts_nothing(live: Live) -> None:
    created = create(live)
    live.client.h5_cancel(created["sessionId"])
    page = get(live, created["content"])
    assert "Session Id Expired or Paid" in page_text(page.text)
    assert "cancelled" in page_text(page.text)
    assert state(live, created["sessionId"])["scannedAt"] is None


def test_head_is_not_a_scan(live: Live) -> None:
    created = create(live)
    response = live.http.head(created["content"], headers={"User-Agent": WECHAT_UA})
    assert response.status_code == 200
    assert state(live, created["sessionId"])["scannedAt"] is None


@pytest.mark.parametrize(
    ("path", "post_status"),
    [
        ("/pms-payment/h5/0000", 404),
        ("/pms-payment/h5/%3Cscript%3E", 404),
        ("/pms-payment/h5/x/result", 405),  # the receipt is GET only
    ],
)
def test_unknown_link_is_a_404_page(live: Live, path: str, post_status: int) -> None:
    response = get(live, path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<script>" not in response.text
    assert post(live, path).status_code == post_status


def test_merchant_text_is_escaped(live: Live) -> None:
    created = create(
        live,
        merchantName="<script>alert(1)</script>",
        salesMan='"><img src=x onerror=alert(2)>',
        remarks="<b>bold</b> & 'quoted'",
    )
    html = get(live, created["content"]).text
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "<b>bold</b>" not in html
    text = page_text(html)
    assert "<script>alert(1)</script>" in text  # shown as text
    assert "<b>bold</b> & 'quoted'" in text


def test_security_headers_and_no_inline_code(live: Live) -> None:
    created = create(live)
    response = get(live, created["content"])
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["cache-control"] == "no-store"
    scripts = re.findall(r"<script\b[^>]*>", response.text)
    assert scripts and all("src=" in tag for tag in scripts)
    assert " style=" not in response.text
    assert not re.search(r"<[^>]+\son\w+=", response.text)  # no inline event handlers
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', response.text):
        assert live.http.get(asset).status_code == 200
