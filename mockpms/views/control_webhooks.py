"""Control API for time and webhooks: read and move the mock clock, read the attempt log."""

from __future__ import annotations

import math
from typing import Any, TypeVar

from flask import Blueprint, jsonify, request

from mockpms.errors import ControlError
from mockpms.sandbox import Sandbox
from mockpms.views._web import sandbox
from mockpms.views.control import control_body, page_of, paging, scope
from mockpms.webhooks import iso_time

T = TypeVar("T")

bp = Blueprint("control_webhooks", __name__, url_prefix="/_mock")

# Mock time must stay a date Python (and PMS's txDatetime format) can print: year < 9999.
LATEST_MOCK_TIME = 2.0e11


def advance_wait(box: Sandbox) -> float:
    """How long an advance waits for the work it made due: one webhook attempt's deadline
    (and a little), never longer; the answer says how many were still running."""
    return box.settings.webhook_timeout + 1.0


def _clock_json(box: Sandbox, api_key: str | None = None, **extra: Any) -> dict[str, Any]:
    now = box.clock.now(api_key)
    own = {"apiKey": api_key, "ownOffset": box.clock.own_offset(api_key)} if api_key else {}
    return {
        "offset": box.clock.offset,
        **own,
        "now": now,
        "time": iso_time(now),
        **extra,
        "pending": box.scheduler.pending(),
        "nextDueAt": box.scheduler.next_due(),
    }


@bp.get("/clock")
def clock() -> Any:
    """Mock time: wall clock plus offset (seconds), as epoch seconds and ISO 8601 UTC;
    ?apiKey= a merchant's time (its own offset on top)."""
    return jsonify(_clock_json(sandbox(), scope()))


@bp.post("/clock/advance")
def advance() -> Any:
    """Move mock time forward and run every job that fell due before answering."""
    body = control_body()
    api_key = scope(body)
    if "seconds" not in body:
        raise ControlError('give the seconds to advance, e.g. {"seconds": 300}')
    box = sandbox()
    value = advance_seconds(body["seconds"], box.clock.now(api_key))
    ran, still_running = box.advance(value, advance_wait(box), api_key)
    return jsonify(_clock_json(box, api_key, advanced=value, ran=ran, stillRunning=still_running))


def advance_seconds(seconds: Any, now: float) -> float:
    """A clock advance's seconds, checked: a number >= 0 that keeps mock time printable.

    The one check for the control API and the dashboard's advance form.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ControlError(f"seconds: must be a number, e.g. 300 (got {seconds!r:.40})")
    try:
        value = float(seconds)
    except OverflowError:
        value = math.inf
    if math.isnan(value) or value < 0:
        raise ControlError("seconds: must be a number >= 0: mock time never goes back")
    if now + value > LATEST_MOCK_TIME:
        raise ControlError("seconds: too large: mock time would pass the year 8000")
    return value


@bp.get("/webhooks")
def webhooks() -> Any:
    """Webhook attempts and series (deliveries) with their state, paged alike.

    ?rrn= or ?sessionId= filter; ?limit=, ?order=oldest|newest, ?after=<next> page the
    attempts and ?afterDelivery=<nextDelivery> the series.
    """
    rrn = request.args.get("rrn") or None
    session_id = request.args.get("sessionId") or None
    api_key = request.args.get("apiKey") or None
    wanted = paging()
    engine = sandbox().webhooks
    attempts, next_attempt = page_of(
        engine.attempts(rrn=rrn, session_id=session_id, api_key=api_key), lambda a: a.id, wanted
    )
    series = paging(after_name="afterDelivery")
    deliveries, next_delivery = page_of(
        engine.deliveries(rrn=rrn, session_id=session_id, api_key=api_key), lambda d: d.id, series
    )
    return jsonify(
        {
            "count": len(attempts),
            "attempts": [a.to_json() for a in attempts],
            "deliveries": [d.to_json() for d in deliveries],
            "next": next_attempt,
            "nextDelivery": next_delivery,
        }
    )
