"""The PMS endpoints (mockpms.endpoints) as Flask views, under the three path prefixes.

Each view hands the request's bytes to pms_calls.PmsCall, which parses,
authenticates, takes faults, calls the domain, journals and renders; the view
only turns the Answer into a Response (or drops the connection). `mockpms
serve` on granian reaches the same PmsCall without Flask (granian_server.py).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from mockpms import endpoints
from mockpms.drop import drop_connection
from mockpms.endpoints import Endpoint
from mockpms.pms_calls import HANDLERS, Incoming, PmsCall
from mockpms.views._web import base_url, sandbox

__all__ = ["HANDLERS", "register"]


def _view(endpoint: Endpoint) -> Callable[[], Response]:
    def view() -> Response:
        box = sandbox()
        over_limit = None
        try:
            raw = request.get_data(cache=True)
        except RequestEntityTooLarge:
            raw, over_limit = b"", request.content_length or 0
        incoming = Incoming(
            method=request.method,
            path=request.path,
            content_type=request.environ.get("CONTENT_TYPE", ""),
            body=raw,
            base_url=base_url(),
            over_limit=over_limit,
        )
        answer = PmsCall(box, endpoint, incoming).run()
        if answer.dropped:
            drop_connection(request.environ)
        return Response(answer.body, answer.status, mimetype="application/json")

    view.__name__ = "pms_" + endpoint.name.replace("/", "_")
    return view


def register(app: Flask) -> None:
    """One route per endpoint and prefix; every endpoint of the registry has a handler."""
    missing = [e.name for e in endpoints.ENDPOINTS if e.name not in HANDLERS]
    if missing:  # a registry entry without a handler: fail at start, not with a 404
        raise RuntimeError(f"no handler for PMS endpoint(s) {', '.join(missing)}")
    for endpoint in endpoints.ENDPOINTS:
        view = _view(endpoint)
        for path in endpoint.paths():
            # No automatic OPTIONS: every answer on a PMS path is the JSON envelope (405).
            app.add_url_rule(
                path,
                endpoint=f"pms{path}",
                view_func=view,
                methods=["POST"],
                provide_automatic_options=False,
            )
