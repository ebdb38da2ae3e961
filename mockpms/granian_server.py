"""`mockpms serve` on granian: PMS calls answered on its event loop, the rest on threads.

granian is a Rust HTTP server (hyper on tokio) for Python apps. Measured on one
machine beside waitress (benchmarks/peers.py, in `make bench`), the same
signed online/query answers several times faster; the reasons for the shape of
this module are measurements too:

- granian's own WSGI mode is fast only with one Python thread (more threads
  lose the gain to the GIL), and one thread would be held by every delayed
  fault, event-stream reader and long control call. So mockpms runs granian's
  RSGI interface, embedded in this process (state stays shared), and splits:
  a PMS POST goes straight to pms_calls.PmsCall on the event loop (no WSGI
  environ, no Flask: the call itself costs a fraction of what the framework
  does), and a fault's delay is an `asyncio.sleep` that holds no thread;
  everything else (control API, pages, the event stream) is the Flask app on
  a pool of `--threads` threads, as under waitress.
- Slow and idle clients cost tokio a few bytes each and no Python thread;
  headers must arrive within 30 s (granian's header read timeout).
- The `drop` fault closes the connection without a byte: no server API does
  that, so the socket is found by its peer address and shut down before the
  call returns (`drop_peer`); granian's write of an answer then fails.
- A body over --max-body is refused from its Content-Length (or the running
  count of a chunked body) before it is read, as waitress does.
- granian queues a stream's chunks without limit; `StreamBrake` keeps an
  event stream from running ahead of a reader that stopped reading.
- Stopping ends the event streams first, then lets open connections drain for
  STOP_TIMEOUT seconds.

HTTP/1.1 only (no h2c), no websockets. ServerThread (waitress) stays the
in-process server of the pytest fixture; both serve the same app.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import io
import itertools
import logging
import os
import queue
import re
import signal
import socket
import stat
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any, cast

from flask import Flask
from granian._granian import ListenerSpec
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.server.embed import Server

from mockpms import fence
from mockpms.drop import DroppedConnection
from mockpms.endpoints import Endpoint, endpoint_of
from mockpms.errors import body_too_large, refusal
from mockpms.jsontext import answer_bytes
from mockpms.pms_calls import Incoming, PmsCall, journal_refusal
from mockpms.sandbox import Sandbox
from mockpms.urls import base_url

log = logging.getLogger("mockpms")
JSON_HEADERS = [("content-type", "application/json")]
BACKLOG = 2048
STOP_TIMEOUT = 2  # seconds: SIGTERM answers within the contract's 5
_TIOCOUTQ: int | None
try:  # the kernel's unsent bytes on a socket (Linux)
    import fcntl
    from termios import TIOCOUTQ as _TIOCOUTQ
except ImportError:  # pragma: no cover - elsewhere streams are not braked
    _TIOCOUTQ = None
FD_DIR = Path("/proc/self/fd") if Path("/proc/self/fd").is_dir() else Path("/dev/fd")


class Gateway:
    """The RSGI application granian calls: the direct PMS path, else Flask on a thread."""

    def __init__(self, app: Flask, threads: int) -> None:
        self.app = app
        self.box: Sandbox = app.extensions["mockpms"]
        self.max_body = self.box.settings.max_body
        self.public_url = self.box.settings.public_url
        self.pool = DaemonPool(threads)
        self.port = 0  # set once bound: drop_peer matches the local port

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        if scope.proto != "http":
            return
        try:
            body, over_limit = await self._read(scope, proto)
            endpoint = endpoint_of(scope.path) if scope.method == "POST" else None
            if endpoint is not None:
                await self._pms(scope, proto, endpoint, body, over_limit)
            elif over_limit is not None:
                self._too_large(scope, proto, over_limit)
            else:
                await self._flask(scope, proto, body)
        except Exception:  # never a traceback to the client
            log.exception("unexpected error on %s %s", scope.method, scope.path)
            answer = {"errorCode": "40002", "errorMessage": "internal error in mockpms"}
            with contextlib.suppress(Exception):
                proto.response_bytes(500, JSON_HEADERS, answer_bytes(answer))

    async def _read(self, scope: Any, proto: Any) -> tuple[bytes, int | None]:
        """The body, or (b"", its size) when it is over --max-body: then never read."""
        headers = scope.headers
        length = headers.get("content-length")
        if length is not None:
            size = int(length)  # hyper refuses a malformed Content-Length itself
            if size > self.max_body:
                return b"", size
            return (await proto()) if size else b"", None
        if "transfer-encoding" not in headers:
            return b"", None
        chunks, size = [], 0
        async for chunk in proto:
            size += len(chunk)
            if size > self.max_body:
                return b"", size
            chunks.append(chunk)
        return b"".join(chunks), None

    async def _pms(
        self, scope: Any, proto: Any, endpoint: Endpoint, body: bytes, over_limit: int | None
    ) -> None:
        incoming = Incoming(
            method="POST",
            path=scope.path,
            content_type=scope.headers.get("content-type", ""),
            body=body,
            base_url=base_url(self.public_url, scope.scheme, _host(scope)),
            over_limit=over_limit,
        )
        box = self.box
        generation = box.fence.current  # the request is work of the generation it arrived in
        call = PmsCall(box, endpoint, incoming)
        # Each step runs as work of that generation; nothing awaits inside one.
        token = fence.enter(generation)
        try:
            fault = call.begin()
        finally:
            fence.leave(token)
        if fault is not None and fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)  # holds no thread
        token = fence.enter(generation)
        try:
            answer = call.finish()
        finally:
            fence.leave(token)
        if answer.dropped:
            drop_peer(scope.client, self.port)
            return
        proto.response_bytes(answer.status, JSON_HEADERS, answer.body)

    def _too_large(self, scope: Any, proto: Any, size: int) -> None:
        """A body over --max-body outside the PMS views: the same JSON refusal as waitress's."""
        answer = refusal(scope.path, body_too_large(self.max_body))
        journal_refusal(self.box, scope.method, scope.path, 413, answer, size)  # PMS paths only
        proto.response_bytes(413, JSON_HEADERS, answer_bytes(answer))

    async def _flask(self, scope: Any, proto: Any, body: bytes) -> None:
        environ = self._environ(scope, body)
        loop = asyncio.get_running_loop()
        done = await loop.run_in_executor(self.pool, self._call_flask, environ, proto, loop)
        if done is None:
            return  # streamed or dropped on the thread
        status, headers, content = done
        proto.response_bytes(status, headers, content)

    def _call_flask(
        self, environ: dict[str, Any], proto: Any, loop: asyncio.AbstractEventLoop
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """On a pool thread: the whole answer, or None once a stream has been sent."""
        started: list[Any] = []

        def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            started[:] = [int(status[:3]), [(k, v) for k, v in headers]]
            return _no_write

        client = f"{environ['REMOTE_ADDR']}:{environ['REMOTE_PORT']}"
        try:
            result: Iterable[bytes] = self.app(environ, start_response)
        except DroppedConnection:
            drop_peer(client, self.port)
            return None
        try:
            chunks = iter(result)
            first = next(chunks, b"")
            status, headers = started
            if any(name.lower() == "content-length" for name, _ in headers):
                return status, headers, first + b"".join(chunks)
            # No length: a stream (the event stream). Each chunk goes out as it comes.
            transport = asyncio.run_coroutine_threadsafe(
                _open_stream(proto, status, headers), loop
            ).result()
            brake = StreamBrake(peer_socket(client, self.port))
            try:
                for chunk in itertools.chain((first,), chunks):
                    if not chunk:
                        continue
                    if not brake.wait():
                        return None
                    asyncio.run_coroutine_threadsafe(_send(transport, chunk), loop).result()
            finally:
                brake.close()
            return None
        except Exception:  # the client went away mid-stream: the generator's finally runs
            return None
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def _environ(self, scope: Any, body: bytes) -> dict[str, Any]:
        server_host, _, server_port = scope.server.rpartition(":")
        client_host, _, client_port = scope.client.rpartition(":")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": scope.method,
            "SCRIPT_NAME": "",
            # WSGI wants the decoded path's bytes as latin-1 text
            "PATH_INFO": scope.path.encode("utf-8", "surrogateescape").decode("latin-1"),
            "QUERY_STRING": scope.query_string,
            "SERVER_NAME": server_host.strip("[]"),
            "SERVER_PORT": server_port,
            "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
            "REMOTE_ADDR": client_host.strip("[]"),
            "REMOTE_PORT": client_port,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scope.scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if body:
            environ["CONTENT_LENGTH"] = str(len(body))
        for name, value in scope.headers.items():
            if name == "content-type":
                environ["CONTENT_TYPE"] = value
            elif name in ("content-length", "transfer-encoding"):
                continue  # the body is read whole: its length is what follows
            else:
                key = "HTTP_" + name.upper().replace("-", "_")
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ


def _host(scope: Any) -> str:
    """The Host the client used."""
    host: str = scope.headers.get("host") or scope.authority or scope.server
    return host


def _no_write(data: bytes) -> None:
    raise RuntimeError("mockpms's views return their bodies; write() is not supported")


async def _open_stream(proto: Any, status: int, headers: list[tuple[str, str]]) -> Any:
    return proto.response_stream(status, headers)


async def _send(transport: Any, chunk: bytes) -> None:
    await transport.send_bytes(chunk)


def peer_socket(client: str, local_port: int) -> socket.socket | None:
    """A duplicate of the server's socket for the connection from `client` ("host:port")
    to our port, or None. Close it after use; the connection stays the server's."""
    host, _, port_text = client.rpartition(":")
    host, port = host.strip("[]"), int(port_text)
    for entry in FD_DIR.iterdir():
        try:
            fd = int(entry.name)
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            sock = socket.socket(fileno=os.dup(fd))
        except (OSError, ValueError):
            continue
        try:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and (
                sock.type == socket.SOCK_STREAM and sock.getsockname()[1] == local_port
            ):
                peer = sock.getpeername()
                if peer[1] == port and (peer[0] == host or peer[0].endswith(f":{host}")):
                    return sock
        except OSError:
            pass
        sock.close()
    return None


def drop_peer(client: str, local_port: int) -> bool:
    """Shut down the connection from `client` to our port: no byte is sent.

    The server owns the socket; shutting it down through a duplicate descriptor
    ends the connection for both (shutdown acts on the socket, not the
    descriptor), and the server's own close follows when its write fails.
    """
    sock = peer_socket(client, local_port)
    if sock is None:
        return False
    with sock, contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    return True


class StreamBrake:
    """Keeps a stream from running ahead of a client that does not read.

    granian queues whatever a stream sends without limit, so a reader that stops
    reading would grow the process without bound. Before each chunk the kernel's
    unsent bytes on the connection are read (Linux TIOCOUTQ): at the watermark the
    stream waits, as waitress's does at its high watermark, and the broadcaster
    drops the reader once it is 1,000 events behind; a connection that drains
    nothing for STALLED_FOR seconds is shut down. Elsewhere it does nothing.
    """

    HIGH_WATER = 1024 * 1024
    STALLED_FOR = 30.0
    POLL = 0.05

    def __init__(self, sock: socket.socket | None) -> None:
        self.sock = sock if sock is not None and _TIOCOUTQ is not None else None

    def unsent(self) -> int:
        if self.sock is None:
            return 0
        raw = fcntl.ioctl(self.sock.fileno(), _TIOCOUTQ or 0, b"\0\0\0\0")
        return int(struct.unpack("i", raw)[0])

    def wait(self) -> bool:
        """True once the client has room for more; False if it stalled (now shut down)."""
        if self.sock is None:
            return True
        waited = 0.0
        while True:
            limit = min(self.HIGH_WATER, self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
            if self.unsent() < limit // 2:
                return True
            if waited >= self.STALLED_FOR:
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_RDWR)
                return False
            time.sleep(self.POLL)
            waited += self.POLL

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


class DaemonPool(Executor):
    """A fixed pool of daemon threads for the Flask side.

    concurrent.futures' pool joins its threads at exit, so a thread parked in an
    event stream would hold a stopping server; these never do.
    """

    def __init__(self, threads: int) -> None:
        self._work: queue.SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]]
        self._work = queue.SimpleQueue()
        for index in range(threads):
            threading.Thread(target=self._run, name=f"mockpms-worker-{index}", daemon=True).start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self._work.put((future, fn, args))
        return future

    def _run(self) -> None:
        while True:
            future, fn, args = self._work.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as error:  # handed to the awaiting coroutine
                future.set_exception(error)


