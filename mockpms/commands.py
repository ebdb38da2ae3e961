"""`mockpms COMMAND`: drive a running sandbox from the terminal (CONTRACT 12).

Every command talks to a running mockpms over its control API (ControlClient),
or signs PMS calls like a merchant (PMSClient). Exit status: 0 done; 1 the
sandbox refused (a 4xx answer, or an errorCode other than "0" for `call`);
2 bad usage; 3 no mockpms answered at the URL.

argparse (the standard library) rather than click: the commands are flat, the
global options must stand before or after the command, and the CLI then adds
nothing to what `pip install mockpms` pulls in.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from mockpms.endpoints import NAMES as PMS_ENDPOINTS
from mockpms.faults import WEBHOOK_KINDS
from mockpms.signing import sign

if TYPE_CHECKING:
    from mockpms.client import ControlClient

DEFAULT_URL = "http://127.0.0.1:8080"
SANDBOX_KEY, SANDBOX_SECRET = "mockpms-sandbox", "mockpms-sandbox-secret"
OUTCOMES = ("success", "failed", "timeout", "refunded")
DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s?)?")


class UsageError(Exception):
    """Bad usage found after parsing (exit 2)."""


def duration(text: str) -> float:
    """300, 90s, 5m, 1h30m → seconds."""
    found = DURATION.fullmatch(text.strip())
    if not text.strip() or found is None or not any(found.groups()):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration: use seconds (300, 90s), minutes (5m) or 1h30m"
        )
    hours, minutes, seconds = found.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def global_options() -> argparse.ArgumentParser:
    """--url, --admin-token, --api-key, --json: accepted before or after the command."""
    options = argparse.ArgumentParser(add_help=False)
    group = options.add_argument_group("sandbox")
    group.add_argument("--url", default=argparse.SUPPRESS, help="the sandbox (MOCKPMS_URL)")
    group.add_argument("--admin-token", default=argparse.SUPPRESS, help="(MOCKPMS_ADMIN_TOKEN)")
    group.add_argument(
        "--api-key", default=argparse.SUPPRESS, help="whose record, or who signs (MOCKPMS_API_KEY)"
    )
    group.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    return options


def add_commands(commands: Any) -> None:
    """The subcommands, each with a one-line help and an example."""
    common = [global_options()]

    def command(name: str, summary: str, example: str) -> argparse.ArgumentParser:
        return commands.add_parser(  # type: ignore[no-any-return]
            name,
            parents=common,
            help=summary,
            description=f"{summary}\n\nexample:\n  {example}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    command("status", "version, storage, clock, counts, policy, armed faults", "mockpms status")
    listing = command("transactions", "list transactions, newest last", "mockpms transactions")
    listing.add_argument("--status", help="pending, success, ... or a gwRefStatus 01..05")
    one = command("transaction", "one transaction and its story", "mockpms transaction R1")
    one.add_argument("rrn")
    settle = command("settle", "finish a sale", "mockpms settle R1 success")
    settle.add_argument("rrn")
    settle.add_argument("outcome", choices=OUTCOMES)
    command("sessions", "list H5 sessions", "mockpms sessions")
    for name, summary in (("scan", "as if the QR was scanned"), ("pay-session", "as if paid")):
        session = command(name, summary, f"mockpms {name} S1 --wallet ALIPAY")
        session.add_argument("session_id")
        session.add_argument("--wallet", help="an H5 wallet: WXPAY, ALIPAY ...")
    advance = command(
        "advance",
        "move the mock clock (one merchant's with --api-key); due work runs",
        "mockpms advance 5m",
    )
    advance.add_argument("duration", type=duration, help="300, 90s, 5m, 1h30m")
    command(
        "reset",
        "back to the start state (one merchant's part with --api-key)",
        "mockpms reset --api-key tenant-1f2e",
    )
    fault = command(
        "fault",
        "arm or clear faults (one merchant's with --api-key)",
        "mockpms fault add --error-code 3",
    )
    fault.add_argument("action", choices=("add", "clear"))
    fault.add_argument("--endpoint", choices=PMS_ENDPOINTS)
    fault.add_argument("--error-code", choices=("3", "601", "40002"))
    fault.add_argument("--http-status", type=int)
    fault.add_argument("--delay-ms", type=int)
    fault.add_argument("--drop", action="store_true")
    fault.add_argument("--webhook", choices=WEBHOOK_KINDS)
    fault.add_argument("--seconds", type=float, help="with --webhook delay")
    fault.add_argument("--count", type=int)
    hooks = command("webhooks", "the webhook attempt log, or resend", "mockpms webhooks resend 3")
    hooks.add_argument("action", nargs="?", choices=("resend",))
    hooks.add_argument("id", nargs="?", type=int, help="with resend: an attempt or series id")
    hooks.add_argument("--rrn")
    command("tail", "follow what happens, one line an event, until Ctrl-C", "mockpms tail --json")
    call = command(
        "call",
        "a signed PMS call; prints the answer",
        "mockpms call online/query type=WXPAY rrn=R1",
    )
    call.add_argument("endpoint", help=", ".join(PMS_ENDPOINTS))
    call.add_argument("fields", nargs="*", help="FIELD=VALUE (a string) or FIELD:=JSON")
    call.add_argument("--secret", default=argparse.SUPPRESS, help="(MOCKPMS_SECRET)")
    signer = command(
        "sign", "print the sign of a timestamp", "mockpms sign 1623205724171 --secret S"
    )
    signer.add_argument("timestamp", nargs="?", help="milliseconds (default: now)")
    signer.add_argument("--secret", default=argparse.SUPPRESS, help="(MOCKPMS_SECRET)")


# ------------------------------------------------------------------- running


def run(args: argparse.Namespace) -> int:
    """Run one command; the exit status."""
    # The HTTP client loads here, not at import: the parser alone (the image's
    # HEALTHCHECK reads the main process's flags with it) stays cheap to start.
    import httpx

    from mockpms.client import ControlCallError, ControlClient

    url = getattr(args, "url", None) or os.environ.get("MOCKPMS_URL") or DEFAULT_URL
    token = getattr(args, "admin_token", None) or os.environ.get("MOCKPMS_ADMIN_TOKEN")
    # --api-key on the command line (not the environment, which may configure a server)
    # scopes the state-changing commands to that merchant (CONTRACT 17).
    scope = api_key(args) if args.command in SCOPED else None
    control = ControlClient(url, token, api_key=scope)
    try:
        return HANDLERS[args.command](args, control)
    except ControlCallError as error:
        print(f"mockpms: refused: {error.message}", file=sys.stderr)
        return 1
    except UsageError as error:
        print(f"mockpms {args.command}: error: {error}", file=sys.stderr)
        return 2
    except httpx.TransportError:
        print(
            f"mockpms: no mockpms answered at {url}; start one with `mockpms serve` "
            f"(or `make serve`), or point --url / MOCKPMS_URL at yours",
            file=sys.stderr,
        )
        return 3
    except KeyboardInterrupt:
        return 0
    finally:
        control.close()


def show(args: argparse.Namespace, data: Any, table: Callable[[], Iterator[str]]) -> int:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for line in table():
            print(line)
    return 0


def columns(rows: list[list[str]]) -> Iterator[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        yield "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()


def api_key(args: argparse.Namespace) -> str | None:
    return getattr(args, "api_key", None)


def status(args: argparse.Namespace, control: ControlClient) -> int:
    data = control.request("GET", "status")

    def table() -> Iterator[str]:
        where = f" ({data['database']})" if data.get("database") else ""
        yield f"mockpms {data['version']} at {control.base_url}, storage {data['storage']}{where}"
        yield f"mock time {data['time']} (offset {data['offset']:g} s)"
        yield "counts   " + ", ".join(f"{k} {v}" for k, v in data["counts"].items())
        policy = data["policy"]
        yield "policy   " + (
            f"{policy['outcome']} after {policy['afterSeconds']:g} s" if policy else "none"
        )
        yield "faults   " + (", ".join(json.dumps(f) for f in data["faults"]) or "none")

    return show(args, data, table)


def transactions(args: argparse.Namespace, control: ControlClient) -> int:
    wanted = (None, args.status)
    found = [
        t
        for t in control.transactions()
        if api_key(args) in (None, t["apiKey"])
        and (args.status is None or t["status"] in wanted or t["gwRefStatus"] in wanted)
    ]
    rows = [["rrn", "apiKey", "type", "amt", "status", "gwRefStatus"]] + [
        [t["rrn"], t["apiKey"], t["type"], str(t["amt"]), t["status"], t["gwRefStatus"]]
        for t in found
    ]
    return show(args, found, lambda: columns(rows))


def transaction(args: argparse.Namespace, control: ControlClient) -> int:
    from mockpms.webhooks import iso_time  # here: it imports httpx, which the parser need not

    txn = control.transaction(args.rrn, api_key(args))
    attempts = [a for a in control.webhooks(args.rrn) if a["apiKey"] == txn["apiKey"]]
    requests = [r for r in control.requests(rrn=args.rrn) if r["apiKey"] == txn["apiKey"]]
    story = {"transaction": txn, "webhooks": attempts, "requests": requests}

    def table() -> Iterator[str]:
        yield (
            f"{txn['rrn']} ({txn['apiKey']}): {txn['type']} {txn['amt']} {txn['ccy']}, "
            f"{txn['status']} (gwRefStatus {txn['gwRefStatus']})"
        )
        events = [(r["receivedAt"], f"{r['endpoint']} -> {r['errorCode']}") for r in requests]
        events += [(a["sentAt"], _attempt_line(a)) for a in attempts]
        for at, line in sorted(events):
            yield f"  {iso_time(at)}  {line}"

    return show(args, story, table)


def _attempt_line(a: dict[str, Any]) -> str:
    flags = [name for name in ("resent", "duplicate", "dropped", "forged") if a.get(name)]
    outcome = "acknowledged" if a["acknowledged"] else (a.get("error") or f"HTTP {a['httpStatus']}")
    extra = f" ({', '.join(flags)})" if flags else ""
    return f"webhook #{a['id']} attempt {a['attempt']}/{a['maxAttempts']}{extra}: {outcome}"


def settle(args: argparse.Namespace, control: ControlClient) -> int:
    answer = control.settle(args.rrn, args.outcome, api_key(args))
    return show(
        args,
        answer,
        lambda: iter([f"{answer['rrn']}: {answer['previousStatus']} -> {answer['status']}"]),
    )


def sessions(args: argparse.Namespace, control: ControlClient) -> int:
    found = [s for s in control.sessions() if api_key(args) in (None, s["apiKey"])]
    rows = [["sessionId", "apiKey", "amt", "status", "wallet", "rrn"]] + [
        [s["sessionId"], s["apiKey"], str(s["amt"]), s["status"], s["wallet"] or "", s["rrn"] or ""]
        for s in found
    ]
    return show(args, found, lambda: columns(rows))


def scan(args: argparse.Namespace, control: ControlClient) -> int:
    answer = control.scan(args.session_id, args.wallet, api_key(args))
    return show(
        args,
        answer,
        lambda: iter([f"{answer['sessionId']}: scanned, {answer['secondsLeft']:.0f} s left"]),
    )


def pay_session(args: argparse.Namespace, control: ControlClient) -> int:
    answer = control.pay(args.session_id, args.wallet, api_key(args))
    return show(args, answer, lambda: iter([f"{answer['sessionId']}: paid, rrn {answer['rrn']}"]))


def advance(args: argparse.Namespace, control: ControlClient) -> int:
    answer = control.advance_clock(args.duration)
    whose = f" of {answer['apiKey']}" if answer.get("apiKey") else ""
    line = f"mock time{whose} {answer['time']}; {answer['ran']} due job(s) ran"
    if answer.get("stillRunning"):
        line += f", {answer['stillRunning']} still running"
    return show(args, answer, lambda: iter([line]))


def reset(args: argparse.Namespace, control: ControlClient) -> int:
    answer = control.reset()
    if answer.get("apiKey"):
        line = f"reset: merchant {answer['apiKey']} back to its start (others untouched)"
    else:
        line = "reset: back to the start state"
    return show(args, answer, lambda: iter([line]))


def fault(args: argparse.Namespace, control: ControlClient) -> int:
    if args.action == "clear":
        answer = control.clear_faults()
        return show(args, answer, lambda: iter([f"{answer['cleared']} fault(s) cleared"]))
    spec: dict[str, Any] = {
        key: value
        for key, value in (
            ("endpoint", args.endpoint), ("errorCode", args.error_code),
            ("httpStatus", args.http_status), ("delayMs", args.delay_ms),
            ("webhook", args.webhook), ("seconds", args.seconds), ("count", args.count),
        )
        if value is not None
    }  # fmt: skip
    if args.drop:
        spec["drop"] = True
    kinds = [k for k in ("errorCode", "httpStatus", "delayMs", "drop", "webhook") if k in spec]
    if not kinds:
        raise UsageError("give one of --error-code, --http-status, --delay-ms, --drop or --webhook")
    answer = control.add_fault(**spec)
    return show(args, answer, lambda: iter([f"fault {answer['id']} armed: {json.dumps(answer)}"]))


def webhooks(args: argparse.Namespace, control: ControlClient) -> int:
    if args.action == "resend":
        if args.id is None:
            raise UsageError("webhooks resend needs an attempt or series id")
        answer = control.resend(args.id)
        attempt = answer["attempt"]
        line = _attempt_line(attempt) if attempt else "resent; the attempt is still running"
        return show(args, answer, lambda: iter([line]))
    if args.id is not None:
        raise UsageError("an id goes with `webhooks resend ID`")
    found = control.webhooks(args.rrn)
    rows = [["id", "series", "rrn", "url", "result"]] + [
        [str(a["id"]), str(a["deliveryId"]), a["rrn"], a["url"], _attempt_line(a).split(": ", 1)[1]]
        for a in found
    ]
    return show(args, found, lambda: columns(rows))


def tail(args: argparse.Namespace, control: ControlClient) -> int:
    """Follow /_mock/events, one line an event, until Ctrl-C (reconnecting if dropped)."""
    import httpx

    from mockpms.client import ControlCallError

    last: str | None = None
    headers = dict(control._http.headers)  # the admin token, if any
    while True:
        if last is not None:
            headers["Last-Event-ID"] = last
        with httpx.stream(
            "GET",
            f"{control.base_url}/_mock/events",
            headers=headers,
            timeout=httpx.Timeout(10, read=60),
        ) as response:
            if response.status_code != 200:
                raise ControlCallError(
                    "GET", "events", response.status_code, response.read().decode()
                )
            event: dict[str, str] = {}
            for line in response.iter_lines():
                if line.startswith(":"):
                    continue
                if line:
                    key, _, value = line.partition(": ")
                    event[key] = value
                    continue
                if "data" in event:
                    last = event.get("id", last)
                    print(_event_line(event, getattr(args, "json", False)), flush=True)
                event = {}


def _event_line(event: dict[str, str], as_json: bool) -> str:
    data = json.loads(event["data"])
    if as_json:
        return json.dumps(
            {"id": int(event.get("id", 0)), "event": event.get("event"), "data": data}
        )
    kind = event.get("event", "?")
    if kind == "request":
        what = f"{data['endpoint']} {data.get('apiKey')} -> {data.get('errorCode')}"
    elif kind == "transaction":
        what = f"{data['kind']} {data['rrn']} {data['status']} ({data['gwRefStatus']})"
    elif kind == "session":
        what = f"{data['kind']} {data['sessionId']}"
    elif kind == "webhook":
        what = _attempt_line({**data, "httpStatus": data.get("httpStatus")})
    else:
        what = json.dumps(data)
    return f"{event.get('id', '')} {kind:<11} {what}"


def call(args: argparse.Namespace, control: ControlClient) -> int:
    fields: dict[str, Any] = {}
    for item in args.fields:
        if ":=" in item and item.index(":=") < item.find("=") + 1:
            name, _, raw = item.partition(":=")
            try:
                fields[name] = json.loads(raw)
            except ValueError:
                raise UsageError(f"{item!r}: the part after := must be JSON") from None
        elif "=" in item:
            name, _, value = item.partition("=")
            fields[name] = value
        else:
            raise UsageError(f"{item!r}: give fields as FIELD=VALUE or FIELD:=JSON")
    key = api_key(args) or os.environ.get("MOCKPMS_API_KEY") or SANDBOX_KEY
    secret = getattr(args, "secret", None) or os.environ.get("MOCKPMS_SECRET") or SANDBOX_SECRET
    from mockpms.client import PMSClient

    with PMSClient(f"{control.base_url}/tt-pms-ws/rest", key, secret) as client:
        answer = client.call(args.endpoint, **fields)
    print(json.dumps(answer, ensure_ascii=False, indent=2))
    return 0 if answer.get("errorCode") == "0" else 1


def signature(args: argparse.Namespace, control: ControlClient) -> int:
    secret = getattr(args, "secret", None) or os.environ.get("MOCKPMS_SECRET")
    if not secret:
        raise UsageError("--secret (or MOCKPMS_SECRET) is needed to sign")
    timestamp = args.timestamp or str(int(time.time() * 1000))
    if not timestamp.isascii() or not timestamp.isdigit():
        raise UsageError(f"{timestamp!r}: a timestamp is milliseconds since the epoch, digits only")
    value = sign(timestamp, secret)
    data = {"timestamp": timestamp, "sign": value}
    return show(args, data, lambda: iter([value]))


# Commands that change the sandbox's state: --api-key scopes them to one merchant.
SCOPED = frozenset({"advance", "reset", "fault"})

HANDLERS: dict[str, Callable[[argparse.Namespace, ControlClient], int]] = {
    "status": status,
    "transactions": transactions,
    "transaction": transaction,
    "settle": settle,
    "sessions": sessions,
    "scan": scan,
    "pay-session": pay_session,
    "advance": advance,
    "reset": reset,
    "fault": fault,
    "webhooks": webhooks,
    "tail": tail,
    "call": call,
    "sign": signature,
}
