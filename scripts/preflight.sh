#!/usr/bin/env bash
# preflight.sh: check that this machine can run VPP with a given startup.conf, before starting it.
#
# VPP reports most machine mismatches only by failing to start (a heap it cannot map, a worker CPU that
# does not exist) or, worse, by starting slowly (workers on the far NUMA node from their NICs). This reads
# the cpu, memory, buffers and dpdk stanzas of startup.conf and compares them with sysfs:
#
#   * main-core and corelist-workers CPUs exist and are online, and sit on one NUMA node;
#   * worker CPUs are isolated from the kernel scheduler (warning only);
#   * enough hugepages are reserved on that node for the main heap and the buffers;
#   * the IOMMU is on when uio-driver is vfio-pci;
#   * every dpdk `dev` exists, sits on the workers' NUMA node, and is bound to the uio driver (or idle).
#
# It changes nothing and needs no root. Output: one OK / WARN / FAIL line per check.
# Exit codes: 0 no failure (warnings allowed), 1 usage error, 2 at least one check failed.
set -euo pipefail

readonly PROG=${0##*/}
SYSFS=${PREFLIGHT_SYSFS:-/sys}
CONF=/etc/vpp/startup.conf
FAILS=0
WARNS=0

usage() {
	cat <<EOF
Usage: $PROG [STARTUP_CONF]

Check this machine against a VPP startup.conf (default $CONF). Changes nothing.
Environment: PREFLIGHT_SYSFS points at another sysfs tree (tests).
EOF
}

ok() { printf 'OK    %s\n' "$*"; }
warn() {
	printf 'WARN  %s\n' "$*"
	WARNS=$((WARNS + 1))
}
fail() {
	printf 'FAIL  %s\n' "$*"
	FAILS=$((FAILS + 1))
}

# The configuration as one line of words: comments dropped, braces spaced, like VPP reads it.
FLAT=""
flatten() {
	FLAT=$(sed -e 's/#.*$//' "$CONF" | tr '\n\t' '  ' | sed -e 's/{/ { /g; s/}/ } /g; s/  */ /g')
}

# stanza NAME: the words inside the top-level `NAME { ... }`, nested braces included.
stanza() {
	awk -v want="$1" '{
		depth = 0; inside = 0; out = ""
		for (i = 1; i <= NF; i++) {
			if (!inside && depth == 0 && $i == want && $(i + 1) == "{") { inside = 1; i++; depth = 1; continue }
			if ($i == "{") depth++
			if ($i == "}") { depth--; if (inside && depth == 0) { inside = 0; continue } }
			if (inside) out = out " " $i
		}
		print out
	}' <<<"$FLAT"
}

# value_of WORDS KEY: the word after KEY in WORDS, or empty.
value_of() {
	awk -v key="$2" '{ for (i = 1; i < NF; i++) if ($i == key) { print $(i + 1); exit } }' <<<"$1"
}

# expand_list "2-5,8": one number per line.
expand_list() {
	local part a b n
	IFS=',' read -ra parts <<<"$1"
	for part in "${parts[@]}"; do
		[[ -n $part ]] || continue
		if [[ $part == *-* ]]; then
			a=${part%-*}
			b=${part#*-}
			for ((n = a; n <= b; n++)); do printf '%s\n' "$n"; done
		else
			printf '%s\n' "$part"
		fi
	done
}

in_list() {
	# in_list N LIST: true when CPU/node N is in a sysfs list such as "0-3,8".
	local n=$1 x
	while read -r x; do [[ $x == "$n" ]] && return 0; done < <(expand_list "$2")
	return 1
}

# bytes "4G" -> 4294967296 (k/K, m/M, g/G suffixes, as VPP's unformat_memory_size).
bytes() {
	local v=$1 num unit
	num=${v%%[kKmMgG]*}
	unit=${v#"$num"}
	[[ $num =~ ^[0-9]+$ ]] || {
		printf '0\n'
		return 0
	}
	case $unit in
	k | K) printf '%s\n' $((num << 10)) ;;
	m | M) printf '%s\n' $((num << 20)) ;;
	g | G) printf '%s\n' $((num << 30)) ;;
	*) printf '%s\n' "$num" ;;
	esac
}

