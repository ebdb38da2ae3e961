"""The dashboard at /_mock/, in headless Chromium: see what the sandbox holds, press buttons."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from mockpms.client import PMSClient
from mockpms.testing import Reply, make_sale_request
from tests.conftest import SHOP_A, Live, Receiver, sale_fields, session_fields


@pytest.fixture
def page(live: Live, chromium: Any) -> Iterator[Any]:
    context = chromium.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.errors = errors
    yield page
    context.close()


def row(page: Any, rrn: str, api_key: str = "shop-a") -> Any:
    return page.locator(f'#transactions tr[data-key="{api_key} {rrn}"]')


def open_dashboard(page: Any, live: Live) -> None:
    """Open the dashboard and mark the window: the mark survives only without a reload."""
    page.goto(f"{live.url}/_mock/")
    page.wait_for_selector("#live.on", timeout=10000)  # the event stream is connected
    page.evaluate("window.__notReloaded = true")


def not_reloaded(page: Any) -> bool:
    return bool(page.evaluate("window.__notReloaded === true"))


def test_a_sale_appears_within_a_second_without_a_reload(live: Live, page: Any) -> None:
    open_dashboard(page, live)
    fields = sale_fields(webhookUrl="")
    assert live.client.call("online/sales", **fields)["errorCode"] == "0"
    row(page, fields["rrn"]).wait_for(timeout=1000)
    assert "pending" in row(page, fields["rrn"]).inner_text()
    assert "900.00 HKD" in row(page, fields["rrn"]).inner_text()
    assert not_reloaded(page)
    page.locator('#requests tbody tr:has-text("online/sales")').first.wait_for(timeout=2000)
    assert page.errors == []  # nothing blocked by the CSP, no script errors


def test_settle_and_refund_from_the_page_update_it_live(
    live: Live, page: Any, receiver: Receiver
) -> None:
    fields = sale_fields(type="WXPAY", webhookUrl=receiver.url)
    live.client.call("online/sales", **fields)
    open_dashboard(page, live)
    target = row(page, fields["rrn"])
    assert target.locator("button", has_text="refund").count() == 0  # pending: no refund
    target.locator("button.settle").click()
    page.wait_for_selector(
        f'#transactions tr[data-key="shop-a {fields["rrn"]}"]:has-text("success")'
    )
    assert receiver.wait_for(1)[0].json["rrn"] == fields["rrn"]
    page.locator("#webhooks tbody tr").first.wait_for(timeout=3000)
    assert fields["rrn"] in page.locator("#webhooks tbody tr").first.inner_text()
    row(page, fields["rrn"]).locator("button.refund").click()
    page.wait_for_selector(
        f'#transactions tr[data-key="shop-a {fields["rrn"]}"]:has-text("refunded")'
    )
    assert row(page, fields["rrn"]).locator("button").count() == 0  # refunded: nothing to do
    assert not_reloaded(page)
    answer = live.client.call("online/query", type="WXPAY", rrn=fields["rrn"], storeCode="WP001")
    assert answer["gwRefStatus"] == "04"


def test_resend_from_the_page_adds_an_attempt_live(
    live: Live, page: Any, receiver: Receiver
) -> None:
    fields = sale_fields(type="WXPAY", webhookUrl=receiver.url)
    live.client.call("online/sales", **fields)
    live.control("POST", f"/transactions/{fields['rrn']}/settle", json={"outcome": "success"})
    receiver.wait_for(1)
    live.sandbox.webhooks.wait_for_attempts(1)
    open_dashboard(page, live)
    page.locator("#webhooks button.resend").first.click()
    page.wait_for_selector("#webhooks tbody tr:has-text('resent')", timeout=5000)
    receiver.wait_for(2)
    assert not_reloaded(page)


def test_advance_expires_a_pending_sale_live(live: Live, page: Any) -> None:
    fields = sale_fields(webhookUrl="")
    live.client.call("online/sales", **fields)
    open_dashboard(page, live)
    page.fill("input[name=seconds]", "301")
    page.click("#advance")
    page.wait_for_selector(
        f'#transactions tr[data-key="shop-a {fields["rrn"]}"]:has-text("timeout")'
    )
    assert not_reloaded(page)
    assert "+301" in page.locator("#offset").inner_text()


def test_h5_scan_and_pay_buttons(live: Live, page: Any) -> None:
    fields = session_fields(webhookUrl="http://127.0.0.1:9/hook")
    live.client.call("h5Payment/session/create", **fields)
    open_dashboard(page, live)
    session_row = page.locator(f'#sessions tr[data-key="shop-a {fields["sessionId"]}"]')
    session_row.locator("button", has_text="scan ALIPAY").click()
    page.wait_for_selector(
        f'#sessions tr[data-key="shop-a {fields["sessionId"]}"]:has-text("scanned")'
    )
    session_row.locator("button", has_text="pay ALIPAY").click()
    page.wait_for_selector(
        f'#sessions tr[data-key="shop-a {fields["sessionId"]}"]:has-text("paid")'
    )
    assert (
        live.client.call("h5Payment/session/query", sessionId=fields["sessionId"])["status"] == "2"
    )
    assert not_reloaded(page)


def test_an_expired_session_is_labelled_expired_not_cancelled(live: Live) -> None:
    fields = session_fields(webhookUrl="http://127.0.0.1:9/hook")
    live.client.call("h5Payment/session/create", **fields)
    live.control("POST", f"/sessions/{fields['sessionId']}/scan", json={})
    live.control("POST", "/clock/advance", json={"seconds": 301})
    html = live.http.get("/_mock/").text
    assert "expired · 0" in html


def test_the_story_page_shows_the_attempts_and_queries_of_a_real_flow(
    live: Live, page: Any, receiver: Receiver
) -> None:
    receiver.respond(Reply(500, '{"errorCode": "1"}'))
    fields = sale_fields(type="WXPAY", webhookUrl=receiver.url)
    live.client.call("online/sales", **fields)
    live.client.call("online/sales", **sale_fields())  # another sale: not in the story
    live.client.call("online/query", type="WXPAY", rrn=fields["rrn"], storeCode="WP001")
    live.control("POST", f"/transactions/{fields['rrn']}/settle", json={"outcome": "success"})
    receiver.wait_for(1)
    live.control("POST", "/clock/advance", json={"seconds": 300})
    receiver.wait_for(2)
    live.sandbox.webhooks.wait_for_attempts(2)
    live.client.call("online/query", type="WXPAY", rrn=fields["rrn"], storeCode="WP001")
    page.goto(f"{live.url}/_mock/transactions/{fields['rrn']}/view?apiKey=shop-a")
    timeline = page.locator("#timeline").inner_text()
    assert "created" in timeline
    assert "success" in timeline
    assert "webhook attempt 1/5" in timeline
    assert "webhook attempt 2/5" in timeline
    assert timeline.count("queried (online/query)") == 2
    page.locator("#timeline details summary", has_text="answer").first.click()
    assert '{"errorCode": "1"}' in page.locator("#timeline").inner_text()
    page.locator("#timeline details summary", has_text="request").first.click()
    assert fields["rrn"] in page.locator("#timeline details").first.inner_text()


def test_the_page_opening_is_in_the_story(live: Live) -> None:
    fields = sale_fields(lang="en")
    sale = live.client.call("online/sales", **fields)
    live.http.get(sale["paymentUrl"], headers={"User-Agent": "Mozilla/5.0 (iPhone) Mobile"})
    story = live.http.get(f"/_mock/transactions/{fields['rrn']}/view").text
    assert "payment page opened" in story
    assert "mobile, en" in story


def test_two_thousand_transactions_load_as_pages(live: Live, page: Any) -> None:
    for index in range(2000):
        live.sandbox.lifecycle.create_sale(SHOP_A, make_sale_request(rrn=f"MANY{index:05d}"))
    page.goto(f"{live.url}/_mock/")
    rows = page.locator("#transactions tbody tr")
    assert rows.count() == 50
    assert "MANY01999" in rows.first.inner_text()  # newest first
    page.click("#older")
    assert rows.count() == 50
    assert "MANY01949" in rows.first.inner_text()
    filtered = live.http.get("/_mock/", params={"rrn": "MANY00007"}).text
    assert filtered.count('data-key="shop-a MANY') == 1


def test_merchant_text_is_escaped_on_the_dashboard_and_the_story(live: Live, page: Any) -> None:
    evil = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    fields = sale_fields(
        extendParam='{"subject": "' + evil.replace('"', '\\"') + '"}', remarks=evil
    )
    assert live.client.call("online/sales", **fields)["errorCode"] == "0"
    dialogs: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    open_dashboard(page, live)
    assert evil in row(page, fields["rrn"]).inner_text()
    live.client.call("online/sales", **{**fields, "rrn": fields["rrn"] + "B"})  # a live row too
    row(page, fields["rrn"] + "B").wait_for(timeout=2000)
    assert evil in row(page, fields["rrn"] + "B").inner_text()
    page.goto(f"{live.url}/_mock/transactions/{fields['rrn']}/view")
    assert evil in page.locator(".facts").inner_text()
    assert dialogs == []


def test_it_reads_without_javascript(live: Live, chromium: Any) -> None:
    fields = sale_fields(webhookUrl="")
    live.client.call("online/sales", **fields)
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live.url}/_mock/")
    assert fields["rrn"] in page.locator("#transactions").inner_text()
    page.locator(f'#transactions tr[data-key="shop-a {fields["rrn"]}"] button.settle').click()
    page.wait_for_url(re.compile(r"/_mock/\?notice="))  # the form posted and came back
    assert (
        "success"
        in page.locator(f'#transactions tr[data-key="shop-a {fields["rrn"]}"]').inner_text()
    )
    context.close()


def test_readable_on_a_phone(live: Live, chromium: Any) -> None:
    live.client.call("online/sales", **sale_fields(webhookUrl=""))
    context = chromium.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(f"{live.url}/_mock/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # tables scroll in their own box; the page itself does not
    context.close()


def test_headers_forbid_inline_code_and_framing(live: Live) -> None:
    response = live.http.get("/_mock/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy  # the event stream and the row fetches
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def csrf(live: Live) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', live.http.get("/_mock/").text)
    assert found
    return found.group(1)


def test_posts_without_the_form_token_are_refused(live: Live) -> None:
    fields = sale_fields()
    live.client.call("online/sales", **fields)
    form = {"apiKey": "shop-a", "rrn": fields["rrn"], "outcome": "success"}

    missing = live.http.post("/_mock/dashboard/settle", data=form)
    wrong = live.http.post("/_mock/dashboard/settle", data={**form, "csrf": "0" * 64})
    other_site = live.http.post(
        "/_mock/dashboard/settle",
        data={**form, "csrf": csrf(live)},
        headers={"Origin": "https://evil.example"},
    )

    assert [r.status_code for r in (missing, wrong, other_site)] == [403, 403, 403]
    assert live.transaction(fields["rrn"]).status.value == "pending"
    same_site = live.http.post(
        "/_mock/dashboard/settle",
        data={**form, "csrf": csrf(live)},
        headers={"Origin": live.url},
    )
    assert same_site.status_code == 303
    assert live.transaction(fields["rrn"]).status.value == "success"


@pytest.mark.parametrize(
    ("path", "form", "field"),
    [
        ("/_mock/dashboard/settle", {"apiKey": "shop-a", "rrn": "x", "outcome": "won"}, "outcome"),
        ("/_mock/dashboard/settle", {"apiKey": "shop-a", "rrn": "x", "outcome": "success"}, "rrn"),
        ("/_mock/dashboard/scan", {"apiKey": "shop-a", "sessionId": "x"}, "sessionId"),
        ("/_mock/dashboard/advance", {"seconds": "soon"}, "seconds"),
        ("/_mock/dashboard/advance", {"seconds": "-5"}, "seconds"),
    ],
)
def test_bad_form_input_is_a_4xx_naming_the_field(
    live: Live, path: str, form: dict[str, str], field: str
) -> None:
    response = live.http.post(path, data={**form, "csrf": csrf(live)})
    assert 400 <= response.status_code < 500
    assert response.json()["error"].startswith(f"{field}:")


def test_filtered_on_a_merchant_the_controls_act_on_it_alone(live: Live, chromium: Any) -> None:
    tenant = live.control("POST", "/merchants", json={"merchantName": "CI job"}).json()
    tenant_client = PMSClient(live.rest, tenant["apiKey"], tenant["secret"])
    mine, other = sale_fields(webhookUrl=""), sale_fields(webhookUrl="")
    assert tenant_client.sales(**mine)["errorCode"] == "0"
    assert live.client.sales(**other)["errorCode"] == "0"
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live.url}/_mock/?apiKey={tenant['apiKey']}")
    assert other["rrn"] not in page.locator("#transactions").inner_text()
    page.fill("input[name=seconds]", "301")
    page.click("#advance")
    page.wait_for_url(re.compile(r"/_mock/\?notice=.*apiKey="))  # back on the filtered page
    assert f"{tenant['apiKey']}: clock advanced 301 s" in page.content()
    assert "timeout" in page.locator("#transactions").inner_text()
    context.close()
    theirs = live.control("GET", f"/transactions/{other['rrn']}?apiKey=shop-a").json()
    assert theirs["status"] == "pending"
    assert live.control("GET", "/clock").json()["offset"] == 0


def test_a_merchants_reset_takes_only_its_rows_from_the_live_page(live: Live, page: Any) -> None:
    tenant = live.control("POST", "/merchants", json={}).json()
    tenant_client = PMSClient(live.rest, tenant["apiKey"], tenant["secret"])
    mine, other = sale_fields(webhookUrl=""), sale_fields(webhookUrl="")
    assert tenant_client.sales(**mine)["errorCode"] == "0"
    assert live.client.sales(**other)["errorCode"] == "0"
    open_dashboard(page, live)
    assert row(page, mine["rrn"], tenant["apiKey"]).count() == 1
    live.control("POST", "/reset", json={"apiKey": tenant["apiKey"]})
    row(page, mine["rrn"], tenant["apiKey"]).wait_for(state="detached")
    assert row(page, other["rrn"]).count() == 1
    assert tenant["apiKey"] not in page.locator("#requests").inner_text()
    assert "shop-a" in page.locator("#requests").inner_text()
    assert not_reloaded(page)
