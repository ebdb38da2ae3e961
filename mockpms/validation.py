"""PMS request bodies → typed requests, read through the field-spec table (mockpms.fields).

Each rule failure raises InvalidField naming the field, the rule and the fix.
Empty strings and null count as absent for optional fields (the document's H5
example sends "tillId": "" and gets the configured default back). The rules'
patterns and limits come from mockpms.fields, the same table the OpenAPI
request schemas are emitted from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from mockpms import fields as spec
from mockpms.errors import InvalidField
from mockpms.fields import MAX_AMT, MAX_DIGIT_STRING, MAX_TEXT, Field, RequestSpec
from mockpms.pms_requests import SaleRequest, SessionRequest

ID_PATTERN = re.compile(spec.ID_PATTERN)
AMT_DIGITS = re.compile(spec.AMT_DIGITS)
TX_DATETIME = re.compile(spec.TX_DATETIME_PATTERN)
URL = re.compile(spec.URL_PATTERN)
CONTROL_CHARS = re.compile(r"[\x00-\x1f]")
SURROGATES = re.compile("[\ud800-\udfff]")  # lone ones: a JSON pair decodes to one character
UNWANTED = re.compile("[\x00-\x1f\ud800-\udfff]")
LANGS = {"zh_hk": "zh_hk", "zh_cn": "zh_cn", "en": "en"}


class Body:
    """Typed access to a PMS request body, with the document's field names."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def missing(self, name: str) -> InvalidField:
        """The error for an absent mandatory field, with a hint when only its case is off."""
        near = [k for k in self.data if k.lower() == name.lower() and k != name]
        hint = f" (found {near[0]!r}: the field is spelled {name!r})" if near else ""
        return InvalidField(name, f"mandatory field is missing or empty{hint}")

    def text(self, name: str, *, required: bool, max_len: int = MAX_TEXT) -> str:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise self.missing(name)
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
        if len(value) > spec.ID_MAX or not ID_PATTERN.fullmatch(value):
            if not value.strip("."):
                raise InvalidField(name, f"must not consist of dots only (got {value!r})")
            raise InvalidField(
                name,
                "use 1 to 64 characters of letters, digits, '.', '_', ':' or '-' "
                f"(got {value[:70]!r})",
            )
        return value

    def amount(self, name: str = "amt") -> int:
        value = self.data.get(name)
        if value is None or value == "":
            raise self.missing(name)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise InvalidField(
                name,
                f"must be a positive whole number of cents (e.g. 10 for HKD 0.10), "
                f"got {_json_type(value)} {json.dumps(value)[:40]}",
            )
        if isinstance(value, str):
            if not (value.isascii() and value.isdigit()):
                raise InvalidField(
                    name,
                    f"must be a positive whole number of cents (e.g. 10 for HKD 0.10), "
                    f"got the string {value[:40]!r}",
                )
            if len(value) > MAX_DIGIT_STRING:
                raise InvalidField(
                    name, f"a digit string must be at most {MAX_DIGIT_STRING} characters"
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

    def currency(self, name: str = "ccy") -> str:
        value = self.text(name, required=True)
        if value not in spec.CURRENCIES:
            raise InvalidField(
                name, f"PMS supports only {', '.join(spec.CURRENCIES)} (got {value!r})"
            )
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
        if TX_DATETIME.fullmatch(value) is None:
            raise InvalidField(
                name,
                f"must be formatted yyyy-MM-dd'T'HH:mm:ssZ, e.g. 2021-06-09T13:10:33+0800 "
                f"(got {value[:40]!r})",
            )
        try:
            datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            raise InvalidField(
                name, f"must be {spec.TX_DATETIME.beyond_schema} (got {value[:40]!r})"
            ) from None
        return value

    def extend_param(self, name: str = "extendParam") -> str:
        value = self.data.get(name)
        if isinstance(value, dict):
            raise InvalidField(
                name,
                "must be a JSON object encoded as a string, e.g. "
                '"{\\"subject\\":\\"Water\\",\\"seller\\":\\"Watsons HK\\"}", not a nested object',
            )
        text = self.text(name, required=False, max_len=spec.EXTEND_PARAM.max_len)
        if not text:
            return ""
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):  # thousands of "[" exhaust the parser's stack
            parsed = None
        if not isinstance(parsed, dict) or any(
            key in parsed and not isinstance(parsed[key], str) for key in ("subject", "seller")
        ):
            raise InvalidField(
                name,
                f"must be {spec.EXTEND_PARAM.beyond_schema}, such as "
                '{"subject":"Water","seller":"Shop"}',
            )
        return text

    def url(self, name: str, *, required: bool) -> str:
        value = self.text(name, required=required, max_len=spec.URL_MAX)
        if not value:
            return ""
        if URL.fullmatch(value) is None:
            raise InvalidField(
                name,
                f"must be an http:// or https:// URL with a host and a port from 0 to 65535, "
                f"without spaces (got {value[:60]!r})",
            )
        try:
            urlsplit(value)
        except ValueError:
            raise InvalidField(name, f"{spec.URL.beyond_schema} (got {value[:60]!r})") from None
        return value

    def zero(self, name: str) -> int:
        """A field of PMS's answer sent in a request: 0 (or "0") or absent, else refused."""
        value = self.data.get(name)
        if value is None or value == "" or (value in (0, "0") and not isinstance(value, bool)):
            return 0
        raise InvalidField(
            name,
            f"is a field of PMS's answer (always 0 there), not of a sale request; v1.9 "
            f"describes no {name} a merchant sets: send 0 or leave it out (got {value!r:.40})",
        )

    def flag(self, name: str) -> bool:
        value = self.data.get(name)
        if value is None or value == "":
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise InvalidField(
            name, f'must be true or false (boolean or "true"/"false"), got {value!r:.40}'
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


Reader = Callable[[Body, Field, tuple[str, ...]], Any]

READERS: dict[str, Reader] = {
    "text": lambda b, f, _: b.text(f.name, required=f.mandatory, max_len=f.rule.max_len),
    "identifier": lambda b, f, _: b.identifier(f.name),
    "amount": lambda b, f, _: b.amount(f.name),
    "choice": lambda b, f, types: b.choice(f.name, f.choices or types, required=f.mandatory),
    "currency": lambda b, f, _: b.currency(f.name),
    "lang": lambda b, f, _: b.lang(f.name),
    "tx_datetime": lambda b, f, _: b.tx_datetime(f.name),
    "extend_param": lambda b, f, _: b.extend_param(f.name),
    "url": lambda b, f, _: b.url(f.name, required=f.mandatory),
    "flag": lambda b, f, _: b.flag(f.name),
    "zero": lambda b, f, _: b.zero(f.name),
}


def read(body: Body, request: RequestSpec, gateway_types: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every field of `request`, checked in the table's order: {attribute: value}."""
    return {f.attribute: READERS[f.rule.kind](body, f, gateway_types) for f in request}


def sale_request(body: Body, gateway_types: tuple[str, ...]) -> SaleRequest:
    values = read(body, spec.SALES, gateway_types)
    values["lang"] = values["lang"] or "zh_hk"
    return SaleRequest(**values)


def session_request(body: Body) -> SessionRequest:
    values = read(body, spec.SESSION_CREATE)
    for optional in ("merchant_name", "store_code", "till_id", "sales_man"):
        values[optional] = values[optional] or None
    return SessionRequest(**values)
