"""Peers: mockpms and the bare Flask ceiling on each WSGI server, and WireMock, one run.

    python benchmarks/peers.py [--rounds 3] [--seconds 2] [--connections 16]

Every target answers the same signed online/query (benchmarks/targets.py):
- waitress, 4 threads: the ceiling (bare Flask) and mockpms (`--server waitress`);
- granian (a Rust HTTP server), one worker, WSGI with 1 blocking thread (its
  fastest for a Flask app): the ceiling, and mockpms's Flask app unchanged;
- `mockpms serve` as shipped: granian, PMS calls answered on its event loop
  without the framework (mockpms/granian_server.py);
- WireMock 3 standalone (npm package `wiremock`) serving a static stub of the
  same answer, when `java` and `npm` are present (skipped with a notice otherwise).
Load: wrk (-t2, C connections) when installed, else benchmarks/load.py; rounds
alternate over the targets and the medians are reported. Prints a Markdown
section. Traffic stays on 127.0.0.1; every server is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import free_port
from targets import API_KEY, QUERY_ANSWER, RRN, sign

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = ROOT / ".bench-cache"  # WireMock's jar, fetched once through npm
PATH = "/tt-pms-ws/rest/online/query"
SERVE = "mockpms serve (granian: PMS calls on its event loop)"
# Each mockpms row's bare Flask on the same server (granian's best for Flask: 1 thread).
SAME_SERVER = {
    "mockpms on waitress (4 threads)": "bare Flask on waitress (4 threads)",
    "mockpms on granian WSGI (1 blocking thread)": "bare Flask on granian WSGI (1 blocking thread)",
    SERVE: "bare Flask on granian WSGI (1 blocking thread)",
}


def wait_answering(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"a target exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answered on port {port}")


@contextmanager
def started(command: list[str], port: int, cwd: Path = HERE) -> Iterator[int]:
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_answering(port, process)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def waitress(name: str) -> list[str]:
    return [sys.executable, str(HERE / "targets.py"), name]


def granian(name: str, threads: int, port: int) -> list[str]:
    binary = Path(sys.executable).with_name("granian")
    return [
        str(binary), "--interface", "wsgi", "--workers", "1", "--blocking-threads",
        str(threads), "--no-ws", "--port", str(port), "--log-level", "error",
        f"granian_targets:{name}",
    ]  # fmt: skip


def wiremock_jar() -> Path | None:
    """The standalone jar from npm's `wiremock` package, installed under .bench-cache."""
    if not (shutil.which("java") and shutil.which("npm")):
        return None
    found = sorted(CACHE.glob("node_modules/wiremock/build/wiremock-standalone-*.jar"))
    if not found:
        CACHE.mkdir(exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(CACHE), "wiremock@3"],
            check=False, capture_output=True, timeout=300,
        )  # fmt: skip
        found = sorted(CACHE.glob("node_modules/wiremock/build/wiremock-standalone-*.jar"))
    return found[-1] if found else None


