"""An ``ietf-access-control-list`` ACL (RFC 8519) compiled to the rules of VPP's ACL plugin.

What VPP can express (``src/plugins/acl/acl_types.api``, ``acl.c`` ``acl_add_list``): per rule an action
(deny, permit, permit+reflect), a source and a destination prefix of one address family, an IP protocol,
a source and a destination port range (the ICMP type and code range for ICMP), and masked TCP flags.
So one ACE becomes one or more VPP rules:

- an ACE without an IPv4/IPv6 match applies to both families: two rules (``0.0.0.0/0`` and ``::/0``);
- a port ``operator`` is a range: ``eq p`` -> p..p, ``lte p`` -> 0..p, ``gte p`` -> p..65535, and
  ``neq p`` -> two rules, 0..p-1 and p+1..65535 (source and destination multiply);
- TCP ``flags`` match when those flags are set (mask = value = the flags), others are ignored.

An Ethernet ACL type (``eth-acl-type`` and the mixed types) is a MAC/IP ACL (``macip_acl_add_replace``):
source MAC and mask with a source prefix, permit or deny, ingress only. Anything VPP cannot do is
refused with an error naming the ACE (most of it already by YANG ``must`` rules at validate time, see
``bng-deviations``), so nothing is half-applied.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterator
from itertools import product
from typing import Any

from agent.errors import ValidationError
from agent.features.acl.values import (
    DENY,
    PERMIT,
    PERMIT_REFLECT,
    AclRule,
    AclValue,
    MacipRule,
    MacipValue,
)
from agent.features.jsonietf import member
from agent.vpp.items import TAG_PREFIX

ANY4, ANY6 = "0.0.0.0/0", "::/0"
FULL = (0, 65535)
ICMP_ANY = (0, 255)
TCP, UDP, ICMP4, ICMP6 = 6, 17, 1, 58
ZERO_MAC = "00:00:00:00:00:00"
ALL_MAC = "ff:ff:ff:ff:ff:ff"

#: ACL types compiled to MAC/IP ACLs (identities derived from ``eth-acl-type``)
ETH_TYPES = frozenset(
    {"eth-acl-type", "mixed-eth-ipv4-acl-type", "mixed-eth-ipv6-acl-type", "mixed-eth-ipv4-ipv6-acl-type"}
)
#: forwarding identity (local name) -> VPP action
ACTIONS = {"accept": PERMIT, "drop": DENY, "accept-reflexive": PERMIT_REFLECT}
#: ietf-packet-fields TCP flag bits -> the bit in the TCP header (RFC 9293)
TCP_FLAGS = {
    "fin": 0x01,
    "syn": 0x02,
    "rst": 0x04,
    "psh": 0x08,
    "ack": 0x10,
    "urg": 0x20,
    "ece": 0x40,
    "cwr": 0x80,
}
#: VPP's tag is ``string tag[64]`` with its NUL: 63 characters
TAG_MAX = 63

ACLS_PATH = "/ietf-access-control-list:acls"


class AclError(ValidationError):
    """An ACL VPP's ACL plugin cannot express (reported before anything is sent to VPP)."""


def ace_path(acl: str, ace: str | None = None) -> str:
    p = f"{ACLS_PATH}/acl[name='{acl}']"
    return p if ace is None else f"{p}/aces/ace[name='{ace}']"


def local(identity: Any) -> str:
    """``ietf-access-control-list:accept`` -> ``accept``."""
    return str(identity or "").rpartition(":")[2]


def tag_for(name: str) -> str:
    """The tag of the agent's ACL ``name`` (``bng-agent:<name>``; a long name is cut and made unique by a
    hash, and reconcile maps it back through the configured names)."""
    tag = TAG_PREFIX + name
    if len(tag) <= TAG_MAX:
        return tag
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return tag[: TAG_MAX - 9] + "~" + digest


def is_macip(entry: dict[str, Any]) -> bool:
    return local(member(entry, "type")) in ETH_TYPES


def compile_acl(name: str, entry: dict[str, Any]) -> AclValue | MacipValue:
    aces = member(member(entry, "aces"), "ace", []) or []
    if is_macip(entry):
        mrules: list[MacipRule] = []
        mcounts: list[tuple[str, int]] = []
        for ace in aces:
            mgot = list(_macip_rules(name, ace))
            mrules += mgot
            mcounts.append((str(ace["name"]), len(mgot)))
        return MacipValue(tag_for(name), tuple(mrules), tuple(mcounts))
    rules: list[AclRule] = []
    counts: list[tuple[str, int]] = []
    for ace in aces:
        got = list(_rules(name, ace))
        rules += got
        counts.append((str(ace["name"]), len(got)))
    return AclValue(tag_for(name), tuple(rules), tuple(counts))


def _action(acl: str, ace: dict[str, Any], allowed: dict[str, int]) -> int:
    fwd = local(member(member(ace, "actions"), "forwarding"))
    if fwd not in allowed:
        raise AclError(
            f"ACE {ace['name']!r} of ACL {acl!r}: forwarding action {fwd!r} is not supported by VPP's "
            f"ACL plugin here (supported: {', '.join(sorted(allowed))})",
            path=ace_path(acl, str(ace["name"])) + "/actions/forwarding",
        )
    return allowed[fwd]


def _net(text: str) -> str:
    return str(ipaddress.ip_network(text, strict=False))


