"""Start-up figures: how long until mockpms answers, in-process and as `mockpms serve`.

    python benchmarks/startup.py [--runs 7]

Prints medians (and min/max) of:
  in-process  a fresh Python process: import mockpms, create the app, start the
              ServerThread on port 0, first GET /_mock/health answered; the
              figure is what the `mockpms_server` fixture costs a test session.
              Measured inside that process, from before `import mockpms`.
  serve       `mockpms serve --port <free>` started as a subprocess, until the
              first GET /_mock/health answers (polled every 5 ms).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

IN_PROCESS = """
import time
start = time.perf_counter()
import urllib.request
from mockpms.app import create_app
from mockpms.config import Settings
from mockpms.server import ServerThread
imported = time.perf_counter()
server = ServerThread(create_app(Settings())).start()
urllib.request.urlopen(server.url + "/_mock/health", timeout=5).read()
ready = time.perf_counter()
print(imported - start, ready - imported, ready - start)
server.stop()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def in_process_once() -> tuple[float, float, float]:
    out = subprocess.run(
        [sys.executable, "-c", IN_PROCESS], capture_output=True, text=True, check=True
    ).stdout
    imported, started, total = (float(x) for x in out.split())
    return imported, started, total


def serve_once() -> float:
    port = free_port()
    mockpms = Path(sys.executable).with_name("mockpms")
    command = [str(mockpms)] if mockpms.exists() else [sys.executable, "-m", "mockpms"]
    env = {**os.environ, "MOCKPMS_PORT": str(port), "MOCKPMS_HOST": "127.0.0.1"}
    start = time.perf_counter()
    process = subprocess.Popen(
        [*command, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = start + 30
        while time.perf_counter() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_mock/health", timeout=1).read()
                return time.perf_counter() - start
            except OSError:
                time.sleep(0.005)
        raise RuntimeError("mockpms serve did not answer within 30 s")
    finally:
        process.terminate()
        process.wait(10)


def summary(label: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"{label:<34} median {statistics.median(ms):7.1f} ms   "
        f"min {min(ms):7.1f}   max {max(ms):7.1f}   (n={len(ms)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    in_process = [in_process_once() for _ in range(runs)]
    serve = [serve_once() for _ in range(runs)]
    print(summary("in-process: import mockpms", [r[0] for r in in_process]))
    print(summary("in-process: app + server + health", [r[1] for r in in_process]))
    print(summary("in-process: total", [r[2] for r in in_process]))
    print(summary("mockpms serve: to first health", serve))


if __name__ == "__main__":
    main()
