# Real VPP in the lab: build, run and stop FD.io VPP 26.06 (docs/operations.md, "Real VPP in the lab").
# `make test` needs none of this. Variables given on the make command line or in the environment
# (VPP_SRC, VPP_DPDK, VPP_WORK, VPP_BUILD_DIR, VPP_JOBS, VPP_FORCE, VPP_WAIT, VPP_PORTS, VPP_MAIN_CORE)
# reach the scripts as they are.
VPP_PREFIX ?= /opt/bng-vpp/26.06
VPP_RUN_DIR ?= /run/bng-vpp
VPP_ENV = VPP_PREFIX='$(VPP_PREFIX)' VPP_RUN_DIR='$(VPP_RUN_DIR)'

.PHONY: vpp vpp-run vpp-stop vpp-clean test-vpp record-vpp

## vpp: build and install VPP 26.06 from VPP_SRC under VPP_PREFIX (nothing to do when already installed).
vpp:
	$(VPP_ENV) scripts/vpp-build.sh

## vpp-run: start a lab VPP (no hugepages, no NIC) with its sockets in VPP_RUN_DIR.
vpp-run:
	$(VPP_ENV) scripts/vpp-run.sh start

## vpp-stop: stop the lab VPP whose pidfile is in VPP_RUN_DIR.
vpp-stop:
	$(VPP_ENV) scripts/vpp-run.sh stop

## vpp-clean: stop the instance in VPP_RUN_DIR, remove the build tree and the VPP installed in VPP_PREFIX.
vpp-clean:
	$(VPP_ENV) scripts/vpp-run.sh stop
	$(VPP_ENV) scripts/vpp-build.sh clean

## test-vpp: the real-VPP lane, tests/vpp, against the VPP in VPP_PREFIX (each test starts its own
## instances in /tmp run directories, with af_packet ports on veths; see docs/fidelity.md).
test-vpp: venv
	$(VPP_ENV) $(BIN)/pytest -q -p no:cacheprovider --durations=15 tests/vpp $(PYTEST_ARGS)

## record-vpp: send every message the agent uses (and the refusals it handles) to real VPP and store the
## answers in tests/fixtures/vpp/*.json (make test replays them against vppsim).
record-vpp: venv
	$(VPP_ENV) $(PY) tests/vpp/record_vpp.py $(SCENARIOS)
