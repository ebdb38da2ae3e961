"""The field-spec table: every PMS request field, its rule and its message, written once.

Each request is a tuple of Field(name, rule, mandatory). Validation reads a body
through it (mockpms.validation gives each rule its tailored message) and the
OpenAPI document *emits* its request schemas from it (`request_schema`), so what
the published schema accepts is what the server accepts. Where a rule needs more
than JSON Schema can say (a real calendar date, a JSON object inside a string,
a valid IPv6 literal), the rule names it in `beyond_schema`: the schema's
description says it, and the refusal message carries the same words.

Patterns are written in the subset that Python's `re` and ECMA-262 (JSON Schema)
read alike: no lookarounds, no `\\d` (Python's matches non-ASCII digits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_TEXT = 256
CURRENCIES = ("HKD",)
MAX_AMT = 2**31 - 1  # PMS declares amt as a Java Integer
MAX_DIGIT_STRING = 20  # longest digit string read as a number (never int() of a huge one)

# 1-64 of these; not dots only ("." and ".." name other paths in every URL they enter).
ID_CHARS = "A-Za-z0-9._:-"
ID_PATTERN = f"^[{ID_CHARS}]*[A-Za-z0-9_:-][{ID_CHARS}]*$"
ID_MAX = 64
NO_CONTROL = "^[^\\u0000-\\u001f]*$"


def at_most(limit: int) -> str:
    """A regex of the ASCII digit strings (leading zeros allowed) whose value is 1..limit."""
    digits = str(limit)
    alternatives = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for position, char in enumerate(digits):
        prefix, rest = digits[:position], len(digits) - position - 1
        low = "1" if position == 0 else "0"
        if int(char) > int(low):
            upper = str(int(char) - 1)
            span = low if upper == low else f"[{low}-{upper}]"
            alternatives.append(f"{prefix}{span}" + (f"[0-9]{{{rest}}}" if rest else ""))
    alternatives.append(digits)
    return "^0*(?:" + "|".join(alternatives) + ")$"


AMT_DIGITS = at_most(MAX_AMT)

_YEAR = "(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    "|02-(?:0[1-9]|1[0-9]|2[0-9]))"
)
_TIME = "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_ZONE = "[+-](?:[01][0-9]|2[0-3])[0-5][0-9]"
TX_DATETIME_PATTERN = f"^{_YEAR}-{_MONTH_DAY}T{_TIME}{_ZONE}$"

LANG_PATTERN = "^(?:[Zz][Hh][-_](?:[Hh][Kk]|[Cc][Nn])|[Ee][Nn])?$"
FLAG_PATTERN = "^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])?$"

_PORT = "(?:[0-9]{0,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_HOST = "(?:[A-Za-z0-9._~!$&'()*+,;=%-]+|\\[[0-9A-Fa-f:.]+\\])"
_VISIBLE = "\\u0000-\\u0020\\u007f"  # no control characters, spaces or DEL (written out: \\s
# differs between Python and ECMA-262)
URL_PATTERN = (
    f"^[Hh][Tt][Tt][Pp][Ss]?://(?:[^{_VISIBLE}/?#@\\[\\]]*@)?{_HOST}(?::{_PORT})?"
    f"(?:[/?#][^{_VISIBLE}]*)?$"
)
URL_MAX = 2048


@dataclass(frozen=True)
class Rule:
    """What one field must be. `kind` picks the reader in mockpms.validation."""

    kind: str
    max_len: int = MAX_TEXT
    description: str = ""
    beyond_schema: str = ""  # the part JSON Schema cannot express, in the refusal's words

    def schema(self, *, mandatory: bool, choices: tuple[str, ...] = ()) -> dict[str, Any]:
        """This rule as JSON Schema (OpenAPI 3.0 dialect)."""
        schema: dict[str, Any] = _KIND_SCHEMAS[self.kind](self, mandatory, choices)
        notes = [note for note in (self.description, self.beyond_schema) if note]
        if notes:
            schema["description"] = "; ".join(notes)
        if self.beyond_schema:  # the refusal message carries these words
            schema["x-beyond-schema"] = self.beyond_schema
        if not mandatory:
            schema["nullable"] = True  # null and "" count as absent for optional fields
        return schema


def _text(rule: Rule, mandatory: bool, choices: tuple[str, ...]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": rule.max_len, "pattern": NO_CONTROL}
    if mandatory:
        schema["minLength"] = 1
    return schema


def _identifier(rule: Rule, mandatory: bool, choices: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": ID_MAX, "pattern": ID_PATTERN}


def _amount(rule: Rule, mandatory: bool, choices: tuple[str, ...]) -> dict[str, Any]:
    return {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_AMT},
            {"type": "string", "maxLength": MAX_DIGIT_STRING, "pattern": AMT_DIGITS},
        ],
        "example": 10,
    }


def _choice(rule: Rule, mandatory: bool, choices: tuple[str, ...]) -> dict[str, Any]:
    allowed: list[Any] = list(choices)
    if not mandatory:
        allowed.append("")
    return {"type": "string", "enum": allowed}


def _pattern(pattern: str, example: str) -> Any:
    def schema(rule: Rule, mandatory: bool, choices: tuple[str, ...]) -> dict[str, Any]:
        optional = pattern if mandatory else f"^(?:{pattern[1:-1]})?$"  # "" counts as absent
        found: dict[str, Any] = {"type": "string", "maxLength": rule.max_len, "pattern": optional}
        if mandatory:
            found["minLength"] = 1
        found["example"] = example
        return found

    return schema


def _zero(rule: Rule, mandatory: bool, choices: tuple[str, ...]) -> dict[str, Any]:
    return {"enum": [0, "0", ""]}


def _flag(rule: Rule, mandatory: bool, choices: tuple[str, ...]) -> dict[str, Any]:
    return {"oneOf": [{"type": "boolean"}, {"type": "string", "pattern": FLAG_PATTERN}]}


_KIND_SCHEMAS = {
    "text": _text,
    "identifier": _identifier,
    "amount": _amount,
    "choice": _choice,
    "currency": _choice,
    "lang": _pattern(LANG_PATTERN, "zh_hk"),
    "tx_datetime": _pattern(TX_DATETIME_PATTERN, "2021-06-09T13:10:33+0800"),
    "extend_param": _pattern(NO_CONTROL, '{"subject":"Water","seller":"Watsons HK"}'),
    "url": _pattern(URL_PATTERN, "https://shop.example/paid"),
    "flag": _flag,
    "zero": _zero,
}

TEXT = Rule("text")
IDENTIFIER = Rule("identifier", description="1 to 64 letters, digits, '.', '_', ':' or '-'")
AMOUNT = Rule(
    "amount",
    description=f"cents (10 = HKD 0.10): a positive integer or a string of ASCII digits, "
    f"at most {MAX_AMT}",
)
GATEWAY_TYPE = Rule("choice", description="a payment type from online/gateway")
CURRENCY = Rule("currency", description="only HKD")
LANG = Rule("lang", description="zh_hk (default), zh_cn or en; zh-HK, zh-CN; any case")
TX_DATETIME = Rule(
    "tx_datetime",
    description="yyyy-MM-dd'T'HH:mm:ssZ",
    beyond_schema="a real calendar date (29 February only in a leap year)",
)
EXTEND_PARAM = Rule(
    "extend_param",
    max_len=4096,
    description='e.g. {"subject": "...", "seller": "..."}',
    beyond_schema="a JSON object encoded as a string (subject and seller strings)",
)
URL = Rule(
    "url",
    max_len=URL_MAX,
    description="an http:// or https:// URL with a host",
    beyond_schema="a bracketed host must be an IPv6 address",
)
FLAG = Rule("flag", description='true or false, as a boolean or "true"/"false" in any case')
ANSWER_ONLY = Rule(
    "zero",
    description="a field of PMS's answer (always 0 there), not of a request: 0 or absent",
)


@dataclass(frozen=True)
class Field:
    """One field of a PMS request: the document's name, the typed request's attribute."""

    name: str
    rule: Rule
    mandatory: bool = False
    attr: str = ""
    choices: tuple[str, ...] = ()  # fixed choices; the gateway type's come from the catalog

    @property
    def attribute(self) -> str:
        return self.attr or self.name


RequestSpec = tuple[Field, ...]

SALES: RequestSpec = (
    Field("type", GATEWAY_TYPE, True),
    Field("rrn", IDENTIFIER, True),
    Field("storeCode", TEXT, True, "store_code"),
    Field("tillId", TEXT, True, "till_id"),
    Field("salesman", TEXT, True),
    Field("txDateTime", TX_DATETIME, True, "tx_datetime"),
    Field("amt", AMOUNT, True),
    Field("ccy", CURRENCY, True, choices=CURRENCIES),
    Field("lang", LANG),
    Field("extendParam", EXTEND_PARAM, attr="extend_param"),
    Field("returnUrl", URL, attr="return_url"),
    Field("webhookUrl", URL, attr="webhook_url"),
    Field("remarks", TEXT),
    Field("cashier", TEXT),
    # Clients copy these from the answer; anything but 0 would assume a surcharge or a
    # custom expiry that v1.9 does not describe, so it is refused, not ignored.
    Field("additionalAmt", ANSWER_ONLY, attr="additional_amt"),
    Field("timeout", ANSWER_ONLY),
)
QUERY: RequestSpec = (
    Field("type", GATEWAY_TYPE, True),
    Field("rrn", IDENTIFIER, True),
    Field("storeCode", TEXT, True, "store_code"),
    Field("tillId", TEXT, attr="till_id"),
    Field("lang", LANG),
)
GATEWAY: RequestSpec = (Field("lang", LANG),)
SESSION_CREATE: RequestSpec = (
    Field("sessionId", IDENTIFIER, True, "session_id"),
    Field("amt", AMOUNT, True),
    Field("webhookUrl", URL, True, "webhook_url"),
    Field(
        "merchantName",
        Rule("text", description="default from the merchant's config"),
        attr="merchant_name",
    ),
    Field("storeCode", TEXT, attr="store_code"),
    Field("tillId", TEXT, attr="till_id"),
    Field("salesMan", TEXT, attr="sales_man"),
    Field("remarks", Rule("text", max_len=1024)),
    Field("subject", TEXT),
    Field("bitmap", FLAG),
)
SESSION: RequestSpec = (Field("sessionId", IDENTIFIER, True, "session_id"),)


def request_schema(spec: RequestSpec, gateway_types: tuple[str, ...]) -> dict[str, Any]:
    """The JSON Schema of a request's fields (the signed envelope is added by the caller)."""
    properties = {
        field.name: field.rule.schema(
            mandatory=field.mandatory,
            choices=field.choices or (gateway_types if field.rule is GATEWAY_TYPE else ()),
        )
        for field in spec
    }
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    required = [field.name for field in spec if field.mandatory]
    if required:
        schema["required"] = required
    return schema
