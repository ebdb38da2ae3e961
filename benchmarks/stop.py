"""How long `mockpms serve` takes to stop on SIGTERM while webhook receivers hang.

    python benchmarks/stop.py [--runs 3] [--server granian|waitress]

Each run starts `mockpms serve`, pays 12 sales whose webhookUrl is a receiver
on 127.0.0.1 that accepts and never answers (so every webhook worker is stuck
in a delivery), keeps the client's keep-alive connections and a reader of
/_mock/events open, then sends SIGTERM and times the exit. Prints one JSON
line: the median and max seconds and the exit statuses. The contract's bound
is 5 s.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BIN, free_port

from mockpms.client import ControlClient, PMSClient
from mockpms.testing import sale_fields


class HungReceiver:
    """Accepts every connection and never answers; closes them all at the end."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        self.sock.close()
        for held in self.held:
            held.close()


def stop_once(server: str) -> tuple[float, int]:
    hung = HungReceiver()
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "mockpms"), "serve", "--port", str(port), "--quiet", "--server", server,
         "--webhook-timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        process.stdout.readline()  # the banner: listening
        url = f"http://127.0.0.1:{port}"
        client = PMSClient(f"{url}/tt-pms-ws/rest", "mockpms-sandbox", "mockpms-sandbox-secret")
        control = ControlClient(url)
        for _ in range(12):
            fields = sale_fields(webhookUrl=hung.url)
            assert client.sales(**fields)["errorCode"] == "0"
            control.settle(fields["rrn"], "success")
        # A live view open on the event stream (the dashboard in a browser).
        stream = socket.create_connection(("127.0.0.1", port))
        stream.sendall(b"GET /_mock/events HTTP/1.1\r\nHost: x\r\n\r\n")
        assert stream.recv(12) == b"HTTP/1.1 200"
        deadline = time.monotonic() + 10
        while len(hung.held) < 6 and time.monotonic() < deadline:  # the workers are stuck
            time.sleep(0.05)
        started = time.monotonic()
        process.terminate()  # the clients' connections stay open meanwhile
        process.wait(30)
        elapsed = time.monotonic() - started
        client.close()
        control.close()
        stream.close()
        return elapsed, process.returncode
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        hung.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--server", choices=("granian", "waitress"), default="granian")
    args = parser.parse_args()
    runs = [stop_once(args.server) for _ in range(args.runs)]
    seconds = [r[0] for r in runs]
    print(
        json.dumps(
            {
                "server": args.server,
                "median_s": statistics.median(seconds),
                "max_s": max(seconds),
                "exit_statuses": sorted({r[1] for r in runs}),
            }
        )
    )


if __name__ == "__main__":
    main()
