#!/usr/bin/env bash
# bind-nic.sh: hand a NIC from its kernel driver to vfio-pci so VPP (DPDK) can drive it, or give it back.
#
# Taking a NIC away from the kernel is the classic way to lose the management session to a box, so this
# script is careful by default:
#   * it is a dry run unless --apply is given: it prints every sysfs write it would do and changes nothing;
#   * it refuses a NIC whose kernel interface carries a default route, has a configured IP address, is
#     administratively up, or is enslaved to a bond/bridge, unless --force is given;
#   * it checks every device first and touches none if any is refused;
#   * it remembers the original driver in a state file so --unbind can give the NIC back.
#
# Binding uses driver_override (the kernel's documented way to pin one device to one driver) followed by
# unbind + drivers_probe, so no vendor:device id is added to vfio-pci's table for every port of that model.
#
# Exit codes: 0 done (or dry run printed), 1 usage or environment error, 2 refused for safety,
# 3 the kernel did not do what was asked.
set -euo pipefail

readonly PROG=${0##*/}
SYSFS=${BIND_NIC_SYSFS:-/sys}
# Root's own directory, not the agent's data dir: the agent must not be able to choose what root binds.
STATE_FILE=${BIND_NIC_STATE_FILE:-/var/lib/bng-nic/drivers.state}
TARGET_DRIVER=vfio-pci
APPLY=0
FORCE=0
UNBIND=0
RESTORE_TO=""

usage() {
	cat <<EOF
Usage: $PROG [--apply] [--force] [--state-file FILE] DEVICE...
       $PROG --unbind [--apply] [--to DRIVER] [--state-file FILE] DEVICE...

DEVICE is a kernel interface name (eth2, enp59s0f0) or a PCI address (0000:3b:00.0 or 3b:00.0).

Without --apply nothing is changed: the script prints what it would write to sysfs.

  --apply            really do it (needs root)
  --force            bind even if the interface has an address, a default route, is up or enslaved
  --unbind           give the device back to the driver it had before (from the state file)
  --to DRIVER        with --unbind: the kernel driver to bind to when the state file has no record
  --driver DRIVER    bind to DRIVER instead of vfio-pci (e.g. uio_pci_generic on hosts without IOMMU)
  --state-file FILE  where original drivers are remembered (default $STATE_FILE;
                     env BIND_NIC_STATE_FILE)
  -h, --help         this text

Environment: BIND_NIC_SYSFS points the script at another sysfs tree (tests use a fake one).
EOF
}

say() { printf '%s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() {
	local code=$1
	shift
	printf '%s: error: %s\n' "$PROG" "$*" >&2
	exit "$code"
}

# do_write VALUE FILE: the one place that changes sysfs, so a dry run is exactly the list of writes.
do_write() {
	local value=$1 file=$2
	if [[ $APPLY -eq 0 ]]; then
		say "would write '$value' to $file"
		return 0
	fi
	say "writing '$value' to $file"
	if ! printf '%s\n' "$value" >"$file"; then
		die 3 "writing '$value' to $file failed"
	fi
}

normalise_pci() {
	local addr=$1
	if [[ $addr =~ ^[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]]; then
		addr="0000:$addr"
	fi
	if [[ $addr =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]]; then
		printf '%s\n' "${addr,,}"
		return 0
	fi
	return 1
}

# current_driver PCI: the driver bound to the device, or empty when none.
current_driver() {
	local link="$SYSFS/bus/pci/devices/$1/driver"
	if [[ -L $link ]]; then
		basename "$(readlink -f "$link")"
	fi
}

# pci_of_netdev IFNAME: the PCI address behind a kernel interface; fails for virtual interfaces.
# virtio-net hangs off a virtio bus device whose parent is the PCI function, so look one level up too.
pci_of_netdev() {
	local ifname=$1 dev subsys
	[[ -e "$SYSFS/class/net/$ifname/device" ]] || return 1
	dev=$(readlink -f "$SYSFS/class/net/$ifname/device")
	subsys=$(basename "$(readlink -f "$dev/subsystem" 2>/dev/null || true)")
	if [[ $subsys != pci && -e "$dev/../subsystem" ]]; then
		dev=$(readlink -f "$dev/..")
		subsys=$(basename "$(readlink -f "$dev/subsystem" 2>/dev/null || true)")
	fi
	[[ $subsys == pci ]] || return 1
	basename "$dev"
}

# netdevs_of_pci PCI: kernel interface names the device currently has (none once bound to vfio-pci).
netdevs_of_pci() {
	local d
	for d in "$SYSFS/bus/pci/devices/$1"/net/* "$SYSFS/bus/pci/devices/$1"/virtio*/net/*; do
		[[ -e $d ]] && basename "$d"
	done
	return 0
}

# safety_problems IFNAME: one line per reason the interface looks in use; nothing when it is idle.
safety_problems() {
	local ifname=$1 line addrs routes
	line=$(ip -o link show dev "$ifname" 2>/dev/null || true)
	if [[ -z $line ]]; then
		return 0
	fi
	# Administrative UP is the kernel's "this interface is in use" flag; oper state is shown for context.
	if [[ $line =~ \<([A-Z_,-]*)\> ]] && [[ ",${BASH_REMATCH[1]}," == *,UP,* ]]; then
		local state=unknown
		[[ $line =~ state\ ([A-Z]+) ]] && state=${BASH_REMATCH[1]}
		say "link is up (admin UP, oper state $state)"
	fi
	if [[ $line =~ master\ ([^ ]+) ]]; then
		say "is enslaved to ${BASH_REMATCH[1]}"
	fi
	# IPv6 link-local addresses appear by themselves on any up interface; they are not configuration.
	addrs=$(ip -o addr show dev "$ifname" 2>/dev/null | awk '$3 == "inet" || ($3 == "inet6" && $0 !~ / scope link /) { print $4 }' | paste -sd ' ' -)
	if [[ -n $addrs ]]; then
		say "has IP address(es) configured: $addrs"
	fi
	routes=$(
		{
			ip -o -4 route show table all 2>/dev/null
			ip -o -6 route show table all 2>/dev/null
		} | awk -v dev="$ifname" '$1 == "default" { for (i = 2; i < NF; i++) if ($i == "dev" && $(i + 1) == dev) { print; break } }'
	)
	if [[ -n $routes ]]; then
		say "carries the default route: $(printf '%s' "$routes" | head -n1 | sed 's/ *$//')"
	fi
}

state_lookup() {
	# state_lookup KEY: prints "pci driver ifname" for a PCI address or an interface name.
	[[ -r $STATE_FILE ]] || return 1
	awk -v k="$1" '$1 == k || $3 == k { print; found = 1; exit } END { exit !found }' "$STATE_FILE"
}

state_record() {
	local pci=$1 driver=$2 ifname=$3 dir tmp
	if [[ $APPLY -eq 0 ]]; then
		say "would record original driver '$driver' for $pci in $STATE_FILE"
		return 0
	fi
	dir=$(dirname "$STATE_FILE")
	mkdir -p "$dir"
	tmp=$(mktemp "$dir/.nic-drivers.XXXXXX")
	if [[ -r $STATE_FILE ]]; then
		awk -v k="$pci" '$1 != k' "$STATE_FILE" >"$tmp"
	fi
	printf '%s %s %s\n' "$pci" "$driver" "${ifname:--}" >>"$tmp"
	mv -f "$tmp" "$STATE_FILE"
	say "recorded original driver '$driver' for $pci in $STATE_FILE"
}

state_forget() {
	local pci=$1 tmp
	[[ $APPLY -eq 1 && -r $STATE_FILE ]] || return 0
	tmp=$(mktemp "$(dirname "$STATE_FILE")/.nic-drivers.XXXXXX")
	awk -v k="$pci" '$1 != k' "$STATE_FILE" >"$tmp"
	mv -f "$tmp" "$STATE_FILE"
}

ensure_driver_loaded() {
	local driver=$1
	if [[ -d "$SYSFS/bus/pci/drivers/$driver" ]]; then
		return 0
	fi
	if [[ $APPLY -eq 0 ]]; then
		say "would run: modprobe $driver"
		return 0
	fi
	say "loading kernel module $driver"
	modprobe "$driver" || die 1 "modprobe $driver failed; is the module available for kernel $(uname -r)?"
	[[ -d "$SYSFS/bus/pci/drivers/$driver" ]] || die 1 "driver $driver did not register with the PCI bus"
}

check_iommu() {
	[[ $TARGET_DRIVER == vfio-pci ]] || return 0
	if [[ -d "$SYSFS/kernel/iommu_groups" ]] && [[ -n $(ls -A "$SYSFS/kernel/iommu_groups" 2>/dev/null) ]]; then
		return 0
	fi
	warn "no IOMMU groups found: vfio-pci needs the IOMMU enabled (kernel: intel_iommu=on iommu=pt," \
		"or amd_iommu=on) or vfio's enable_unsafe_noiommu_mode=1 (no DMA isolation)"
}

# resolve DEVICE: sets R_PCI and R_IF (interface name, may be empty) or exits with a clear message.
resolve() {
	local arg=$1 pci line
	R_PCI=""
	R_IF=""
	if pci=$(normalise_pci "$arg"); then
		[[ -d "$SYSFS/bus/pci/devices/$pci" ]] || die 1 "$arg: no PCI device $pci (see lspci -D)"
		R_PCI=$pci
		R_IF=$(netdevs_of_pci "$pci" | head -n1)
		return 0
	fi
	[[ $arg =~ ^[A-Za-z0-9_.:@-]{1,15}$ ]] || die 1 "$arg: not an interface name or PCI address"
	if [[ ! -e "$SYSFS/class/net/$arg" ]] && ! ip link show dev "$arg" >/dev/null 2>&1; then
		if [[ $UNBIND -eq 1 ]] && line=$(state_lookup "$arg"); then
			read -r R_PCI _ R_IF <<<"$line"
			return 0
		fi
		die 1 "$arg: no such network interface (bound devices have no interface: use the PCI address)"
	fi
	R_IF=$arg
	return 0
}

bind_one() {
	local pci=$1 ifname=$2 drv dev="$SYSFS/bus/pci/devices/$1"
	drv=$(current_driver "$pci")
	if [[ $drv == "$TARGET_DRIVER" ]]; then
		say "$pci${ifname:+ ($ifname)} is already bound to $TARGET_DRIVER; nothing to do"
		return 0
	fi
	say "$pci${ifname:+ ($ifname)}: ${drv:-no driver} -> $TARGET_DRIVER"
	state_record "$pci" "${drv:-none}" "$ifname"
	do_write "$TARGET_DRIVER" "$dev/driver_override"
	if [[ -n $drv ]]; then
		do_write "$pci" "$dev/driver/unbind"
	fi
	do_write "$pci" "$SYSFS/bus/pci/drivers_probe"
	if [[ $APPLY -eq 1 ]]; then
		local now
		now=$(current_driver "$pci")
		if [[ $now != "$TARGET_DRIVER" ]]; then
			# Leave no half-done override behind: the next probe would otherwise silently pick vfio.
			printf '\n' >"$dev/driver_override" 2>/dev/null || true
			die 3 "$pci is bound to '${now:-nothing}', not $TARGET_DRIVER, after the bind (dmesg may say why;" \
				"IOMMU group shared with a device still in use is a common cause)"
		fi
		say "$pci is now bound to $TARGET_DRIVER"
	fi
}

unbind_one() {
	local pci=$1 drv orig="" line dev="$SYSFS/bus/pci/devices/$1"
	if line=$(state_lookup "$pci"); then
		read -r _ orig _ <<<"$line"
	fi
	[[ -n $RESTORE_TO ]] && orig=$RESTORE_TO
	if [[ -z $orig || $orig == none ]]; then
		die 1 "$pci: no record of its original driver in $STATE_FILE; pass --to DRIVER (e.g. --to ixgbe)"
	fi
	# The name becomes a sysfs path and a modprobe argument: accept only what a driver name can be.
	[[ $orig =~ ^[A-Za-z0-9_-]{1,64}$ ]] || die 1 "$pci: '$orig' is not a valid driver name"
	drv=$(current_driver "$pci")
	if [[ $drv == "$orig" ]]; then
		say "$pci is already bound to $orig; nothing to do"
		state_forget "$pci"
		return 0
	fi
	say "$pci: ${drv:-no driver} -> $orig"
	ensure_driver_loaded "$orig"
	do_write "" "$dev/driver_override"
	if [[ -n $drv ]]; then
		do_write "$pci" "$dev/driver/unbind"
	fi
	do_write "$pci" "$SYSFS/bus/pci/drivers/$orig/bind"
	if [[ $APPLY -eq 1 ]]; then
		local now
		now=$(current_driver "$pci")
		[[ $now == "$orig" ]] || die 3 "$pci is bound to '${now:-nothing}', not $orig, after the unbind"
		state_forget "$pci"
		say "$pci is back on $orig"
	fi
}

main() {
	local devices=()
	while [[ $# -gt 0 ]]; do
		case $1 in
		--apply) APPLY=1 ;;
		--dry-run) APPLY=0 ;;
		--force) FORCE=1 ;;
		--unbind) UNBIND=1 ;;
		--to)
			[[ $# -ge 2 ]] || die 1 "--to needs a driver name"
			RESTORE_TO=$2
			shift
			;;
		--driver)
			[[ $# -ge 2 ]] || die 1 "--driver needs a driver name"
			TARGET_DRIVER=$2
			shift
			;;
		--state-file)
			[[ $# -ge 2 ]] || die 1 "--state-file needs a path"
			STATE_FILE=$2
			shift
			;;
		-h | --help)
			usage
			exit 0
			;;
		--)
			shift
			devices+=("$@")
			break
			;;
		-*) die 1 "unknown option $1 (see --help)" ;;
		*) devices+=("$1") ;;
		esac
		shift
	done
	[[ ${#devices[@]} -gt 0 ]] || {
		usage >&2
		exit 1
	}
	if [[ $APPLY -eq 1 && $(id -u) -ne 0 ]]; then
		die 1 "--apply changes driver bindings and needs root (run without --apply for a dry run)"
	fi
	[[ $APPLY -eq 1 ]] || say "dry run: nothing will be changed (add --apply to act)"

	# Pass 1: resolve and check everything; refuse before touching anything.
	local pcis=() ifs=() refused=0 in_use=0 d problems
	for d in "${devices[@]}"; do
		resolve "$d"
		if [[ $UNBIND -eq 0 ]]; then
			if [[ -n $R_IF ]]; then
				problems=$(safety_problems "$R_IF")
				if [[ -n $problems ]]; then
					if [[ $FORCE -eq 1 ]]; then
						while IFS= read -r p; do warn "$R_IF $p (continuing: --force)"; done <<<"$problems"
					else
						while IFS= read -r p; do
							printf '%s: refusing %s: %s\n' "$PROG" "$R_IF" "$p" >&2
						done <<<"$problems"
						refused=1
						in_use=1
					fi
				fi
			fi
			if [[ -z $R_PCI ]]; then
				if ! R_PCI=$(pci_of_netdev "$R_IF"); then
					printf '%s: refusing %s: not a PCI device (virtual or software interface);' "$PROG" "$R_IF" >&2
					printf ' only PCI NICs can be bound to %s\n' "$TARGET_DRIVER" >&2
					refused=1
					continue
				fi
			fi
		elif [[ -z $R_PCI ]]; then
			R_PCI=$(pci_of_netdev "$R_IF") || die 1 "$R_IF: not a PCI device and not in $STATE_FILE"
		fi
		pcis+=("$R_PCI")
		ifs+=("$R_IF")
	done
	if [[ $refused -ne 0 ]]; then
		printf '%s: nothing changed.' "$PROG" >&2
		if [[ $in_use -ne 0 ]]; then
			printf ' Take the interface out of service first (move routes away, ip addr flush dev IF,' >&2
			printf ' ip link set dev IF down) or pass --force.' >&2
		fi
		printf '\n' >&2
		exit 2
	fi

	# Pass 2: act (or print what would be done).
	local i
	if [[ $UNBIND -eq 0 ]]; then
		check_iommu
		ensure_driver_loaded "$TARGET_DRIVER"
	fi
	for i in "${!pcis[@]}"; do
		if [[ $UNBIND -eq 1 ]]; then
			unbind_one "${pcis[$i]}"
		else
			bind_one "${pcis[$i]}" "${ifs[$i]}"
		fi
	done
}

main "$@"
