"""Serve an app with waitress, in this process: on a thread for tests, or in the foreground.

waitress is a production-grade, pure-Python threaded WSGI server: no C build,
quick to start, and it serves many concurrent requests on a bounded thread
pool, which is what a sandbox shared by a test suite needs.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any, cast

from flask import Flask
from waitress.server import create_server

# Idle wake-up of waitress's socket loop; also bounds how long stop() can take.
LOOP_TIMEOUT = 0.05


class ServerThread:
    """A live server on a daemon thread: bind (port 0 picks a free port), ready, stop."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 8):
        self.app = app
        # waitress's stubs type the result as a union without effective_port
        self._server: Any = cast(Any, create_server)(
            app,
            host=host,
            port=port,
            threads=threads,
            asyncore_loop_timeout=LOOP_TIMEOUT,
            channel_timeout=30,
            clear_untrusted_proxy_headers=True,
            ident="mockpms",
        )
        self.host: str = host
        self.port: int = int(self._server.effective_port)
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mockpms-server", daemon=True)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def _run(self) -> None:
        self.ready.set()
        # stop() closes the socket map under the loop, which may then raise.
        with contextlib.suppress(OSError, ValueError):
            self._server.run()

    def start(self) -> ServerThread:
        self._thread.start()
        self.ready.wait(5)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Close every socket, stop the worker threads, join the loop thread."""
        logging.getLogger("waitress").setLevel(logging.CRITICAL)
        server = self._server
        for channel in list(server._map.values()):
            channel.handle_close()
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=timeout)
        self._thread.join(timeout)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_forever(app: Flask, host: str, port: int, threads: int) -> None:
    """`mockpms serve`: block until interrupted (Ctrl-C or SIGTERM)."""
    server: Any = create_server(
        app, host=host, port=port, threads=threads, ident="mockpms", channel_timeout=30
    )
    try:
        server.run()
    finally:
        server.close()
