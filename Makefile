# Two entry points matter: `make run` and `make test`. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
DATA_DIR ?= var/run-data
# The Debian packages the agent and its tests use, per distribution, with the versions tested:
# sysdeps/<ID>-<VERSION_ID>.txt (Debian 12 and 13; docs/operations.md, "Supported distributions").
# scripts/sysdeps.sh installs them and stops when libyang's major.minor is not the tested one.
DPKG_STATUS := $(wildcard /var/lib/dpkg/status)
# Every Python package is pinned in constraints.txt (make lock moves it forward deliberately); a
# distribution's table may name an overlay (Debian 13: constraints-libyang3.txt, the libyang binding for
# libyang 3). The combined file is what pip reads, in the isolated build environments too (PIP_CONSTRAINT),
# so even setuptools is the pinned one.
CONSTRAINTS := $(CURDIR)/.constraints-effective.txt
PIP_PINNED := PIP_CONSTRAINT=$(CONSTRAINTS) $(PY) -m pip

.PHONY: all run test sysdeps venv lock lint typecheck yang-check shellcheck pytest bindings bench clean coverage-telemetry

all: test

## sysdeps: install this distribution's Debian packages (as root) or say what to install; check versions.
## Re-checked whenever dpkg's database changes (an upgrade may move libyang).
sysdeps: .stamp-sysdeps
.stamp-sysdeps: scripts/sysdeps.sh $(wildcard sysdeps/*.txt) $(DPKG_STATUS)
	@scripts/sysdeps.sh install
	@touch $@

# Rewritten only when its content changes, so the venv is reinstalled only when a pin moves.
$(CONSTRAINTS): .stamp-sysdeps constraints.txt $(wildcard constraints-*.txt)
	@scripts/sysdeps.sh constraints $@

## venv: create or refresh .venv with the project and its test/dev extras (recreated when the
## interpreter is not $(PYTHON)'s version, e.g. after an upgrade from Debian 12 to 13).
venv: $(VENV)/.stamp
$(VENV)/.stamp: pyproject.toml $(CONSTRAINTS)
	@want="$$($(PYTHON) -c 'import sys; print(sys.version)')"; \
	if [ "$$($(PY) -c 'import sys; print(sys.version)' 2>/dev/null)" != "$$want" ]; then \
	  rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); \
	fi
	$(PIP_PINNED) install -q pip setuptools wheel
	$(PIP_PINNED) install -q -e '.[test,dev]'
	@touch $@

## lock: re-resolve every Python dependency from the registry into constraints.txt (then: make bindings test).
lock:
	PYTHON=$(PYTHON) scripts/lock.sh

## run: start the agent on the bundled VPP emulator with the demo configuration.
run: venv
	$(BIN)/bng-agent run --sim --data-dir $(DATA_DIR) --startup examples/demo-config.xml

## test: everything CI checks: lint, types, YANG checks, shellcheck and the whole test suite.
test: venv lint typecheck yang-check shellcheck pytest

lint: venv
	$(BIN)/ruff check agent vppsim tests bench
	$(BIN)/ruff format --check agent vppsim tests bench

typecheck: venv
	$(BIN)/mypy

yang-check: venv
	$(PY) -m agent.model.lint

shellcheck: sysdeps
	shellcheck scripts/*.sh .ci/run

pytest: venv
	$(BIN)/pytest -q -p no:cacheprovider --durations=15

## bindings: regenerate pyangbind classes and protobuf modules under bindings/.
bindings: venv
	$(PY) -m agent.model.bindgen bindings

## coverage-telemetry: which modules export metrics and have alert rules (goal: 90 % with both).
coverage-telemetry: venv
	$(PY) -m agent.telemetry.coverage

bench: venv
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .stamp-sysdeps .constraints-effective.txt var

include mk/vpp.mk
