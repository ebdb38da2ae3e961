"""With --admin-token, the control API needs it; health checks and PMS calls do not.

Skipped in a build without the token-guarded control API.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockpms.config import Settings
from tests.conftest import SHOP_A, SHOP_B, Live, sale_fields, start_live
from tests.security.helpers import raw_request

TOKEN = "s3cret-admin-token"
GUARDED = [
    ("POST", "/_mock/reset"),
    ("GET", "/_mock/sessions"),
    ("GET", "/_mock/transactions"),
    ("GET", "/_mock/requests"),
    ("GET", "/_mock/webhooks"),
    ("POST", "/_mock/faults"),
    ("GET", "/_mock/openapi.json"),
    ("GET", "/_mock/clock"),
    ("GET", "/_mock/sessions/..%2F..%2Fetc%2Fpasswd"),
    ("GET", "/_mock/nowhere"),
]


@pytest.fixture(scope="module")
def guarded() -> Iterator[Live]:
    """One server with --admin-token for the whole module (starting one costs ~1 s)."""
    live = start_live(Settings(merchants=(SHOP_A, SHOP_B), admin_token=TOKEN))
    try:
        if live.control("GET", "/requests").status_code == 404:
            pytest.skip("this build has no token-guarded control API")
        yield live
    finally:
        live.http.close()
        live.sandbox.close()
        live.server.stop()


BAD_AUTHORIZATIONS = [
    None,
    "",
    "Bearer",
    "Bearer wrong",
    f"Basic {TOKEN}",
    f"Bearer {TOKEN}x",
    TOKEN,
]


@pytest.mark.parametrize("method, path", GUARDED)
def test_control_calls_without_the_token_are_401(guarded: Live, method: str, path: str) -> None:
    for authorization in BAD_AUTHORIZATIONS:
        headers = {} if authorization is None else {"Authorization": authorization}
        response = guarded.http.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (path, authorization, response.status_code)
        assert response.headers["content-type"].startswith("application/json")
        assert TOKEN not in response.text
        assert "Bearer" in response.headers.get("WWW-Authenticate", "")


def test_the_token_opens_the_control_api(guarded: Live) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    assert guarded.http.get("/_mock/sessions", headers=headers).status_code == 200
    assert guarded.http.post("/_mock/reset", headers=headers).status_code == 200


def test_the_token_in_a_query_string_does_not_open_the_api(guarded: Live) -> None:
    assert guarded.http.get(f"/_mock/sessions?token={TOKEN}").status_code == 401
    assert guarded.http.post(f"/_mock/reset?token={TOKEN}").status_code == 401


def test_health_checks_and_pms_calls_need_no_token(guarded: Live) -> None:
    assert guarded.http.get("/_mock/health").status_code == 200
    assert guarded.http.get("/_mock/ready").status_code == 200
    assert guarded.client.sales(**sale_fields())["errorCode"] == "0"


def test_encoded_traversal_cannot_reach_around_the_guard(guarded: Live) -> None:
    before = guarded.sandbox.store.counts()["transactions"]
    assert guarded.client.sales(**sale_fields())["errorCode"] == "0"
    for path in ("/_mock/health/..%2Freset", "/_mock/health/../reset", "/_mock/%2e%2e/_mock/reset"):
        status, _, answer = raw_request(guarded.url, "POST", path, b"{}")
        assert status in (401, 404), (path, status, answer)
    assert guarded.sandbox.store.counts()["transactions"] == before + 1  # no reset got through
