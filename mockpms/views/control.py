"""The /_mock control API: what a test or CI uses to drive the sandbox."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from mockpms import __version__
from mockpms.app import sandbox

bp = Blueprint("control", __name__, url_prefix="/_mock")


@bp.get("/health")
def health() -> Any:
    """Liveness: the process answers."""
    return jsonify({"status": "ok", "version": __version__})


@bp.get("/ready")
def ready() -> Any:
    """Readiness: configuration and fixtures are loaded."""
    box = sandbox()
    return jsonify(
        {
            "status": "ready",
            "version": __version__,
            "merchants": len(box.settings.merchants),
            "gateways": list(box.gateways.types),
        }
    )


@bp.post("/reset")
def reset() -> Any:
    sandbox().reset()
    return jsonify({"status": "reset"})
