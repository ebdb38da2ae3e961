"""The /_mock control API: what a test or CI uses to drive the sandbox."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from flask import Blueprint, jsonify, request

from mockpms import __version__
from mockpms.errors import ControlError
from mockpms.views._web import decode_json, sandbox

bp = Blueprint("control", __name__, url_prefix="/_mock")

Record = TypeVar("Record")


@bp.get("/health")
def health() -> Any:
    """Liveness: the process answers."""
    return jsonify({"status": "ok", "version": __version__})


@bp.get("/ready")
def ready() -> Any:
    """Readiness: merchants and gateway fixtures loaded, and not shutting down (else 503)."""
    box = sandbox()
    checks = {
        "merchants": box.loaded["merchants"] > 0,
        "gateways": box.loaded["gateways"] > 0,
        "accepting": not box.closed,
    }
    ok = all(checks.values())
    answer = {
        "status": "ready" if ok else "not ready",
        "version": __version__,
        "checks": checks,
        "merchants": box.loaded["merchants"],
        "gateways": list(box.gateways.types),
    }
    return jsonify(answer), 200 if ok else 503


@bp.post("/reset")
def reset() -> Any:
    sandbox().reset()
    return jsonify({"status": "reset"})


def control_body() -> dict[str, Any]:
    """A control call's JSON object body; empty means {} whatever the Content-Type.

    Control POSTs that take no arguments accept an empty body (CONTRACT 9).
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = decode_json(raw)
    except ValueError:  # UnicodeDecodeError is one
        raise ControlError("the body must be a JSON object (or empty)") from None
    if not isinstance(data, dict):
        raise ControlError("the body must be a JSON object (or empty)")
    return data


def api_key_of(body: dict[str, Any]) -> str | None:
    """The `apiKey` that picks a record two merchants share: body field, else ?apiKey=."""
    value = body.get("apiKey", request.args.get("apiKey"))
    if value is not None and not isinstance(value, str):
        raise ControlError("apiKey: must be a string")
    return value or None


def one_record(
    what: str,
    api_key: str | None,
    of_merchant: Callable[[str], Record | None],
    with_id: Callable[[], Sequence[Record]],
    merchant_of: Callable[[Record], str],
) -> Record:
    """The one transaction or session a control call names by its id.

    Ids are unique per merchant only: `apiKey` picks the merchant; without it an
    id two merchants used is a 409 asking for it, an unknown id a 404.
    """
    if api_key:
        found = of_merchant(api_key)
        if found is None:
            raise ControlError(f"no {what} for apiKey {api_key!r}", status=404)
        return found
    matches = with_id()
    if not matches:
        raise ControlError(f"no {what}", status=404)
    if len(matches) > 1:
        keys = ", ".join(sorted(merchant_of(m) for m in matches))
        raise ControlError(
            f"{what} is used by several merchants ({keys}); say which with apiKey "
            f"(a body field, or ?apiKey= on a GET)",
            status=409,
        )
    return matches[0]
