# Real VPP in the lab: build, run and stop FD.io VPP 26.06 (see docs/operations.md, "Real VPP in the lab").
# None of these targets is needed by `make test`.
VPP_PREFIX ?= /opt/bng-vpp/26.06
VPP_RUN_DIR ?= /run/bng-vpp
export VPP_PREFIX VPP_RUN_DIR VPP_SRC VPP_DPDK VPP_WORK VPP_BUILD_DIR VPP_JOBS VPP_FORCE

.PHONY: vpp vpp-run vpp-stop vpp-clean

## vpp: build and install VPP 26.06 from VPP_SRC under VPP_PREFIX (nothing to do when already installed).
vpp:
	scripts/vpp-build.sh

## vpp-run: start a lab VPP (no hugepages, no NIC) with its sockets in VPP_RUN_DIR.
vpp-run:
	scripts/vpp-run.sh start

## vpp-stop: stop the lab VPP whose pidfile is in VPP_RUN_DIR.
vpp-stop:
	scripts/vpp-run.sh stop

## vpp-clean: stop the instance in VPP_RUN_DIR, remove the build tree and the installed VPP.
vpp-clean:
	scripts/vpp-run.sh stop
	scripts/vpp-build.sh clean
