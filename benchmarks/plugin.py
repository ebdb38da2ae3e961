"""What the pytest plugin costs: importing it, and each test that uses it.

    python benchmarks/plugin.py [--tests 400] [--runs 3]

- import: `import mockpms.pytest_plugin` in a process that has pytest loaded,
  as every pytest run on a machine with mockpms installed does (medians of
  `-X importtime`);
- per test: a pytest run of N tests, each taking the `mockpms` fixture (a reset)
  and making a signed online/sales and an online/query, against N tests that do
  nothing; the difference over N. Beside it, pytest-httpserver serving two
  canned answers per test (each test registers them and calls both with httpx).
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
    n = args.tests
    imports = [import_ms() for _ in range(7)]
    empty, mockpms, httpserver = [], [], []
    with tempfile.TemporaryDirectory(prefix="mockpms-plugin-bench-") as tmp:
        directory = Path(tmp)
        for _ in range(args.runs):  # alternating, so drift falls on all alike
            empty.append(pytest_seconds(directory, "empty", EMPTY.format(n=n)))
            mockpms.append(pytest_seconds(directory, "mockpms", MOCKPMS.format(n=n)))
            httpserver.append(pytest_seconds(directory, "httpserver", HTTPSERVER.format(n=n)))
    base = min(empty)
    print(
        json.dumps(
            {
                "tests": n,
                "import_ms": statistics.median(imports),
                "mockpms_per_test_ms": (min(mockpms) - base) / n * 1000,
                "httpserver_per_test_ms": (min(httpserver) - base) / n * 1000,
                "empty_run_s": base,
            }
        )
    )


if __name__ == "__main__":
    main()
