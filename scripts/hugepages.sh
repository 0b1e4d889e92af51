#!/usr/bin/env bash
# hugepages.sh: reserve the hugepages VPP needs, per NUMA node, and mount hugetlbfs for them.
#
# VPP (startup.conf in this repo) puts its main heap on 1G pages and packet buffers on 2M pages, both on
# the NUMA node of the workers and NICs. Reserving pages per node (not through vm.nr_hugepages, which
# spreads pages round-robin over nodes) puts them where the workers are.
#
# The script is idempotent: it writes a count only when it differs from what the kernel already has, and
# mounts hugetlbfs only where it is not mounted. It then reads the counts back and fails, saying why,
# when the kernel could not find that many free contiguous pages (common for 1G pages after boot:
# reserve those on the kernel command line instead, see docs/operations.md).
#
# Exit codes: 0 done (or dry run printed), 1 usage or environment error, 3 the kernel gave fewer pages.
set -euo pipefail

readonly PROG=${0##*/}
PAGES_2M=${HUGEPAGES_2M:-1024}
PAGES_1G=${HUGEPAGES_1G:-4}
NODES=${HUGEPAGES_NODES:-all}
MOUNT_2M=${HUGEPAGES_MOUNT_2M:-/dev/hugepages}
MOUNT_1G=${HUGEPAGES_MOUNT_1G:-/dev/hugepages1G}
ROOT=${HUGEPAGES_ROOT:-}
DRY_RUN=0
DO_MOUNT=1

usage() {
	cat <<EOF
Usage: $PROG [--2m N] [--1g N] [--nodes LIST|all] [--no-mount] [--dry-run]

Reserve N 2 MiB and N 1 GiB hugepages on EACH listed NUMA node and mount hugetlbfs for both sizes.

  --2m N          2 MiB pages per node (default $PAGES_2M; env HUGEPAGES_2M)
  --1g N          1 GiB pages per node (default $PAGES_1G; env HUGEPAGES_1G)
  --nodes LIST    NUMA nodes, comma separated (0 or 0,1) or 'all' online nodes (default $NODES;
                  env HUGEPAGES_NODES)
  --mount-2m DIR  hugetlbfs mount for 2 MiB pages (default $MOUNT_2M)
  --mount-1g DIR  hugetlbfs mount for 1 GiB pages (default $MOUNT_1G)
  --no-mount      only reserve pages, do not mount
  --dry-run       print every write and mount it would do; change nothing (no root needed)
  -h, --help      this text

Counts of 0 release that size's reservation. HUGEPAGES_ROOT prefixes /sys and /proc paths (tests).
EOF
}

say() { printf '%s\n' "$*"; }
die() {
	local code=$1
	shift
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit "$code"
}

is_count() { [[ $1 =~ ^[0-9]+$ ]]; }

# write_value VALUE FILE: the one place that changes kernel state, so a dry run lists exactly the writes.
write_value() {
	local value=$1 file=$2 current
	current=$(cat "$file" 2>/dev/null || echo "?")
	if [[ $current == "$value" ]]; then
		say "$file is already $value"
		return 0
	fi
	if [[ $DRY_RUN -eq 1 ]]; then
		say "would write $value to $file (currently $current)"
		return 0
	fi
	say "writing $value to $file (was $current)"
	printf '%s\n' "$value" >"$file" || die 1 "writing $value to $file failed"
}

online_nodes() {
	# /sys/devices/system/node/online holds a list such as "0" or "0-1" or "0,2-3".
	local spec part a b n
	spec=$(cat "$ROOT/sys/devices/system/node/online" 2>/dev/null || echo 0)
	IFS=',' read -ra parts <<<"$spec"
	for part in "${parts[@]}"; do
		if [[ $part == *-* ]]; then
			a=${part%-*}
			b=${part#*-}
			for ((n = a; n <= b; n++)); do printf '%s\n' "$n"; done
		else
			printf '%s\n' "$part"
		fi
	done
}

mounted_at() {
	# mounted_at DIR: true when a hugetlbfs is mounted at DIR.
	awk -v d="$1" '$2 == d && $3 == "hugetlbfs" { found = 1 } END { exit !found }' "$ROOT/proc/mounts"
}

ensure_mount() {
	local dir=$1 pagesize=$2
	if mounted_at "$dir"; then
		say "hugetlbfs ($pagesize) already mounted at $dir"
		return 0
	fi
	if [[ $DRY_RUN -eq 1 ]]; then
		say "would run: mkdir -p $dir && mount -t hugetlbfs -o pagesize=$pagesize nodev $dir"
		return 0
	fi
	mkdir -p "$dir"
	mount -t hugetlbfs -o "pagesize=$pagesize" nodev "$dir" || die 1 "mounting hugetlbfs at $dir failed"
	say "mounted hugetlbfs ($pagesize) at $dir"
}

main() {
	while [[ $# -gt 0 ]]; do
		case $1 in
		--2m | --1g | --nodes | --mount-2m | --mount-1g)
			[[ $# -ge 2 ]] || die 1 "$1 needs a value"
			case $1 in
			--2m) PAGES_2M=$2 ;;
			--1g) PAGES_1G=$2 ;;
			--nodes) NODES=$2 ;;
			--mount-2m) MOUNT_2M=$2 ;;
			--mount-1g) MOUNT_1G=$2 ;;
			esac
			shift
			;;
		--no-mount) DO_MOUNT=0 ;;
		--dry-run | -n) DRY_RUN=1 ;;
		-h | --help)
			usage
			exit 0
			;;
		*) die 1 "unknown argument $1 (see --help)" ;;
		esac
		shift
	done
	is_count "$PAGES_2M" || die 1 "2M page count must be a non-negative integer, got '$PAGES_2M'"
	is_count "$PAGES_1G" || die 1 "1G page count must be a non-negative integer, got '$PAGES_1G'"

	if [[ $DRY_RUN -eq 0 && $(id -u) -ne 0 ]]; then
		die 1 "reserving hugepages writes to /sys and mounts hugetlbfs, which needs root" \
			"(run with sudo, or add --dry-run to see what would be done)"
	fi

	local nodes=() n
	if [[ $NODES == all ]]; then
		mapfile -t nodes < <(online_nodes)
	else
		IFS=',' read -ra nodes <<<"$NODES"
	fi
	[[ ${#nodes[@]} -gt 0 ]] || die 1 "no NUMA nodes selected"
	for n in "${nodes[@]}"; do
		is_count "$n" || die 1 "bad NUMA node '$n' in '$NODES'"
		[[ -d "$ROOT/sys/devices/system/node/node$n" ]] || die 1 "NUMA node $n does not exist on this machine"
	done

	if [[ $DRY_RUN -eq 1 ]]; then say "dry run: nothing will be changed"; fi

	local size count file dir total_pages=0
	for n in "${nodes[@]}"; do
		for size in 2048kB 1048576kB; do
			if [[ $size == 2048kB ]]; then count=$PAGES_2M; else count=$PAGES_1G; fi
			dir="$ROOT/sys/devices/system/node/node$n/hugepages/hugepages-$size"
			if [[ ! -d $dir ]]; then
				if [[ $count -eq 0 ]]; then continue; fi
				die 1 "this kernel/CPU has no $size hugepages on node $n ($dir missing)"
			fi
			write_value "$count" "$dir/nr_hugepages"
			total_pages=$((total_pages + count))
		done
	done

	# Each hugepage can be a separate mapping; VPP's packaging asks for max_map_count >= 2 x pages.
	local need=$((2 * total_pages)) have mmc="$ROOT/proc/sys/vm/max_map_count"
	have=$(cat "$mmc" 2>/dev/null || echo 0)
	if [[ $have -lt $need ]]; then
		write_value "$need" "$mmc"
	fi

	if [[ $DO_MOUNT -eq 1 ]]; then
		if [[ $PAGES_2M -gt 0 ]]; then ensure_mount "$MOUNT_2M" 2M; fi
		if [[ $PAGES_1G -gt 0 ]]; then ensure_mount "$MOUNT_1G" 1G; fi
	fi

	if [[ $DRY_RUN -eq 1 ]]; then return 0; fi

	# Read back: the kernel silently reserves fewer pages when memory is fragmented.
	local short=0 got
	for n in "${nodes[@]}"; do
		for size in 2048kB 1048576kB; do
			if [[ $size == 2048kB ]]; then count=$PAGES_2M; else count=$PAGES_1G; fi
			file="$ROOT/sys/devices/system/node/node$n/hugepages/hugepages-$size/nr_hugepages"
			[[ -r $file ]] || continue
			got=$(cat "$file")
			if [[ $got -lt $count ]]; then
				printf '%s: error: node %s has %s of %s requested %s pages;' "$PROG" "$n" "$got" "$count" "$size" >&2
				printf ' reserve them at boot (hugepagesz=1G hugepages=N on the kernel command line)\n' >&2
				short=1
			fi
		done
	done
	[[ $short -eq 0 ]] || exit 3
	say "hugepages ready on node(s) ${nodes[*]}: ${PAGES_2M} x 2M, ${PAGES_1G} x 1G per node"
}

main "$@"
