"""h5Payment/session/create returns a real QR code of the H5 page URL."""

from __future__ import annotations

import base64
import io

import zxingcpp
from PIL import Image

from tests.conftest import Live, session_fields


def decode(data_uri: str) -> str:
    assert data_uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(data_uri.split(",", 1)[1])))
    assert image.format == "PNG"
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1
    return str(results[0].text)


def test_png_qr_decodes_to_exactly_the_text_content(live: Live) -> None:
    fields = session_fields(bitmap="true")
    png = live.client.h5_create(**fields)["content"]
    text = live.client.h5_create(**session_fields(bitmap=False))["content"]
    decoded = decode(png)
    assert decoded.startswith(f"{live.url}/pms-payment/h5/")
    assert text.startswith(f"{live.url}/pms-payment/h5/")
    token = decoded.rsplit("/", 1)[1]
    session = live.sandbox.store.session_by_token(token)
    assert session is not None and session.session_id == fields["sessionId"]


def test_bitmap_as_boolean_true(live: Live) -> None:
    answer = live.client.h5_create(**session_fields(bitmap=True))
    assert answer["bitmap"] is True and decode(answer["content"]).startswith("http://")


def test_duplicate_session_id_refused(live: Live) -> None:
    fields = session_fields()
    assert live.client.h5_create(**fields)["errorCode"] == "0"
    again = live.client.h5_create(**fields)
    assert again["errorCode"] == "40002" and "already used" in again["errorMessage"]


def test_session_of_another_merchant_is_not_found(live: Live) -> None:
    fields = session_fields()
    live.client.h5_create(**fields)
    answer = live.client_b.h5_query(fields["sessionId"])
    assert answer["errorCode"] == "40002" and "no H5 session" in answer["errorMessage"]


def test_defaults_from_the_merchant_config(live: Live) -> None:
    answer = live.client.h5_create(**session_fields(merchantName="", storeCode="", salesMan=""))
    assert answer["merchantName"] == "Shop A"
    assert (answer["storeCode"], answer["tillId"], answer["salesMan"]) == ("ST01", "01", "9999")
