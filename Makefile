# The one entry point for humans and CI. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every installable package of the repository: libs/common, each service, each tool, each app.
PACKAGES := libs/common $(patsubst %/pyproject.toml,%,$(wildcard services/*/pyproject.toml tools/*/pyproject.toml apps/*/pyproject.toml))
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
# Source trees `make lint` type-checks with mypy --strict (the [tool.mypy] of pyproject.toml).
# Every service belongs here: a service joins with one `TYPED += services/<name>-svc/src` line.
TYPED := libs/common/src
TYPED += services/profile-svc/src
TYPED += services/tiering-svc/src
TYPED += services/notify-svc/src
TYPED += services/advisory-svc/src
TYPED += services/ops-assessment-svc/src
TYPED += apps/staff-console/src

.PHONY: install run stop test test-pg lint bench screenshots clean help

help:
	@echo "make run     start broker, SMS gateway stand-in, every service (API + worker), the staff console, demo data"
	@echo "make stop    stop exactly what make run started"
	@echo "make test    the whole test suite (SQLite + the embedded broker)"
	@echo "make test-pg the same suite against PostgreSQL ($(PG_URL))"
	@echo "make lint    ruff, ruff format --check, mypy --strict on $(TYPED), import-linter"
	@echo "make bench   benchmarks (minutes; not part of CI)"
	@echo "make screenshots  the staff console's browser tests, refreshing docs/screenshots/"

$(VENV)/.installed: requirements-dev.txt $(wildcard libs/common/pyproject.toml services/*/pyproject.toml tools/*/pyproject.toml apps/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt $(addprefix -e ,$(PACKAGES))
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python scripts/devstack.py run

stop:
	@test -x $(BIN)/python && $(BIN)/python scripts/devstack.py stop || true

test: install
	$(BIN)/python -m pytest

test-pg: install
	TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy $(TYPED)
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/run.py

# Drives make run's stack in headless Chromium (Debian's chromium + chromium-driver).
screenshots: install
	SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest apps/staff-console/tests/e2e -q

clean:
	rm -rf data
