"""Webhook delivery figures: deliveries per second, and API latency while receivers hang.

    .venv/bin/python benchmarks/webhooks.py [--deliveries 3000] [--hung 1000] [--queries 500]

1. Throughput: N payments succeed at once; every webhook goes to a fast local
   receiver (127.0.0.1, keep-alive, acknowledges at once). Prints deliveries/s
   from the first settle to the last acknowledgement.
2. Hang: M payments whose receiver accepts the connection and never answers
   (webhook timeout 10 s, the default), then signed online/query calls over HTTP.
   Prints their latency next to a baseline taken before the hang, and how long
   the sandbox takes to close with the receivers still hung.

A script, not a test: it prints figures and asserts only that the answers are right.
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from mockpms.app import create_app
from mockpms.client import PMSClient
from mockpms.config import Merchant, Settings
from mockpms.models import Transaction, TxStatus
from mockpms.sandbox import Sandbox
from mockpms.server import ServerThread
from mockpms.testing import make_sale_request

SHOP = Merchant(api_key="bench", secret="bench-secret")
ACK = b'{"errorCode": "0"}'


class AckHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle plus the client's
        # delayed ACK add 40 ms to every answer and the receiver becomes the benchmark.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ACK)))
        self.end_headers()
        self.wfile.write(ACK)

    def log_message(self, format: str, *args: Any) -> None:
        return None


class HungReceiver:
    """Accepts connections and never answers; holds each one for `hold` seconds."""

    def __init__(self, hold: float = 15.0) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=2048)
        self.listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.hold = hold
        self.held: list[tuple[float, socket.socket]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
                self.held.append((time.monotonic() + self.hold, conn))
            except TimeoutError:
                pass
            while self.held and self.held[0][0] <= time.monotonic():
                self.held.pop(0)[1].close()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        for _, conn in self.held:
            conn.close()
        self.listener.close()


def pay(sandbox: Sandbox, count: int, url: str, prefix: str) -> list[Transaction]:
    """`count` paid sales; with url "" none is notified (the benchmark notifies later)."""
    paid = []
    for n in range(count):
        request = make_sale_request(
            rrn=f"{prefix}{n:07d}", store_code="ST01", amt=100, webhook_url=url
        )
        txn = sandbox.lifecycle.create_sale(SHOP, request)
        sandbox.lifecycle.settle(txn, TxStatus.SUCCESS)
        paid.append(txn)
    return paid


def serve_acks(port: Any) -> None:
    """The fast receiver, in its own process so it does not share the mock's GIL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), AckHandler)
    server.daemon_threads = True
    port.send(server.server_address[1])
    server.serve_forever()


def throughput(deliveries: int, workers: int) -> None:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=serve_acks, args=(child,), daemon=True)
    process.start()
    url = f"http://127.0.0.1:{parent.recv()}/hook"
    sandbox = Sandbox(Settings(merchants=(SHOP,), webhook_workers=workers))
    try:
        with httpx.Client(trust_env=False) as plain:  # the ceiling: one bare httpx loop
            started = time.perf_counter()
            for _ in range(500):
                plain.post(url, json={"errorCode": "0"})
            ceiling = 500 / (time.perf_counter() - started)
        pay(sandbox, 50, url, "WARM")  # connections and threads up
        sandbox.webhooks.wait_for_attempts(50, timeout=30)
        sandbox.reset()
        # Pay first with the notifications held back, then hand them all to the engine
        # at once: the figure is the engine's, not the cost of creating payments.
        held = pay(sandbox, deliveries, "", "FAST")
        for txn in held:
            txn.webhook_url = url
        started = time.perf_counter()
        for txn in held:
            sandbox.webhooks.payment_succeeded(txn)
        logged = sandbox.webhooks.wait_for_attempts(deliveries, timeout=300)
        elapsed = time.perf_counter() - started
    finally:
        sandbox.close()
        process.terminate()
    acked = sum(1 for a in logged if a.acknowledged)
    assert acked == deliveries, f"only {acked} of {deliveries} acknowledged"
    print(
        f"throughput: {deliveries} webhooks acknowledged in {elapsed:.2f} s = "
        f"{deliveries / elapsed:,.0f} deliveries/s ({workers} workers, fast local receiver "
        f"in another process; one bare httpx POST loop to it: {ceiling:,.0f}/s)"
    )


def latencies(client: PMSClient, rrns: list[str], count: int) -> list[float]:
    found = []
    for n in range(count):
        rrn = rrns[(n * 7) % len(rrns)]
        started = time.perf_counter()
        answer = client.query(type="WXPAY", rrn=rrn, storeCode="ST01")
        found.append((time.perf_counter() - started) * 1000)
        assert answer["errorCode"] == "0" and answer["gwRefStatus"] == "01", answer
    return found


def summary(label: str, values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return (
        f"{label}: n={len(values)} mean={statistics.mean(values):.1f} ms "
        f"p50={q[49]:.1f} p95={q[94]:.1f} p99={q[98]:.1f} max={max(values):.1f} ms"
    )


def hang(hung: int, queries: int, workers: int) -> None:
    receiver = HungReceiver()
    settings = Settings(merchants=(SHOP,), webhook_workers=workers)
    server = ServerThread(create_app(settings)).start()
    sandbox: Sandbox = server.app.extensions["mockpms"]
    client = PMSClient(f"{server.url}/tt-pms-ws/rest", SHOP.api_key, SHOP.secret)
    try:
        quiet = [t.rrn for t in pay(sandbox, 200, "", "QUIET")]  # no webhookUrl: no webhook
        latencies(client, quiet, 50)  # warm up
        baseline = latencies(client, quiet, queries)
        pay(sandbox, hung, receiver.url, "HUNG")
        time.sleep(0.5)  # every worker is now stuck on a silent receiver
        during = latencies(client, quiet, queries)
        running, pending = sandbox.scheduler.running(), sandbox.scheduler.pending()
        started = time.perf_counter()
        sandbox.close()
        closing = time.perf_counter() - started
    finally:
        client.close()
        server.stop()
        receiver.stop()
    print(summary("online/query, no webhooks      ", baseline))
    print(summary(f"online/query, {hung} hung webhooks", during))
    print(
        f"while hung: {running} attempts running (workers), {pending} waiting; "
        f"sandbox.close() took {closing:.2f} s (webhook timeout 10 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--hung", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    throughput(args.deliveries, args.workers)
    hang(args.hung, args.queries, args.workers)


if __name__ == "__main__":
    main()
