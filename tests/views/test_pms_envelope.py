"""Requests PMS cannot parse still get the JSON envelope: never HTML, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import Live


def assert_envelope(response, status: int, fragment: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    body = response.json()
    assert body["errorCode"] == "40002" and fragment in body["errorMessage"], body


def test_wrong_content_type_is_415(live: Live) -> None:
    response = live.http.post(
        "/tt-pms-ws/rest/online/gateway", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert_envelope(response, 415, "application/json")


def test_json_with_charset_is_fine(live: Live) -> None:
    response = live.http.post(
        "/tt-pms-ws/rest/online/gateway",
        content=b"{}",
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200 and response.json()["errorMessage"].startswith("apiKey")


@pytest.mark.parametrize(
    "body, fragment",
    [
        (b"{not json", "not valid JSON"),
        (b"[1,2]", "JSON object"),
        (b'"x"', "JSON object"),
        (b"\xff\xfe", "UTF-8"),
        (b'{"amt": NaN}', "not valid JSON"),
        (b"[" * 100000, "not valid JSON"),
        (b"", "not valid JSON"),
    ],
)
def test_unparseable_bodies_are_400(live: Live, body: bytes, fragment: str) -> None:
    response = live.http.post(
        "/online/sales", content=body, headers={"Content-Type": "application/json"}
    )
    assert_envelope(response, 400, fragment)


def test_unknown_path_is_404(live: Live) -> None:
    assert_envelope(
        live.http.post("/tt-pms-ws/rest/online/teleport", json={}), 404, "no such endpoint"
    )


def test_wrong_method_is_405(live: Live) -> None:
    assert_envelope(live.http.get("/tt-pms-ws/rest/online/sales"), 405, "POST")


def test_oversized_body_is_413(live: Live) -> None:
    big = b'{"remarks": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = live.http.post(
        "/online/sales", content=big, headers={"Content-Type": "application/json"}
    )
    assert_envelope(response, 413, "larger than the limit")
