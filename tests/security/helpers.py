"""What the security tests share: hostile payloads and raw HTTP (no URL normalising)."""

from __future__ import annotations

import http.client
import json
from typing import Any

# Each payload tries a different HTML context: element text, attribute, URL, closing tags.
XSS_PAYLOADS = (
    "<script>alert('xss-1')</script>",
    '"><img src=x onerror=alert("xss-2")>',
    "'><svg onload=alert('xss-3')>",
    "</title></textarea><script>alert('xss-4')</script>",
    "javascript:alert('xss-5')",
    "{{7*7}}${7*7}<b>xss-6</b>",
)


def raw_request(url: str, method: str, path: str, body: bytes = b"") -> tuple[int, str, Any]:
    """Send `path` exactly as written (httpx would resolve '..' before sending)."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"Content-Type": "application/json"} if body else {}
    connection.request(method, path, body=body or None, headers=headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    content_type = response.getheader("Content-Type", "")
    connection.close()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    assert content_type.startswith("application/json"), (response.status, content_type, text[:200])
    return response.status, text, parsed