class BoundServer(Server):
    """granian's embedded server, bound once before it runs.

    On Linux granian re-binds the address in each worker (SO_REUSEPORT); with one
    worker that only loses `--port 0`'s port, so the socket is built here, once,
    and its port read back for the banner.
    """

    def bind(self) -> int:
        """Bind the address (a name is resolved first: granian takes IP addresses only).

        socket.gaierror for a name that does not resolve, OSError when the address
        cannot be used, as waitress raises them.
        """
        infos = socket.getaddrinfo(self.bind_addr, self.bind_port, type=socket.SOCK_STREAM)
        address = str(infos[0][4][0])
        try:
            holder = ListenerSpec(address, self.bind_port, self.backlog).build()
        except (RuntimeError, ValueError) as error:
            text = str(error).split("\n", 1)[0]
            found = re.search(r"\(os error (\d+)\)", text)
            number = int(found.group(1)) if found else errno.EADDRNOTAVAIL
            raise OSError(number, os.strerror(number)) from None
        self.bind_addr = address
        fd: int = holder.get_fd()
        self._shd, self._sfd = cast(Any, holder), cast(Any, fd)
        with socket.socket(fileno=os.dup(fd)) as sock:
            # Listening from now on: a client that read the banner is queued until the
            # worker accepts (granian itself listens only once its worker runs).
            sock.listen(self.backlog)
            port: int = sock.getsockname()[1]
        return port

    def _init_shared_socket(self) -> None:
        if getattr(self, "_shd", None) is None:
            super()._init_shared_socket()  # type: ignore[no-untyped-call]


