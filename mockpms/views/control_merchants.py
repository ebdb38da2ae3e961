"""Control API for tenants (CONTRACT 17): add and remove merchants at runtime.

Many test jobs sharing one mockpms each take a merchant of their own; every
state-changing control call then takes that merchant's apiKey as its scope
(views.control.scope), and DELETE takes the merchant away with all its data.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from mockpms.config import SHOWN_SECRETS
from mockpms.merchants import to_json
from mockpms.views._web import sandbox
from mockpms.views.control import control_body

bp = Blueprint("control_merchants", __name__, url_prefix="/_mock")


@bp.get("/merchants")
def list_merchants() -> Any:
    """Every merchant; a configured secret only where the start-up banner shows it too."""
    box = sandbox()
    shown = []
    for merchant in (*box.merchants.configured, *box.merchants.runtime()):
        answer = to_json(merchant)
        if merchant.source not in SHOWN_SECRETS | {"runtime"}:
            answer.pop("secret")
        shown.append(answer)
    return jsonify({"merchants": shown})


@bp.post("/merchants")
def add_merchant() -> Any:
    merchant = sandbox().add_merchant(control_body())
    return jsonify(to_json(merchant)), 201


@bp.delete("/merchants/<api_key>")
def remove_merchant(api_key: str) -> Any:
    sandbox().remove_merchant(api_key)
    return jsonify({"removed": api_key})
