# Two commands on a fresh machine with Python 3.10+:  make serve  |  make test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev
SERVE_STAMP := $(VENV)/.installed-serve

.PHONY: serve test lint typecheck check bench docker-check release-check clean

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "mockpms needs Python 3.10+"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# `make serve` installs what serving needs (Flask, granian, waitress, qrcode, Pillow, httpx);
# the test and dev tools (pytest, Playwright, mypy, ...) come with `make test`.
$(SERVE_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $(SERVE_STAMP)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(SERVE_STAMP)

serve: $(SERVE_STAMP)  ## run the sandbox on http://127.0.0.1:8080 (ARGS="--port 9000" to change)
	$(VENV)/bin/mockpms serve $(ARGS)

test: $(STAMP)  ## the whole test suite (browser tests skip with a notice without Chromium)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check mockpms tests benchmarks
	$(VENV)/bin/ruff format --check mockpms tests benchmarks

typecheck: $(STAMP)  ## mypy --strict on mockpms/, tests/ and benchmarks/ (settings in pyproject.toml)
	$(VENV)/bin/mypy

check: lint typecheck test  ## everything CI checks: ruff, ruff format, mypy --strict, the tests

bench: $(STAMP)  ## side-by-side figures against a bare Flask ceiling (BENCH_ARGS="--quick")
	$(PY) benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache test-artifacts

release-check:  ## build sdist + wheel, twine check, install the wheel in a fresh venv and serve
	bash scripts/release-check.sh .

docker-check:  ## build the Dockerfile and run the image for real (podman; needs root)
	bash scripts/container-check.sh .
