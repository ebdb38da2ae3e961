"""The dashboard at /_mock/, in headless Chromium: see what the sandbox holds, press buttons."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Live, Receiver, sale_fields, session_fields


@pytest.fixture
def page(live: Live, chromium: Any) -> Iterator[Any]:
    context = chromium.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.errors = errors
    yield page
    context.close()


def row(page: Any, rrn: str) -> Any:
    return page.locator(f'#transactions tr[data-rrn="{rrn}"]')


def test_sale_appears_and_settle_changes_its_status(
    live: Live, page: Any, receiver: Receiver
) -> None:
    fields = sale_fields(type="WXPAY", webhookUrl=receiver.url)
    assert live.client.call("online/sales", **fields)["errorCode"] == "0"

    page.goto(f"{live.url}/_mock/")
    assert row(page, fields["rrn"]).locator(".status").inner_text() == "pending"
    assert "900.00 HKD" in row(page, fields["rrn"]).inner_text()

    row(page, fields["rrn"]).locator("select[name=outcome]").select_option("success")
    row(page, fields["rrn"]).locator("button.settle").click()
    page.wait_for_url(re.compile(r"/_mock/\?notice="))

    assert row(page, fields["rrn"]).locator(".status").inner_text() == "success"
    assert "success" in page.locator("#notice").inner_text()
    answer = live.client.call("online/query", type="WXPAY", rrn=fields["rrn"], storeCode="WP001")
    assert answer["gwRefStatus"] == "01"
    assert answer["gwRefCode"] in row(page, fields["rrn"]).inner_text()
    assert receiver.wait_for(1)[0].json["rrn"] == fields["rrn"]
    assert len(live.sandbox.webhooks.wait_for_attempts(1, rrn=fields["rrn"])) == 1  # logged
    page.reload()
    attempts = page.locator("#webhooks tbody tr")
    assert attempts.count() == 1
    assert fields["rrn"] in attempts.inner_text()
    assert "1/5" in attempts.inner_text()
    assert page.errors == []  # nothing blocked by the CSP, no script errors


def test_settle_of_a_finished_transaction_shows_why_not(live: Live, page: Any) -> None:
    fields = sale_fields()
    live.client.call("online/sales", **fields)
    page.goto(f"{live.url}/_mock/")
    row(page, fields["rrn"]).locator("select[name=outcome]").select_option("failed")
    row(page, fields["rrn"]).locator("button.settle").click()
    page.wait_for_url(re.compile(r"notice="))
    row(page, fields["rrn"]).locator("select[name=outcome]").select_option("success")
    row(page, fields["rrn"]).locator("button.settle").click()
    page.wait_for_url(re.compile(r"notice=.*already"))
    assert "already failed" in page.locator("#notice").inner_text()
    assert row(page, fields["rrn"]).locator(".status").inner_text() == "failed"


def test_h5_session_scan_and_pay_buttons(live: Live, page: Any) -> None:
    fields = session_fields()
    live.client.call("h5Payment/session/create", **fields)
    session_row = page.locator(f'#sessions tr[data-session="{fields["sessionId"]}"]')

    page.goto(f"{live.url}/_mock/")
    assert "not paid" in session_row.locator(".status").inner_text()
    session_row.locator("select[name=wallet]").select_option("ALIPAY")
    session_row.locator("button.scan").click()
    page.wait_for_url(re.compile(r"scanned"))
    assert "ALIPAY" in session_row.inner_text()
    assert int(session_row.locator("td.num").nth(1).inner_text()) > 0  # countdown running

    session_row.locator("button.pay").click()
    page.wait_for_url(re.compile(r"paid"))

    assert "paid (2)" in session_row.locator(".status").inner_text()
    answer = live.client.call("h5Payment/session/query", sessionId=fields["sessionId"])
    assert answer["status"] == "2"
    assert answer["type"] == "ALIPAY"


def test_advance_clock_button_expires_a_pending_sale(live: Live, page: Any) -> None:
    fields = sale_fields()
    live.client.call("online/sales", **fields)
    page.goto(f"{live.url}/_mock/")
    page.locator("input[name=seconds]").fill("301")
    page.locator("#advance").click()
    page.wait_for_url(re.compile(r"advanced"))
    assert "+301 s" in page.locator("header").inner_text()
    assert row(page, fields["rrn"]).locator(".status").inner_text() == "timeout"


def test_merchant_text_is_escaped(live: Live, page: Any) -> None:
    evil = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    fields = sale_fields(extendParam='{"subject": "' + evil.replace('"', '\\"') + '"}')
    assert live.client.call("online/sales", **fields)["errorCode"] == "0"
    dialogs: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.goto(f"{live.url}/_mock/")
    assert evil in row(page, fields["rrn"]).inner_text()
    assert page.locator("#transactions img").count() == 0
    assert dialogs == []


def test_page_refreshes_by_itself(live: Live, page: Any) -> None:
    page.goto(f"{live.url}/_mock/")
    fields = sale_fields()
    live.client.call("online/sales", **fields)
    row(page, fields["rrn"]).wait_for(timeout=15000)  # appears without a reload by hand


def test_headers_forbid_inline_code_and_framing(live: Live) -> None:
    response = live.http.get("/_mock/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "form-action 'self'" in policy
    assert "unsafe-inline" not in policy
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
