"""Resets under traffic leave no strays (CONTRACT 15): run N resets while threads of
traffic make sales (auto-settled at once, with webhooks), H5 payments and settles.

After every reset, the listings are read. A stray is a transaction, session or
webhook series of the wiped sandbox: one whose request was answered before that
reset was sent (its auto-settle job, its webhook, its H5 payment must not outlive
the reset), or one whose request was refused as "reset while this request ran"
(it must have created nothing). Prints the count and exits 1 when there is one.

    python benchmarks/reset_storm.py [--resets 300] [--threads 4]
"""

from __future__ import annotations

import argparse
import itertools
import threading
import time
from typing import Any

import httpx

from mockpms.app import create_app
from mockpms.client import PMSClient
from mockpms.config import Settings
from mockpms.server import ServerThread
from mockpms.testing import WebhookReceiver, sale_fields, session_fields

answered_at: dict[str, float] = {}  # rrn or sessionId -> when its request was answered
refused: set[str] = set()  # answered "the sandbox was reset while this request ran"
ids = itertools.count()


def traffic(url: str, hook: str, stop: threading.Event, errors: list[str]) -> None:
    settings = Settings()
    merchant = settings.merchants[0]
    client = PMSClient(f"{url}/tt-pms-ws/rest", merchant.api_key, merchant.secret)
    control = httpx.Client(base_url=f"{url}/_mock", timeout=10)
    while not stop.is_set():
        n = next(ids)
        rrn, session_id = f"STORM{n}", f"S-STORM{n}"
        try:
            note(rrn, client.sales(**sale_fields(rrn=rrn, type="WXPAY", webhookUrl=hook)))
            control.post(f"/transactions/{rrn}/settle", json={"outcome": "success"})
            created = client.h5_create(**session_fields(sessionId=session_id, webhookUrl=hook))
            note(session_id, created)
            paid = control.post(f"/sessions/{session_id}/pay", json={})
            if paid.status_code == 409 and "reset while" in paid.text:
                refused.add(session_id)
        except httpx.HTTPError as error:  # never expected: the server must keep answering
            errors.append(repr(error))
    client.close()
    control.close()


def note(name: str, answer: dict[str, Any]) -> None:
    if "reset while this request ran" in str(answer.get("errorMessage", "")):
        refused.add(name)
    elif answer.get("errorCode") == "0":
        answered_at[name] = time.monotonic()


def strays_after(control: httpx.Client, reset_sent: float) -> list[str]:
    found: list[str] = []
    transactions = control.get("/transactions", params={"limit": 5000}).json()["transactions"]
    sessions = control.get("/sessions", params={"limit": 5000}).json()["sessions"]
    deliveries = control.get("/webhooks", params={"limit": 5000}).json()["deliveries"]
    names: list[Any] = [
        t["rrn"] if t["sessionId"] is None else t["sessionId"] for t in transactions
    ]
    names += [s["sessionId"] for s in sessions]
    names += [d["rrn"] if d["sessionId"] is None else d["sessionId"] for d in deliveries]
    for name in names:
        answered = answered_at.get(name)
        if name in refused or (answered is not None and answered < reset_sent):
            found.append(name)
    return found


def storm(resets: int, threads: int, data_dir: str | None = None) -> int:
    receiver = WebhookReceiver()
    settings = Settings(auto_settle="success:0", data_dir=data_dir)
    server = ServerThread(create_app(settings)).start()
    stop = threading.Event()
    errors: list[str] = []
    workers = [
        threading.Thread(target=traffic, args=(server.url, receiver.url, stop, errors))
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    strays: list[str] = []
    control = httpx.Client(base_url=f"{server.url}/_mock", timeout=30)
    started = time.monotonic()
    try:
        for _ in range(resets):
            time.sleep(0.01)
            sent = time.monotonic()
            assert control.post("/reset").status_code == 200
            strays += strays_after(control, sent)
    finally:
        stop.set()
        for worker in workers:
            worker.join(30)
        elapsed = time.monotonic() - started
        server.app.extensions["mockpms"].close()
        server.stop()
        receiver.stop()
        control.close()
    print(
        f"reset storm: {resets} resets under {threads} threads of traffic in {elapsed:.1f} s, "
        f"{len(answered_at)} sales and sessions answered, {len(refused)} refused as reset "
        f"while they ran: {len(strays)} strays, {len(errors)} transport errors"
    )
    if strays:
        print("strays:", sorted(set(strays))[:10])
    return 1 if strays or errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resets", type=int, default=300)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--data-dir", help="the sandbox on SQLite in this dir (--data-dir)")
    args = parser.parse_args()
    raise SystemExit(storm(args.resets, args.threads, args.data_dir))


if __name__ == "__main__":
    main()
