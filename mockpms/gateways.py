"""Gateways are data: one profile per payment type, from fixtures/gateways.json or the
config file's [[gateways]] tables (CONTRACT 14).

A profile says everything mockpms does differently per gateway: its kind (a
wallet page with a QR code, or a card form), whether H5 sessions can be paid
with it (and the in-app browser that marks it), what online/query reports once
paid (payType, the payer id and gwRefCode shapes), its texts and logo. Nothing
else in mockpms branches on a gateway's type, so a gateway added by
configuration alone works end to end. A malformed definition is a ConfigError
(one line, exit 2 at start), never a 500 later.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from mockpms import cards
from mockpms.errors import ConfigError
from mockpms.paths import FIXTURES_DIR

WALLET = "wallet"
CARD = "card"
KINDS = (WALLET, CARD)
LANGS = ("zh_hk", "zh_cn", "en")
TYPE_PATTERN = re.compile(r"[A-Z0-9_]{1,32}")
# {digits:N} {chars:N} {hex:N} {date} {uuid}: the shapes of generated payer ids and refs.
PLACEHOLDER = re.compile(r"\{([a-z]+)(?::([0-9]{1,2}))?\}")
PLACEHOLDERS = {"digits": True, "chars": True, "hex": True, "date": False, "uuid": False}
KEYS = {
    # CONTRACT 14's keys
    "type", "kind", "desc", "langDesc", "payType", "h5", "logo",
    # mockpms's own: where the defaults do not fit
    "gateway", "payerId", "refCode", "payerIdKey", "bankType", "userAgent", "brands",
    "payerCurrency",
}  # fmt: skip
MAX_TEXT = 256


@dataclass(frozen=True)
class Gateway:
    """One payment type's profile."""

    type: str
    kind: str
    desc: str
    pay_type: str
    gateway: str
    lang_desc: Mapping[str, str]
    base64_logo: str
    h5: bool = False
    user_agent: str = ""  # the wallet's in-app browser names itself so (H5 scan)
    payer_id: str = "{digits:16}"
    ref_code: str = "{uuid}"
    payer_id_key: str = "payerId"  # its name in online/query's extendParam
    bank_type: str = ""
    brands: tuple[str, ...] = ()  # card brands a card gateway takes
    payer_currency: str = ""  # the payer pays in this (CNY for WeChat Pay, Alipay); "" = HKD

    @property
    def is_card(self) -> bool:
        return self.kind == CARD

    def name_in(self, lang: str) -> str:
        """The gateway's name in a language (langDesc, else desc)."""
        return self.lang_desc.get(lang) or self.desc

    def to_pms_json(self, lang: str) -> dict[str, str]:
        return {
            "type": self.type,
            "desc": self.desc,
            "langDesc": self.name_in(lang),
            "base64Logo": self.base64_logo,
        }


def parse_gateway(entry: Any, base_dir: Path, where: str) -> Gateway:
    """One definition (a JSON object or TOML table) → Gateway, or ConfigError saying why."""
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: a gateway must be a table with type, kind and desc")
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; a gateway has {', '.join(sorted(KEYS))}"
        )
    type_ = entry.get("type")
    if not isinstance(type_, str) or not TYPE_PATTERN.fullmatch(type_):
        raise ConfigError(
            f"{where}: type must be 1-32 capital letters, digits or '_' (got {type_!r:.40})"
        )
    where = f"{where} ({type_})"
    kind = entry.get("kind", WALLET)
    if kind not in KINDS:
        raise ConfigError(f'{where}: kind must be "wallet" or "card" (got {kind!r:.40})')
    desc = _text(entry, "desc", where, default=type_)
    lang_desc = entry.get("langDesc", {})
    if not isinstance(lang_desc, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and 0 < len(v) <= MAX_TEXT
        for k, v in lang_desc.items()
    ):
        raise ConfigError(f'{where}: langDesc must be a table of strings, e.g. {{en = "..."}}')
    h5 = entry.get("h5", False)
    if not isinstance(h5, bool):
        raise ConfigError(f"{where}: h5 must be true or false (got {h5!r:.40})")
    if h5 and kind == CARD:
        raise ConfigError(f'{where}: h5 = true needs kind = "wallet" (H5 is paid in a wallet)')
    return Gateway(
        type=type_,
        kind=kind,
        desc=desc,
        pay_type=_text(entry, "payType", where, default=desc),
        gateway=_text(entry, "gateway", where, default=f"Sandbox{type_.title()}Gateway"),
        lang_desc={lang: lang_desc[lang] for lang in lang_desc if lang in LANGS},
        base64_logo=_logo(entry.get("logo"), base_dir, where, type_),
        h5=h5,
        user_agent=_text(entry, "userAgent", where, default=""),
        payer_id=_template(entry, "payerId", where, "{digits:16}"),
        ref_code=_template(entry, "refCode", where, "{uuid}"),
        payer_id_key=_text(entry, "payerIdKey", where, default="payerId"),
        bank_type=_text(entry, "bankType", where, default=""),
        brands=_brands(entry.get("brands"), kind, where),
        payer_currency=_text(entry, "payerCurrency", where, default=""),
    )


def _text(entry: Mapping[str, Any], key: str, where: str, *, default: str) -> str:
    value = entry.get(key)
    if value is None:
        return default
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT:
        raise ConfigError(f"{where}: {key} must be a string of 1 to {MAX_TEXT} characters")
    return value


