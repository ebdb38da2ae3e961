"""The dashboard at /_mock/: the sandbox at a glance, live, and one record's whole story.

Server-rendered first (it reads without JavaScript, and its forms post and come
back); a static script (static/dashboard/live.js) then follows /_mock/events and
redraws the rows an event names by fetching them from /_mock/dashboard/rows/*,
rendered by the same macros as the first paint, so a row has one template.
Actions post forms with a CSRF token, refused cross-origin (and by views.guard),
and answer JSON to the script instead of redirecting. Listings are pages.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from mockpms.checkout import OUTCOMES
from mockpms.clock import pms_datetime
from mockpms.errors import ControlError, PmsError
from mockpms.i18n import format_amount
from mockpms.models import H5Session, Transaction, TxStatus
from mockpms.views._web import form_token, form_token_ok, sandbox, secure_page
from mockpms.views.control import named_session, named_transaction
from mockpms.views.control_webhooks import advance_seconds, advance_wait

bp = Blueprint("dashboard", __name__, url_prefix="/_mock")
FORMS = "dashboard-form"
PAGE = 50
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
STATUSES = [s.value for s in TxStatus] + sorted({s.gw_ref_status for s in TxStatus})


def csrf_token() -> str:
    """Per-process token in every form: a page on another origin cannot read it."""
    return form_token(FORMS)


def _when(epoch: float | None) -> str:
    return "" if epoch is None else pms_datetime(epoch)[:19].replace("T", " ")


def _page(template: str, *, scope: str | None = None, **context: Any) -> Response:
    box = sandbox()
    html = render_template(
        template,
        csrf=csrf_token(),
        now=_when(box.clock.now(scope)),
        offset=box.clock.offset + box.clock.own_offset(scope),
        scope=scope,
        notice=request.args.get("notice", "")[:300],
        when=_when,
        amount=format_amount,
        **context,
    )
    return secure_page(Response(html, mimetype="text/html"), policy=POLICY)


def session_row(session: H5Session) -> dict[str, Any]:
    """A session's control JSON plus the word the dashboard shows for its state."""
    shown = dict(sandbox().sessions.control_json(session))
    if shown["status"] == "2":
        state = "paid"
    elif shown["status"] == "1":
        state = "scanned" if shown["scannedAt"] else "open"
    else:
        state = "expired" if session.scanned_at and not session.cancelled_at else "cancelled"
    shown["state"] = state
    return shown


def transaction_row(txn: Transaction) -> dict[str, Any]:
    shown = txn.to_control_json()
    shown["subject"] = txn.subject
    return shown


# -------------------------------------------------------------------- pages


@bp.get("/")
def index() -> Response:
    box = sandbox()
    args = request.args
    filters = {"apiKey": args.get("apiKey") or None, "rrn": args.get("rrn") or None,
               "status": args.get("status") or None}  # fmt: skip
    if filters["status"] not in (None, *STATUSES):
        raise ControlError(f"status: {filters['status']!r:.40} is not one of {', '.join(STATUSES)}")
    after = args.get("after")
    cursor = (
        int(after) if after and after.isascii() and after.isdigit() and len(after) < 18 else None
    )
    if filters["rrn"]:
        found = box.lifecycle.transactions_with_rrn(filters["rrn"])
        wanted = [t for t in found if filters["apiKey"] in (None, t.api_key)]
        transactions, older = wanted[::-1], None
    else:
        page = box.lifecycle.transaction_page(
            filters["apiKey"], filters["status"], after=cursor, limit=PAGE, newest_first=True
        )
        transactions, older = page.records, page.next_cursor
    sessions = box.sessions.page(filters["apiKey"], None, after=None, limit=PAGE, newest_first=True)
    attempts = box.webhooks.attempts(api_key=filters["apiKey"])[-PAGE:][::-1]
    requests = box.journal.entries(api_key=filters["apiKey"])[-PAGE:][::-1]
    # Filtered on a merchant the sandbox knows: the controls act on it alone (CONTRACT 17).
    scope = filters["apiKey"] if filters["apiKey"] in box.merchants else None
    policy = box.policy.policy_for(scope)
    return _page(
        "dashboard/index.html",
        scope=scope,
        filters=filters,
        filters_args={k: v for k, v in filters.items() if v},
        statuses=STATUSES,
        transactions=[transaction_row(t) for t in transactions],
        older=older,
        sessions=[session_row(s) for s in sessions.records],
        attempts=[a.to_json() for a in attempts],
        requests=[r.to_json() for r in requests],
        faults=[f.to_json() for f in box.faults.active(scope)],
        policy=policy.to_json() if policy else None,
        seed=box.ids.seed_of(scope),
        wallets=box.gateways.h5_types,
    )


