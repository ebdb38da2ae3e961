"""The servers, in this process: waitress on a thread for tests (ServerThread), and what
`mockpms serve` runs in the foreground (`bind`: granian by default, or waitress).

waitress is a production-grade, pure-Python threaded WSGI server: no C build,
quick to start, and it serves many concurrent requests on a bounded thread
pool, which is what a sandbox shared by a test suite needs.

`make_server` is the one place waitress's options are set, for both uses:
- a body over --max-body is refused as soon as its Content-Length (or the
  running count of a chunked body) passes the limit, never read or spooled;
- request and answer buffers stay in memory (a read-only /tmp, as in
  `docker run --read-only`, breaks nothing);
- refusals waitress makes itself (a bad request line, a body too large) carry
  mockpms's JSON error shape, not waitress's plain text.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any, cast

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import ErrorTask

from mockpms.errors import HttpError, body_too_large, refusal
from mockpms.jsontext import answer_bytes
from mockpms.pms_calls import journal_refusal

# Idle wake-up of waitress's socket loop, in whole seconds: waitress reads this setting
# with int(), so a fraction (0.05 until 0.1.0) became 0 and an idle server spun a core
# at 100%. Nothing waits on it: workers wake the loop through its trigger when they
# have output, and stop() closes the sockets from inside the loop the same way.
LOOP_TIMEOUT = 1
# Answers larger than this would go to a temporary file; the control API's listings
# are paged, so no answer comes near it.
OUTBUF_IN_MEMORY = 64 * 1024 * 1024


class JsonErrorTask(ErrorTask):
    """waitress's own refusals as JSON: the PMS envelope, or the control API's error."""

    def execute(self) -> None:
        error: Any = cast(Any, self.request).error
        path = getattr(self.request, "path", "") or ""
        if error.code == 413:
            refused = body_too_large(self.channel.server.adj.max_request_body_size)
        else:
            refused = HttpError(error.code, f"{error.reason}: {error.body}".strip())
        answer = refusal(path, refused)
        box = getattr(self.channel.server, "mockpms_sandbox", None)
        if box is not None:
            request: Any = self.request
            method = getattr(request, "command", "") or ""
            length = getattr(request, "content_length", 0)
            journal_refusal(box, method, path, error.code, answer, length)
        body = answer_bytes(answer)
        self.status = f"{error.code} {error.reason}"
        cast(Any, self.response_headers).append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):
    error_task_class = JsonErrorTask


def make_server(app: Flask, host: str, port: int, threads: int) -> Any:
    """A bound waitress server (not yet running); OSError when the address is taken."""
    max_body: int = app.extensions["mockpms"].settings.max_body
    # waitress's stubs type the result as a union without effective_port
    server: Any = cast(Any, create_server)(
        app,
        host=host,
        port=port,
        threads=threads,
        asyncore_loop_timeout=LOOP_TIMEOUT,
        # Slow and idle clients never lock anyone out (the audit's D1): waitress holds
        # every connection in its socket loop, none in a worker thread, so the only
        # limit is how many it accepts. poll(), not select(): select stops at 1,024
        # descriptors. Idle connections still close after channel_timeout.
        asyncore_use_poll=True,
        connection_limit=connection_limit(),
        channel_timeout=30,
        clear_untrusted_proxy_headers=True,
        ident="mockpms",
        max_request_body_size=max_body,
        inbuf_overflow=max_body + 1,
        outbuf_overflow=OUTBUF_IN_MEMORY,
        # A client that stops reading holds its worker back once this much is unsent
        # (an event stream's reader is then dropped by the broadcaster; see event_stream).
        outbuf_high_watermark=1024 * 1024,
    )
    server.channel_class = JsonErrorChannel
    server.mockpms_sandbox = app.extensions["mockpms"]  # for the refusals' journal entries
    return server


def bind(app: Flask, host: str, port: int, threads: int, server: str = "granian") -> Any:
    """The bound server `mockpms serve` runs (--server): granian (granian_server.py) or
    waitress. Either has `effective_port`, `run()` (until SIGINT/SIGTERM) and `close()`;
    OSError when the address is taken, socket.gaierror when the host does not resolve."""
    if server == "granian":
        from mockpms.granian_server import GranianServer

        return GranianServer(app, host, port, threads)
    return make_server(app, host, port, threads)


MAX_CONNECTIONS = 10_000
RESERVED_FILES = 256  # descriptors kept for the database, webhooks and the process itself


def connection_limit() -> int:
    """How many connections to hold: MAX_CONNECTIONS, within the open-files limit.

    The soft limit is raised to the hard one first where the system allows it (a
    container's default soft limit is often 1,024), so held connections can never
    exhaust the descriptors the sandbox needs for itself.
    """
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            wanted = MAX_CONNECTIONS + RESERVED_FILES
            target = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
            if target > soft:
                with contextlib.suppress(ValueError, OSError):
                    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
                soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except ImportError:  # pragma: no cover - not on Linux or macOS
        return 1000
    return max(100, min(MAX_CONNECTIONS, soft - RESERVED_FILES))


def bound_url(host: str, port: int) -> str:
    """The URL to print for a bound address: a wildcard shown as loopback, IPv6 bracketed."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


class ServerThread:
    """A live server on a daemon thread: bind (port 0 picks a free port), ready, stop."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 8):
        self.app = app
        self._server: Any = make_server(app, host, port, threads)
        self.host: str = host
        self.port: int = int(self._server.effective_port)
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mockpms-server", daemon=True)

    @property
    def url(self) -> str:
        return bound_url(self.host, self.port)

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
        """Close every socket, stop the worker threads, join the loop thread.

        The sockets are closed by the loop thread itself (a thunk on waitress's
        trigger), so a loop asleep in select() wakes at once and finds its map empty.
        """
        logging.getLogger("waitress").setLevel(logging.CRITICAL)
        server = self._server
        closed = threading.Event()

        def close_all() -> None:
            for channel in list(server._map.values()):
                # a socket the client or the loop already broke: it is closed either way
                with contextlib.suppress(OSError):
                    channel.handle_close()
            closed.set()

        if self._thread.is_alive():
            with contextlib.suppress(OSError):  # the loop ended meanwhile: closed below
                server.trigger.pull_trigger(close_all)
            closed.wait(timeout)
        if not closed.is_set():
            close_all()
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=timeout)
        self._thread.join(timeout)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
