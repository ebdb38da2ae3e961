"""A stalled /_mock/events reader never slows the API: p99 of signed online/query while
2,000 sales are made, with and without a reader that never reads (CONTRACT 11).

    python benchmarks/event_stream.py [--sales 2000]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import threading
import time

from mockpms.app import create_app
from mockpms.client import PMSClient
from mockpms.config import Settings
from mockpms.server import ServerThread
from mockpms.testing import sale_fields


def run(sales: int, stalled: bool) -> str:
    server = ServerThread(create_app(Settings())).start()
    merchant = Settings().merchants[0]
    client = PMSClient(f"{server.url}/tt-pms-ws/rest", merchant.api_key, merchant.secret)
    querier = PMSClient(f"{server.url}/tt-pms-ws/rest", merchant.api_key, merchant.secret)
    box = server.app.extensions["mockpms"]
    sock = None
    if stalled:
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET /_mock/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        while box.stream.readers == 0:
            time.sleep(0.01)
    client.sales(**sale_fields(rrn="Q1", webhookUrl=""))
    latencies: list[float] = []
    done = threading.Event()

    def query_loop() -> None:
        while not done.is_set():
            started = time.perf_counter()
            querier.query(type="VMPAY", rrn="Q1", storeCode="WP001")
            latencies.append((time.perf_counter() - started) * 1000)

    thread = threading.Thread(target=query_loop)
    thread.start()
    extend = json.dumps({"subject": "s" * 3900})
    started = time.perf_counter()
    for index in range(sales):
        client.sales(**sale_fields(rrn=f"B{index:06d}", webhookUrl="", extendParam=extend))
    elapsed = time.perf_counter() - started
    done.set()
    thread.join()
    dropped = stalled and box.stream.readers == 0
    if sock is not None:
        sock.close()
    box.close()
    server.stop()
    cuts = statistics.quantiles(latencies, n=100)
    label = "with a stalled reader" if stalled else "no reader          "
    return (
        f"{label}: {sales} sales in {elapsed:.1f} s; online/query n={len(latencies)} "
        f"p50={cuts[49]:.2f} ms p99={cuts[98]:.2f} ms"
        + (f"; reader dropped: {dropped}" if stalled else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=2000)
    args = parser.parse_args()
    for stalled in (False, True):
        print(run(args.sales, stalled))


if __name__ == "__main__":
    main()
