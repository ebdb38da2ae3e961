"""Where the mock's own pages live; paymentUrl and H5 QR content point here."""

from __future__ import annotations

PAYMENT_PAGE = "/pms-payment/eft-payment"
H5_PAGE = "/pms-payment/h5"
CONTROL = "/_mock"  # the control API, the dashboard and the event stream


def base_url(public_url: str | None, scheme: str, host: str) -> str:
    """Where paymentUrl and H5 content point: --public-url, else the host the client used
    (a default port dropped, as werkzeug's host_url shows it)."""
    if public_url:
        return public_url
    default = ":80" if scheme == "http" else ":443"
    return f"{scheme}://{host[: -len(default)] if host.endswith(default) else host}"


def is_control_path(path: str) -> bool:
    return path == CONTROL or path.startswith(CONTROL + "/")


def payment_url(base: str, token: str) -> str:
    """The hosted payment page of one transaction (PMS: .../pms-payment/#/eft-payment?value=...)."""
    return f"{base.rstrip('/')}{PAYMENT_PAGE}?value={token}"


def h5_url(base: str, token: str) -> str:
    """The H5 page an H5 QR code opens."""
    return f"{base.rstrip('/')}{H5_PAGE}/{token}"