@bp.get("/transactions/<rrn>/view")
def transaction_story(rrn: str) -> Response:
    """One transaction's whole story: created, page opened, outcome, attempts, queries."""
    txn = named_transaction(rrn, request.args.get("apiKey") or None)
    return _story(f"Transaction {txn.rrn}", _transaction_facts(txn), _transaction_steps(txn))


@bp.get("/sessions/<session_id>/view")
def session_story(session_id: str) -> Response:
    sessions = sandbox().sessions
    session = named_session(session_id, request.args.get("apiKey") or None)
    steps = _session_steps(session)
    txn = sessions.paid_transaction(session)
    if txn is not None:
        steps += [s for s in _transaction_steps(txn) if s["title"] != "created"]
    steps.sort(key=lambda step: step["at"])
    facts = [
        ("apiKey", session.api_key), ("merchant", session.merchant_name),
        ("amount", format_amount(session.amt)),
        ("store / till", f"{session.store_code} / {session.till_id}"),
        ("remarks", session.remarks), ("state", session_row(session)["state"]),
        ("rrn", session.paid_rrn or ""), ("webhookUrl", session.webhook_url),
    ]  # fmt: skip
    return _story(f"H5 session {session.session_id}", facts, steps)


def _story(title: str, facts: list[tuple[str, str]], steps: list[dict[str, Any]]) -> Response:
    steps.sort(key=lambda step: step["at"])
    return _page("dashboard/story.html", title=title, facts=facts, steps=steps)


def _transaction_facts(txn: Transaction) -> list[tuple[str, str]]:
    return [
        ("apiKey", txn.api_key), ("type", txn.type), ("amount", format_amount(txn.amt, txn.ccy)),
        ("status", f"{txn.status.value} (gwRefStatus {txn.gw_ref_status})"),
        ("subject", txn.subject), ("seller", txn.seller), ("remarks", txn.remarks),
        ("payType", txn.pay_type), ("payDetail", txn.pay_detail), ("gwRefCode", txn.gw_ref_code),
        ("returnUrl", txn.return_url), ("webhookUrl", txn.webhook_url),
    ]  # fmt: skip


def _step(at: float, title: str, state: str, text: str = "", **details: str) -> dict[str, Any]:
    return {
        "at": at,
        "title": title,
        "state": state,
        "text": text,
        "details": list(details.items()),
    }


def _transaction_steps(txn: Transaction) -> list[dict[str, Any]]:
    box = sandbox()
    steps = []
    requests = [r for r in box.journal.entries(rrn=txn.rrn) if r.api_key == txn.api_key]
    sale = next((r for r in requests if r.endpoint == "online/sales" and r.error_code == "0"), None)
    body = json.dumps(sale.to_json()["body"], ensure_ascii=False, indent=2) if sale else ""
    created = {"request": body} if body else {}
    via = f"H5 session {txn.session_id}" if txn.session_id else "online/sales"
    steps.append(_step(txn.created_at, "created", "pending", via, **created))
    if txn.opened_at is not None:
        steps.append(_step(txn.opened_at, "payment page opened", "pending", txn.opened_view))
    if txn.finished_at is not None:
        text = f"gwRefStatus {txn.gw_ref_status}"
        if txn.gw_error_message and txn.status is not TxStatus.SUCCESS:
            text += f": {txn.gw_error_message}"
        steps.append(_step(txn.finished_at, txn.status.value, txn.status.value, text))
    for entry in requests:
        if entry.endpoint in ("online/query",):
            answer = f"errorCode {entry.error_code}: {entry.error_message or ''}"
            steps.append(_step(entry.time, "queried (online/query)", "query", answer))
    for attempt in box.webhooks.attempts(rrn=txn.rrn):
        if attempt.api_key != txn.api_key:
            continue
        flags = [f for f in ("resent", "duplicate", "dropped", "forged") if getattr(attempt, f)]
        outcome = "acknowledged" if attempt.acknowledged else attempt.error or ""
        answer = f"{attempt.http_status if attempt.http_status is not None else '-'} "
        steps.append(
            _step(
                attempt.sent_at,
                f"webhook attempt {attempt.attempt}/{attempt.max_attempts}"
                + (f" ({', '.join(flags)})" if flags else ""),
                "success" if attempt.acknowledged else "failed",
                f"{attempt.url}: {outcome}",
                payload=json.dumps(attempt.payload, ensure_ascii=False, indent=2),
                answer=answer + (attempt.response_body or ""),
            )
        )
    return steps


