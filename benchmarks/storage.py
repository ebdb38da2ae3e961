"""Storage figures: the SQLite data dir (`--data-dir`) beside the in-memory store, one run.

    python benchmarks/storage.py [--quick] [--rounds N] [--seconds S] [--stored N]

- throughput of signed online/query and online/sales on both stores (waitress,
  4 threads each), in alternating rounds; the ratios sqlite / memory per round
- start-up of `mockpms serve` to its first answer with N transactions on disk,
  beside an empty in-memory start
- RSS with N transactions on disk beside N in memory, after the same 2,000
  lookups of stored rrns
Prints a Markdown section (also part of `make bench`).
Internal steps, run as subprocesses: `storage.py populate DIR N`, `storage.py rss KIND N [DIR]`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TARGETS = {"query": 0.7, "sales": 0.4, "startup_ms": 1000.0}
LOOKUPS = 2000


def _sandbox(data_dir: str | None) -> Any:
    from targets import API_KEY, SECRET

    from mockpms.config import Merchant, Settings
    from mockpms.sandbox import Sandbox

    settings = Settings(merchants=(Merchant(API_KEY, SECRET),), data_dir=data_dir)
    return Sandbox(settings), settings.merchants[0]


def _fill(box: Any, merchant: Any, count: int) -> None:
    from targets import sale_request

    from mockpms.models import TxStatus

    for i in range(count):
        txn = box.lifecycle.create_sale(merchant, sale_request(f"M{i:09d}"))
        if i % 2 == 0:
            box.lifecycle.settle(txn, TxStatus.SUCCESS)


def populate(data_dir: str, count: int) -> dict[str, Any]:
    """`count` transactions (half paid) through the lifecycle, committed as one batch."""
    box, merchant = _sandbox(data_dir)
    started = time.perf_counter()
    with box.data.batch():
        _fill(box, merchant, count)
    seconds = time.perf_counter() - started
    box.close()
    return {"stored": count, "seconds": seconds}


def rss(kind: str, count: int, data_dir: str | None) -> dict[str, Any]:
    """RSS after `LOOKUPS` reads of stored rrns, with `count` transactions in memory (filled
    here) or on disk (filled by `populate`)."""
    from probes import rss_mb

    box, merchant = _sandbox(data_dir if kind == "sqlite" else None)
    if kind == "memory":
        _fill(box, merchant, count)
    pick = random.Random(1)
    for _ in range(LOOKUPS):
        found = box.lifecycle.transaction(merchant.api_key, f"M{pick.randrange(count):09d}")
        assert found is not None
    return {"kind": kind, "rss_mb": rss_mb(), "transactions": box.store.counts()["transactions"]}


def lines(rounds: int, seconds: float, connections: int, stored: int) -> list[str]:
    """Run every measurement; the Markdown section."""
    from run import BIN, free_port, load, med, served, time_to_first_answer

    runs: dict[str, list[float]] = {}
    ratios: dict[str, list[float]] = {"query": [], "sales": []}
    with served("mockpms") as memory_port, served("mockpms_sqlite") as sqlite_port:
        for round_ in range(rounds):
            print(f"storage round {round_ + 1}/{rounds} ...", flush=True)
            for scenario in ("query", "sales"):
                pair = [("memory", memory_port), ("sqlite", sqlite_port)]
                got: dict[str, float] = {}
                for kind, port in pair if round_ % 2 == 0 else pair[::-1]:
                    got[kind] = load(port, scenario, seconds, connections)["rps"]
                    runs.setdefault(f"{kind} {scenario}", []).append(got[kind])
                ratios[scenario].append(got["sqlite"] / got["memory"])

    with tempfile.TemporaryDirectory(prefix="mockpms-bench-") as data_dir:
        print(f"storing {stored:,} transactions ...", flush=True)
        filled = _step("populate", data_dir, str(stored))
        starts: dict[str, list[float]] = {"sqlite": [], "memory": []}
        for _ in range(5):
            for kind in ("sqlite", "memory"):
                port = free_port()
                command = [str(BIN / "mockpms"), "serve", "--port", str(port), "--quiet"]
                if kind == "sqlite":
                    command += ["--data-dir", data_dir]
                starts[kind].append(time_to_first_answer(command, port, "/_mock/health"))
        memory_rss = _step("rss", "memory", str(stored))
        sqlite_rss = _step("rss", "sqlite", str(stored), data_dir)

    verdict = {True: "met", False: "MISSED"}
    out = [
        "",
        f"### Storage: --data-dir (SQLite) beside memory ({rounds} alternating rounds of "
        f"{seconds:g} s, medians)",
        "",
        "| measure | memory | sqlite | sqlite / memory | target |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for scenario, label in (("query", "online/query req/s"), ("sales", "online/sales req/s")):
        ratio = med(ratios[scenario])
        out.append(
            f"| {label} | {med(runs[f'memory {scenario}']):,.0f} | "
            f"{med(runs[f'sqlite {scenario}']):,.0f} | {ratio:.2f} | >= {TARGETS[scenario]}: "
            f"{verdict[ratio >= TARGETS[scenario]]} |"
        )
    sqlite_start, memory_start = med(starts["sqlite"]), med(starts["memory"])
    out += [
        f"| `mockpms serve` to first answer, {stored:,} stored (ms) | {memory_start:.0f} "
        f"(empty) | {sqlite_start:.0f} | | <= 1000: "
        f"{verdict[sqlite_start <= TARGETS['startup_ms']]} |",
        f"| RSS with {stored:,} transactions after {LOOKUPS:,} lookups (MB) | "
        f"{memory_rss['rss_mb']:.0f} | {sqlite_rss['rss_mb']:.0f} | "
        f"{sqlite_rss['rss_mb'] / memory_rss['rss_mb']:.2f} | sqlite <= memory: "
        f"{verdict[sqlite_rss['rss_mb'] <= memory_rss['rss_mb']]} |",
        "",
        f"Per-round ratios, query: {', '.join(f'{r:.2f}' for r in ratios['query'])}; "
        f"sales: {', '.join(f'{r:.2f}' for r in ratios['sales'])}. "
        f"Storing {stored:,} transactions (half paid) in one batch took "
        f"{filled['seconds']:.1f} s.",
    ]
    return out


def _step(*args: str) -> dict[str, Any]:
    """One internal step (populate, rss) in a fresh process; its JSON line."""
    import subprocess

    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "populate":
        print(json.dumps(populate(sys.argv[2], int(sys.argv[3]))))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "rss":
        data_dir = sys.argv[4] if len(sys.argv) > 4 else None
        print(json.dumps(rss(sys.argv[2], int(sys.argv[3]), data_dir)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--stored", type=int, default=100_000)
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds = 2, 1.0
    print("\n".join(lines(args.rounds, args.seconds, args.connections, args.stored)))


if __name__ == "__main__":
    main()
