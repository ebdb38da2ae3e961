"""`mockpms serve`: run the sandbox until interrupted."""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from collections.abc import Sequence

from mockpms import __version__
from mockpms.config import OPTIONS, Settings, load_settings
from mockpms.errors import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockpms", description="A mock of the TTRetail PMS online-payment API."
    )
    parser.add_argument("--version", action="version", version=f"mockpms {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="run the sandbox",
        description="Run the sandbox. Every flag is also an environment variable "
        "MOCKPMS_<FLAG> (e.g. MOCKPMS_PUBLIC_URL) and a key of the TOML config file; "
        "flags beat the environment, which beats the file.",
    )
    serve.add_argument("--config", metavar="FILE", help="TOML config file (MOCKPMS_CONFIG)")
    for option in OPTIONS:
        serve.add_argument(
            option.flag,
            dest=option.name,
            metavar=option.metavar,
            help=f"{option.help} ({option.env})",
        )
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
    for merchant in settings.merchants:
        lines.append(f"  merchant:     apiKey={merchant.api_key}  secret={merchant.secret}")
    lines.append("Press Ctrl-C to stop.")
    return lines


def serve(flags: dict[str, object]) -> int:
    from mockpms.app import create_app
    from mockpms.server import serve_forever

    try:
        settings = load_settings(flags)
        app = create_app(settings)
        _check_port_free(settings.host, settings.port)
    except ConfigError as error:
        print(f"mockpms: error: {error}", file=sys.stderr)
        return 2
    shown = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    print("\n".join(startup_lines(settings, f"http://{shown}:{settings.port}")), flush=True)
    # As PID 1 in a container SIGTERM has no default action: make it stop the server.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        serve_forever(app, settings.host, settings.port, settings.threads)
    except KeyboardInterrupt:
        pass
    finally:
        app.extensions["mockpms"].close()
    return 0


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _check_port_free(host: str, port: int) -> None:
    """Fail with one line before starting, rather than with waitress's traceback."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise ConfigError(f"--host {host!r}: cannot resolve it ({error.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            raise ConfigError(
                f"--port {port}: cannot listen on {host}:{port} ({error.strerror}); "
                f"choose another port with --port or MOCKPMS_PORT"
            ) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        flags = {k: v for k, v in vars(args).items() if k != "command"}
        return serve(flags)
    return 2  # pragma: no cover - argparse enforces a command


if __name__ == "__main__":
    sys.exit(main())
