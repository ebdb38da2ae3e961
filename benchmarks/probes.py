"""Single-purpose measurements, each run in a fresh interpreter by run.py.

    python benchmarks/probes.py fixture        # in-process server: import → first answer, stop
    python benchmarks/probes.py fixture_bare   # the same for a bare Flask app
    python benchmarks/probes.py wsgi           # app CPU per signed query, ceiling vs mockpms
    python benchmarks/probes.py qr N           # QR data URI cost per distinct URL, 3 ways
    python benchmarks/probes.py memory N CAP   # RSS with N stored transactions; eviction at CAP

Each prints one JSON line.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # before any import below: the fixture probe counts imports

import base64  # noqa: E402
import http.client  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def fixture() -> dict[str, Any]:
    """What a pytest fixture does: import, create_app, ServerThread on port 0, first answer."""
    from mockpms.app import create_app
    from mockpms.server import ServerThread

    imported = time.perf_counter()
    server = ServerThread(create_app()).start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request("GET", "/_mock/health")
    answer = connection.getresponse()
    assert answer.status == 200, answer.status
    answer.read()
    connection.close()
    ready = time.perf_counter()
    resets = []
    for _ in range(20):  # what the per-test fixture does before each test
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        connection.request("POST", "/_mock/reset")
        connection.getresponse().read()
        connection.close()
        resets.append(time.perf_counter() - started)
    stopping = time.perf_counter()
    server.stop()
    stopped = time.perf_counter()
    return {
        "imports_ms": (imported - T0) * 1000,
        "first_answer_ms": (ready - T0) * 1000,
        "reset_ms": sorted(resets)[len(resets) // 2] * 1000,
        "teardown_ms": (stopped - stopping) * 1000,
    }


def fixture_bare() -> dict[str, Any]:
    """The same with a bare Flask app: the floor that importing Flask and waitress sets."""
    from flask import Flask
    from waitress.server import create_server

    imported = time.perf_counter()
    app = Flask("bare")
    app.add_url_rule("/_mock/health", "health", lambda: {"status": "ok"})
    server: Any = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=5)
    connection.request("GET", "/_mock/health")
    assert connection.getresponse().status == 200
    connection.close()
    ready = time.perf_counter()
    return {"imports_ms": (imported - T0) * 1000, "first_answer_ms": (ready - T0) * 1000}


def qr(count: int) -> dict[str, Any]:
    """Per distinct URL: qrcode's defaults vs mockpms.qr (fixed mask) vs fixed version too."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M
    from qrcode.image.pil import PilImage

    from mockpms import qr as mock_qr

    base = "http://127.0.0.1:8080/pms-payment/h5/"

    def urls() -> list[str]:
        """H5 URLs as mockpms makes them: the base, then a random 64-hex-digit token."""
        return [base + os.urandom(32).hex().upper() for _ in range(count)]

    def defaults(text: str) -> str:
        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=6, border=4)
        code.add_data(text)
        code.make(fit=True)
        buffer = io.BytesIO()
        code.make_image(image_factory=PilImage).save(buffer, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()

    def fixed_version(text: str) -> str:
        code = qrcode.QRCode(
            version=None,
            error_correction=ERROR_CORRECT_M,
            box_size=6,
            border=4,
            mask_pattern=0,
            image_factory=PilImage,
        )
        code.add_data(text)
        code.version = fixed_version.version  # type: ignore[attr-defined]
        code.make(fit=False)
        buffer = io.BytesIO()
        code.make_image().save(buffer, format="PNG")
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()

    probe = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    probe.add_data(urls()[0])
    probe.make(fit=True)
    fixed_version.version = probe.version  # type: ignore[attr-defined]

    def per_call(render: Any, texts: list[str]) -> float:
        render(texts[0])  # warm imports and tables
        started = time.perf_counter()
        for text in texts[1:]:
            render(text)
        return (time.perf_counter() - started) / (count - 1) * 1000

    mock_qr.qr_data_uri.cache_clear()
    mock_qr.qr_png.cache_clear()
    seen = urls()
    uncached = per_call(mock_qr.qr_data_uri, seen)
    cached = per_call(mock_qr.qr_data_uri, seen)  # the same URLs again
    return {
        "qrcode_defaults_ms": per_call(defaults, urls()),
        "mockpms_uncached_ms": uncached,
        "mockpms_cached_ms": cached,
        "fixed_version_and_mask_ms": per_call(fixed_version, urls()),
        "version": probe.version,
    }


def wsgi() -> dict[str, Any]:
    """Application CPU per signed online/query, calling the WSGI app directly (no server).

    The best of several batches: the least disturbed by other work on the machine.
    """
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import targets

    ts = int(time.time() * 1000)
    fields = {"type": "VMPAY", "rrn": targets.RRN, "storeCode": "WP001", "tillId": "01"}
    body = json.dumps(
        {"apiKey": targets.API_KEY, "timestamp": ts, "sign": targets.sign(ts), **fields}
    ).encode()

    def environ() -> dict[str, Any]:
        return {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/tt-pms-ws/rest/online/query",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        assert status.startswith("200"), status

    def best(app: Any) -> float:
        times = []
        for _ in range(7):
            started = time.perf_counter()
            for _ in range(500):
                answer = b"".join(app(environ(), start_response))
            times.append((time.perf_counter() - started) / 500 * 1e6)
        assert b'"errorCode":"0"' in answer, answer
        return min(times)

    ceiling, mock = targets.ceiling_app(), targets.mockpms_app()
    return {
        "ceiling_us": best(ceiling),
        "mockpms_us": best(mock),
        "mockpms_direct_us": direct(targets.mockpms_app(), body),
    }


def direct(app: Any, body: bytes) -> float:
    """The same query as `mockpms serve` answers it: granian_server.Gateway's direct PMS
    path (PmsCall, no WSGI, no Flask) on an event loop, given granian's scope and
    protocol objects' equivalents. Best of 7 batches, microseconds per call."""
    import asyncio

    from mockpms.granian_server import Gateway

    gateway = Gateway(app, threads=1)
    headers = {"host": "127.0.0.1", "content-type": "application/json",
               "content-length": str(len(body))}  # fmt: skip

    class Scope:
        proto, method, scheme = "http", "POST", "http"
        path = "/tt-pms-ws/rest/online/query"
        client, server, authority = "127.0.0.1:5555", "127.0.0.1:80", None

        def __init__(self) -> None:
            self.headers = headers

    class Proto:
        answer = b""

        async def __call__(self) -> bytes:
            return body

        def response_bytes(self, status: int, headers: Any, content: bytes) -> None:
            self.answer = content

    async def batch(count: int) -> float:
        scope, proto = Scope(), Proto()
        started = time.perf_counter()
        for _ in range(count):
            await gateway.__rsgi__(scope, proto)
        elapsed = time.perf_counter() - started
        assert b'"errorCode":"0"' in proto.answer, proto.answer
        return elapsed / count * 1e6

    return min(asyncio.run(batch(500)) for _ in range(7))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory(count: int, cap: int) -> dict[str, Any]:
    """RSS of a sandbox holding `count` transactions (half paid), then growth past a cap."""
    from mockpms.app import create_app
    from mockpms.config import Merchant, Settings
    from mockpms.models import TxStatus

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from targets import sale_request as request

    merchant = Merchant("bench-shop", "bench-secret")

    app = create_app(Settings(merchants=(merchant,), transaction_cap=max(count, cap) * 2))
    box = app.extensions["mockpms"]
    before = rss_mb()
    started = time.perf_counter()
    for i in range(count):
        txn = box.lifecycle.create_sale(merchant, request(f"M{i:09d}"))
        if i % 2 == 0:
            box.lifecycle.settle(txn, TxStatus.SUCCESS)
    created = time.perf_counter() - started
    full = rss_mb()

    # A second sandbox with a small cap: insert 3x the cap, all settled, and see what is kept.
    capped = create_app(Settings(merchants=(merchant,), transaction_cap=cap)).extensions["mockpms"]
    started = time.perf_counter()
    for i in range(cap * 3):
        txn = capped.lifecycle.create_sale(merchant, request(f"C{i:09d}"))
        capped.lifecycle.settle(txn, TxStatus.FAILED)
    at_cap = (time.perf_counter() - started) / (cap * 3) * 1e6
    kept = capped.store.counts()["transactions"]
    return {
        "transactions": count,
        "rss_before_mb": before,
        "rss_with_transactions_mb": full,
        "bytes_per_transaction": (full - before) * 1024 * 1024 / count,
        "create_us": created / count * 1e6,
        "cap": cap,
        "kept_after_3x_cap": kept,
        "create_at_cap_us": at_cap,
    }


def main() -> None:
    kind = sys.argv[1]
    if kind == "fixture":
        result = fixture()
    elif kind == "fixture_bare":
        result = fixture_bare()
    elif kind == "wsgi":
        result = wsgi()
    elif kind == "qr":
        result = qr(int(sys.argv[2]))
    elif kind == "memory":
        result = memory(int(sys.argv[2]), int(sys.argv[3]))
    else:
        raise SystemExit(f"unknown probe {kind}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
