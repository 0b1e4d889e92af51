# Two entry points matter: `make run` and `make test`. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
# Debian packages the agent and its tests use (see docs/operations.md for why each is needed).
DEB_PKGS := libyang2-dev libyang-tools gcc shellcheck prometheus tshark \
            freeradius freeradius-utils iproute2 procps systemd isc-dhcp-client pppoe
DATA_DIR ?= var/run-data
# Every Python package is pinned in constraints.txt (make lock moves it forward deliberately). pip reads
# PIP_CONSTRAINT in the isolated build environments too, so even setuptools is the pinned one.
CONSTRAINTS := $(CURDIR)/constraints.txt
PIP_PINNED := PIP_CONSTRAINT=$(CONSTRAINTS) $(PY) -m pip

.PHONY: all run test sysdeps venv lock lint typecheck yang-check shellcheck pytest bindings bench clean coverage-telemetry

all: test

## sysdeps: install the Debian packages (as root), or say exactly what to install.
sysdeps: .stamp-sysdeps
.stamp-sysdeps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  else \
	    echo "missing Debian packages:$$missing"; \
	    echo "run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
	@touch $@

## venv: create or refresh .venv with the project and its test/dev extras.
venv: $(VENV)/.stamp
$(VENV)/.stamp: pyproject.toml constraints.txt .stamp-sysdeps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
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
	rm -rf $(VENV) .stamp-sysdeps var

include mk/vpp.mk
