"""Where the mock's own pages live; paymentUrl and H5 QR content point here."""

from __future__ import annotations

PAYMENT_PAGE = "/pms-payment/eft-payment"
H5_PAGE = "/pms-payment/h5"
CONTROL = "/_mock"  # the control API, the dashboard and the event stream


def is_control_path(path: str) -> bool:
    return path == CONTROL or path.startswith(CONTROL + "/")


def payment_url(base: str, token: str) -> str:
    """The hosted payment page of one transaction (PMS: .../pms-payment/#/eft-payment?value=...)."""
    return f"{base.rstrip('/')}{PAYMENT_PAGE}?value={token}"


def h5_url(base: str, token: str) -> str:
    """The H5 page an H5 QR code opens."""
    return f"{base.rstrip('/')}{H5_PAGE}/{token}"
