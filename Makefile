# Vantage: `make run` starts the server on its embedded default; `make test` runs every gate.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run PORT=8081` (also HOST, DATABASE_URL) passes that flag to the server; unset, the server
# reads its VANTAGE_* variables (`VANTAGE_PORT=8081 make run`) or takes its own defaults.
RUN_FLAGS = $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT)) \
	$(if $(DATABASE_URL),--database-url $(DATABASE_URL))
VANTAGE_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
export VANTAGE_TEST_POSTGRES_URL

.PHONY: run test lint typecheck pytest cli browser clean

$(BIN)/.installed: pyproject.toml
	@scripts/ensure-python.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@touch $@

$(BIN)/.dev-installed: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# The server prints its address, its docs and how to create an account once it starts.
run: $(BIN)/.installed
	$(BIN)/vantage server $(strip $(RUN_FLAGS))

cli:
	@scripts/install-checkly-cli.sh

# Chromium and axe-core for the UI tests; @playwright/test at the venv's playwright version for
# browser checks.
browser: $(BIN)/.dev-installed
	@PYTHON=$(BIN)/python scripts/install-browser.sh

lint: $(BIN)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.dev-installed
	$(BIN)/mypy

# Four workers (`make test WORKERS=1` for one process); the tests held to a wall-clock bound run
# alone afterwards, so that the other workers' load is not what they measure. Files go to workers in
# the order tests/conftest.py sorts them (the longest first).
WORKERS ?= 4
pytest: $(BIN)/.dev-installed cli browser
	@# The tests start hundreds of `vantage` processes: compiled once here, not in each of them
	@# (with PYTHONDONTWRITEBYTECODE set, as on CI, every start compiles every module again).
	$(BIN)/python -m compileall -q src tests
	$(BIN)/pytest -n $(WORKERS) --dist loadfile --no-loadscope-reorder -m "not serial"
	$(BIN)/pytest -p no:xdist -m serial

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .cli .ui-tools .browser-runtime .mypy_cache .ruff_cache .pytest_cache
