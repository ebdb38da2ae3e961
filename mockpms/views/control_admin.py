"""Control API: the journal, faults, auto-settle policy, seed, OpenAPI, and the admin token.

Each route parses its input, calls the domain (journal, faults, policy, ids)
and renders JSON; bad input is a ControlError (4xx JSON naming the field).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Blueprint, jsonify, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from mockpms.endpoints import NAMES as PMS_ENDPOINTS
from mockpms.errors import ControlError
from mockpms.faults import parse_fault
from mockpms.policy import Policy
from mockpms.urls import is_control_path
from mockpms.views._web import sandbox
from mockpms.views.control import control_body, page_of, paging, scope

bp = Blueprint("control_admin", __name__, url_prefix="/_mock")

# Health checks carry no secrets (and Docker or Kubernetes probes send no header).
OPEN_PATHS = frozenset({"/_mock/health", "/_mock/ready"})
DASHBOARD_COOKIE = "mockpms_dashboard"


# ------------------------------------------------------------------ journal


@bp.get("/requests")
def requests_journal() -> Any:
    """The PMS requests received, oldest first; ?endpoint=, ?rrn=, ?apiKey=, ?sessionId=."""
    args = request.args
    endpoint = args.get("endpoint")
    if endpoint is not None and endpoint not in PMS_ENDPOINTS:
        raise ControlError(
            f"endpoint: {endpoint[:80]!r} is not a PMS endpoint; use one of "
            f"{', '.join(PMS_ENDPOINTS)}"
        )
    journal = sandbox().journal
    entries = journal.entries(
        endpoint=endpoint,
        rrn=args.get("rrn"),
        api_key=args.get("apiKey"),
        session_id=args.get("sessionId"),
    )
    chosen, next_cursor = page_of(entries, lambda e: e.id, paging())
    return jsonify(
        {
            "requests": [e.to_json() for e in chosen],
            "cap": journal.cap,
            "dropped": journal.dropped,
            "next": next_cursor,
        }
    )


# ------------------------------------------------------------------- faults


@bp.get("/faults")
def list_faults() -> Any:
    """Every armed fault; ?apiKey= those scoped to one merchant."""
    api_key = scope()
    return jsonify({"faults": [f.to_json() for f in sandbox().faults.active(api_key)]})


@bp.post("/faults")
def add_fault() -> Any:
    """Arm a fault, for every merchant's requests or (apiKey) for one merchant's."""
    body = control_body()
    api_key = scope(body)
    fault = sandbox().faults.add(**parse_fault(body), api_key=api_key)
    return jsonify(fault.to_json()), 201


@bp.delete("/faults")
def clear_faults() -> Any:
    """Disarm every fault; with apiKey, only that merchant's."""
    return jsonify({"cleared": sandbox().faults.clear(scope(control_body()))})


# ------------------------------------------------------------------- policy


@bp.get("/policy")
def get_policy() -> Any:
    """The sandbox's policy; ?apiKey= the one that merchant's payments follow."""
    api_key = scope()
    auto = sandbox().policy
    policy = auto.policy_for(api_key)
    shown: dict[str, Any] = {"policy": policy.to_json() if policy else None}
    if api_key is not None:
        shown |= {"apiKey": api_key, "own": auto.own(api_key) is not None}
    return jsonify(shown)


@bp.post("/policy")
def set_policy() -> Any:
    """Set the sandbox's policy, or (apiKey) one merchant's own, which takes precedence."""
    body = control_body()
    api_key = scope(body)
    policy = Policy.from_json(body)
    sandbox().policy.set(policy, api_key)
    return jsonify({"policy": policy.to_json(), **({"apiKey": api_key} if api_key else {})})


@bp.delete("/policy")
def clear_policy() -> Any:
    """No policy at all; with apiKey, that merchant's own only (it follows the sandbox's)."""
    api_key = scope(control_body())
    auto = sandbox().policy
    if api_key is None:
        auto.clear()
        return jsonify({"policy": None})
    auto.set(None, api_key)
    policy = auto.policy_for(api_key)
    return jsonify({"policy": policy.to_json() if policy else None, "apiKey": api_key})


# --------------------------------------------------------------------- seed


@bp.get("/seed")
def get_seed() -> Any:
    """The seed in force; ?apiKey= the one that merchant's ids come from."""
    api_key = scope()
    return jsonify({"seed": sandbox().ids.seed_of(api_key)})


@bp.post("/seed")
def set_seed() -> Any:
    """Seed the ids (null: random), or (apiKey) one merchant's ids only."""
    data = control_body()
    api_key = scope(data)
    unknown = sorted(set(data) - {"seed"})
    if unknown:
        raise ControlError(f'{unknown[0]}: unknown field; the body is {{"seed": N}}')
    if "seed" not in data:
        raise ControlError('seed: missing; send {"seed": 42} (or {"seed": null} for random ids)')
    seed = data["seed"]
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ControlError(f"seed: must be a whole number or null (got {seed!r})")
    if seed is not None and not -(2**63) <= seed < 2**63:
        raise ControlError("seed: must fit in 64 bits")
    sandbox().ids.reseed(seed, api_key)
    return jsonify({"seed": seed, **({"apiKey": api_key} if api_key else {})})


# ------------------------------------------------------------------ openapi


@bp.get("/openapi.json")
def openapi() -> Any:
    gateways = sandbox().gateways
    from mockpms.openapi import openapi_spec  # built on demand: not on start-up's path

    return jsonify(openapi_spec(gateways.types, gateways.h5_types))


# -------------------------------------------------------------- admin token


def dashboard_cookie_value(token: str) -> str:
    """What the dashboard cookie holds: derived from the token, never the token itself."""
    return hmac.new(token.encode(), b"mockpms-dashboard", hashlib.sha256).hexdigest()


def admin_guard() -> BaseResponse | None:
    """before_request: with --admin-token, /_mock needs `Authorization: Bearer <token>`.

    The dashboard (GET /_mock/ and its form posts) also accepts the cookie that
    `/_mock/?token=<token>` sets, so a browser can use it.
    """
    token = sandbox().settings.admin_token
    path = request.path
    if not token or path in OPEN_PATHS or not is_control_path(path):
        return None
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode()):
        return None
    dashboard = path in ("/_mock", "/_mock/")
    # What the dashboard's pages and script reach in a browser, which sends no header.
    browser = path in ("/_mock/events", "/_mock/clock") or path.endswith("/view")
    if dashboard or browser or path.startswith("/_mock/dashboard/"):
        expected = dashboard_cookie_value(token)
        cookie = request.cookies.get(DASHBOARD_COOKIE, "")
        if hmac.compare_digest(cookie.encode(), expected.encode()):
            return None
        query_token = request.args.get("token", "")
        if request.method == "GET" and hmac.compare_digest(query_token.encode(), token.encode()):
            response = redirect("/_mock/", 303)
            response.set_cookie(
                DASHBOARD_COOKIE,
                expected,
                httponly=True,
                samesite="Strict",
                path="/_mock",
            )
            return response
    hint = (
        "open /_mock/?token=<token> once in the browser"
        if dashboard
        else "send the header Authorization: Bearer <token>"
    )
    message = f"this mockpms requires the admin token (--admin-token) on /_mock; {hint}"
    response = jsonify({"error": message, "status": 401})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="mockpms"'
    return response
