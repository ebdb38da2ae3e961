"""The payment gateways PMS offers (fixtures/gateways.json), with their logos as data URIs."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mockpms.config import FIXTURES_DIR
from mockpms.errors import ConfigError

WALLET = "wallet"
CARD = "card"


@dataclass(frozen=True)
class Gateway:
    type: str
    kind: str
    desc: str
    pay_type: str
    gateway: str
    lang_desc: dict[str, str]
    base64_logo: str

    @property
    def is_card(self) -> bool:
        return self.kind == CARD

    def to_pms_json(self, lang: str) -> dict[str, str]:
        return {
            "type": self.type,
            "desc": self.desc,
            "langDesc": self.lang_desc[lang],
            "base64Logo": self.base64_logo,
        }


@lru_cache(maxsize=4)
def load_gateways(fixtures_dir: Path = FIXTURES_DIR) -> tuple[Gateway, ...]:
    entries = json.loads((fixtures_dir / "gateways.json").read_text(encoding="utf-8"))
    gateways = []
    for entry in entries:
        svg = (fixtures_dir / entry["logo"]).read_bytes()
        gateways.append(
            Gateway(
                type=entry["type"],
                kind=entry["kind"],
                desc=entry["desc"],
                pay_type=entry["payType"],
                gateway=entry["gateway"],
                lang_desc=dict(entry["langDesc"]),
                base64_logo="data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"),
            )
        )
    return tuple(gateways)


class GatewayCatalog:
    """The gateways this sandbox offers, in the document's order."""

    def __init__(self, enabled: tuple[str, ...] | None = None) -> None:
        every = load_gateways()
        known = {g.type for g in every}
        if enabled is not None:
            unknown = [t for t in enabled if t not in known]
            if unknown:
                raise ConfigError(
                    f"gateways: unknown type(s) {', '.join(unknown)}; "
                    f"known: {', '.join(sorted(known))}"
                )
        self._gateways = tuple(g for g in every if enabled is None or g.type in enabled)
        self._by_type = {g.type: g for g in self._gateways}

    def __iter__(self) -> Iterator[Gateway]:
        return iter(self._gateways)

    def get(self, type_: str) -> Gateway | None:
        return self._by_type.get(type_)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(self._by_type)
