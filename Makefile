# guardrail: `make demo` to try it, `make test` to run the whole suite (SQLite and PostgreSQL).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# Two test processes: the suite runs real servers and waits on them; both cores stay busy.
PYTEST_ARGS ?= -q -p no:cacheprovider -n 2

.PHONY: demo serve test test-sqlite test-postgres check lint types dbcheck clean system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## demo: create .venv, install, seed a sample organisation in guardrail-demo.db and serve it on :8080
demo: $(VENV)/.installed
	GUARDRAIL_DATABASE_URL=$${GUARDRAIL_DATABASE_URL:-sqlite:///guardrail-demo.db} $(BIN)/guardrail demo

## serve: run guardrail on the configured database (GUARDRAIL_DATABASE_URL, default guardrail.db)
serve: $(VENV)/.installed
	$(BIN)/guardrail serve

## system-deps: Prometheus, Alertmanager and Chromium, which the tests run for real (Debian packages)
system-deps:
	bash scripts/system-deps.sh

## test: the whole suite, on SQLite and then on PostgreSQL (which must answer at PG_TEST_URL)
test: $(VENV)/.installed-dev system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	GUARDRAIL_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

test-sqlite: $(VENV)/.installed-dev system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-dev system-deps
	GUARDRAIL_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

## check: lint, format, types, and models-versus-migrations drift on both databases
check: lint types dbcheck

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

types: $(VENV)/.installed-dev
	$(BIN)/mypy src/guardrail

dbcheck: $(VENV)/.installed-dev
	rm -f .dbcheck.db
	GUARDRAIL_DATABASE_URL=sqlite:///.dbcheck.db $(BIN)/guardrail db upgrade
	GUARDRAIL_DATABASE_URL=sqlite:///.dbcheck.db $(BIN)/guardrail db check
	rm -f .dbcheck.db*
	$(BIN)/python -m guardrail.store.fresh_check $(PG_TEST_URL)

clean:
	rm -rf $(VENV) .dbcheck.db* guardrail-demo.db* .pytest_cache .mypy_cache .ruff_cache
