"""Slow and idle clients never lock anyone out (the hostile audit's D1).

    python benchmarks/slow_clients.py [--idle 1000] [--slowloris 300] [--seconds 30]
                                      [--server granian|waitress]

Starts `mockpms serve` on a free port of 127.0.0.1, then holds for SECONDS:
- IDLE keep-alive connections: each sends one signed online/query, reads the
  answer and then stays open, saying nothing (a pooled client at rest);
- SLOWLORIS connections: each sends the start of a request's headers and then
  one more header byte every few seconds, never finishing;
while a fresh client (a new connection per request, as a new process would)
sends a signed online/query every 20 ms and times each answer. Prints one
JSON line: the fresh client's p50/p99/max, its failures, and how many of the
held connections were still open at the end. The target is p99 < 50 ms with
no failure. Traffic goes to 127.0.0.1 only and the run is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from targets import API_KEY, RRN, SALE, SECRET, sign

REST = "/tt-pms-ws/rest"


def signed(fields: Mapping[str, object]) -> bytes:
    ts = int(time.time() * 1000)
    return json.dumps({"apiKey": API_KEY, "timestamp": ts, "sign": sign(ts), **fields}).encode()


def request(path: str, body: bytes, close: bool = False) -> bytes:
    connection = "Connection: close\r\n" if close else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{connection}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


QUERY = {"type": "VMPAY", "rrn": RRN, "storeCode": "WP001", "tillId": "01"}


async def read_answer(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + await reader.readexactly(length)


async def idle(port: int, stop: asyncio.Event, opened: list[int], alive: list[int]) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request(f"{REST}/online/query", signed(QUERY)))
        await read_answer(reader)
        opened.append(1)
        await stop.wait()
        if not reader.at_eof():
            alive.append(1)
        writer.close()
    except (OSError, asyncio.IncompleteReadError):
        return


async def slowloris(port: int, stop: asyncio.Event, opened: list[int], alive: list[int]) -> None:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /tt-pms-ws/rest/online/query HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ")
        await writer.drain()
        opened.append(1)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=5)
            except asyncio.TimeoutError:
                writer.write(b"a")
                await writer.drain()
        if not reader.at_eof():
            alive.append(1)
        writer.close()
    except (OSError, asyncio.IncompleteReadError):
        return


async def fresh(port: int, stop: asyncio.Event, times: list[float], failures: list[str]) -> None:
    """A new connection per signed query, every 20 ms, each bounded by a 5 s timeout."""
    while not stop.is_set():
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port), timeout=5
            )
            writer.write(request(f"{REST}/online/query", signed(QUERY), close=True))
            answer = await asyncio.wait_for(read_answer(reader), timeout=5)
            writer.close()
            if b'"errorCode":"0"' not in answer:
                failures.append(answer[:120].decode("latin-1"))
            else:
                times.append((time.perf_counter() - started) * 1000)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as error:
            failures.append(type(error).__name__)
        await asyncio.sleep(0.02)


async def scenario(port: int, idles: int, slows: int, seconds: float) -> dict[str, object]:
    stop = asyncio.Event()
    opened: list[int] = []
    alive: list[int] = []
    held = [asyncio.create_task(idle(port, stop, opened, alive)) for _ in range(idles)]
    held += [asyncio.create_task(slowloris(port, stop, opened, alive)) for _ in range(slows)]
    await asyncio.sleep(2)  # let them all connect
    times: list[float] = []
    failures: list[str] = []
    client = asyncio.create_task(fresh(port, stop, times, failures))
    await asyncio.sleep(seconds)
    stop.set()
    await client
    await asyncio.wait(held, timeout=10)
    ordered = sorted(times)
    return {
        "idle": idles,
        "slowloris": slows,
        "seconds": seconds,
        "held_opened": len(opened),
        "held_open_at_end": len(alive),
        "fresh_requests": len(times),
        "fresh_failures": len(failures),
        "first_failure": failures[0] if failures else None,
        "p50_ms": statistics.median(ordered) if ordered else None,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] if ordered else None,
        "max_ms": ordered[-1] if ordered else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--slowloris", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--server", choices=("granian", "waitress"), default="granian")
    args = parser.parse_args()
    from run import BIN, free_port

    port = free_port()
    env = {**os.environ, "MOCKPMS_API_KEY": API_KEY, "MOCKPMS_SECRET": SECRET}
    server = subprocess.Popen(
        [str(BIN / "mockpms"), "serve", "--port", str(port), "--quiet", "--server", args.server],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()  # the banner: bound
        prepare = signed({**SALE, "webhookUrl": ""})
        reader_writer = asyncio.run(_one(port, request(f"{REST}/online/sales", prepare, True)))
        assert b'"errorCode":"0"' in reader_writer, reader_writer
        result = asyncio.run(scenario(port, args.idle, args.slowloris, args.seconds))
    finally:
        server.terminate()
        server.wait(10)
    print(json.dumps(result))


async def _one(port: int, raw: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    answer = await read_answer(reader)
    writer.close()
    return answer


if __name__ == "__main__":
    main()
