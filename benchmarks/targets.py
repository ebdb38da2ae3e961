"""The WSGI apps the benchmarks compare, each served by waitress the same way.

Run as a subprocess: `python benchmarks/targets.py NAME [PORT]` binds 127.0.0.1
(on a free port by default), prints `PORT <n>` and serves until killed. Every target runs under
the same server and settings (waitress, 4 threads), so the ratios measure the
application code and nothing else.

- ceiling: a bare Flask endpoint doing what online/query must do at minimum
  (parse the JSON body, HMAC-SHA1 the timestamp, compare in constant time,
  look the rrn up in a dict, answer the same JSON document). It is the fastest
  this stack (Flask + waitress + json + hmac) can answer a signed query.
- mockpms: the real app (create_app), one merchant, one stored transaction to
  query; every PMS endpoint is live for the other benchmarks.
- mockpms_sqlite: the same on a fresh --data-dir (benchmarks/storage.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
from typing import Any

from mockpms.testing import sale_fields

API_KEY = "bench-shop"
SECRET = "bench-secret"
RRN = "BENCH0000000001"
THREADS = 4

SALE = sale_fields(rrn=RRN, webhookUrl="")  # the document's example sale

QUERY_ANSWER: dict[str, Any] = {
    "additionalAmt": 0,
    "amt": 90000,
    "ccy": "HKD",
    "errorCode": "0",
    "errorMessage": "SUCCESS",
    "extendParam": "",
    "gwErrorCode": "",
    "gwErrorMessage": "",
    "gwRefCode": "",
    "gwRefStatus": "05",
    "lang": None,
    "orgGwRefCode": "",
    "orgRrn": "",
    "payDetail": "",
    "payType": "",
    "rrn": RRN,
    "storeCode": "WP001",
    "tillId": "01",
    "txDateTime": "2021-06-11T16:18:30+0800",
    "type": "VMPAY",
}


def sale_request(rrn: str) -> Any:
    """The document's example sale as a checked SaleRequest, for in-process figures."""
    from mockpms.testing import make_sale_request

    return make_sale_request(
        rrn=rrn,
        type="VMPAY",
        amt=90000,
        extend_param='{"subject":"Long Desc", "seller":"Short Desc"}',
        return_url="https://www.xxxx.com/checkout-2/order-paid/648",
        remarks="docNum:S03757845-09",
        cashier="WP9999",
    )


def sign(timestamp: int | str, secret: str = SECRET) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def ceiling_app() -> Any:
    from flask import Flask, jsonify, request

    app = Flask("ceiling")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    secrets = {API_KEY: SECRET.encode()}
    transactions = {(API_KEY, RRN): QUERY_ANSWER}

    @app.post("/tt-pms-ws/rest/online/query")
    def query() -> Any:
        data = json.loads(request.get_data())
        secret = secrets.get(data.get("apiKey"))
        if secret is None:
            return jsonify({"errorCode": "40002", "errorMessage": "apiKey"})
        digest = hmac.new(secret, str(data["timestamp"]).encode(), hashlib.sha1).digest()
        if not hmac.compare_digest(base64.b64encode(digest), str(data.get("sign")).encode()):
            return jsonify({"errorCode": "40002", "errorMessage": "sign"})
        answer = transactions.get((data["apiKey"], data.get("rrn")))
        if answer is None:
            return jsonify({"errorCode": "40002", "errorMessage": "rrn"})
        return jsonify(answer)

    return app


def mockpms_app(data_dir: str | None = None) -> Any:
    import time

    from mockpms.app import create_app
    from mockpms.config import Merchant, Settings

    app = create_app(Settings(merchants=(Merchant(API_KEY, SECRET),), data_dir=data_dir))
    ts = int(time.time() * 1000)
    body = {"apiKey": API_KEY, "timestamp": ts, "sign": sign(ts), **SALE}
    answer = app.test_client().post("/tt-pms-ws/rest/online/sales", json=body).get_json()
    assert answer["errorCode"] == "0", answer
    return app


def bare_wsgi_app() -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = b'{"status":"ok"}'
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return app


def mockpms_sqlite_app() -> Any:
    """The real app on a fresh data dir (--data-dir): every change committed to SQLite."""
    import tempfile

    return mockpms_app(tempfile.mkdtemp(prefix="mockpms-bench-"))


APPS = {
    "ceiling": ceiling_app,
    "mockpms": mockpms_app,
    "mockpms_sqlite": mockpms_sqlite_app,
    "bare": bare_wsgi_app,
}


def main() -> None:
    """`targets.py NAME [PORT [SERVER]]`: SERVER is waitress (the default) or granian, the
    server `mockpms serve` runs (mockpms.granian_server, quiet: no request log)."""
    app = APPS[sys.argv[1]]()
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    server: Any
    if len(sys.argv) > 3 and sys.argv[3] == "granian":
        from mockpms.granian_server import GranianServer

        server = GranianServer(app, "127.0.0.1", port, threads=THREADS)
    else:
        from waitress.server import create_server

        server = create_server(app, host="127.0.0.1", port=port, threads=THREADS, ident="bench")
    print(f"PORT {server.effective_port}", flush=True)
    server.run()


if __name__ == "__main__":
    main()
