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

.PHONY: install lock image-sizes run stop test test-pg lint bench screenshots clean help

help:
	@echo "make run     start broker, SMS gateway stand-in, every service (API + worker), the staff console, demo data"
	@echo "make stop    stop exactly what make run started"
	@echo "make test    the whole test suite (SQLite + the embedded broker)"
	@echo "make test-pg the same suite against PostgreSQL ($(PG_URL))"
	@echo "make lock    regenerate the lock files (after a dependency change in a pyproject.toml or requirements-dev.in)"
	@echo "make image-sizes  installed size of each image's runtime closure from its lock"
	@echo "make lint    ruff, ruff format --check, mypy --strict on $(TYPED), import-linter"
	@echo "make bench   benchmarks (minutes; not part of CI)"
	@echo "make screenshots  the staff console's browser tests, refreshing docs/screenshots/"

# Exactly the lock: every third-party package from requirements-dev.lock with its hashes, then the
# workspace's own packages editable, without their dependencies (they are in the lock), built
# with the lock's setuptools. `pip check` fails when a pyproject.toml asks for something the
# lock does not satisfy: run `make lock` (ADR 0020).
$(VENV)/.installed: requirements-dev.lock $(wildcard libs/common/pyproject.toml services/*/pyproject.toml tools/*/pyproject.toml apps/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation $(addprefix -e ,$(PACKAGES))
	$(BIN)/python -m pip check
	touch $@

install: $(VENV)/.installed

# Regenerates requirements-dev.lock, requirements.lock and each image's requirements.lock with
# uv (pinned in requirements-dev.in) after a dependency changed in requirements-dev.in or a
# pyproject.toml; pins that still fit are kept. Then `make install` picks the new lock up.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet "$$(grep -m1 '^uv==' requirements-dev.in)"
	$(BIN)/python scripts/lock.py

# Installed size of each image's runtime closure (an estimate: no Docker engine needed).
image-sizes:
	$(BIN)/python scripts/image_sizes.py

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
