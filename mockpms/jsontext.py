"""JSON in and out, written once: the strict decoder of every request body and the
encoder of every answer (the PMS endpoints, Flask's jsonify and the control API)."""

from __future__ import annotations

import json
import re
from typing import Any


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every request: json.loads(..., parse_constant=) builds a new one per call.
STRICT_JSON = json.JSONDecoder(parse_constant=_reject_constant)


def decode_json(raw: bytes) -> Any:
    """Strict JSON (no NaN/Infinity) of a UTF-8 body; ValueError/UnicodeDecodeError else."""
    try:
        return STRICT_JSON.decode(raw.decode("utf-8"))
    except RecursionError:  # thousands of "[" exhaust the parser's stack
        raise ValueError("nested too deeply") from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def dumps(obj: Any, **kwargs: Any) -> str:
    """Readable UTF-8 JSON, except where text holds a lone surrogate.

    A lone UTF-16 surrogate (a JSON body may carry "\\ud800") cannot be encoded as
    UTF-8; echoed as is it would make the answer fail. Such text is escaped as
    \\uXXXX instead. Validation refuses it in stored fields; this is the guarantee
    for every other echo (error messages, control API). Field order is kept.
    """
    kwargs.setdefault("ensure_ascii", False)
    text = json.dumps(obj, **kwargs)
    if not text.isascii() and _SURROGATE.search(text):
        return json.dumps(obj, **{**kwargs, "ensure_ascii": True})
    return text


def answer_bytes(answer: dict[str, Any]) -> bytes:
    """An answer's body, byte for byte what Flask's jsonify writes: compact, one newline."""
    return (dumps(answer, separators=(",", ":")) + "\n").encode()
