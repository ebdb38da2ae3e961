"""What the hosted-payment-page tests share: devices, a sale, the return check, QR reading."""

from __future__ import annotations

import io
import json
from typing import Any

from tests.conftest import ARTIFACTS, Live, ReturnReceiver, sale_fields

DESKTOP_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
MOBILE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
DEVICES: dict[str, dict[str, Any]] = {
    "desktop": {"user_agent": DESKTOP_UA, "viewport": {"width": 1000, "height": 760}},
    "mobile": {
        "user_agent": MOBILE_UA,
        "viewport": {"width": 390, "height": 760},
        "is_mobile": True,
        "has_touch": True,
    },
}
WALLETS = ("WXPAY", "ALIPAY", "ALIPAYOS", "FPSPAY")
CARD_TYPES = ("VMPAY", "UNIONPAY")
TYPES = WALLETS + CARD_TYPES
SUBJECT = "TT 測試貨品"
SELLER = "TT 測試商店"
RETURN_PATH = "/checkout-2/order-paid/648"
SHOTS = ARTIFACTS / "pages"


def create_sale(
    live: Live, receiver: ReturnReceiver | None, type_: str, **overrides: Any
) -> dict[str, Any]:
    """online/sales over HTTP, as a shop would call it; returnUrl at the local receiver
    (with a query string of its own, which must survive)."""
    fields = sale_fields(
        type=type_,
        amt=10,
        extendParam=json.dumps({"subject": SUBJECT, "seller": SELLER}, ensure_ascii=False),
        returnUrl=f"{receiver.url}{RETURN_PATH}?order=648&lang=zh" if receiver else "",
    )
    fields.update(overrides)
    answer = live.client.sales(**fields)
    assert answer["errorCode"] == "0", answer
    answer["_fields"] = fields
    return answer


def query(live: Live, sale: dict[str, Any]) -> dict[str, Any]:
    answer = live.client.query(type=sale["type"], rrn=sale["rrn"], storeCode=sale["storeCode"])
    assert answer["errorCode"] == "0", answer
    return answer


def assert_returned(receiver: ReturnReceiver, sale: dict[str, Any], gw_ref_status: str) -> None:
    """The payer's browser came back to returnUrl with the document's parameters."""
    path, params = receiver.next_visit()
    assert path == RETURN_PATH
    assert params["order"] == ["648"]
    assert params["lang"] == ["zh"]
    assert params["rrn"] == [sale["rrn"]]
    assert params["txDatetime"] == [sale["txDateTime"]]
    assert params["type"] == [sale["type"]]
    assert params["amt"] == [str(sale["amt"])]
    assert params["gwRefStatus"] == [gw_ref_status]


def shot(page: Any, name: str, *, full_page: bool = False) -> None:
    """A screenshot under test-artifacts/pages/ (git-ignored) for a human to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def read_qr(png: bytes) -> str:
    """What a phone camera reads from the QR code (zxing-cpp, as scanners do)."""
    import zxingcpp
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert found, "no QR code found in the image"
    return str(found[0].text)


def back_from_merchant(page: Any, receiver: ReturnReceiver) -> None:
    """The payer presses Back on the merchant's returnUrl page.

    Waits until the browser has loaded that page first: the receiver records the GET
    before the page commits, and Back in mid-navigation loses the page in Chromium.
    """
    page.wait_for_url(f"{receiver.url}{RETURN_PATH}?**")
    page.wait_for_load_state("load")
    page.go_back()
