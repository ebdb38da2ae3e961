"""Ids cannot walk paths, and only http(s) URLs are taken for webhooks and returns."""

from __future__ import annotations

import pytest

from tests.conftest import Live, sale_fields, session_fields
from tests.security.helpers import raw_request

TRAVERSALS = ("../x", "..", "..%2Fx", "a/../../b", "..\\x", "%2e%2e", "x/y", "x?y=1", "x#y")


@pytest.mark.parametrize("bad_id", TRAVERSALS)
def test_rrn_and_session_id_refuse_path_characters(live: Live, bad_id: str) -> None:
    for answer, field in (
        (live.client.sales(**sale_fields(rrn=bad_id)), "rrn"),
        (live.client.query(type="VMPAY", rrn=bad_id, storeCode="WP001"), "rrn"),
        (live.client.h5_create(**session_fields(sessionId=bad_id)), "sessionId"),
        (live.client.h5_query(bad_id), "sessionId"),
        (live.client.h5_cancel(bad_id), "sessionId"),
    ):
        assert answer["errorCode"] == "40002", answer
        message = answer["errorMessage"]
        assert message.startswith(f"{field}: "), answer
        assert "use 1 to 64 characters" in message or "dots only" in message, answer
    assert live.sandbox.store.counts() == {"transactions": 0, "sessions": 0}


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/_mock/sessions/..%2F..%2F..%2Fetc%2Fpasswd"),
        ("GET", "/_mock/sessions/%2e%2e%2f%2e%2e%2fetc%2fpasswd"),
        ("POST", "/_mock/sessions/..%2Freset/pay"),
        ("GET", "/_mock/transactions/..%2F..%2Fetc%2Fpasswd"),
        ("POST", "/_mock/transactions/..%2F..%2Fetc%2Fpasswd/settle"),
        ("GET", "/_mock/../../etc/passwd"),
        ("GET", "/static/..%2F..%2F..%2Fetc%2Fpasswd"),
        ("GET", "/static/../app.py"),
        ("POST", "/tt-pms-ws/rest/../../etc/passwd"),
        ("POST", "/tt-pms-ws/rest/online/..%2F..%2Fetc%2Fpasswd"),
    ],
)
def test_encoded_traversal_in_urls_is_a_json_404(live: Live, method: str, path: str) -> None:
    status, text, answer = raw_request(live.url, method, path, b"{}" if method == "POST" else b"")
    assert status == 404, (status, text[:200])
    assert isinstance(answer, dict)
    assert "root:" not in text and "import " not in text


SCHEMES = (
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "file:///etc/passwd",
    "ftp://example.test/x",
    "data:text/html,<script>alert(1)</script>",
    "gopher://127.0.0.1:25/x",
    "//example.test/no-scheme",
    "http:///no-host",
    "127.0.0.1:8080/x",
)


@pytest.mark.parametrize("url", SCHEMES)
def test_webhook_and_return_urls_must_be_http_or_https(live: Live, url: str) -> None:
    for answer, field in (
        (live.client.sales(**sale_fields(webhookUrl=url)), "webhookUrl"),
        (live.client.sales(**sale_fields(returnUrl=url)), "returnUrl"),
        (live.client.h5_create(**session_fields(webhookUrl=url)), "webhookUrl"),
    ):
        assert answer["errorCode"] == "40002", answer
        assert answer["errorMessage"].startswith(f"{field}: must be an http:// or https://")
    assert live.sandbox.store.counts() == {"transactions": 0, "sessions": 0}
