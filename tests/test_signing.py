"""sign() and verify(): the document's Base64(HMAC-SHA1(secret, timestamp digits))."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from mockpms.errors import AuthError
from mockpms.signing import JS_SNIPPET_TYPO, sign, verify

NOW_MS = 1_700_000_000_000


def java_snippet(timestamp: str, secret: str) -> str:
    """The document's Java snippet, transcribed."""
    mac = hmac.new(secret.encode(), timestamp.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def test_sign_matches_the_documents_java_snippet() -> None:
    assert sign(1623205724171, "secret") == java_snippet("1623205724171", "secret")
    assert sign("1623205724171", "secret") == sign(1623205724171, "secret")


def check(timestamp: object, signature: object, tolerance: float = 300) -> None:
    verify(
        timestamp=timestamp,
        signature=signature,
        secret="s3cr3t",
        now_ms=NOW_MS,
        tolerance_seconds=tolerance,
    )


def test_a_fresh_signed_timestamp_passes_as_number_or_digit_string() -> None:
    check(NOW_MS, sign(NOW_MS, "s3cr3t"))
    check(str(NOW_MS), sign(NOW_MS, "s3cr3t"))


@pytest.mark.parametrize("skew_s, word", [(-301, "past"), (301, "future")])
def test_outside_the_tolerance_window_in_either_direction(skew_s: int, word: str) -> None:
    ts = NOW_MS + skew_s * 1000
    with pytest.raises(AuthError, match=word):
        check(ts, sign(ts, "s3cr3t"))
    check(ts, sign(ts, "s3cr3t"), tolerance=302)


def test_seconds_instead_of_milliseconds_is_named() -> None:
    ts = NOW_MS // 1000
    with pytest.raises(AuthError, match="milliseconds"):
        check(ts, sign(ts, "s3cr3t"))


def test_bad_sign_message_explains_without_leaking() -> None:
    with pytest.raises(AuthError) as caught:
        check(str(NOW_MS), "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    message = caught.value.message
    assert f'"{NOW_MS}"' in message and "HMAC-SHA1" in message and "Base64" in message
    assert "s3cr3t" not in message and sign(NOW_MS, "s3cr3t") not in message


def test_the_documents_javascript_typo_is_pointed_at() -> None:
    with pytest.raises(AuthError, match=r"Date\.now"):
        check(NOW_MS, sign(JS_SNIPPET_TYPO, "s3cr3t"))


@pytest.mark.parametrize("bad", [True, None, 1.7e12, "17000000000a0", "", [], {}, -5, "１２３"])
def test_timestamp_must_be_an_integer_or_digit_string(bad: object) -> None:
    with pytest.raises(AuthError, match="timestamp"):
        check(bad, "x")