def stub_query(port: int) -> None:
    """WireMock answers the query with the same JSON, whatever the body (a canned stub)."""
    mapping = {
        "request": {"method": "POST", "url": PATH},
        "response": {
            "status": 200,
            "headers": {"Content-Type": "application/json"},
            "jsonBody": QUERY_ANSWER,
        },
    }
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/__admin/mappings",
        json.dumps(mapping).encode(),
        {"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).read()


def query_body() -> bytes:
    ts = int(time.time() * 1000)
    fields = {"type": "VMPAY", "rrn": RRN, "storeCode": "WP001", "tillId": "01"}
    return json.dumps({"apiKey": API_KEY, "timestamp": ts, "sign": sign(ts), **fields}).encode()


def load(port: int, seconds: float, connections: int, script: Path) -> dict[str, float]:
    """Requests per second and latency percentiles of the signed query on `port`."""
    if shutil.which("wrk"):
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s",
             str(script), f"http://127.0.0.1:{port}{PATH}"],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
        ).stdout  # fmt: skip
        return _parse_wrk(out)
    out = subprocess.run(
        [sys.executable, str(HERE / "load.py"), str(port), "query", str(seconds),
         str(connections), "0.5"],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    found = json.loads(out)
    return {"rps": found["rps"], "p50_ms": found["p50_ms"], "p99_ms": found["p99_ms"]}


def _parse_wrk(out: str) -> dict[str, float]:
    def ms(text: str) -> float:
        units = {"us": 0.001, "ms": 1.0, "s": 1000.0}
        for unit in ("us", "ms", "s"):
            if text.endswith(unit):
                return float(text[: -len(unit)]) * units[unit]
        return float(text)

    result: dict[str, float] = {}
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(parts[1])
        elif parts[:1] == ["50%"]:
            result["p50_ms"] = ms(parts[1])
        elif parts[:1] == ["99%"]:
            result["p99_ms"] = ms(parts[1])
        elif "Non-2xx" in line or "Socket errors" in line:
            result["errors"] = 1.0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    print("\n".join(lines(args.rounds, args.seconds, args.connections)))


def lines(rounds: int, seconds: float, connections: int) -> list[str]:
    """Run every target; the Markdown section."""
    with tempfile.TemporaryDirectory(prefix="mockpms-peers-") as tmp:
        script = Path(tmp) / "query.lua"
        body = query_body().decode()
        script.write_text(
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = {json.dumps(body)}\n"
        )
        targets: dict[str, int] = {}
        notes: list[str] = []
        with ExitStack() as stack:
            for label, name in (("bare Flask", "ceiling"), ("mockpms", "mockpms")):
                port = free_port()
                targets[f"{label} on waitress (4 threads)"] = stack.enter_context(
                    started([*waitress(name), str(port)], port)
                )
                port = free_port()
                targets[f"{label} on granian WSGI (1 blocking thread)"] = stack.enter_context(
                    started(granian(name, 1, port), port)
                )
            port = free_port()
            targets[SERVE] = stack.enter_context(
                started([*waitress("mockpms"), str(port), "granian"], port)
            )
            jar = wiremock_jar()
            if jar is None:
                notes.append("WireMock skipped: needs java and npm (npm package `wiremock`).")
            else:
                port = free_port()
                command = ["java", "-jar", str(jar), "--port", str(port), "--disable-banner",
                           "--no-request-journal"]  # fmt: skip
                targets["WireMock 3 standalone, static stub"] = stack.enter_context(
                    started(command, port, cwd=Path(tmp))
                )
                stub_query(targets["WireMock 3 standalone, static stub"])
            for port in targets.values():  # warm every target (WireMock's JIT especially)
                load(port, 1.0, connections, script)
            runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
            for round_ in range(rounds):
                print(f"peers round {round_ + 1}/{rounds} ...", flush=True)
                order = list(targets.items())
                for name, port in order if round_ % 2 == 0 else order[::-1]:
                    runs[name].append(load(port, seconds, connections, script))

    def med(name: str, key: str) -> float:
        return statistics.median(r.get(key, float("nan")) for r in runs[name])

    base = med("mockpms on waitress (4 threads)", "rps")
    tool = "wrk -t2" if shutil.which("wrk") else "benchmarks/load.py"
    out = [
        "",
        f"### Peers: the same signed online/query ({tool}, {connections} connections, "
        f"{rounds} alternating rounds of {seconds:g} s, medians)",
        "",
        "| server | req/s | p50 ms | p99 ms | vs mockpms on waitress "
        "| vs bare Flask, same server |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in runs:
        rps = med(name, "rps")
        same = SAME_SERVER.get(name)
        versus = f"{rps / med(same, 'rps'):.2f}" if same in runs else ""
        out.append(
            f"| {name} | {rps:,.0f} | {med(name, 'p50_ms'):.2f} | {med(name, 'p99_ms'):.2f} | "
            f"{rps / base:.2f} | {versus} |"
        )
    serve = med(SERVE, "rps")
    summary = (
        f"`mockpms serve`: {serve / med(SAME_SERVER[SERVE], 'rps'):.2f}x the bare Flask app on "
        f"granian (target >= 0.8), {serve / base:.2f}x mockpms on waitress (target >= 2)"
    )
    wiremock = "WireMock 3 standalone, static stub"
    if wiremock in runs:
        summary += f", {serve / med(wiremock, 'rps'):.2f}x WireMock's static stub"
    out += ["", summary + "."]
    out += ["", *notes] if notes else []
    return out


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
