"""H5 sessions stay near --session-cap (hostile audit D4): RSS and count after 100,000
creates, for never-scanned, cancelled and scanned-then-expired sessions.

    python benchmarks/session_cap.py [--creates 100000] [--cap 1000]
"""

from __future__ import annotations

import argparse
import gc
import time

from probes import rss_mb

from mockpms.clock import Clock
from mockpms.config import Settings
from mockpms.pms_requests import SessionRequest
from mockpms.sandbox import Sandbox


def run(kind: str, creates: int, cap: int) -> str:
    clock = Clock()
    box = Sandbox(Settings(session_cap=cap), clock=clock)
    merchant = box.settings.merchants[0]
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    for index in range(creates):
        session = box.sessions.create(
            merchant, SessionRequest(f"{kind}-{index}", 10, "http://127.0.0.1:9/hook")
        )
        if kind == "cancelled":
            box.sessions.cancel(session)
        elif kind == "expired":
            box.sessions.scan(session, None)
            clock.advance(box.settings.h5_countdown / 100)  # they run out as we go
    elapsed = time.perf_counter() - started
    gc.collect()
    kept = box.store.counts()["sessions"]
    grown = rss_mb() - before
    box.close()
    return (
        f"{kind:12s} {creates:,} creates at cap {cap:,}: kept {kept:,} sessions, "
        f"RSS +{grown:.1f} MB, {elapsed / creates * 1e6:.1f} µs a create"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=100_000)
    parser.add_argument("--cap", type=int, default=1000)
    args = parser.parse_args()
    for kind in ("unscanned", "cancelled", "expired"):
        print(run(kind, args.creates, args.cap))


if __name__ == "__main__":
    main()
