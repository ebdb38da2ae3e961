"""What a webhook receiver's answer means: an acknowledgement, or why not.

Pure functions (no network, no state), unit-testable: `judge` reads an HTTP
answer as PMS does, `describe_error` turns a failed POST into a short reason.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

# How much of the receiver's answer the log keeps, to show why an attempt failed.
LOGGED_BODY_CHARS = 500


@dataclass(frozen=True)
class Outcome:
    """What one POST came to."""

    http_status: int | None = None
    body: str | None = None
    error: str | None = None

    @property
    def acknowledged(self) -> bool:
        return self.error is None


def judge(status: int, raw: bytes) -> Outcome:
    """Is this answer an acknowledgement? 2xx with a JSON object whose errorCode is "0"."""
    text = raw.decode("utf-8", errors="replace")
    shown = text[:LOGGED_BODY_CHARS]
    if not 200 <= status < 300:
        return Outcome(status, shown, f"HTTP {status}: only a 2xx answer can acknowledge")
    if not text.strip():
        return Outcome(
            status,
            shown,
            f'HTTP {status} with an empty body: the acknowledgement is {{"errorCode": "0"}}',
        )
    try:
        data = json.loads(text)
    except ValueError:
        return Outcome(
            status, shown, f'HTTP {status} but the body is not JSON; answer {{"errorCode": "0"}}'
        )
    if not isinstance(data, dict):
        return Outcome(
            status,
            shown,
            f'HTTP {status} but the body is not a JSON object; answer {{"errorCode": "0"}}',
        )
    if "errorCode" not in data:
        return Outcome(status, shown, f'HTTP {status} but the body has no errorCode; send "0"')
    code = data["errorCode"]
    if code != "0":
        hint = ' (errorCode is a string: send "0", not 0)' if code == 0 else ""
        return Outcome(
            status,
            shown,
            f'errorCode {json.dumps(code)} is not an acknowledgement{hint}; only "0" is',
        )
    return Outcome(status, shown)


def describe_error(exc: httpx.HTTPError, timeout: float) -> str:
    """A short reason for a failed POST: timeout, DNS, refused, or what httpx says."""
    import httpx

    causes = list(_causes(exc))
    host = receiver_host(exc)
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timeout: {host} did not accept a connection within {timeout:g} s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"read timeout: {host} sent no answer within {timeout:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"timeout: {host} did not complete the exchange within {timeout:g} s"
    if any(isinstance(c, socket.gaierror) for c in causes) or _mentions_dns(exc):
        return f"DNS failure: the host name of {host} does not resolve"
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "refused" in str(exc).lower():
        return f"connection refused by {host}: nothing listens there"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{host} closed the connection without a valid HTTP answer ({exc})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect to {host}: {exc}"
    return f"{type(exc).__name__}: {exc}"


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _mentions_dns(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(
        marker in text
        for marker in (
            "name or service not known",
            "nodename nor servname",
            "temporary failure in name resolution",
            "no address associated",
            "getaddrinfo failed",
        )
    )


def receiver_host(exc: httpx.HTTPError) -> str:
    try:
        url = exc.request.url
    except RuntimeError:  # no request attached
        return "the receiver"
    port = f":{url.port}" if url.port else ""
    return f"{url.host}{port}"
