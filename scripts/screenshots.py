"""Regenerate the dashboard screenshots in docs/img (README): a sandbox with a few
payments, the dashboard and one transaction's story, in headless Chromium.

    .venv/bin/python scripts/screenshots.py      (needs Chromium: apt-get install chromium)
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

from mockpms.app import create_app
from mockpms.client import PMSClient
from mockpms.config import Settings
from mockpms.server import ServerThread
from mockpms.testing import WebhookReceiver, find_chromium, sale_fields, session_fields

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = find_chromium() or "/usr/bin/chromium"


def main() -> None:
    receiver = WebhookReceiver()
    server = ServerThread(create_app(Settings(seed=7))).start()
    merchant = Settings().merchants[0]
    client = PMSClient(f"{server.url}/tt-pms-ws/rest", merchant.api_key, merchant.secret)
    control = f"{server.url}/_mock"
    import httpx

    for index, (kind, outcome) in enumerate(
        [("WXPAY", "success"), ("VMPAY", "failed"), ("ALIPAY", None), ("FPSPAY", "success")]
    ):
        extend = '{"subject": "熱情果綠茶 (大)", "seller": "Watsons HK"}'
        fields = sale_fields(rrn=f"ORDER-{index + 1}", type=kind, webhookUrl=receiver.url,
                             extendParam=extend)  # fmt: skip
        client.sales(**fields)
        if outcome:
            httpx.post(f"{control}/transactions/ORDER-{index + 1}/settle", json={"outcome": outcome})
    client.h5_create(**session_fields(sessionId="TILL-7", webhookUrl=receiver.url))
    httpx.post(f"{control}/sessions/TILL-7/scan", json={"wallet": "ALIPAY"})
    client.query(type="WXPAY", rrn="ORDER-1", storeCode="WP001")
    receiver.wait(2)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(f"{control}/")
        page.wait_for_selector("#live.on")
        page.screenshot(path=str(ROOT / "docs" / "img" / "dashboard.png"))
        page.goto(f"{control}/transactions/ORDER-1/view")
        page.locator("#timeline details summary").first.click()
        page.screenshot(path=str(ROOT / "docs" / "img" / "story.png"), full_page=True)
        browser.close()
    server.app.extensions["mockpms"].close()
    server.stop()
    receiver.stop()
    print("wrote docs/img/dashboard.png and docs/img/story.png")


if __name__ == "__main__":
    main()
