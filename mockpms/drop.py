"""Dropping a connection without an answer (the `drop` fault).

A view marks the request with `drop_connection()`; this WSGI middleware then
swallows the response (start_response is never forwarded) and raises
waitress's ClientDisconnected. waitress treats that exception as "the client
went away": it writes nothing, not even a status line, and closes the socket
(waitress/channel.py, HTTPChannel.service). The client sees the connection
closed with no response (httpx: RemoteProtocolError "Server disconnected
without sending a response"), which is what a crashed PMS or a cut network
looks like. Any other exception would make waitress answer 500 instead.

Under another WSGI server (or Flask's test client) the same exception
propagates, so the call still fails rather than answering.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from waitress.channel import ClientDisconnected

ENVIRON_KEY = "mockpms.drop_connection"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class DroppedConnection(ClientDisconnected):
    """Raised to the WSGI server so that it closes the connection without answering."""


def drop_connection(environ: dict[str, Any]) -> None:
    environ[ENVIRON_KEY] = True


class DropMiddleware:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        def guarded_start(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            if environ.get(ENVIRON_KEY):
                return lambda _data: None
            return start_response(status, headers, exc_info)

        body = self.app(environ, guarded_start)
        if environ.get(ENVIRON_KEY):
            close = getattr(body, "close", None)
            if close is not None:
                close()
            raise DroppedConnection("connection dropped by an injected fault")
        return body
