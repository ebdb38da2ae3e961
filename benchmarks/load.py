"""A small closed-loop HTTP load generator, run in its own process.

    python benchmarks/load.py PORT SCENARIO SECONDS CONNECTIONS WARMUP

Each connection is a thread with one keep-alive socket to 127.0.0.1 that sends
a request, reads the whole answer, and sends the next: throughput and latency
at a fixed concurrency. The client is raw sockets with pre-built request bytes,
so it spends little CPU per request and the server stays the bottleneck.
Prints one JSON line: requests, failures, rps, p50_ms, p99_ms.

Scenarios (the body of every request is signed with one timestamp taken at
start, valid for the sandbox's 300 s tolerance):
- query: the same signed online/query for a stored rrn (what the ceiling does too)
- sales: online/sales with a new rrn per request
- h5_qr: h5Payment/session/create with bitmap true and a new sessionId per
  request: every answer renders a QR code for a URL never seen before
- h5_text: the same with bitmap false (the QR's text only), to isolate QR cost
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from targets import API_KEY, RRN, SALE, sign

REST = "/tt-pms-ws/rest"


def scenario(name: str) -> tuple[str, Callable[[str], bytes]]:
    """(path, body maker); the body maker gets a unique id per request."""
    ts = int(time.time() * 1000)
    auth = {"apiKey": API_KEY, "timestamp": ts, "sign": sign(ts)}
    if name == "query":
        fixed = json.dumps(
            {**auth, "type": "VMPAY", "rrn": RRN, "storeCode": "WP001", "tillId": "01"}
        ).encode()
        return f"{REST}/online/query", lambda _id: fixed
    if name == "sales":
        template = json.dumps({**auth, **SALE, "rrn": "@ID@"})
        return f"{REST}/online/sales", lambda uid: template.replace("@ID@", uid).encode()
    if name in ("h5_qr", "h5_text"):
        fields = {
            **auth,
            "merchantName": "Bench shop",
            "sessionId": "@ID@",
            "amt": 10,
            "remarks": "docNum:S03757845-09",
            "bitmap": "true" if name == "h5_qr" else "false",
            "subject": "T-Shirt-09",
            "webhookUrl": "http://127.0.0.1:9/hook",
        }
        template = json.dumps(fields)
        return (
            f"{REST}/h5Payment/session/create",
            lambda uid: template.replace("@ID@", uid).encode(),
        )
    raise SystemExit(f"unknown scenario {name}")


def http_request(path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def read_answer(sock: socket.socket, pending: bytearray) -> tuple[int, bytes]:
    """Read one HTTP/1.1 answer with Content-Length; leftover bytes stay in `pending`."""
    while b"\r\n\r\n" not in pending:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        pending += chunk
    end = pending.index(b"\r\n\r\n")
    head = bytes(pending[:end]).decode("latin-1")
    status = int(head.split(" ", 2)[1])
    length = 0
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    total = end + 4 + length
    while len(pending) < total:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        pending += chunk
    body = bytes(pending[end + 4 : total])
    del pending[:total]
    return status, body


def worker(
    port: int,
    path: str,
    make: Callable[[str], bytes],
    index: int,
    warm_until: float,
    stop_at: float,
    latencies: list[float],
    failures: list[str],
) -> None:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    pending = bytearray()
    prefix = f"L{os.getpid()}x{index}x"
    n = 0
    while True:
        n += 1
        payload = http_request(path, make(f"{prefix}{n}"))
        started = time.perf_counter()
        if started >= stop_at:
            break
        sock.sendall(payload)
        status, body = read_answer(sock, pending)
        elapsed = time.perf_counter() - started
        if started < warm_until:
            continue
        latencies.append(elapsed)
        if status != 200 or b'"errorCode":"0"' not in body:
            failures.append(f"{status} {body[:200]!r}")
    sock.close()


def main() -> None:
    port, name, seconds, connections, warmup = (
        int(sys.argv[1]),
        sys.argv[2],
        float(sys.argv[3]),
        int(sys.argv[4]),
        float(sys.argv[5]),
    )
    path, make = scenario(name)
    now = time.perf_counter()
    warm_until, stop_at = now + warmup, now + warmup + seconds
    per_thread: list[list[float]] = [[] for _ in range(connections)]
    failures: list[str] = []
    threads = [
        threading.Thread(
            target=worker,
            args=(port, path, make, i, warm_until, stop_at, per_thread[i], failures),
        )
        for i in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies = sorted(x for chunk in per_thread for x in chunk)
    count = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(count - 1, int(p * count))] * 1000 if count else float("nan")

    print(
        json.dumps(
            {
                "requests": count,
                "failures": len(failures),
                "first_failure": failures[0] if failures else None,
                "rps": count / seconds,
                "p50_ms": pct(0.50),
                "p99_ms": pct(0.99),
            }
        )
    )


if __name__ == "__main__":
    main()
