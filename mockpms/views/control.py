"""The /_mock control API: what a test or CI uses to drive the sandbox."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, jsonify, request

from mockpms import __version__
from mockpms.app import sandbox
from mockpms.errors import ControlError

bp = Blueprint("control", __name__, url_prefix="/_mock")


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
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ControlError("the body must be a JSON object (or empty)") from None
    if not isinstance(data, dict):
        raise ControlError("the body must be a JSON object (or empty)")
    return data


def _reject_constant(name: str) -> Any:
    raise ValueError(name)