def _rules(acl: str, ace: dict[str, Any]) -> Iterator[AclRule]:
    name = str(ace["name"])
    where = ace_path(acl, name)
    action = _action(acl, ace, ACTIONS)
    m = member(ace, "matches") or {}
    if member(m, "eth") is not None:
        raise AclError(
            f"ACE {name!r}: Ethernet matches need an Ethernet ACL type (a MAC/IP ACL in VPP)",
            path=where + "/matches/eth",
        )
    v4, v6 = member(m, "ipv4"), member(m, "ipv6")
    l3 = v4 if v4 is not None else v6
    families: list[tuple[bool, str, str, int | None]] = []
    if v4 is not None:
        families.append(
            (
                False,
                _net(member(v4, "source-ipv4-network", ANY4)),
                _net(member(v4, "destination-ipv4-network", ANY4)),
                member(v4, "protocol"),
            )
        )
    elif v6 is not None:
        families.append(
            (
                True,
                _net(member(v6, "source-ipv6-network", ANY6)),
                _net(member(v6, "destination-ipv6-network", ANY6)),
                member(v6, "protocol"),
            )
        )
    else:
        families = [(False, ANY4, ANY4, None), (True, ANY6, ANY6, None)]
    tcp, udp, icmp = member(m, "tcp"), member(m, "udp"), member(m, "icmp")
    for is_ip6, src, dst, l3proto in families:
        proto = 0 if l3proto is None else int(l3proto)
        sports: list[tuple[int, int]] = [FULL]
        dports: list[tuple[int, int]] = [FULL]
        mask = value = 0
        l4 = tcp if tcp is not None else udp
        if l4 is not None:
            want = TCP if tcp is not None else UDP
            if l3 is not None and l3proto is not None and proto != want:
                raise AclError(
                    f"ACE {name!r}: protocol {proto} contradicts its {'TCP' if want == TCP else 'UDP'} match",
                    path=where + "/matches",
                )
            proto = want
            sports = _ports(where + "/matches", member(l4, "source-port"))
            dports = _ports(where + "/matches", member(l4, "destination-port"))
            if tcp is not None and member(tcp, "flags"):
                mask = value = sum(TCP_FLAGS[f] for f in str(member(tcp, "flags")).split())
        elif icmp is not None:
            want = ICMP6 if is_ip6 else ICMP4
            if l3 is not None and l3proto is not None and proto != want:
                raise AclError(
                    f"ACE {name!r}: protocol {proto} contradicts its ICMP match", path=where + "/matches"
                )
            proto = want
            t, c = member(icmp, "type"), member(icmp, "code")
            sports = [ICMP_ANY if t is None else (int(t), int(t))]
            dports = [ICMP_ANY if c is None else (int(c), int(c))]
        for sp, dp in product(sports, dports):
            yield AclRule(action, src, dst, proto, sp, dp, mask, value)


def _ports(where: str, spec: dict[str, Any] | None) -> list[tuple[int, int]]:
    """A ``port-range-or-operator`` as ranges (``neq`` is two)."""
    if not spec:
        return [FULL]
    lo, hi = member(spec, "lower-port"), member(spec, "upper-port")
    if lo is not None and hi is not None:
        lo, hi = int(lo), int(hi)
        if lo > hi:  # the YANG must rule catches this first; kept for data that bypassed it
            raise AclError(f"port range {lo}-{hi} is reversed", path=where)
        return [(lo, hi)]
    port = member(spec, "port")
    if port is None:
        return [FULL]
    p = int(port)
    op = local(member(spec, "operator", "eq"))
    if op == "eq":
        return [(p, p)]
    if op == "lte":
        return [(0, p)]
    if op == "gte":
        return [(p, 65535)]
    return [r for r in ((0, p - 1), (p + 1, 65535)) if r[0] <= r[1]]  # neq


def _macip_rules(acl: str, ace: dict[str, Any]) -> Iterator[MacipRule]:
    name = str(ace["name"])
    where = ace_path(acl, name)
    action = _action(acl, ace, {"accept": PERMIT, "drop": DENY})
    m = member(ace, "matches") or {}
    for l4 in ("tcp", "udp", "icmp"):
        if member(m, l4) is not None:
            raise AclError(
                f"ACE {name!r}: a MAC/IP ACL (Ethernet ACL type) matches source MAC and source prefix only, "
                f"not {l4.upper()}",
                path=where + "/matches/" + l4,
            )
    eth = member(m, "eth") or {}
    mac = member(eth, "source-mac-address")
    mask = member(eth, "source-mac-address-mask")
    mac_s = str(mac).lower() if mac is not None else ZERO_MAC
    mask_s = str(mask).lower() if mask is not None else (ALL_MAC if mac is not None else ZERO_MAC)
    v4, v6 = member(m, "ipv4"), member(m, "ipv6")
    srcs: list[str] = []
    for l3, fam, any_ in ((v4, "ipv4", ANY4), (v6, "ipv6", ANY6)):
        if l3 is None:
            continue
        extra = sorted(k.rpartition(":")[2] for k in l3 if k.rpartition(":")[2] != f"source-{fam}-network")
        if extra:
            raise AclError(
                f"ACE {name!r}: a MAC/IP ACL matches the source prefix only, not {', '.join(extra)}",
                path=where + "/matches/" + fam,
            )
        srcs.append(_net(member(l3, f"source-{fam}-network", any_)))
    if not srcs:
        srcs = [ANY4, ANY6]
    for src in srcs:
        yield MacipRule(action, mac_s, mask_s, src)
