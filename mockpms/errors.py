"""The error hierarchy: each error carries the PMS errorCode it answers with.

Views never build error JSON by hand; one handler turns any of these into the
PMS envelope (or, for the control API, a JSON error with an HTTP status).
"""

from __future__ import annotations

from typing import Any

from mockpms.urls import is_control_path


class PmsError(Exception):
    """A business or validation failure, answered as HTTP 200 with a non-zero errorCode."""

    error_code = "40002"

    def __init__(
        self, message: str, *, field: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # A code of the integration report (mockpms.report) when the error is a mistake
        # of the merchant's integration worth reporting, e.g. "bad-sign".
        self.reason = reason


class AuthError(PmsError):
    """apiKey, timestamp or sign rejected (PMS: "other error")."""


class InvalidField(PmsError):
    """A request field breaks a rule; the message names the field and the fix."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}", field=field)


class NotFound(PmsError):
    """No transaction or session of this merchant matches."""


class PaymentError(PmsError):
    """Payment refused, e.g. a duplicate rrn (PMS errorCode 601)."""

    error_code = "601"


class ResponseTimeout(PmsError):
    """PMS errorCode 3; only produced through fault injection."""

    error_code = "3"


class HttpError(Exception):
    """A request PMS would not even parse: wrong method, path, media type or size.

    Answered with its HTTP status and the PMS envelope, so a client that always
    reads errorCode still gets a readable reason.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ControlError(Exception):
    """Bad input to the /_mock control API: a 4xx JSON error."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ConfigError(Exception):
    """Invalid configuration; `mockpms serve` prints it as one line and exits non-zero."""


def body_too_large(max_body: int) -> HttpError:
    return HttpError(
        413, f"the request body is larger than the limit of {max_body} bytes (--max-body)"
    )


def envelope(error: PmsError | HttpError) -> tuple[int, dict[str, Any]]:
    """An error's HTTP status and PMS envelope: 200 for business errors, as PMS answers."""
    if isinstance(error, PmsError):
        return 200, {"errorCode": error.error_code, "errorMessage": error.message}
    return error.status, {"errorCode": "40002", "errorMessage": error.message}


def refusal(path: str, error: HttpError) -> dict[str, Any]:
    """A refusal the server makes before any view, in its path's shape: the control API's
    error on /_mock, the PMS envelope elsewhere."""
    if is_control_path(path):
        return {"error": error.message, "status": error.status}
    return envelope(error)[1]