def _session_steps(session: H5Session) -> list[dict[str, Any]]:
    box = sandbox()
    steps = [_step(session.created_at, "created", "pending", "h5Payment/session/create")]
    if session.scanned_at is not None:
        steps.append(_step(session.scanned_at, "scanned", "pending", session.wallet or ""))
    if session.cancelled_at is not None:
        steps.append(_step(session.cancelled_at, "cancelled", "cancelled"))
    if session.expired_at is not None:
        steps.append(_step(session.expired_at, "countdown ran out", "timeout"))
    for entry in box.journal.entries(session_id=session.session_id):
        if entry.api_key == session.api_key and entry.endpoint == "h5Payment/session/query":
            answer = f"errorCode {entry.error_code}"
            steps.append(_step(entry.time, "queried (h5Payment/session/query)", "query", answer))
    return steps


# ----------------------------------------------------------- live fragments


@bp.get("/dashboard/rows/<kind>")
def row(kind: str) -> Response:
    """One row's HTML, as the first paint renders it (for the live updates)."""
    box = sandbox()
    args = request.args
    macros = {"transaction": "transaction_row", "session": "session_row",
              "attempt": "attempt_row", "request": "request_row"}  # fmt: skip
    if kind not in macros:
        raise ControlError(f"kind: {kind[:20]!r} is not one of {', '.join(macros)}", status=404)
    macro = get_template_attribute("dashboard/rows.html", macros[kind])
    html = ""
    if kind == "transaction":
        txn = box.lifecycle.transaction(args.get("apiKey", ""), args.get("rrn", ""))
        if txn is not None:
            html = macro(transaction_row(txn), csrf_token(), format_amount, _when)
    elif kind == "session":
        session = box.sessions.session(args.get("apiKey", ""), args.get("sessionId", ""))
        if session is not None:
            shown = session_row(session)
            html = macro(shown, csrf_token(), format_amount, _when, box.gateways.h5_types)
    elif kind == "attempt":
        wanted = args.get("id", "")
        found = next((a for a in box.webhooks.attempts() if str(a.id) == wanted), None)
        if found is not None:
            html = macro(found.to_json(), csrf_token(), _when)
    else:
        wanted = args.get("id", "")
        entry = next((e for e in box.journal.entries() if str(e.id) == wanted), None)
        if entry is not None:
            html = macro(entry.to_json(), _when)
    if not html:
        raise ControlError(f"no such {kind} (gone, or the sandbox was reset)", status=404)
    return secure_page(Response(html, mimetype="text/html"), policy=POLICY)


# ------------------------------------------------------------------ actions


def _checked_form() -> dict[str, str]:
    """The posted form, after the cross-site checks (Origin, then CSRF token)."""
    origin = request.headers.get("Origin")
    if origin and origin != "null":
        if urlsplit(origin).netloc != request.host:
            raise ControlError(f"cross-origin post from {origin[:80]} refused", status=403)
    elif origin == "null":
        raise ControlError("cross-origin post refused", status=403)
    if not form_token_ok(FORMS):
        raise ControlError("csrf: missing or wrong form token; reload the dashboard", status=403)
    return dict(request.form.items())


