"""The places where mockpms leans on private werkzeug and waitress internals, pinned.

Each of these is kept for a measured reason (start-up time, a clean stop, a
connection dropped without a byte). An upgrade that removes or changes the
internal must fail here, loudly and by name, rather than silently slow or break
mockpms.
"""

from __future__ import annotations

import inspect

import waitress.channel
import waitress.server
from flask import url_for
from werkzeug.routing import Rule

from mockpms.app import LazyBuildRule, create_app
from mockpms.drop import DroppedConnection
from mockpms.server import ServerThread


def test_werkzeug_still_compiles_url_builders_through_rule_compile_builder() -> None:
    """LazyBuildRule overrides Rule._compile_builder(append_unknown) to defer it."""
    assert hasattr(Rule, "_compile_builder"), "werkzeug dropped Rule._compile_builder"
    parameters = list(inspect.signature(Rule._compile_builder).parameters)
    assert parameters[:2] == ["self", "append_unknown"], parameters


def test_lazy_rules_build_urls_only_when_asked() -> None:
    app = create_app()
    assert app.url_rule_class is LazyBuildRule
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "h5.page")
    builder = rule._build
    assert builder.__qualname__.startswith("LazyBuildRule"), "builders compiled eagerly again"
    with app.test_request_context("/"):
        assert url_for("h5.page", token="AB12") == "/pms-payment/h5/AB12"
        assert url_for("h5.page", token="CD34", x="1") == "/pms-payment/h5/CD34?x=1"


def test_waitress_server_keeps_its_socket_map_for_a_clean_stop() -> None:
    """ServerThread.stop() closes every channel through the server's `_map`."""
    server = ServerThread(create_app(), port=0).start()
    try:
        assert isinstance(server._server._map, dict)
        assert hasattr(server._server, "task_dispatcher")
    finally:
        server.stop()


def test_waitress_treats_client_disconnected_as_a_silent_close() -> None:
    """The drop fault raises waitress's ClientDisconnected; waitress must still swallow it
    without writing a status line (checked over a socket by the drop-fault tests)."""
    assert issubclass(DroppedConnection, waitress.channel.ClientDisconnected)
    assert "ClientDisconnected" in inspect.getsource(waitress.channel.HTTPChannel.service)
    assert callable(waitress.server.create_server)


def test_httpx_transports_still_keep_an_httpcore_pool_with_a_network_backend() -> None:
    """The webhook deadline swaps the pool's network backend (mockpms.deadline)."""
    import httpx

    from mockpms.deadline import DeadlineBackend, with_deadlines

    transport = with_deadlines(httpx.HTTPTransport())
    assert isinstance(transport._pool._network_backend, DeadlineBackend)  # type: ignore[attr-defined]


def test_an_idle_server_sleeps_in_its_socket_loop() -> None:
    """waitress reads asyncore_loop_timeout with int(): a fraction became 0, and every idle
    server spun a core at 100% (0.1.0). The loop must sleep, and stop() must still be quick."""
    from mockpms.app import create_app
    from mockpms.config import Settings
    from mockpms.server import ServerThread

    server = ServerThread(create_app(Settings())).start()
    try:
        assert server._server.adj.asyncore_loop_timeout >= 1
    finally:
        server.stop()
    assert not server._thread.is_alive()
