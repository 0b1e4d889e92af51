#!/usr/bin/env bash
# Start or stop a lab VPP (the one `make vpp` installed) with deploy/vpp-lab.conf.in:
# no hugepages, no NIC, all sockets in one run directory. See docs/operations.md, "Real VPP in the lab".
#
#   scripts/vpp-run.sh start|stop|status
#
# Variables:
#   VPP_PREFIX   where `make vpp` installed VPP (default /opt/bng-vpp/26.06)
#   VPP_RUN_DIR  this instance's directory: startup.conf, vpp.pid, vpp.log, vpp.out, api.sock,
#                stats.sock, cli.sock (default /run/bng-vpp). One directory per instance: a second
#                VPP (e.g. a VRRP peer) only needs another VPP_RUN_DIR.
#   VPP_WAIT     seconds to wait for the API socket (default 30)
#   VPP_MAIN_CORE  CPU for VPP's main thread (default: VPP pins it to the CPU it starts on)
#   VPP_PORTS    optional VPP interface names, e.g. "GigabitEthernet0/8/0 GigabitEthernet0/9/0": for
#                each, start creates a veth pair, an af_packet interface on one end and renames it to
#                the name (the names examples/demo-config.xml and vppsim use). The other end
#                (listed in VPP_RUN_DIR/ports) is left in the host for test traffic; stop deletes them.
set -euo pipefail

VPP_PREFIX=${VPP_PREFIX:-/opt/bng-vpp/26.06}
VPP_RUN_DIR=${VPP_RUN_DIR:-/run/bng-vpp}
VPP_WAIT=${VPP_WAIT:-30}
VPP_PORTS=${VPP_PORTS:-}
VPP_MAIN_CORE=${VPP_MAIN_CORE:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
template=$here/deploy/vpp-lab.conf.in

die() { echo "vpp-run: error: $*" >&2; exit 1; }
log() { echo "vpp-run: $*"; }

mkdir -p "$VPP_RUN_DIR"
run_dir=$(cd "$VPP_RUN_DIR" && pwd -P)
pidfile=$run_dir/vpp.pid

# The pid in the pidfile, if that process is still a VPP (not a recycled pid).
running_pid() {
    local pid
    [ -f "$pidfile" ] || return 1
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    # VPP renames its main thread (comm is vpp_main): check the executable instead.
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$VPP_PREFIX/bin/vpp" ] || return 1
    echo "$pid"
}

# True when something accepts connections on the unix socket $1 of type $2 (STREAM or SEQPACKET:
# VPP's stats socket is a SOCK_SEQPACKET socket).
socket_answers() {
    /usr/bin/python3 - "$1" "$2" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX, getattr(socket, "SOCK_" + sys.argv[2]))
s.settimeout(1)
s.connect(sys.argv[1])
PY
}

# veth names are global and at most 15 characters: bv<5 digits from the run dir><port index>[p].
veth_base() {
    printf 'bv%05d' "$(($(printf %s "$run_dir" | cksum | cut -d' ' -f1) % 100000))"
}

add_ports() {
    local vppctl=$1 base name i=0 veth
    base=$(veth_base)
    : >"$run_dir/ports"
    for name in $VPP_PORTS; do
        veth=$base$i
        ip link del "$veth" 2>/dev/null || true
        ip link add "$veth" type veth peer name "${veth}p"
        ip link set "$veth" up
        ip link set "${veth}p" up
        "$vppctl" -s "$run_dir/cli.sock" create host-interface name "$veth" >/dev/null
        "$vppctl" -s "$run_dir/cli.sock" set interface name "host-$veth" "$name"
        echo "$name $veth ${veth}p" >>"$run_dir/ports"
        log "port $name: af_packet on $veth, peer ${veth}p in the host"
        i=$((i + 1))
    done
}

del_ports() {
    local veth
    [ -f "$run_dir/ports" ] || return 0
    while read -r _ veth _; do
        ip link del "$veth" 2>/dev/null || true
    done <"$run_dir/ports"
    rm -f "$run_dir/ports"
}

