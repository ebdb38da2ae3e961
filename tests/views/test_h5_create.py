"""h5Payment/session/create: the document's example, `bitmap`, and QR content.

The PNG QR code is decoded for real (zxing-cpp) and must hold the URL that the
plain-text content would give, so a phone scanning it opens the session's page.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from mockpms.app import create_app
from mockpms.client import PMSClient
from mockpms.config import Settings
from mockpms.server import ServerThread
from tests.conftest import SHOP_A, WECHAT_UA, Live, page_text

PUBLIC_URL = "https://pms.example.test:8443"


def document_request(session_id: str, **overrides: Any) -> dict[str, Any]:
    """The document's "Example of H5Payment Create" request fields."""
    fields: dict[str, Any] = {
        "merchantName": "TT test h5 service in pms 09",
        "sessionId": session_id,
        "storeCode": "TEST store",
        "tillId": "",
        "salesMan": "tt.test",
        "amt": 10,
        "remarks": "docNum:S03757845-09",
        "bitmap": "true",
        "subject": "T-Shirt-09",
        "webhookUrl": "https://pms-dev-fps.tech-trans.com/tt-pms-ws/rest",
    }
    fields.update(overrides)
    return fields


def decode_qr(content: str) -> str:
    """What a phone reads from the PNG of a `data:image/png;base64,...` content."""
    prefix = "data:image/png;base64,"
    assert content.startswith(prefix)
    image = Image.open(io.BytesIO(base64.b64decode(content[len(prefix) :], validate=True)))
    assert image.format == "PNG"
    codes = zxingcpp.read_barcodes(image)
    assert len(codes) == 1
    assert codes[0].format == zxingcpp.BarcodeFormat.QRCode
    return str(codes[0].text)


def test_create_echoes_the_document_example(live: Live) -> None:
    session_id = "9-6E1EB438B29127058E54C0C33CE0D7AE"
    answer = live.client.h5_create(**document_request(session_id))
    content = answer.pop("content")
    assert content.startswith("data:image/png;base64,iVBORw0KGgo")  # a PNG, as in the example
    assert answer == {
        "errorCode": "0",
        "errorMessage": "no error",
        "sessionId": session_id,
        "merchantName": "TT test h5 service in pms 09",
        "storeCode": "TEST store",
        "tillId": "01",  # sent "", answered with the merchant's default, as in the example
        "salesMan": "tt.test",
        "amount": 10,  # the example's name...
        "amt": 10,  # ...and the field table's
        "remarks": "docNum:S03757845-09",
        "bitmap": True,
        "subject": "T-Shirt-09",
        "webhookUrl": "https://pms-dev-fps.tech-trans.com/tt-pms-ws/rest",
    }


def test_absent_fields_take_the_merchants_defaults(live: Live) -> None:
    answer = live.client.h5_create(
        sessionId="defaults-1", amt=10, webhookUrl="https://shop.example/notify"
    )
    assert answer["errorCode"] == "0"
    assert answer["merchantName"] == SHOP_A.merchant_name
    assert answer["storeCode"] == SHOP_A.store_code
    assert answer["tillId"] == SHOP_A.till_id
    assert answer["salesMan"] == SHOP_A.sales_man
    assert answer["bitmap"] is False


@pytest.mark.parametrize("bitmap", ["true", True, "TRUE"])
def test_bitmap_true_gives_a_png(live: Live, bitmap: Any) -> None:
    answer = live.client.h5_create(**document_request(f"b-{bitmap}", bitmap=bitmap))
    assert answer["errorCode"] == "0"
    assert answer["bitmap"] is True
    assert answer["content"].startswith("data:image/png;base64,")


@pytest.mark.parametrize("bitmap", ["false", False, "", None])
def test_bitmap_false_or_absent_gives_the_text(live: Live, bitmap: Any) -> None:
    fields = document_request(f"t-{bitmap}", bitmap=bitmap)
    if bitmap is None:
        del fields["bitmap"]
    answer = live.client.h5_create(**fields)
    assert answer["errorCode"] == "0"
    assert answer["bitmap"] is False
    assert re.fullmatch(rf"{re.escape(live.url)}/pms-payment/h5/[0-9A-F]{{64}}", answer["content"])


@pytest.mark.parametrize("bitmap", ["yes", 1, "1", ["true"]])
def test_bitmap_other_values_are_refused(live: Live, bitmap: Any) -> None:
    answer = live.client.h5_create(**document_request("bad-bitmap", bitmap=bitmap))
    assert answer["errorCode"] == "40002"
    assert answer["errorMessage"].startswith("bitmap:")


def test_png_qr_code_holds_the_page_url(live: Live) -> None:
    text = live.client.h5_create(**document_request("plain", bitmap="false"))["content"]
    png = live.client.h5_create(**document_request("png", bitmap="true"))["content"]
    decoded = decode_qr(png)
    # the same shape as the text content, and exactly the URL of that session's page
    assert decoded.rsplit("/", 1)[0] == text.rsplit("/", 1)[0]
    assert decoded == live.control("GET", "/sessions/png").json()["url"]
    assert text == live.control("GET", "/sessions/plain").json()["url"]

    page = live.http.get(decoded, headers={"User-Agent": WECHAT_UA})
    assert page.status_code == 200
    assert "TT test h5 service in pms 09" in page_text(page.text)
    assert live.control("GET", "/sessions/png").json()["scannedAt"] is not None
    assert live.control("GET", "/sessions/plain").json()["scannedAt"] is None


@pytest.fixture(scope="module")
def public_server() -> Iterator[tuple[ServerThread, PMSClient]]:
    """A mockpms started with --public-url, as in Docker behind another host name."""
    server = ServerThread(create_app(Settings(merchants=(SHOP_A,), public_url=PUBLIC_URL))).start()
    client = PMSClient(f"{server.url}/tt-pms-ws/rest", SHOP_A.api_key, SHOP_A.secret)
    yield server, client
    client.close()
    server.app.extensions["mockpms"].close()
    server.stop()


def test_public_url_is_the_base_of_the_content(
    public_server: tuple[ServerThread, PMSClient],
) -> None:
    server, client = public_server
    text = client.h5_create(**document_request("pub-text", bitmap="false"))["content"]
    png = client.h5_create(**document_request("pub-png", bitmap="true"))["content"]
    for url in (text, decode_qr(png)):
        assert url.startswith(f"{PUBLIC_URL}/pms-payment/h5/")
        # the same path on the server itself is the session's page
        path = url[len(PUBLIC_URL) :]
        page = httpx.get(f"{server.url}{path}", headers={"User-Agent": WECHAT_UA}, timeout=10)
        assert page.status_code == 200
        assert "付款(300秒后关闭)" in page_text(page.text)
