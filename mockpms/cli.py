"""`mockpms serve`: run the sandbox until interrupted."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Any

from mockpms import __version__, commands
from mockpms.config import OPTIONS, SHOWN_SECRETS, Settings, load_settings
from mockpms.errors import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockpms",
        description="A mock of the TTRetail PMS online-payment API. `mockpms serve` runs the "
        "sandbox; the other commands drive a running one over its control API "
        "(--url or MOCKPMS_URL, default http://127.0.0.1:8080).",
        epilog="examples:\n  mockpms serve --port 8080\n  mockpms transactions\n"
        "  mockpms settle R1 success\n  mockpms advance 5m\n  mockpms tail",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[commands.global_options()],
    )
    parser.add_argument("--version", action="version", version=f"mockpms {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = subcommands.add_parser(
        "serve",
        help="run the sandbox",
        description="Run the sandbox. Every flag is also an environment variable "
        "MOCKPMS_<FLAG> (e.g. MOCKPMS_PUBLIC_URL) and a key of the TOML config file; "
        "flags beat the environment, which beats the file.",
    )
    serve.add_argument("--config", metavar="FILE", help="TOML config file (MOCKPMS_CONFIG)")
    for option in OPTIONS:
        if option.switch:
            serve.add_argument(
                option.flag, dest=option.name, action="store_const", const=True,
                help=f"{option.help} ({option.env}=true)",
            )  # fmt: skip
            continue
        serve.add_argument(
            option.flag,
            dest=option.name,
            metavar=option.metavar,
            help=f"{option.help} ({option.env})",
        )
    commands.add_commands(subcommands)
    return parser


def startup_lines(settings: Settings, url: str) -> list[str]:
    lines = [
        f"mockpms {__version__} listening on {url}",
        f"  PMS base URL: {url}/tt-pms-ws/rest   (also {url}/tt-pms-ws and {url}/)",
        f"  dashboard:    {url}/_mock/",
    ]
    if settings.admin_token:
        lines.append("                (admin token set: open /_mock/?token=<token> once)")
    if settings.public_url:
        lines.append(f"  public URL:   {settings.public_url}   (paymentUrl and H5 QR codes)")
    if settings.data_dir:
        lines.append(f"  data dir:     {settings.data_dir}   (state kept across restarts)")
    for merchant in settings.merchants:
        # Secrets from a file or the environment may be shared ones: never in a CI log.
        secret = merchant.secret if merchant.source in SHOWN_SECRETS else "***"
        lines.append(f"  merchant:     apiKey={merchant.api_key}  secret={secret}")
    lines.append("Press Ctrl-C to stop.")
    return lines


def serve(flags: dict[str, object]) -> int:
    from mockpms.app import create_app
    from mockpms.server import bound_url

    try:
        settings = load_settings(flags)
        app = create_app(settings)
        if not settings.quiet:
            from mockpms.request_log import RequestLog

            log = RequestLog(sys.stdout, settings.log_format)
            log.install(app, app.extensions["mockpms"].events)
        server = _bind(app, settings)
    except ConfigError as error:
        print(f"mockpms: error: {error}", file=sys.stderr)
        return 2
    # Printed once the socket is bound: a log-wait (Testcontainers) never races it, and
    # --port 0 shows the port it got.
    url = bound_url(settings.host, int(server.effective_port))
    print("\n".join(startup_lines(settings, url)), flush=True)
    box = app.extensions["mockpms"]

    def stop(signum: int, frame: object) -> None:
        # Open event streams end first: waitress waits for its busy threads as it stops.
        box.stream.shutdown()
        raise KeyboardInterrupt

    # As PID 1 in a container SIGTERM has no default action: make it stop the server.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        box.close()
    if settings.server == "granian":
        # Everything is saved and closed. granian's Rust threads may still hold
        # connections a client kept open, and would call into an interpreter being
        # finalized (a Rust abort): leave without finalizing.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0


def _bind(app: Any, settings: Settings) -> Any:
    """The bound server (--server), or one line saying why the address cannot be used."""
    from mockpms.server import bind

    host, port = settings.host, settings.port
    try:
        return bind(app, host, port, settings.threads, settings.server)
    except socket.gaierror as error:
        raise ConfigError(f"--host {host!r}: cannot resolve it ({error.strerror})") from None
    except OSError as error:
        raise ConfigError(
            f"--port {port}: cannot listen on {host}:{port} ({error.strerror}); "
            f"choose another port with --port or MOCKPMS_PORT"
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        flags = {k: v for k, v in vars(args).items() if k not in ("command", "url", "json")}
        return serve(flags)
    return commands.run(args)


if __name__ == "__main__":
    sys.exit(main())
