"""`python -m mockpms.healthcheck`: exit 0 when the local `mockpms serve` answers /_mock/health.

The Docker image's HEALTHCHECK. It finds the port and bind address the way
`mockpms serve` does (MOCKPMS_* environment, MOCKPMS_CONFIG file, and the
flags of the container's main process when that is `mockpms serve`), so a
container run with another MOCKPMS_PORT, or `--port 9000` after the image
name, is still checked where it listens. Only the standard library talks HTTP:
the image needs no curl.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from mockpms.cli import build_parser
from mockpms.config import load_settings
from mockpms.errors import ConfigError

TIMEOUT = 3.0
MAIN_PROCESS = Path("/proc/1/cmdline")


def serve_flags(cmdline: Sequence[str]) -> dict[str, object]:
    """The flags of a `mockpms serve ...` command line; {} for any other command."""
    names = [Path(arg).name for arg in cmdline]
    if "serve" not in names or not any(name.startswith("mockpms") for name in names):
        return {}
    args = list(cmdline[names.index("serve") :])
    try:
        parsed, _ = build_parser().parse_known_args(args)
    except SystemExit:
        return {}
    return {k: v for k, v in vars(parsed).items() if k != "command" and v is not None}


def main_process_flags() -> dict[str, object]:
    try:
        raw = MAIN_PROCESS.read_bytes()
    except OSError:
        return {}
    return serve_flags([part.decode(errors="replace") for part in raw.split(b"\0") if part])


def health_url(host: str, port: int) -> str:
    """Where to ask: a wildcard bind address is asked on loopback."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/_mock/health"


def main() -> int:
    try:
        settings = load_settings(main_process_flags())
    except ConfigError as error:
        print(f"unhealthy: {error}")
        return 1
    url = health_url(settings.host, settings.port)
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            status = json.load(response).get("status")
    except (OSError, ValueError) as error:
        print(f"unhealthy: {url}: {error}")
        return 1
    if status != "ok":
        print(f"unhealthy: {url} answered status {status!r}")
        return 1
    print(f"healthy: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
