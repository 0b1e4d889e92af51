"""``vpe.api`` ``show_version`` and ``vlib.api`` ``cli_inband`` (a few read-only ``show`` commands).

VPP answers ``cli_inband`` with retval 0 and the command's output, including for commands it does not
know (``src/vlib/cli.c`` prints the parse error into the reply), so vppsim does the same.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from vppsim import errno
from vppsim.handlers.registry import REGISTRY, Call, Reply

VERSION = "26.06-release"
BUILD_DATE = "2026-06-24T00:00:00"


@REGISTRY.handler("show_version")
def show_version(call: Call, msg: Any) -> Reply:
    # vpe_api.c vl_api_show_version_t_handler
    return {
        "retval": errno.OK,
        "program": "vpe",
        "version": VERSION,
        "build_date": BUILD_DATE,
        "build_directory": "/w/workspace/vpp-merge-2606-ubuntu2404-x86_64",
    }


def _show_interface(call: Call) -> str:
    emu = call.emu
    lines = [f"{'Name':>15}{'Idx':>18}{'State':>9}  {'MTU (L3/IP4/IP6/MPLS)':<24}"]
    for i in sorted(emu.interfaces.all(), key=lambda x: x.name):  # interface_cli.c sorts by name
        state = "up" if i.admin_up else "down"
        mtu = "/".join(str(m) for m in i.mtu)
        lines.append(f"{i.name:<32}{i.sw_if_index:>3}{state:>10}{mtu:>18}")
    return "\n".join(lines) + "\n"


def _show_interface_address(call: Call) -> str:
    """``show interface address`` as ``src/vnet/interface_cli.c`` prints it: interfaces sorted by name;
    an unnumbered one gets ``"<name> (dn): \n  unnumbered, use <lender>"`` (note the space before the
    newline) followed by the lender's addresses (``foreach_ip_interface_address`` honours
    unnumbered); ``table-id``/``fib-idx`` are printed only outside table 0."""
    emu = call.emu
    fib_index = {(t.is_ip6, t.table_id): n for n, t in enumerate(emu.fib.all())}
    out = []
    for i in sorted(emu.interfaces.all(), key=lambda x: x.name):
        state = "up" if i.admin_up else "dn"
        source = i
        if i.unnumbered_via is not None and (lender := emu.interfaces.get(i.unnumbered_via)) is not None:
            out.append(f"{i.name} ({state}): \n  unnumbered, use {lender.name}")
            source = lender
        else:
            out.append(f"{i.name} ({state}):")
        for fam, is_ip6 in (("ip4", False), ("ip6", True)):
            table = source.table_v6 if is_ip6 else source.table_v4
            for a in source.addresses:
                if isinstance(a, ipaddress.IPv6Interface) != is_ip6:
                    continue
                if table:
                    out.append(f"  L3 {a} {fam} table-id {table} fib-idx {fib_index.get((is_ip6, table), 0)}")
                else:
                    out.append(f"  L3 {a}")
    return "\n".join(out) + "\n"


def _show_ip_fib_summary(call: Call, is_ip6: bool) -> str:
    out = []
    for t in call.emu.fib.all():
        if t.is_ip6 != is_ip6:
            continue
        fam = "ipv6" if is_ip6 else "ipv4"
        out.append(
            f"{fam}-VRF:{t.table_id}, fib_index:{t.table_id}, flow hash:[src dst sport dport proto flowlabel]"
        )
        out.append("    Prefix length         Count")
        counts: dict[int, int] = {}
        for prefix in t.routes:
            counts[prefix.prefixlen] = counts.get(prefix.prefixlen, 0) + 1
        for plen in sorted(counts, reverse=True):
            out.append(f"{plen:>16}{counts[plen]:>19}")
    return "\n".join(out) + "\n"


@REGISTRY.handler("cli_inband")
def cli_inband(call: Call, msg: Any) -> Reply:
    # vlib/cli.c + vlibmemory/vlib_api_cli.c vl_api_cli_inband_t_handler
    words = msg.cmd.split()
    cmd = " ".join(words)
    if cmd in ("show version", "sh ver", "show ver"):
        reply = f"vpp v{VERSION} built by vppsim on vppsim at {BUILD_DATE}\n"
    elif cmd in ("show interface", "sh int", "show int"):
        reply = _show_interface(call)
    elif cmd in ("show interface address", "sh int addr", "show int addr"):
        reply = _show_interface_address(call)
    elif cmd in ("show ip fib summary", "sh ip fib sum"):
        reply = _show_ip_fib_summary(call, False)
    elif cmd in ("show ip6 fib summary", "sh ip6 fib sum"):
        reply = _show_ip_fib_summary(call, True)
    else:
        reply = f"{words[0] if words else ''}: unknown input `{' '.join(words[1:])}'\n"
    return {"retval": errno.OK, "reply": reply}
