# crmdesk developer commands. Every target sets up .venv on first use.
#
#   make demo    set up, then run the app against the built-in sandbox
#   make test    set up, lint, then the whole test suite (headless)
#   make lint    ruff check, ruff format --check, mypy, import-linter
#   make bench   benchmarks that print figures (not pass/fail)

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYENV_ROOT ?= $(HOME)/.pyenv

# The newest CPython we can find, 3.13 first: PySide6 6.12 aborts on CPython 3.11
# (none_dealloc), and None is immortal from 3.12 on. pyenv installs count. A candidate
# must actually run (a pyenv shim for a version that is not active does not).
PYTHON ?= $(shell for v in 3.13 3.12 3.11; do \
	for p in python$$v $$(ls -d $(PYENV_ROOT)/versions/$$v*/bin/python$$v 2>/dev/null | sort -V -r); do \
	  if $$p -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then \
	    echo $$p; exit 0; fi; \
	done; done)

.PHONY: help setup demo test lint test-only bench clean

help:
	@sed -n '3,7p' Makefile

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "crmdesk needs CPython 3.11 or newer (3.13 preferred) with venv and ensurepip."; \
	  echo "Install one, e.g.: apt-get install -y python3.13 python3.13-venv   or   pyenv install 3.13"; \
	  exit 1; fi
	@echo "Setting up $(VENV) with $(PYTHON) ($$($(PYTHON) -c 'import sys; print(sys.version.split()[0])'))"
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[test]'
	@$(BIN)/python packaging/check_system.py
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/crmdesk --demo

lint: $(STAMP)
	$(BIN)/ruff check crmdesk tests bench packaging
	$(BIN)/ruff format --check crmdesk tests bench packaging
	$(BIN)/mypy
	$(BIN)/lint-imports

test-only: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint test-only

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .import_linter_cache
