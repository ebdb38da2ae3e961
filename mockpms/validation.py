"""PMS request bodies → typed requests, field by field.

Each rule failure raises InvalidField naming the field, the rule and the fix.
Empty strings count as absent for optional fields (the document's H5 example
sends "tillId": "" and gets the configured default back).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from mockpms.errors import InvalidField
from mockpms.lifecycle import SaleRequest, SessionRequest

MAX_TEXT = 256
MAX_AMT = 2**31 - 1  # PMS declares amt as a Java Integer
ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,64}")
TX_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}")
CONTROL_CHARS = re.compile(r"[\x00-\x1f]")
SURROGATES = re.compile("[\ud800-\udfff]")  # lone ones: a JSON pair decodes to one character
UNWANTED = re.compile("[\x00-\x1f\ud800-\udfff]")
LANGS = {"zh_hk": "zh_hk", "zh_cn": "zh_cn", "en": "en"}


class Body:
    """Typed access to a PMS request body, with the document's field names."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def _missing(self, name: str) -> InvalidField:
        near = [k for k in self.data if k.lower() == name.lower() and k != name]
        hint = f" (found {near[0]!r}: the field is spelled {name!r})" if near else ""
        return InvalidField(name, f"mandatory field is missing or empty{hint}")

    def text(self, name: str, *, required: bool, max_len: int = MAX_TEXT) -> str:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise self._missing(name)
            return ""
        if not isinstance(value, str):
            raise InvalidField(name, f"must be a JSON string, got {_json_type(value)}")
        if len(value) > max_len:
            raise InvalidField(name, f"must be at most {max_len} characters, got {len(value)}")
        if UNWANTED.search(value) is None:  # one search for the common case
            return value
        if CONTROL_CHARS.search(value):
            raise InvalidField(name, "must not contain control characters")
        surrogate = SURROGATES.search(value)
        if surrogate:
            raise InvalidField(
                name,
                f"must be valid Unicode text: a lone UTF-16 surrogate "
                f"{surrogate.group()!r} at position {surrogate.start()} cannot be encoded "
                f"(send characters outside the BMP as a \\uD83D\\uDE00 pair or as UTF-8)",
            )
        return value

    def identifier(self, name: str) -> str:
        value = self.text(name, required=True)
        if not ID_PATTERN.fullmatch(value):
            raise InvalidField(
                name,
                "use 1 to 64 characters of letters, digits, '.', '_', ':' or '-' "
                f"(got {value[:70]!r})",
            )
        if not value.strip("."):  # "." and ".." name other paths in every URL they enter
            raise InvalidField(name, f"must not consist of dots only (got {value!r})")
        return value

    def amount(self, name: str = "amt") -> int:
        value = self.data.get(name)
        if value is None or value == "":
            raise self._missing(name)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise InvalidField(
                name,
                f"must be a positive whole number of cents (e.g. 10 for HKD 0.10), "
                f"got {_json_type(value)} {json.dumps(value)[:40]}",
            )
        if isinstance(value, str):
            if value.isascii() and value.isdigit() and len(value) > 10:
                raise InvalidField(name, f"must be at most {MAX_AMT} cents (a Java Integer)")
            if not (value.isascii() and value.isdigit()):
                raise InvalidField(
                    name,
                    f"must be a positive whole number of cents (e.g. 10 for HKD 0.10), "
                    f"got the string {value[:40]!r}",
                )
            value = int(value)
        if value <= 0:
            raise InvalidField(name, f"must be a positive number of cents, got {value}")
        if value > MAX_AMT:
            raise InvalidField(name, f"must be at most {MAX_AMT} cents (a Java Integer)")
        return value

    def choice(self, name: str, allowed: tuple[str, ...], *, required: bool = True) -> str:
        value = self.text(name, required=required)
        if value and value not in allowed:
            raise InvalidField(name, f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def lang(self, name: str = "lang") -> str | None:
        value = self.text(name, required=False)
        if not value:
            return None
        normalised = LANGS.get(value.lower().replace("-", "_"))
        if normalised is None:
            raise InvalidField(name, f"{value!r} is not one of zh_hk, zh_cn, en (or zh-HK, zh-CN)")
        return normalised

    def tx_datetime(self, name: str = "txDateTime") -> str:
        value = self.text(name, required=True)
        ok = TX_DATETIME.fullmatch(value) is not None
        if ok:
            try:
                datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
            except ValueError:
                ok = False
        if not ok:
            raise InvalidField(
                name,
                f"must be formatted yyyy-MM-dd'T'HH:mm:ssZ, e.g. 2021-06-09T13:10:33+0800 "
                f"(got {value[:40]!r})",
            )
        return value

    def extend_param(self, name: str = "extendParam") -> str:
        value = self.data.get(name)
        if isinstance(value, dict):
            raise InvalidField(
                name,
                "must be a JSON object encoded as a string, e.g. "
                '"{\\"subject\\":\\"Water\\",\\"seller\\":\\"Watsons HK\\"}", not a nested object',
            )
        text = self.text(name, required=False, max_len=4096)
        if not text:
            return ""
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise InvalidField(
                name, 'must be a JSON object string such as {"subject":"Water","seller":"Shop"}'
            )
        for key in ("subject", "seller"):
            if key in parsed and not isinstance(parsed[key], str):
                raise InvalidField(name, f"{key} inside it must be a string")
        return text

    def url(self, name: str, *, required: bool) -> str:
        value = self.text(name, required=required, max_len=2048)
        if not value:
            return ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidField(
                name, f"must be an http:// or https:// URL with a host (got {value[:60]!r})"
            )
        try:
            parts.port  # noqa: B018  # raises ValueError for a port out of range
        except ValueError:
            raise InvalidField(name, f"has an invalid port (got {value[:60]!r})") from None
        return value

    def flag(self, name: str) -> bool:
        value = self.data.get(name)
        if value is None or value == "":
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise InvalidField(
            name, f'must be true or false (boolean or "true"/"false"), got {value!r}'
        )


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null"


def sale_request(body: Body, gateway_types: tuple[str, ...]) -> SaleRequest:
    type_ = body.choice("type", gateway_types)
    rrn = body.identifier("rrn")
    return SaleRequest(
        type=type_,
        rrn=rrn,
        store_code=body.text("storeCode", required=True),
        till_id=body.text("tillId", required=True),
        salesman=body.text("salesman", required=True),
        tx_datetime=body.tx_datetime("txDateTime"),
        amt=body.amount("amt"),
        ccy=_currency(body),
        lang=body.lang("lang") or "zh_hk",
        extend_param=body.extend_param(),
        return_url=body.url("returnUrl", required=False),
        webhook_url=body.url("webhookUrl", required=False),
        remarks=body.text("remarks", required=False),
        cashier=body.text("cashier", required=False),
    )


def _currency(body: Body) -> str:
    value = body.text("ccy", required=True)
    if value != "HKD":
        raise InvalidField("ccy", f"PMS supports only HKD (got {value!r})")
    return value


def session_request(body: Body) -> SessionRequest:
    return SessionRequest(
        session_id=body.identifier("sessionId"),
        amt=body.amount("amt"),
        webhook_url=body.url("webhookUrl", required=True),
        merchant_name=body.text("merchantName", required=False) or None,
        store_code=body.text("storeCode", required=False) or None,
        till_id=body.text("tillId", required=False) or None,
        sales_man=body.text("salesMan", required=False) or None,
        remarks=body.text("remarks", required=False, max_len=1024),
        subject=body.text("subject", required=False),
        bitmap=body.flag("bitmap"),
    )
