SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# What serving needs, without the test and lint tools (or the SeaweedFS binary).
RUN_INSTALLED := $(VENV)/.installed-run
PG_BIN := /usr/lib/postgresql/15/bin
CONFORMANCE := tests/conformance
NPM_INSTALLED := $(CONFORMANCE)/node_modules/.installed
PYTEST_ARGS ?=
SUDO := $(if $(filter 0,$(shell id -u)),,sudo )
APT_INSTALL := $(SUDO)apt-get update && $(SUDO)env DEBIAN_FRONTEND=noninteractive apt-get install -y

help:
	@echo 'make run     serve ChannelHub on the embedded SQLite database (make run PORT=8080)'
	@echo 'make test    install the test tools, start PostgreSQL, Redis and SeaweedFS on loopback'
	@echo '            (apt-get installs them when missing), then run make check and pytest'
	@echo 'make check   formatting, lint, mypy, import contracts, the schema drift check and'
	@echo '            a description on every part of the schema'
	@echo 'make check-lowest  install the lowest allowed dependency versions in .venv-lowest and'
	@echo '            run the smoke tests with them (make test runs it after the suite)'
	@echo 'make bench   the benchmarks in bench/, under the test services'
	@echo 'make format  format and fix lint'
	@echo 'make clean   remove the virtualenv, caches and var/'

.PHONY: help .venv install services-deps check pytest test check-lowest run bench bench-scripts format \
	schema-release \
	clean

.venv install: $(INSTALLED)

# Debian's python3 needs the python3-venv package for `-m venv`.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV) && $(APT_INSTALL) python3-venv && $(PYTHON) -m venv $(VENV); }

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(RUN_INSTALLED)

$(RUN_INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

services-deps: $(NPM_INSTALLED)
	command -v redis-server >/dev/null || { $(APT_INSTALL) redis-server; }
	test -x $(PG_BIN)/initdb || { $(APT_INSTALL) postgresql-15; }
	test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { $(APT_INSTALL) chromium chromium-driver; }

$(NPM_INSTALLED): $(CONFORMANCE)/package-lock.json $(CONFORMANCE)/package.json
	cd $(CONFORMANCE) && npm ci --no-audit --no-fund
	touch $@

check: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/channelhub export-schema --check
	$(BIN)/python scripts/check_descriptions.py
	$(BIN)/python scripts/check_schema_changes.py

pytest: install
	$(BIN)/pytest $(PYTEST_ARGS)

# PostgreSQL, Redis and SeaweedFS run on loopback for the duration of the command.
test: install services-deps
	$(BIN)/python scripts/services.py -- $(MAKE) --no-print-directory check pytest
	$(MAKE) --no-print-directory check-lowest

# The lower bounds in pyproject.toml, proven: a fresh virtualenv gets every direct requirement
# (and the build requirement) at its lowest allowed version, scripts/check_lowest.py confirms
# each is installed at its bound, and the smoke tests and the transport tests run with them
# on services of their own (so the SeaweedFS binary is the lowest allowed one too).
LOWEST := .venv-lowest
LOWEST_TESTS := tests/e2e/test_smoke.py tests/e2e/test_embedded.py tests/api/test_transport.py \
	tests/api/test_websocket.py tests/api/test_uploads.py tests/web
check-lowest: install services-deps
	rm -rf $(LOWEST)
	$(BIN)/uv venv --quiet --python $(BIN)/python $(LOWEST)
	$(BIN)/uv pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct \
		$$($(BIN)/python scripts/check_lowest.py --build-requires)
	$(BIN)/uv pip install --quiet --python $(LOWEST)/bin/python --resolution lowest-direct \
		--no-build-isolation -e '.[dev]'
	$(LOWEST)/bin/python scripts/check_lowest.py
	$(LOWEST)/bin/python scripts/services.py -- $(LOWEST)/bin/pytest -p no:cacheprovider -q \
		$(LOWEST_TESTS)

# At a release: keep its SDL, the contract the next releases are checked against.
schema-release: install
	$(BIN)/channelhub export-schema --check
	cp schema/schema.graphql schema/releases/$$($(BIN)/python -c 'from importlib.metadata import version; print(version("channelhub"))').graphql

# make run PORT=8080 serves elsewhere (links and allowed origins follow).
run: $(RUN_INSTALLED)
	$(BIN)/channelhub serve $(if $(PORT),--port $(PORT))

# bench.uploads and bench.messaging need PostgreSQL, Redis and S3: all run under the services.
bench: install services-deps
	$(BIN)/python scripts/services.py -- $(MAKE) --no-print-directory bench-scripts

bench-scripts:
	shopt -s nullglob; for script in bench/[!_]*.py; do \
		module=$${script%.py}; $(BIN)/python -m $${module//\//.} || exit 1; \
	done

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(LOWEST) var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache *.egg-info \
		$(CONFORMANCE)/node_modules
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
