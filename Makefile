# Vantage: `make run` starts the server on its embedded default; `make test` runs every gate.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
DATABASE_URL ?= sqlite:///vantage.db
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

run: $(BIN)/.installed
	@echo "Vantage on http://$(HOST):$(PORT), database $(DATABASE_URL)"
	@echo "In another terminal: $(BIN)/vantage accounts create my-team --database-url $(DATABASE_URL)"
	$(BIN)/vantage server --host $(HOST) --port $(PORT) --database-url $(DATABASE_URL)

cli:
	@scripts/install-checkly-cli.sh

browser:
	@scripts/install-browser.sh

lint: $(BIN)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.dev-installed
	$(BIN)/mypy

pytest: $(BIN)/.dev-installed cli browser
	$(BIN)/pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .cli .ui-tools .mypy_cache .ruff_cache .pytest_cache