node_of_cpu() {
	local d
	for d in "$SYSFS/devices/system/cpu/cpu$1"/node*; do
		[[ -e $d ]] && {
			printf '%s\n' "${d##*node}"
			return 0
		}
	done
	printf '0\n'
}

check_cpus() {
	local cpu_words main workers online isolated c node nodes=() w
	cpu_words=$(stanza cpu)
	main=$(value_of "$cpu_words" main-core)
	workers=$(value_of "$cpu_words" corelist-workers)
	online=$(cat "$SYSFS/devices/system/cpu/online" 2>/dev/null || echo 0)
	if [[ -z $main ]]; then
		warn "cpu: no main-core set; VPP picks CPU 1 (or the first free one)"
	elif in_list "$main" "$online"; then
		ok "cpu: main-core $main is online (NUMA node $(node_of_cpu "$main"))"
	else
		fail "cpu: main-core $main is not an online CPU (online: $online)"
	fi
	if [[ -z $workers ]]; then
		warn "cpu: no corelist-workers; packets are processed on the main thread only"
		WORKER_NODE=$(node_of_cpu "${main:-0}")
		return 0
	fi
	local missing=()
	while read -r c; do
		if ! in_list "$c" "$online"; then
			missing+=("$c")
			continue
		fi
		[[ -n $main && $c == "$main" ]] && fail "cpu: CPU $c is both main-core and a worker"
		node=$(node_of_cpu "$c")
		[[ " ${nodes[*]} " == *" $node "* ]] || nodes+=("$node")
	done < <(expand_list "$workers")
	if [[ ${#missing[@]} -gt 0 ]]; then
		fail "cpu: worker CPU(s) ${missing[*]} are not online (online: $online)"
	fi
	if [[ ${#nodes[@]} -gt 1 ]]; then
		fail "cpu: workers $workers span NUMA nodes ${nodes[*]}; keep them on the NICs' node"
	elif [[ ${#nodes[@]} -eq 1 ]]; then
		ok "cpu: workers $workers on NUMA node ${nodes[0]}"
	fi
	WORKER_NODE=${nodes[0]:-0}
	isolated=$(cat "$SYSFS/devices/system/cpu/isolated" 2>/dev/null || true)
	local not_isolated=()
	while read -r w; do
		in_list "$w" "$isolated" || not_isolated+=("$w")
	done < <(expand_list "$workers")
	if [[ ${#not_isolated[@]} -gt 0 ]]; then
		warn "cpu: worker CPU(s) ${not_isolated[*]} not isolated (kernel: isolcpus= nohz_full= rcu_nocbs=)"
	else
		ok "cpu: worker CPUs are isolated"
	fi
}

free_pages() {
	# free_pages NODE SIZE_KB
	cat "$SYSFS/devices/system/node/node$1/hugepages/hugepages-$2kB/free_hugepages" 2>/dev/null || echo 0
}

check_hugepages() {
	local mem buf heap heap_page per_numa page need have
	mem=$(stanza memory)
	buf=$(stanza buffers)
	heap=$(bytes "$(value_of "$mem" main-heap-size)")
	heap_page=$(value_of "$mem" main-heap-page-size)
	if [[ $heap_page =~ ^(1G|1g)$ ]]; then
		need=$(((heap + (1 << 30) - 1) >> 30))
		have=$(free_pages "$WORKER_NODE" 1048576)
		if [[ $have -ge $need ]]; then
			ok "hugepages: $have free 1G pages on node $WORKER_NODE for the ${need}G main heap"
		else
			fail "hugepages: main heap needs $need free 1G pages on node $WORKER_NODE, $have free" \
				"(scripts/hugepages.sh, or hugepagesz=1G hugepages=... at boot)"
		fi
	elif [[ -n $heap_page ]]; then
		ok "hugepages: main heap on $heap_page pages (not checked)"
	fi
	per_numa=$(value_of "$buf" buffers-per-numa)
	page=$(value_of "$buf" page-size)
	if [[ -n $per_numa && $page =~ ^(2M|2m)$ ]]; then
		# ~2.5 KB per buffer with the default 2048-byte data size (header, metadata, headroom).
		need=$(((per_numa * 2560 + (2 << 20) - 1) / (2 << 20)))
		have=$(free_pages "$WORKER_NODE" 2048)
		if [[ $have -ge $need ]]; then
			ok "hugepages: $have free 2M pages on node $WORKER_NODE for $per_numa buffers (~$need needed)"
		else
			fail "hugepages: $per_numa buffers need ~$need free 2M pages on node $WORKER_NODE, $have free"
		fi
	fi
}

check_nics() {
	local dpdk driver devs=() d node drv
	dpdk=$(stanza dpdk)
	if [[ -z $dpdk ]]; then
		warn "dpdk: no dpdk stanza; no physical NICs will be used"
		return 0
	fi
	driver=$(value_of "$dpdk" uio-driver)
	driver=${driver:-auto}
	if [[ $driver == vfio-pci ]]; then
		if [[ -n $(ls -A "$SYSFS/kernel/iommu_groups" 2>/dev/null) ]]; then
			ok "dpdk: IOMMU groups present for vfio-pci"
		else
			fail "dpdk: uio-driver vfio-pci but no IOMMU groups (kernel: intel_iommu=on iommu=pt or amd_iommu=on)"
		fi
	fi
	mapfile -t devs < <(grep -oE '(^| )dev [0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]' <<<"$dpdk" | awk '{ print tolower($2) }')
	if [[ ${#devs[@]} -eq 0 ]]; then
		warn "dpdk: no dev entries; DPDK takes every unused supported NIC"
	fi
	for d in "${devs[@]}"; do
		if [[ ! -d "$SYSFS/bus/pci/devices/$d" ]]; then
			fail "dpdk: dev $d does not exist on this machine (lspci -D)"
			continue
		fi
		node=$(cat "$SYSFS/bus/pci/devices/$d/numa_node" 2>/dev/null || echo -1)
		if [[ $node == -1 || $node == "$WORKER_NODE" ]]; then
			ok "dpdk: dev $d on NUMA node ${node/-1/unknown (single node)}"
		else
			warn "dpdk: dev $d is on NUMA node $node but the workers are on node $WORKER_NODE"
		fi
		drv=""
		[[ -L "$SYSFS/bus/pci/devices/$d/driver" ]] && drv=$(basename "$(readlink -f "$SYSFS/bus/pci/devices/$d/driver")")
		if [[ -z $drv || $drv == "$driver" || ($driver == auto && $drv =~ ^(vfio-pci|uio_pci_generic|igb_uio)$) ]]; then
			ok "dpdk: dev $d driver ${drv:-none}"
		else
			warn "dpdk: dev $d is on kernel driver $drv; run scripts/bind-nic.sh $d (dry run first)"
		fi
	done
}

main() {
	case ${1:-} in
	-h | --help)
		usage
		exit 0
		;;
	-*)
		usage >&2
		exit 1
		;;
	"") ;;
	*) CONF=$1 ;;
	esac
	[[ -r $CONF ]] || {
		printf '%s: error: cannot read %s\n' "$PROG" "$CONF" >&2
		exit 1
	}
	flatten
	WORKER_NODE=0
	check_cpus
	check_hugepages
	check_nics
	printf '%s: %d failed, %d warnings (%s)\n' "$PROG" "$FAILS" "$WARNS" "$CONF"
	[[ $FAILS -eq 0 ]] || exit 2
}

main "$@"
