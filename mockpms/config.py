"""Settings: defaults < MOCKPMS_DEFAULT_* < config file < MOCKPMS_* < command-line flags.

MOCKPMS_DEFAULT_<OPTION> changes a default and nothing more: the Docker image
sets MOCKPMS_DEFAULT_HOST=0.0.0.0 and MOCKPMS_DEFAULT_PORT=8080 this way, so a
mounted config file's host and port still win there, as they do everywhere.

Every option has one entry in OPTIONS; the CLI, the environment and the config
file are all read through it, so a new option is one line here.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mockpms.endpoints import FIELD_NAME_PROFILES
from mockpms.errors import ConfigError
from mockpms.gateways import Gateway, parse_gateways
from mockpms.paths import FIXTURES_DIR


@dataclass(frozen=True)
class Merchant:
    """One PMS merchant account: credentials plus the H5 defaults PMS keeps in its config."""

    api_key: str
    secret: str
    merchant_name: str = "mockpms sandbox shop"
    store_code: str = "ST01"
    till_id: str = "01"
    sales_man: str = "9999"
    # Where the credentials came from: the start-up banner shows a secret only for the
    # built-in sandbox merchant, one given by flag, or one made in code (SHOWN_SECRETS).
    source: str = field(default="code", compare=False)


SHOWN_SECRETS = frozenset({"default", "flag", "code"})
MAX_CONFIG_BYTES = 1024 * 1024
MAX_THREADS = 1024


def _default_merchant() -> Merchant:
    data = json.loads((FIXTURES_DIR / "merchant.json").read_text(encoding="utf-8"))
    return replace(_merchant_from(data, "fixtures/merchant.json"), source="default")


def _merchant_from(data: Mapping[str, Any], where: str) -> Merchant:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: each merchant must be a table with apiKey and secret")
    unknown = set(data) - {"apiKey", "secret", "merchantName", "storeCode", "tillId", "salesMan"}
    if unknown:
        raise ConfigError(f"{where}: unknown merchant key(s) {', '.join(sorted(unknown))}")
    values: dict[str, str] = {}
    for key in ("apiKey", "secret", "merchantName", "storeCode", "tillId", "salesMan"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where}: {key} must be a non-empty string")
        values[key] = value
    if "apiKey" not in values or "secret" not in values:
        raise ConfigError(f"{where}: every merchant needs apiKey and secret")
    return Merchant(
        api_key=values["apiKey"],
        secret=values["secret"],
        **{
            attr: values[key]
            for key, attr in (
                ("merchantName", "merchant_name"),
                ("storeCode", "store_code"),
                ("tillId", "till_id"),
                ("salesMan", "sales_man"),
            )
            if key in values
        },
    )


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    merchants: tuple[Merchant, ...] = field(default_factory=lambda: (_default_merchant(),))
    public_url: str | None = None
    timestamp_tolerance: float = 300.0
    payment_timeout: float = 300.0
    h5_countdown: float = 300.0
    webhook_interval: float = 300.0
    webhook_attempts: int = 5
    webhook_timeout: float = 10.0
    webhook_workers: int = 8
    max_body: int = 1024 * 1024
    admin_token: str | None = None
    auto_settle: str | None = None
    seed: int | None = None
    journal_cap: int = 1000
    webhook_log_cap: int = 10000
    transaction_cap: int = 200_000
    session_cap: int = 200_000
    threads: int = 8
    server: str = "granian"  # SERVERS: the HTTP server of `mockpms serve`
    gateways: tuple[str, ...] | None = None  # narrows the list in force
    allowed_hosts: tuple[str, ...] = ()
    log_format: str = "text"
    field_names: str = "both"  # endpoints.FIELD_NAME_PROFILES
    data_dir: str | None = None  # None: state in memory only
    quiet: bool = False
    events_heartbeat: float = 15.0  # seconds between comment lines of /_mock/events
    # [[gateways]] tables of the config file: they replace the built-in six.
    gateway_definitions: tuple[Gateway, ...] | None = None

    def merchant(self, api_key: str) -> Merchant | None:
        for merchant in self.merchants:
            if merchant.api_key == api_key:
                return merchant
        return None

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)


# ---------------------------------------------------------------- converters


def _port(text: str) -> int:
    value = _integer(text)
    if not 0 <= value <= 65535:
        raise ValueError("must be a port number from 0 to 65535")
    return value


def _integer(text: Any) -> int:
    if isinstance(text, bool):
        raise ValueError("must be a whole number")
    if isinstance(text, int):
        return text
    if isinstance(text, str) and text.strip().lstrip("-").isdigit():
        return int(text.strip())
    raise ValueError("must be a whole number")


def _positive_int(text: Any) -> int:
    value = _integer(text)
    if value < 1:
        raise ValueError("must be at least 1")
    return value


def _seconds(text: Any) -> float:
    if isinstance(text, bool):
        raise ValueError("must be a number of seconds")
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError("must be a number of seconds") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError("must be a non-negative number of seconds")
    return value


def _text(text: Any) -> str:
    if not isinstance(text, str) or not text:
        raise ValueError("must be a non-empty string")
    return text


def _url(text: Any) -> str:
    value = _text(text).rstrip("/")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  # raises ValueError for a port out of range
    except ValueError:
        raise ValueError(
            "must be a URL with a valid host and port, e.g. http://mockpms:8080"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL, e.g. http://mockpms:8080")
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise ValueError(
            "must be a base URL without ?query or #fragment (paths are appended to it), "
            "e.g. http://mockpms:8080"
        )
    return value


def _threads(text: Any) -> int:
    value = _positive_int(text)
    if value > MAX_THREADS:
        raise ValueError(f"must be at most {MAX_THREADS} (each is an OS thread)")
    return value


def _auto_settle(text: Any) -> str:
    value = _text(text)
    outcome, _, after = value.partition(":")
    if outcome not in ("success", "failed") or (after and not _is_number(after)):
        raise ValueError("must be OUTCOME[:SECONDS], OUTCOME success or failed, e.g. success:5")
    return value


def _is_number(text: str) -> bool:
    try:
        return float(text) >= 0
    except ValueError:
        return False


def _gateway_list(text: Any) -> tuple[str, ...]:
    items = text.split(",") if isinstance(text, str) else text
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ValueError("must be a list of gateway types, e.g. WXPAY,VMPAY")
    return tuple(i.strip().upper() for i in items if i.strip())


def _log_format(text: Any) -> str:
    if text not in ("text", "json"):
        raise ValueError("must be text or json")
    return str(text)


SERVERS = ("granian", "waitress")


def _server(text: Any) -> str:
    if text not in SERVERS:
        raise ValueError("must be granian (the default, fastest) or waitress (pure Python)")
    return str(text)


def _field_names(text: Any) -> str:
    if text not in FIELD_NAME_PROFILES:
        raise ValueError(
            "must be both, example or table (the spellings of the document's examples, "
            "of its field tables, or both)"
        )
    return str(text)


def _boolean(text: Any) -> bool:
    if isinstance(text, bool):
        return text
    if isinstance(text, str) and text.lower() in (
        "1",
        "true",
        "yes",
        "on",
        "0",
        "false",
        "no",
        "off",
    ):
        return text.lower() in ("1", "true", "yes", "on")
    raise ValueError("must be true or false")


def _host_list(text: Any) -> tuple[str, ...]:
    items = text.split(",") if isinstance(text, str) else text
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ValueError("must be a list of host names, e.g. mockpms.test,shop.internal")
    return tuple(i.strip().lower() for i in items if i.strip())


@dataclass(frozen=True)
class Option:
    name: str
    convert: Callable[[Any], Any]
    help: str
    metavar: str = "VALUE"
    switch: bool = False  # a flag without a value on the command line (--quiet)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return "MOCKPMS_" + self.name.upper()

    @property
    def default_env(self) -> str:
        """A default set from outside (the image's), below the config file."""
        return "MOCKPMS_DEFAULT_" + self.name.upper()


OPTIONS: tuple[Option, ...] = (
    Option("host", _text, "address to bind (0.0.0.0 in Docker)", "HOST"),
    Option("port", _port, "port to listen on (0 picks a free one)", "PORT"),
    Option("api_key", _text, "apiKey of the sandbox merchant (with --secret)", "KEY"),
    Option("secret", _text, "secret of the sandbox merchant (with --api-key)", "SECRET"),
    Option("public_url", _url, "base URL that paymentUrl and H5 QR content point to", "URL"),
    Option("timestamp_tolerance", _seconds, "accepted clock skew of `timestamp`", "SECONDS"),
    Option("payment_timeout", _seconds, "unpaid transactions expire (03) after", "SECONDS"),
    Option("h5_countdown", _seconds, "H5 countdown after the first scan", "SECONDS"),
    Option("webhook_interval", _seconds, "time between webhook attempts", "SECONDS"),
    Option("webhook_attempts", _positive_int, "webhook attempts in all", "N"),
    Option("webhook_timeout", _seconds, "connect/read timeout of one attempt", "SECONDS"),
    Option("webhook_workers", _positive_int, "parallel webhook deliveries", "N"),
    Option("max_body", _positive_int, "largest request body in bytes (413 beyond)", "BYTES"),
    Option("admin_token", _text, "require `Authorization: Bearer TOKEN` on /_mock", "TOKEN"),
    Option("auto_settle", _auto_settle, "settle new payments automatically", "OUTCOME[:SECONDS]"),
    Option("seed", _integer, "seed for generated ids (deterministic runs)", "N"),
    Option("journal_cap", _positive_int, "requests kept in the journal", "N"),
    Option("webhook_log_cap", _positive_int, "webhook attempts kept in the log", "N"),
    Option("transaction_cap", _positive_int, "transactions kept (oldest finished evicted)", "N"),
    Option("session_cap", _positive_int, "H5 sessions kept (oldest closed evicted)", "N"),
    Option("threads", _threads, "server worker threads", "N"),
    Option("server", _server, "HTTP server: granian (default) or waitress", "granian|waitress"),
    Option("gateways", _gateway_list, "gateway types offered (default: all six)", "LIST"),
    Option("log_format", _log_format, "request log lines: text or json", "text|json"),
    Option(
        "field_names",
        _field_names,
        "answer amount/amt, salesman/salesMan as the document's examples, tables, or both",
        "both|example|table",
    ),
    Option("quiet", _boolean, "no request log lines", switch=True),
    Option("data_dir", _text, "keep the sandbox's state in DIR across restarts (SQLite)", "DIR"),
    Option("allowed_hosts", _host_list, "more Host names /_mock answers to (* for any)", "LIST"),
)
OPTION_NAMES = {option.name for option in OPTIONS}


def read_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The TOML file's table; ConfigError (one line) for anything that is not one.

    Only a regular file of at most 1 MiB is read: a FIFO or a device (/dev/zero)
    would hang or exhaust memory before any TOML error could be reported.
    """
    if sys.version_info >= (3, 11):  # imported here: only a config file needs it
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib

    file = Path(path)
    try:
        info = file.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"config file {path}: not a regular file; give a TOML file")
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"config file {path}: larger than 1 MiB; is it the right file?")
        raw = file.read_bytes()
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot read it ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file {path}: not UTF-8 text (byte {exc.start}); save it as UTF-8 TOML"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: not valid TOML ({exc})") from None
    unknown = set(data) - OPTION_NAMES - {"merchants"}
    unknown = {key for key in unknown if key.replace("-", "_") not in OPTION_NAMES}
    if unknown:
        raise ConfigError(f"config file {path}: unknown key(s) {', '.join(sorted(unknown))}")
    return {key.replace("-", "_"): value for key, value in data.items()}


def load_settings(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
) -> Settings:
    """Resolve every option through flags > environment > config file >
    MOCKPMS_DEFAULT_* > defaults."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    environ = os.environ if environ is None else environ
    config_file = config_file or flags.get("config") or environ.get("MOCKPMS_CONFIG") or None
    file_values = read_config_file(config_file) if config_file else {}
    definitions = _gateway_definitions(file_values, config_file)

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for option in OPTIONS:
        # Every source is checked, not only the winner: a bad value in the file stays
        # an error while a flag overrides it, rather than surfacing the day it does not.
        for source, raw in (
            ("default-env", environ.get(option.default_env)),
            ("file", file_values.get(option.name)),
            ("env", environ.get(option.env)),
            ("flag", flags.get(option.name)),
        ):
            if raw is None or (source.endswith("env") and raw == ""):
                continue
            try:
                values[option.name] = option.convert(raw)
            except ValueError as exc:
                raise ConfigError(
                    f"{source_name(source, option, config_file)}={raw!r}: {exc}"
                ) from None
            sources[option.name] = source

    merchants = [
        replace(
            _merchant_from(item, f"config file {config_file}: merchants[{index}]"), source="file"
        )
        for index, item in enumerate(_merchant_tables(file_values.get("merchants"), config_file))
    ]
    api_key, secret = values.pop("api_key", None), values.pop("secret", None)
    if (api_key is None) != (secret is None):
        raise ConfigError("--api-key and --secret (MOCKPMS_API_KEY, MOCKPMS_SECRET) go together")
    if api_key is not None and secret is not None:
        merchants.insert(
            0,
            replace(_default_merchant(), api_key=api_key, secret=secret, source=sources["secret"]),
        )
    if not merchants:
        merchants.append(_default_merchant())
    seen: set[str] = set()
    for merchant in merchants:
        if merchant.api_key in seen:
            raise ConfigError(
                f"apiKey {merchant.api_key!r} is configured twice; apiKeys are unique"
            )
        seen.add(merchant.api_key)
    return Settings(merchants=tuple(merchants), gateway_definitions=definitions, **values)


def _gateway_definitions(
    file_values: dict[str, Any], config_file: str | os.PathLike[str] | None
) -> tuple[Gateway, ...] | None:
    """`[[gateways]]` tables define the list (taken out of file_values); a list of
    strings narrows the built-in one, like --gateways; an empty list is an error."""
    value = file_values.get("gateways")
    if value is None or config_file is None:
        return None
    where = f"config file {config_file}: gateways"
    if isinstance(value, list) and not value:
        raise ConfigError(f"{where}: the list is empty; define or name at least one gateway")
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        del file_values["gateways"]
        return parse_gateways(value, Path(config_file).resolve().parent, where)
    return None


def source_name(source: str, option: Option, config_file: object) -> str:
    """How a message names where a value came from: --flag, MOCKPMS_ENV or file: key."""
    if source == "flag":
        return option.flag
    if source == "env":
        return option.env
    if source == "default-env":
        return option.default_env
    return f"{config_file}: {option.name}"


def _merchant_tables(value: Any, config_file: object) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"config file {config_file}: merchants must be an array of tables")
    return value