def _back(notice: str, scope: str | None = None) -> Response:
    """The script gets JSON (the live update shows the change); a plain form post goes back
    (to the page filtered on the merchant a scoped control acted on)."""
    if request.headers.get("X-Mockpms-Live"):
        return jsonify({"notice": notice})
    back = url_for("dashboard.index", notice=notice, apiKey=scope)
    return redirect(back, 303)  # type: ignore[return-value]


@bp.post("/dashboard/settle")
def settle() -> Response:
    form = _checked_form()
    box = sandbox()
    outcome = form.get("outcome", "")
    if outcome not in OUTCOMES:
        raise ControlError(f"outcome: must be one of {', '.join(OUTCOMES)}")
    txn = box.lifecycle.transaction(form.get("apiKey", ""), form.get("rrn", ""))
    if txn is None:
        raise ControlError("rrn: no such transaction (was the sandbox reset?)", status=404)
    try:  # the same path as POST /_mock/transactions/<rrn>/settle
        box.checkout.settle_outcome(txn, outcome)
    except PmsError as error:
        return _back(error.message)
    return _back(f"rrn {txn.rrn}: {outcome}")


def _session() -> tuple[str | None, H5Session]:
    form = _checked_form()
    box = sandbox()
    session = box.sessions.session(form.get("apiKey", ""), form.get("sessionId", ""))
    if session is None:
        raise ControlError("sessionId: no such H5 session (was the sandbox reset?)", status=404)
    wallet = form.get("wallet") or None
    if wallet is not None and wallet not in box.gateways.h5_types:
        raise ControlError(f"wallet: must be one of {', '.join(box.gateways.h5_types)}")
    return wallet, session


@bp.post("/dashboard/scan")
def scan() -> Response:
    wallet, session = _session()
    sandbox().sessions.scan(session, wallet)
    return _back(f"session {session.session_id}: scanned")


@bp.post("/dashboard/pay")
def pay() -> Response:
    wallet, session = _session()
    try:
        txn = sandbox().sessions.pay(session, session.wallet or wallet)
    except PmsError as error:
        return _back(error.message)
    return _back(f"session {session.session_id}: paid, rrn {txn.rrn}")


@bp.post("/dashboard/resend")
def resend() -> Response:
    form = _checked_form()
    box = sandbox()
    wanted = form.get("id", "")
    delivery = box.webhooks.series(int(wanted)) if wanted.isdigit() and len(wanted) < 18 else None
    if delivery is None:
        raise ControlError("id: no such webhook attempt (was the sandbox reset?)", status=404)
    box.webhooks.resend(delivery)
    return _back(f"webhook for {delivery.rrn}: sent again")


@bp.post("/dashboard/advance")
def advance() -> Response:
    form = _checked_form()
    box = sandbox()
    try:
        typed = float(form.get("seconds", ""))
    except ValueError:
        raise ControlError("seconds: must be a number of seconds") from None
    scope = _scope(form)
    seconds = advance_seconds(typed, box.clock.now(scope))
    # As POST /_mock/clock/advance: due work runs first.
    box.advance(seconds, advance_wait(box), scope)
    return _back(f"{_whose(scope)}clock advanced {seconds:g} s", scope)


@bp.post("/dashboard/reset")
def reset() -> Response:
    scope = _scope(_checked_form())
    sandbox().reset(scope)
    return _back(f"merchant {scope} was reset" if scope else "the sandbox was reset", scope)


@bp.post("/dashboard/clear_faults")
def clear_faults() -> Response:
    scope = _scope(_checked_form())
    cleared = sandbox().faults.clear(scope)
    return _back(f"{_whose(scope)}{cleared} fault(s) cleared", scope)


def _scope(form: dict[str, str]) -> str | None:
    """The merchant a dashboard control acts on (the page's apiKey filter), or None."""
    api_key = form.get("apiKey") or None
    if api_key is not None and api_key not in sandbox().merchants:
        raise ControlError(f"apiKey: no merchant {api_key[:64]!r} in this sandbox", status=404)
    return api_key


def _whose(scope: str | None) -> str:
    return f"{scope}: " if scope else ""
