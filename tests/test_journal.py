"""Journal: bounded, oldest dropped, bodies redacted and cut."""

from __future__ import annotations

import json

from mockpms.journal import BODY_LIMIT, Journal, redact


def record(journal: Journal, rrn: str) -> None:
    journal.record(
        time=0.0,
        method="POST",
        path="/online/sales",
        endpoint="online/sales",
        api_key="a",
        body={"rrn": rrn},
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


def test_redact_hides_sign_in_objects_and_in_text() -> None:
    assert redact(b'{"sign": "abc=", "amt": 1}') == {"sign": "***", "amt": 1}
    assert redact(b'{"sign": "abc=", "amt": ') == '{"sign": "***", "amt": '
    assert redact(b"\xff\xfe") == "\ufffd\ufffd"


def test_big_bodies_are_cut() -> None:
    raw = json.dumps({"sign": "s", "remarks": "x" * (2 * BODY_LIMIT)}).encode()
    kept = redact(raw)
    assert isinstance(kept, str)
    assert kept.startswith('{"sign": "***"')
    assert kept.endswith(f"({len(raw)} bytes in all)")
    assert len(kept) < BODY_LIMIT + 100