start() {
    local vpp=$VPP_PREFIX/bin/vpp vppctl=$VPP_PREFIX/bin/vppctl plugin_dir api_prefix main_core pid i
    [ -x "$vpp" ] || die "no VPP in $VPP_PREFIX: run make vpp VPP_SRC=<checkout of v26.06> first"
    [ "$(id -u)" = 0 ] || die "VPP needs root (af_packet, tap, memory locking): run as root"
    if pid=$(running_pid); then
        die "VPP already running in $run_dir (pid $pid); make vpp-stop VPP_RUN_DIR=$run_dir"
    fi
    plugin_dir=$(dirname "$(find "$VPP_PREFIX" -name af_packet_plugin.so -path '*vpp_plugins*' | head -1)")
    [ -d "$plugin_dir" ] || die "no vpp_plugins directory under $VPP_PREFIX"
    # Shared-memory segment names are global (/dev/shm): derive the prefix from the run directory.
    api_prefix=bngvpp-$(printf %s "$run_dir" | cksum | cut -d' ' -f1)
    if [ -n "$VPP_MAIN_CORE" ]; then
        main_core="main-core $VPP_MAIN_CORE"
    else
        main_core="# main-core: VPP_MAIN_CORE not set"
    fi
    sed -e "s|@RUN_DIR@|$run_dir|g" -e "s|@PLUGIN_DIR@|$plugin_dir|g" -e "s|@API_PREFIX@|$api_prefix|g" \
        -e "s|@MAIN_CORE@|$main_core|g" "$template" >"$run_dir/startup.conf"
    rm -f "$run_dir/api.sock" "$run_dir/stats.sock" "$run_dir/cli.sock" "$pidfile"
    setsid "$vpp" -c "$run_dir/startup.conf" </dev/null >"$run_dir/vpp.out" 2>&1 &
    pid=$!
    for ((i = 0; i < VPP_WAIT * 10; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -20 "$run_dir/vpp.out" >&2
            die "VPP exited during startup; see $run_dir/vpp.out and $run_dir/vpp.log"
        fi
        if socket_answers "$run_dir/api.sock" STREAM && socket_answers "$run_dir/stats.sock" SEQPACKET &&
           "$vppctl" -s "$run_dir/cli.sock" show version >/dev/null 2>&1; then
            break
        fi
        sleep 0.1
    done
    if ((i >= VPP_WAIT * 10)); then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        die "VPP did not answer on $run_dir/api.sock within ${VPP_WAIT}s; see $run_dir/vpp.out"
    fi
    [ -s "$pidfile" ] || echo "$pid" >"$pidfile"
    [ -z "$VPP_PORTS" ] || add_ports "$vppctl"
    log "VPP $("$vppctl" -s "$run_dir/cli.sock" show version | head -1) running, pid $pid, run dir $run_dir"
    echo "  bng-agent run --vpp-api-socket $run_dir/api.sock --vpp-stats-socket $run_dir/stats.sock"
    echo "  $vppctl -s $run_dir/cli.sock show version"
    echo "  stop: make vpp-stop VPP_RUN_DIR=$run_dir"
}

stop() {
    local pid i
    if ! pid=$(running_pid); then
        log "no VPP running in $run_dir"
        rm -f "$pidfile"
        del_ports
        return 0
    fi
    kill -TERM "$pid"
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "VPP (pid $pid) ignored SIGTERM for 10 s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile" "$run_dir/api.sock" "$run_dir/stats.sock" "$run_dir/cli.sock"
    del_ports
    log "stopped VPP (pid $pid) in $run_dir"
}

status() {
    local pid
    if pid=$(running_pid); then
        log "VPP running in $run_dir (pid $pid)"
    else
        log "no VPP running in $run_dir"
        return 1
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) die "usage: $0 start|stop|status" ;;
esac
