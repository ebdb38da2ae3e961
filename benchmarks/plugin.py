"""What the pytest plugin costs: importing it, and each test that uses it.

    python benchmarks/plugin.py [--tests 400] [--runs 3]

- import: `import mockpms.pytest_plugin` in a process that has pytest loaded,
  as every pytest run on a machine with mockpms installed does (medians of
  `-X importtime`);
- per test: pytest runs of N and of 2N tests, each taking the `mockpms` fixture
  (a reset) and making a signed online/sales and an online/query; the
  difference over N, less the same for tests that do nothing, so the session's
  one-time start (imports, the in-process server: the "in-process fixture"
  figure of the start-up table) is not spread over the tests. Beside it,
  pytest-httpserver serving two canned answers per test (each test registers
  them and calls both with httpx), measured the same way.
Prints one JSON line. Every run is a fresh pytest process (-p no:cacheprovider).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EMPTY = """
import pytest

@pytest.mark.parametrize("n", range({n}))
def test_nothing(n):
    pass
"""

MOCKPMS = """
import pytest

@pytest.mark.parametrize("n", range({n}))
def test_sale_and_query(mockpms, n):
    sale = dict(type="WXPAY", rrn=f"R{{n}}", amt=100, ccy="HKD", storeCode="S1", tillId="01",
                salesman="S", txDateTime="2021-06-11T16:18:30+0800")
    assert mockpms.client.sales(**sale)["errorCode"] == "0"
    assert mockpms.client.query(type="WXPAY", rrn=f"R{{n}}", storeCode="S1")["errorCode"] == "0"
"""

HTTPSERVER = """
import httpx
import pytest

client = httpx.Client()

@pytest.mark.parametrize("n", range({n}))
def test_two_canned_calls(httpserver, n):
    httpserver.expect_request("/online/sales", method="POST").respond_with_json(
        {{"errorCode": "0", "rrn": f"R{{n}}"}})
    httpserver.expect_request("/online/query", method="POST").respond_with_json(
        {{"errorCode": "0", "gwRefStatus": "05"}})
    assert client.post(httpserver.url_for("/online/sales"), json={{}}).json()["errorCode"] == "0"
    assert client.post(httpserver.url_for("/online/query"), json={{}}).json()["errorCode"] == "0"
"""


def pytest_seconds(directory: Path, name: str, source: str, *plugins: str) -> float:
    (directory / f"test_{name}.py").write_text(source)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugins,
         f"test_{name}.py"],
        cwd=directory, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return time.perf_counter() - started


def import_ms() -> float:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import pytest; import mockpms.pytest_plugin"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    for line in done.stderr.splitlines():
        if line.rstrip().endswith("| mockpms.pytest_plugin"):
            return int(line.split("|")[1]) / 1000
    raise RuntimeError("mockpms.pytest_plugin not in -X importtime's output")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tests", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n: int = args.tests
    imports = [import_ms() for _ in range(7)]
    runs: dict[tuple[str, int], list[float]] = {}
    sources = {"empty": EMPTY, "mockpms": MOCKPMS, "httpserver": HTTPSERVER}
    with tempfile.TemporaryDirectory(prefix="mockpms-plugin-bench-") as tmp:
        directory = Path(tmp)
        for _ in range(args.runs):  # alternating, so drift falls on all alike
            for name, source in sources.items():
                for count in (n, 2 * n):
                    seconds = pytest_seconds(directory, name, source.format(n=count))
                    runs.setdefault((name, count), []).append(seconds)
    best: dict[tuple[str, int], float] = {key: min(values) for key, values in runs.items()}

    def per_test_ms(name: str) -> float:
        return (best[(name, 2 * n)] - best[(name, n)]) / n * 1000

    print(
        json.dumps(
            {
                "tests": n,
                "import_ms": statistics.median(imports),
                "mockpms_per_test_ms": per_test_ms("mockpms") - per_test_ms("empty"),
                "httpserver_per_test_ms": per_test_ms("httpserver") - per_test_ms("empty"),
                "empty_run_s": best[("empty", n)],
            }
        )
    )


if __name__ == "__main__":
    main()
