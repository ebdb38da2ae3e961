"""--admin-token: every /_mock call but health and ready needs the bearer token."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.conftest import Live

TOKEN = "s3cret-admin-token"


@pytest.fixture(scope="module")
def guarded(make_live: Any) -> Live:
    live: Live = make_live(admin_token=TOKEN)
    return live


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/requests"),
        ("GET", "/faults"),
        ("POST", "/faults"),
        ("DELETE", "/faults"),
        ("POST", "/reset"),
        ("GET", "/policy"),
        ("POST", "/seed"),
        ("GET", "/openapi.json"),
        ("GET", "/"),
        ("GET", "/no-such-call"),
    ],
)
def test_control_calls_need_the_token(guarded: Live, method: str, path: str) -> None:
    missing = guarded.control(method, path)
    wrong = guarded.control(method, path, headers={"Authorization": "Bearer nope"})
    basic = guarded.control(method, path, headers={"Authorization": f"Basic {TOKEN}"})
    for response in (missing, wrong, basic):
        assert response.status_code == 401
        assert "admin token" in response.json()["error"]
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_token_opens_them(guarded: Live) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert guarded.control("GET", "/requests", headers=auth).status_code == 200
    assert guarded.control("POST", "/reset", headers=auth).status_code == 200
    added = guarded.control("POST", "/faults", json={"errorCode": "3"}, headers=auth)
    assert added.status_code == 201
    assert guarded.control("DELETE", "/faults", headers=auth).json() == {"cleared": 1}


def test_health_and_ready_stay_open(guarded: Live) -> None:
    assert guarded.control("GET", "/health").status_code == 200
    assert guarded.control("GET", "/ready").status_code == 200


def test_pms_endpoints_do_not_need_it(guarded: Live) -> None:
    assert guarded.client.gateway()["errorCode"] == "0"


def test_dashboard_token_in_the_url_becomes_a_cookie(guarded: Live) -> None:
    with httpx.Client(base_url=guarded.url, timeout=10) as browser:
        first = browser.get(f"/_mock/?token={TOKEN}")
        assert first.status_code == 303
        assert first.headers["Location"] == "/_mock/"  # the token leaves the address bar
        cookie = first.headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert TOKEN not in cookie
        page = browser.get("/_mock/")
        assert page.status_code == 200
        assert "mockpms dashboard" in page.text
        # Its buttons work with the cookie too...
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
        assert token
        pressed = browser.post(
            "/_mock/dashboard/advance", data={"seconds": "1", "csrf": token.group(1)}
        )
        assert pressed.status_code == 303
        # ...but the cookie is for the dashboard only, not for the JSON API.
        assert browser.get("/_mock/requests").status_code == 401
    without_cookie = guarded.http.post(
        "/_mock/dashboard/advance", data={"seconds": "1", "csrf": token.group(1)}
    )
    assert without_cookie.status_code == 401


def test_dashboard_address_without_the_slash_works_too(guarded: Live) -> None:
    with httpx.Client(base_url=guarded.url, timeout=10) as browser:
        first = browser.get(f"/_mock?token={TOKEN}")
        assert first.status_code == 303
        assert first.headers["Location"] == "/_mock/"
        assert browser.get("/_mock/").status_code == 200


def test_dashboard_with_a_wrong_token_is_refused(guarded: Live) -> None:
    response = guarded.http.get("/_mock/?token=wrong")
    assert response.status_code == 401
    assert "?token=" in response.json()["error"]


def test_no_token_configured_means_open(live: Live) -> None:
    assert live.control("GET", "/requests").status_code == 200
