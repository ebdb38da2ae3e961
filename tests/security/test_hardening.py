"""Regression tests of the hostile audit's request-level defects, over HTTP.

D5 (the four 500s), D6 (oversized bodies read and spooled), D7 (cross-site control
calls, DNS rebinding), D10 (signs in the journal), D12 (journal memory), D13 (a
read-only /tmp), D16 (OPTIONS on PMS paths). Each failed against 0.1.0.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import tempfile
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from mockpms.signing import sign
from tests.conftest import SHOP_A, Live, sale_fields


def signed(fields: dict[str, Any], timestamp: Any = None) -> dict[str, Any]:
    ts = int(time.time() * 1000) if timestamp is None else timestamp
    return {"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": sign(ts, SHOP_A.secret), **fields}


def raw(live: Live, head: str, body: bytes = b"", read: bool = True) -> bytes:
    """Send bytes as they are and read the answer (until the server closes or 5 s)."""
    chunks = []
    with socket.create_connection(("127.0.0.1", live.server.port), timeout=5) as sock:
        try:
            sock.sendall(head.encode() + b"\r\n\r\n" + body)
            while read:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError, BrokenPipeError):
            pass  # the server answered and closed while we were still sending
    return b"".join(chunks)


# ------------------------------------------------------------------ D5: no 500


def test_a_signed_integer_timestamp_of_hundreds_of_digits_is_refused(live: Live) -> None:
    huge = 10**400
    body = {"apiKey": SHOP_A.api_key, "timestamp": huge, "sign": sign(huge, SHOP_A.secret)}
    response = live.http.post("/tt-pms-ws/rest/online/gateway", json=body)
    assert response.status_code == 200
    assert response.json()["errorCode"] == "40002"
    assert response.json()["errorMessage"].startswith("timestamp:")


def test_an_extend_param_nested_thousands_deep_is_a_field_error(live: Live) -> None:
    answer = live.client.sales(**sale_fields(extendParam="[" * 3000))
    assert answer["errorCode"] == "40002"
    assert answer["errorMessage"].startswith("extendParam:")


@pytest.mark.parametrize("url", ["http://[::1", "http://[abc]/", "http://[::1]]:80/"])
@pytest.mark.parametrize("field", ["returnUrl", "webhookUrl"])
def test_a_malformed_bracketed_host_is_a_field_error(live: Live, field: str, url: str) -> None:
    answer = live.client.sales(**sale_fields(**{field: url}))
    assert answer["errorCode"] == "40002"
    assert answer["errorMessage"].startswith(f"{field}:")


def test_a_deeply_nested_unsigned_body_cannot_poison_the_journal(live: Live) -> None:
    for depth in (970, 976, 983, 2000):
        nested = '{"apiKey": "x", "junk": ' + "[" * depth + "]" * depth + "}"
        live.http.post(
            "/online/gateway", content=nested, headers={"Content-Type": "application/json"}
        )
    journal = live.control("GET", "/requests")
    assert journal.status_code == 200
    assert len(journal.json()["requests"]) == 4


# ------------------------------------------- D6: oversized bodies, refused unread


def test_a_declared_huge_body_is_refused_at_once_without_reading_it(live: Live) -> None:
    started = time.monotonic()
    answer = raw(
        live,
        "POST /online/sales HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 943718400",
        b'{"amt": 1',
    )
    assert time.monotonic() - started < 3  # 900 MiB was never waited for
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["errorCode"] == "40002"
    assert b"--max-body" in body


def test_a_chunked_body_is_cut_off_once_its_running_count_passes_the_limit(live: Live) -> None:
    limit = live.sandbox.settings.max_body
    chunk = b"x" * 65536
    piece = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    pieces = piece * (limit // len(chunk) + 2)
    answer = raw(
        live,
        "POST /online/sales HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked",
        pieces,
    )
    # The answer may be lost to the reset of a connection closed mid-upload; the
    # journal shows the refusal either way, and nothing was created.
    assert answer == b"" or answer.startswith(b"HTTP/1.1 413")
    entry = live.control("GET", "/requests").json()["requests"][-1]
    assert entry["status"] == 413
    assert live.sandbox.store.counts()["transactions"] == 0


# --------------------------------------------------------- D13: read-only /tmp


@pytest.fixture
def no_temp_files(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As on a read-only filesystem: any temporary file the server tries to open fails."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)  # waitress imports it per use
    yield


def test_big_bodies_and_answers_need_no_temporary_files(live: Live, no_temp_files: None) -> None:
    remarks = "r" * 200
    big_body = json.dumps(signed({**sale_fields(remarks=remarks), "pad": "p" * 700_000}))
    response = live.http.post(
        "/online/sales", content=big_body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["errorCode"] == "0"
    for _ in range(2500):  # a 1 MB+ answer
        live.sandbox.lifecycle.create_sale(SHOP_A, _request())
    listing = live.http.get("/_mock/transactions", params={"limit": "2500"})
    assert listing.status_code == 200
    assert len(listing.content) > 1_000_000
    assert live.client.gateway()["errorCode"] == "0"  # the keep-alive connection still works


def _request() -> Any:
    from mockpms.testing import make_sale_request

    return make_sale_request(remarks="m" * 256, extend_param='{"subject": "' + "s" * 100 + '"}')


# ------------------------------------------------------ D16: one envelope, 405


@pytest.mark.parametrize("method", ["OPTIONS", "GET", "PUT", "DELETE", "PATCH"])
def test_other_methods_on_pms_paths_are_405_envelopes_with_allow(live: Live, method: str) -> None:
    response = live.http.request(method, "/tt-pms-ws/rest/online/sales")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.json()["errorCode"] == "40002"


# ------------------------------------------------- D7: cross-site, DNS rebinding


def test_a_cross_site_control_call_is_refused_and_changes_nothing(live: Live) -> None:
    rrn = sale_fields()["rrn"]
    assert live.client.sales(**sale_fields(rrn=rrn, webhookUrl=""))["errorCode"] == "0"
    forged = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    for path, body in [
        (f"/transactions/{rrn}/settle", '{"outcome": "success"}'),
        ("/faults", '{"httpStatus": 503, "count": 1000000}'),
        ("/policy", '{"outcome": "success"}'),
        ("/clock/advance", '{"seconds": 600}'),
        ("/reset", ""),
    ]:
        response = live.control("POST", path, content=body, headers=forged)
        assert response.status_code == 403, path
        assert "cross-site" in response.json()["error"]
    fetched = live.control("POST", "/reset", headers={"Sec-Fetch-Site": "cross-site"})
    assert fetched.status_code == 403
    assert live.transaction(rrn).status.value == "pending"
    assert live.control("GET", "/faults").json()["faults"] == []
    assert live.control("GET", "/clock").json()["offset"] == 0


def test_control_calls_from_curl_tests_and_the_same_origin_still_work(live: Live) -> None:
    assert live.control("POST", "/clock/advance", content="", json=None).status_code == 400
    same = live.control("POST", "/reset", headers={"Origin": live.url})
    assert same.status_code == 200
    page = live.control("POST", "/reset", headers={"Sec-Fetch-Site": "same-origin"})
    assert page.status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "attacker.example.com:8080", "127.0.0.1.nip.io"])
def test_a_foreign_dotted_host_is_refused_on_mock_paths(live: Live, host: str) -> None:
    response = live.http.get("/_mock/requests", headers={"Host": host})
    assert response.status_code == 403
    assert "--allowed-hosts" in response.json()["error"]
    assert live.http.get("/_mock/health", headers={"Host": host}).status_code == 200
    assert live.http.post("/online/gateway", headers={"Host": host}, json={}).status_code == 200


@pytest.mark.parametrize(
    "host", ["localhost:9", "app.localhost", "127.0.0.1:80", "[::1]:8080", "mockpms", "10.0.0.7"]
)
def test_loopback_ips_and_service_names_pass(live: Live, host: str) -> None:
    assert live.http.get("/_mock/clock", headers={"Host": host}).status_code == 200


def test_allowed_hosts_and_the_public_url_host_pass(make_live: Any) -> None:
    live = make_live(allowed_hosts=("shop.test",), public_url="http://mock.internal:8080")
    assert live.http.get("/_mock/clock", headers={"Host": "shop.test:1"}).status_code == 200
    assert live.http.get("/_mock/clock", headers={"Host": "mock.internal"}).status_code == 200
    assert live.http.get("/_mock/clock", headers={"Host": "other.test"}).status_code == 403
    anything = make_live(allowed_hosts=("*",))
    assert anything.http.get("/_mock/clock", headers={"Host": "x.y.z"}).status_code == 200


# ------------------------------------------------------------- D10, D12: journal


def test_the_journal_never_shows_a_valid_sign(live: Live) -> None:
    ts = int(time.time() * 1000)
    valid = sign(ts, SHOP_A.secret)
    form = urlencode({"apiKey": SHOP_A.api_key, "timestamp": ts, "sign": valid})
    live.http.post(
        "/online/gateway",
        content=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    escaped = '{"\\u0073ign": "' + valid + '", "remarks": "' + "x" * 9000 + '"}'
    live.http.post("/online/gateway", content=escaped, headers={"Content-Type": "application/json"})
    live.client.gateway()
    shown = live.control("GET", "/requests").text
    assert valid not in shown
    assert valid.replace("/", "\\/") not in shown
    assert base64.b64encode(hmac.new(b"k", b"1", hashlib.sha1).digest()).decode() not in shown


def test_journal_memory_is_bounded_by_bytes_not_by_what_they_parse_to(live: Live) -> None:
    lists = json.dumps({"apiKey": "x", "junk": [[]] * 2700}).encode()
    for _ in range(20):
        live.http.post(
            "/online/gateway", content=lists, headers={"Content-Type": "application/json"}
        )
    kept = [entry.body for entry in live.sandbox.journal.entries()]
    assert all(isinstance(body, bytes) and len(body) <= 8192 for body in kept)
