"""PMS request signing: Base64(HMAC-SHA1(key=secret, message=timestamp digits)).

Pure functions, shared by the server (verify) and by clients and tests (sign).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from mockpms.errors import AuthError

# The document's JavaScript snippet assigns this literal string instead of the
# time; a merchant who copied it signs these characters.
JS_SNIPPET_TYPO = "+(new Date()).getTime()"
# 10-digit values: seconds since the epoch (2001 to 2286), a common slip.
SECONDS_RANGE = (10**9, 10**10)


def sign(timestamp: int | str, secret: str) -> str:
    """Return the PMS `sign` for a timestamp (ms since the epoch, as int or digit string)."""
    message = str(timestamp).encode("utf-8")
    digest = hmac.digest(secret.encode("utf-8"), message, hashlib.sha1)
    return base64.b64encode(digest).decode("ascii")


JAVA_LONG_MAX = 2**63 - 1


def timestamp_text(value: object) -> str:
    """The timestamp's digits exactly as the client sent them, or raise naming the rule."""
    if isinstance(value, bool) or value is None:
        raise AuthError(_timestamp_rule(value), field="timestamp")
    if isinstance(value, int):
        if value < 0 or value > JAVA_LONG_MAX:  # a Java long; hundreds of digits overflow
            raise AuthError(_timestamp_rule(value), field="timestamp")
        return str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        return value  # 19 digits: a Java long; longer would also be slow for int()
    if isinstance(value, str) and "getTime()" in value:
        raise AuthError(
            f"timestamp: {value[:40]!r} is the PMS document's JavaScript snippet sent as text "
            f"(its quotes make it a literal string); send the number itself: "
            f'var timestamp = "" + Date.now()',
            field="timestamp",
        )
    raise AuthError(_timestamp_rule(value), field="timestamp")


def _timestamp_rule(value: object) -> str:
    return (
        f"timestamp: must be the milliseconds since the epoch as a JSON integer or a string "
        f"of digits (e.g. 1623205724171), got {_describe(value)}"
    )


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return f"the non-integer number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "..."
        return f"the string {shown!r}"
    if isinstance(value, int):
        return f"an integer of {len(str(value))} digits (a Java long has at most 19)"
    return f"a JSON {type(value).__name__}"


def verify(
    *,
    timestamp: object,
    signature: object,
    secret: str,
    now_ms: int,
    tolerance_seconds: float,
) -> None:
    """Check the timestamp's form, the sign, then freshness; raise AuthError naming the check.

    The messages say what was signed and how, never the secret or the expected sign.
    """
    digits = timestamp_text(timestamp)
    if SECONDS_RANGE[0] <= int(digits) < SECONDS_RANGE[1]:
        raise AuthError(
            f"timestamp: {digits} looks like seconds since the epoch; PMS expects milliseconds "
            f"(13 digits, e.g. {int(digits) * 1000}): use System.currentTimeMillis() in Java, "
            f"Date.now() in JavaScript, int(time.time() * 1000) in Python, "
            f"(int) round(microtime(true) * 1000) in PHP",
            field="timestamp",
            reason="timestamp-in-seconds",
        )
    if not isinstance(signature, str) or not signature:
        raise AuthError("sign: mandatory string is missing or empty", field="sign")
    expected = sign(digits, secret)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        if hmac.compare_digest(
            sign(JS_SNIPPET_TYPO, secret).encode("ascii"), signature.encode("utf-8", "replace")
        ):
            raise AuthError(
                f"sign: it was computed over the literal text {JS_SNIPPET_TYPO!r} copied from "
                f"the PMS document's JavaScript snippet; sign the timestamp's digits instead: "
                f'var timestamp = "" + Date.now()',
                field="sign",
                reason="bad-sign",
            )
        raise AuthError(
            f'sign: does not match. Expected Base64(HMAC-SHA1(key = your secret, message = "'
            f'{digits}")): the timestamp exactly as sent, as UTF-8 text, keyed by the secret '
            f"issued with this apiKey",
            field="sign",
            reason="bad-sign",
        )
    skew = (int(digits) - now_ms) / 1000
    if skew < -tolerance_seconds:
        raise AuthError(
            f"timestamp: {digits} is {-skew:.0f} s in the past; PMS accepts timestamps within "
            f"{tolerance_seconds:g} s of its clock: sign each request with the current time "
            f"(a replayed request is refused)",
            field="timestamp",
            reason="stale-timestamp",
        )
    if skew > tolerance_seconds:
        raise AuthError(
            f"timestamp: {digits} is {skew:.0f} s in the future; PMS accepts timestamps within "
            f"{tolerance_seconds:g} s of its clock: check the client machine's clock",
            field="timestamp",
            reason="stale-timestamp",
        )
