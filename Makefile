# The two commands of the README: `make run` and `make test`. Everything installs into .venv
# from the pinned lock files in requirements/.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test lint typecheck imports check lock clean help

help:
	@echo "make run    install, migrate, load demo data (first time) and serve on http://127.0.0.1:8000"
	@echo "make test   install dev dependencies and run the whole test suite"
	@echo "make check  lint (ruff), types (mypy), architecture (import-linter)"
	@echo "make lock   re-resolve requirements/*.lock from pyproject.toml"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "healthcard needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-installed: $(BIN)/python requirements/main.lock pyproject.toml
	$(PIP) install -r requirements/main.lock
	$(PIP) install --no-deps -e .
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.run-installed requirements/dev.lock
	$(PIP) install -r requirements/dev.lock
	@touch $@

run: $(VENV)/.run-installed
	$(BIN)/healthcard db upgrade
	$(BIN)/healthcard demo load --quiet
	$(BIN)/healthcard demo logins
	$(BIN)/healthcard serve

test: $(VENV)/.dev-installed
	$(BIN)/pytest -n auto

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

imports: $(VENV)/.dev-installed
	$(BIN)/lint-imports

check: lint typecheck imports

lock: $(VENV)/.dev-installed
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --universal -q -o requirements/main.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements/main.lock \
	  --python-version 3.11 --universal -q -o requirements/dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
