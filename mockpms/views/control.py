"""The /_mock control API: what a test or CI uses to drive the sandbox."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify, request

from mockpms import __version__
from mockpms.errors import ControlError
from mockpms.jsontext import decode_json
from mockpms.models import H5Session, Transaction
from mockpms.views._web import sandbox
from mockpms.webhooks import iso_time

bp = Blueprint("control", __name__, url_prefix="/_mock")

Record = TypeVar("Record")


@bp.get("/health")
def health() -> Any:
    """Liveness: the process answers."""
    return jsonify({"status": "ok", "version": __version__, **sandbox().store.describe()})


@bp.get("/status")
def status() -> Any:
    """What `mockpms status` prints: version, storage, clock, counts, policy, faults."""
    box = sandbox()
    policy = box.policy.policy
    now = box.clock.now()
    return jsonify(
        {
            "version": __version__,
            **box.store.describe(),
            "now": now,
            "time": iso_time(now),
            "offset": box.clock.offset,
            "counts": {
                **box.store.counts(),
                "webhookAttempts": len(box.webhooks.attempts()),
                "requests": len(box.journal.entries()),
            },
            "policy": policy.to_json() if policy else None,
            "faults": [fault.to_json() for fault in box.faults.active()],
            "eventStreams": box.stream.readers,
        }
    )


@bp.get("/events")
def events() -> Any:
    """Server-Sent Events of what happens (see mockpms.event_stream)."""
    box = sandbox()
    last = request.headers.get("Last-Event-ID") or request.args.get("lastEventId") or None
    if last is not None and (not last.isascii() or not last.isdigit() or len(last) > 18):
        raise ControlError("Last-Event-ID: must be the id of an event this stream sent")
    opened = box.stream.open(int(last) if last is not None else None)
    if opened is None:
        raise ControlError(
            f"too many event streams are open ({box.stream.max_streams}, half the server "
            f"threads); close one, or start mockpms with more --threads",
            status=503,
        )
    reader, missed = opened
    response = Response(box.stream.stream(reader, missed), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


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
    """The whole sandbox back to its start state, or one merchant's part (?apiKey=)."""
    api_key = scope(control_body())
    sandbox().reset(api_key)
    return jsonify({"status": "reset", **({"apiKey": api_key} if api_key else {})})


def scope(body: dict[str, Any] | None = None) -> str | None:
    """The merchant a state-changing control call is scoped to (CONTRACT 17), or None.

    Given as ?apiKey= or as the body's `apiKey` (taken out of `body`); both given and
    different is a 400; a merchant the sandbox does not know is a 404.
    """
    query = request.args.get("apiKey") or None
    given = body.pop("apiKey", None) if body is not None else None
    if given is not None and (not isinstance(given, str) or not given):
        raise ControlError("apiKey: must be a merchant's apiKey (a non-empty string)")
    if query is not None and given is not None and query != given:
        raise ControlError(
            f"apiKey: given as ?apiKey={query[:64]!r} and in the body as {given[:64]!r}; "
            f"give it once"
        )
    api_key = given or query
    if api_key is not None and api_key not in sandbox().merchants:
        raise ControlError(
            f"apiKey: no merchant {api_key[:64]!r} in this sandbox; add one with "
            f"POST /_mock/merchants",
            status=404,
        )
    return api_key


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


DEFAULT_PAGE = 500
MAX_PAGE = 5000


@dataclass(frozen=True)
class Paging:
    """A listing's page request: ?limit= (default 500, at most 5000), ?order=oldest|newest
    (default oldest), ?after=<the `next` cursor of the previous page>."""

    after: int | None
    limit: int
    newest_first: bool


def paging(after_name: str = "after") -> Paging:
    args = request.args
    limit_text, order, after_text = args.get("limit"), args.get("order"), args.get(after_name)
    limit = DEFAULT_PAGE
    if limit_text:
        if not limit_text.isascii() or not limit_text.isdigit() or len(limit_text) > 6:
            raise ControlError(f"limit: must be a whole number from 1 to {MAX_PAGE}")
        limit = int(limit_text)
        if not 1 <= limit <= MAX_PAGE:
            raise ControlError(f"limit: must be a whole number from 1 to {MAX_PAGE}")
    if order not in (None, "", "oldest", "newest"):
        raise ControlError(f"order: must be oldest or newest (got {order[:20]!r})")
    after = None
    if after_text:
        if not after_text.isascii() or not after_text.isdigit() or len(after_text) > 18:
            raise ControlError(f"{after_name}: must be the cursor the previous page gave")
        after = int(after_text)
    return Paging(after, limit, order == "newest")


def page_of(
    items: Sequence[Record], cursor_of: Callable[[Record], int], page: Paging
) -> tuple[list[Record], str | None]:
    """A page of an in-memory list in arrival order (the journal, the webhook log)."""
    ordered = list(reversed(items)) if page.newest_first else list(items)
    if page.after is not None:
        after = page.after
        ordered = [
            i
            for i in ordered
            if (cursor_of(i) < after if page.newest_first else cursor_of(i) > after)
        ]
    chosen = ordered[: page.limit]
    more = len(ordered) > page.limit
    return chosen, str(cursor_of(chosen[-1])) if more and chosen else None


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


def named_transaction(rrn: str, api_key: str | None) -> Transaction:
    """The transaction a control call or page names by rrn (see one_record)."""
    lifecycle = sandbox().lifecycle
    return one_record(
        f"transaction with rrn {rrn!r}",
        api_key,
        lambda key: lifecycle.transaction(key, rrn),
        lambda: lifecycle.transactions_with_rrn(rrn),
        lambda txn: txn.api_key,
    )


def named_session(session_id: str, api_key: str | None) -> H5Session:
    """The H5 session a control call or page names by sessionId (see one_record)."""
    sessions = sandbox().sessions
    return one_record(
        f"H5 session {session_id!r}",
        api_key,
        lambda key: sessions.session(key, session_id),
        lambda: sessions.with_id(session_id),
        lambda session: session.api_key,
    )
