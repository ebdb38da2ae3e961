"""Journal: bounded in entries and bytes, and no sign ever shown (audit D5.4, D10, D12)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse

from mockpms.journal import BODY_LIMIT, Journal, kept_body, shown_body

SIGN = base64.b64encode(hmac.new(b"secret", b"1623205724171", hashlib.sha1).digest()).decode()


def record(journal: Journal, rrn: str, body: bytes = b"{}") -> None:
    journal.record(
        time=0.0,
        method="POST",
        path="/online/sales",
        endpoint="online/sales",
        api_key="a",
        rrn=rrn,
        body=kept_body(body),
        status=200,
        error_code="0",
        error_message="",
        duration_ms=1.0,
    )


def test_cap_keeps_the_newest() -> None:
    journal = Journal(cap=2)
    for rrn in "abc":
        record(journal, rrn)
    assert [e.rrn for e in journal.entries()] == ["b", "c"]
    assert journal.dropped == 1
    journal.reset()
    assert journal.entries() == []
    assert journal.dropped == 0


def test_a_json_object_is_shown_with_its_sign_masked() -> None:
    body = json.dumps({"apiKey": "k", "sign": SIGN, "amt": 1}).encode()
    assert shown_body(kept_body(body)) == {"apiKey": "k", "sign": "***", "amt": 1}


def test_a_key_spelled_with_escapes_is_still_sign() -> None:
    body = ('{"\\u0073ign": "' + SIGN + '", "amt": 1}').encode()
    assert shown_body(kept_body(body)) == {"sign": "***", "amt": 1}


def test_form_encoded_and_cut_bodies_show_no_sign() -> None:
    form = urllib.parse.urlencode({"apiKey": "k", "sign": SIGN, "amt": "1"}).encode()
    assert SIGN not in str(shown_body(kept_body(form)))
    assert urllib.parse.quote(SIGN, safe="") not in str(shown_body(kept_body(form)))
    cut = json.dumps({"sign": SIGN, "remarks": "x" * (2 * BODY_LIMIT)}).encode()
    shown = shown_body(kept_body(cut))
    assert isinstance(shown, str)
    assert SIGN not in shown
    assert shown.endswith("(cut)")


def test_a_sign_written_with_json_escaped_slashes_is_masked_in_text() -> None:
    escaped = SIGN.replace("/", "\\/")
    text = ('{"sign": "' + escaped + '", "remarks": "' + "y" * BODY_LIMIT + '"}').encode()
    assert escaped not in str(shown_body(kept_body(text)))


def test_bodies_are_kept_as_bytes_cut_at_the_limit() -> None:
    huge = b"[" * (BODY_LIMIT * 4)
    kept = kept_body(huge)
    assert isinstance(kept, bytes)
    assert len(kept) == BODY_LIMIT


def test_a_body_nested_a_thousand_deep_is_shown_as_text_not_an_error() -> None:
    nested = ('{"x": ' + "[" * 980 + "]" * 980 + "}").encode()
    shown = shown_body(kept_body(nested))
    assert isinstance(shown, str)
    json.dumps(shown)  # renderable
