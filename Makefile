# Two commands on a fresh machine with Python 3.10+:  make serve  |  make test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-dev

.PHONY: serve test lint typecheck check bench docker-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "mockpms needs Python 3.10+"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve: $(STAMP)  ## run the sandbox on http://127.0.0.1:8080 (ARGS="--port 9000" to change)
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

docker-check:  ## build the Dockerfile and run the image for real (podman; needs root)
	bash scripts/container-check.sh .