def _template(entry: Mapping[str, Any], key: str, where: str, default: str) -> str:
    value = _text(entry, key, where, default=default)
    for match in PLACEHOLDER.finditer(value):
        name, size = match.group(1), match.group(2)
        if name not in PLACEHOLDERS or PLACEHOLDERS[name] != (size is not None):
            raise ConfigError(
                f"{where}: {key} has {match.group()!r}; use {{digits:N}}, {{chars:N}}, "
                f"{{hex:N}}, {{date}} or {{uuid}}"
            )
    if "{" in PLACEHOLDER.sub("", value) or "}" in PLACEHOLDER.sub("", value):
        raise ConfigError(f"{where}: {key} has a stray brace; placeholders look like {{digits:8}}")
    return value


def _brands(value: Any, kind: str, where: str) -> tuple[str, ...]:
    with_cards = tuple(dict.fromkeys(card.brand for card in cards.load_sandbox_cards()))
    if value is None:
        return with_cards if kind == CARD else ()
    if kind != CARD:
        raise ConfigError(f'{where}: brands is for kind = "card"')
    if not isinstance(value, list) or not value or not all(b in with_cards for b in value):
        raise ConfigError(
            f"{where}: brands must list card brands that have test cards: {', '.join(with_cards)}"
        )
    return tuple(value)


def _logo(value: Any, base_dir: Path, where: str, type_: str) -> str:
    if value is None:
        return _data_uri(_plain_logo(type_))
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: logo must be the path of an SVG file")
    path = base_dir / value
    try:
        svg = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{where}: logo {path}: cannot read it ({exc.strerror})") from None
    head = svg[:4096].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not (head.startswith(("<svg", "<?xml", "<!--")) and "<svg" in head):
        raise ConfigError(f"{where}: logo {path} is not an SVG file")
    return _data_uri(svg)


def _plain_logo(type_: str) -> bytes:
    """A logo for a gateway defined without one: its type on a grey tile."""
    text = html.escape(type_[:10])
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
        '<rect width="120" height="40" rx="6" fill="#e5e7eb"/>'
        '<text x="60" y="25" font-family="sans-serif" font-size="14" text-anchor="middle" '
        f'fill="#111827">{text}</text></svg>'
    ).encode()


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def parse_gateways(entries: Any, base_dir: Path, where: str) -> tuple[Gateway, ...]:
    """A list of definitions; an empty list or a repeated type is a ConfigError."""
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{where}: gateways must list at least one gateway")
    found = tuple(
        parse_gateway(entry, base_dir, f"{where}[{index}]") for index, entry in enumerate(entries)
    )
    types = [g.type for g in found]
    repeated = sorted({t for t in types if types.count(t) > 1})
    if repeated:
        raise ConfigError(f"{where}: type {repeated[0]} is defined twice")
    return found


@lru_cache(maxsize=4)
def load_gateways(fixtures_dir: Path = FIXTURES_DIR) -> tuple[Gateway, ...]:
    """The six built-in gateways of the document."""
    path = fixtures_dir / "gateways.json"
    return parse_gateways(json.loads(path.read_text(encoding="utf-8")), fixtures_dir, str(path))


class GatewayCatalog:
    """The gateways this sandbox defines, and the ones it offers (--gateways narrows)."""

    def __init__(
        self,
        enabled: tuple[str, ...] | None = None,
        definitions: tuple[Gateway, ...] | None = None,
    ) -> None:
        self.defined = definitions or load_gateways()
        known = {g.type for g in self.defined}
        if enabled is not None:
            unknown = [t for t in enabled if t not in known]
            if unknown:
                raise ConfigError(
                    f"gateways: unknown type(s) {', '.join(unknown)}; "
                    f"known: {', '.join(sorted(known))}"
                )
            if not enabled:
                raise ConfigError("gateways: the list is empty; offer at least one gateway")
        self._gateways = tuple(g for g in self.defined if enabled is None or g.type in enabled)
        self._by_type = {g.type: g for g in self._gateways}
        self._defined_by_type = {g.type: g for g in self.defined}
        # H5 sessions are paid in a wallet app whatever the hosted page offers.
        self.h5 = tuple(g for g in self.defined if g.h5)

    def __iter__(self) -> Iterator[Gateway]:
        return iter(self._gateways)

    def get(self, type_: str) -> Gateway | None:
        """An offered gateway (online/gateway, online/sales)."""
        return self._by_type.get(type_)

    def profile(self, type_: str) -> Gateway:
        """The profile of a transaction's type, offered or not (a type narrowed away after
        the sale, an H5 wallet); an unknown type gets a plain wallet profile, never an error."""
        found = self._defined_by_type.get(type_)
        if found is None:
            return Gateway(type_, WALLET, type_, type_, "SandboxGateway", {}, _data_uri(b""))
        return found

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(self._by_type)

    @property
    def h5_types(self) -> tuple[str, ...]:
        return tuple(g.type for g in self.h5)

    def h5_wallet_of(self, user_agent: str) -> Gateway | None:
        """The H5 wallet whose in-app browser sent this User-Agent (WeChat, Alipay...)."""
        for gateway in self.h5:
            if gateway.user_agent and gateway.user_agent in user_agent:
                return gateway
        return None