class GranianServer:
    """What `mockpms serve` runs: bound at construction, serving until stopped."""

    def __init__(self, app: Flask, host: str, port: int, threads: int) -> None:
        for name in ("granian", "_granian"):  # its start-up notices; errors still show
            logging.getLogger(name).setLevel(logging.ERROR)
        self.gateway = Gateway(app, threads)
        self.server = BoundServer(
            self.gateway,
            address=host,
            port=port,
            interface=Interfaces.RSGI,
            http=HTTPModes.http1,
            websockets=False,
            backlog=BACKLOG,
            http1_settings=HTTP1Settings(header_read_timeout=30_000, keep_alive=True),
            log_enabled=False,
        )
        # Stopping waits this long for open connections (idle keep-alive ones included).
        self.server.workers_kill_timeout = STOP_TIMEOUT
        self.effective_port = self.gateway.port = self.server.bind()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.started = threading.Event()

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM (in the main thread), or until `stop`."""

        async def main() -> None:
            loop = self._loop = asyncio.get_running_loop()
            if threading.current_thread() is threading.main_thread():
                for signum in (signal.SIGINT, signal.SIGTERM):
                    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                        loop.add_signal_handler(signum, self.stop)
            self.started.set()
            try:
                await self.server.serve()
            except (asyncio.TimeoutError, TimeoutError):
                # Connections still busy after STOP_TIMEOUT (granian's drain raises then):
                # leave them; the process is stopping.
                for worker in list(self.server.wrks):
                    worker.kill()  # type: ignore[no-untyped-call]

        asyncio.run(main())

    def stop(self) -> None:
        """Stop serving; from any thread."""
        loop = self._loop
        if loop is not None and loop.is_running() and not _on_loop(loop):
            loop.call_soon_threadsafe(self.stop)
            return
        # Open event streams end first: the server's drain would wait for them.
        self.gateway.box.stream.shutdown()
        self.server.stop()  # type: ignore[no-untyped-call]

    def close(self) -> None:
        """Nothing left to close: the workers stopped with the loop; threads are daemons."""


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class GranianThread:
    """`mockpms serve`'s server on a daemon thread of this process (as ServerThread is for
    waitress): the test suite runs its core over HTTP against both."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 8):
        self.app = app
        self._server = GranianServer(app, host, port, threads)
        self.host, self.port = host, int(self._server.effective_port)
        self._thread = threading.Thread(
            target=self._server.run, name="mockpms-granian", daemon=True
        )

    @property
    def url(self) -> str:
        from mockpms.server import bound_url

        return bound_url(self.host, self.port)

    def start(self) -> GranianThread:
        self._thread.start()
        self._server.started.wait(5)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._server.stop()
        self._thread.join(timeout)
