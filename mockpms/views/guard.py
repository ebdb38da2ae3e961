"""The control API is not an open door (CONTRACT 16): no cross-site writes, no DNS rebinding.

`mockpms serve` on a laptop answers on 127.0.0.1:8080, and any web page the
developer opens can send requests there. Two checks, before any /_mock view:

- State-changing calls (POST, DELETE) that a browser marks as coming from
  another site are refused: `Sec-Fetch-Site: cross-site`, or, without that
  header, an `Origin` whose host differs from `Host` (ports ignored). curl,
  test code and the CLI send neither header and are unaffected.
- A DNS-rebinding page reaches us under its own dotted name, so /_mock answers
  only to IP literals, undotted names (Docker service names), `localhost`,
  `*.localhost`, the --public-url host and --allowed-hosts. Health checks and
  the PMS endpoints and payment pages are open to any Host.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import Flask, Response, request

from mockpms.urls import is_control_path
from mockpms.views._web import control_error, sandbox

OPEN_PATHS = frozenset({"/_mock/health", "/_mock/ready"})
WRITES = frozenset({"POST", "DELETE", "PUT", "PATCH"})


def hostname(host: str) -> str:
    """The name part of a Host header or a URL's netloc: no port, no brackets, lower case."""
    host = host.rpartition("@")[2].strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(name: str, public_host: str | None, allowed: tuple[str, ...]) -> bool:
    if "*" in allowed or name in allowed or name == public_host:
        return True
    if name == "localhost" or name.endswith(".localhost") or "." not in name:
        return True  # undotted: a Docker service name such as "mockpms"
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def cross_site() -> str | None:
    """Why a browser's request comes from another site, or None."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return "Sec-Fetch-Site: cross-site" if site == "cross-site" else None
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    if origin == "null" or hostname(urlsplit(origin).netloc) != hostname(request.host):
        return f"Origin {origin[:80]}"
    return None


def control_guard() -> Response | None:
    """before_request: refuse cross-site writes and foreign Host names on /_mock."""
    path = request.path
    if not is_control_path(path) or path in OPEN_PATHS:
        return None
    settings = sandbox().settings
    name = hostname(request.host)
    public = hostname(urlsplit(settings.public_url).netloc) if settings.public_url else None
    if not host_allowed(name, public, settings.allowed_hosts):
        return control_error(
            f"Host {name[:80]!r} is not allowed on /_mock (a defence against DNS rebinding); "
            f"if you reach mockpms under this name, start it with --allowed-hosts {name[:80]} "
            f"(MOCKPMS_ALLOWED_HOSTS)",
            403,
        )
    if request.method in WRITES:
        reason = cross_site()
        if reason is not None:
            return control_error(
                f"cross-site request refused ({reason}): a web page cannot drive the "
                f"sandbox; call /_mock from your tests, curl or the mockpms CLI",
                403,
            )
    return None


def install(app: Flask) -> None:
    app.before_request(control_guard)
