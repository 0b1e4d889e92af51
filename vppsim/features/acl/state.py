"""The ACL plugin's state as VPP 26.06 keeps it (``src/plugins/acl/acl.c``, ``acl.h``, ``sess_mgmt.h``).

- ACLs and MAC/IP ACLs live in two pools (``am->acls``, ``am->macip_acls``); a new one takes the index
  freed last, else the next (``vppinfra/pool.h``: ``free_indices[n_free - 1]``).
- Each interface has an input and an output list of ACL indices (``input_acl_vec_by_sw_if_index``) and
  at most one MAC/IP ACL (``macip_acl_by_sw_if_index``); deleting an interface clears all three
  (``acl_sw_interface_add_del``).
- Every ACL has a combined counter vector ``/acl/<index>/matches`` with one element per rule plus one
  (``validate_and_reset_acl_counters``), zeroed whenever the ACL is added or replaced; the data plane
  counts a matched rule only while ``acl_stats_intf_counters_enable`` is on (``dataplane_node.c``).
- A packet is checked against the interface's ACLs in order, rules in order; the first matching rule
  decides, no match denies. ``permit+reflect`` also creates a session (``fa_add_session``), and a
  packet of a known session -- the same 5-tuple the other way round, on the same interface -- passes
  without being checked (``acl_fa_node_fn``: "session hit"). Sessions added and deleted are counted per
  interface (``fa_session_adds_by_sw_if_index``) as ``show acl-plugin sessions`` prints them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

NONE = 0xFFFFFFFF
DENY, PERMIT, PERMIT_REFLECT = 0, 1, 2


@dataclass(slots=True)
class AclList:
    tag: str
    rules: list[dict[str, Any]]


@dataclass(slots=True)
class Pool:
    """A vppinfra pool of lists: indices are reused, the most recently freed first."""

    items: dict[int, AclList] = field(default_factory=dict)
    free: list[int] = field(default_factory=list)
    size: int = 0

    def get(self) -> int:
        if self.free:
            return self.free.pop()
        self.size += 1
        return self.size - 1

    def put(self, index: int) -> None:
        del self.items[index]
        self.free.append(index)


Session = tuple[int, str, str, int, int, int]  # sw_if_index, src, dst, proto, sport, dport


@dataclass(slots=True)
class AclPlugin:
    acls: Pool = field(default_factory=Pool)
    macips: Pool = field(default_factory=Pool)
    inputs: dict[int, list[int]] = field(default_factory=dict)
    outputs: dict[int, list[int]] = field(default_factory=dict)
    macip_by_if: dict[int, int] = field(default_factory=dict)
    macip_vec_len: int = 0  # len(macip_acl_by_sw_if_index): the dump of one index answers below it
    counters_enabled: bool = False
    sessions: set[Session] = field(default_factory=set)
    session_adds: dict[int, int] = field(default_factory=dict)
    session_dels: dict[int, int] = field(default_factory=dict)

    def used_by(self, index: int) -> tuple[bool, bool]:
        """Whether ACL ``index`` is on some interface's input / output list."""
        return (
            any(index in v for v in self.inputs.values()),
            any(index in v for v in self.outputs.values()),
        )

    def interface_deleted(self, sw_if_index: int) -> None:
        # acl.c acl_sw_interface_add_del: clear sessions, unapply the MAC/IP ACL and both lists
        self.clear_sessions(sw_if_index)
        if self.macip_by_if.get(sw_if_index, NONE) != NONE:
            self.macip_by_if[sw_if_index] = NONE
        self.inputs.pop(sw_if_index, None)
        self.outputs.pop(sw_if_index, None)

    def clear_sessions(self, sw_if_index: int) -> None:
        gone = {s for s in self.sessions if s[0] == sw_if_index}
        if gone:
            self.sessions -= gone
            self.session_dels[sw_if_index] = self.session_dels.get(sw_if_index, 0) + len(gone)

    def classify(
        self, sw_if_index: int, is_input: bool, src: str, dst: str, proto: int, sport: int, dport: int
    ) -> tuple[str, int | None, int | None]:
        """What the ACL plugin does with one packet: ("session" | "permit" | "deny" | "none", acl, rule).

        "none": the interface has no ACL in that direction (the feature is not on the arc)."""
        lists = (self.inputs if is_input else self.outputs).get(sw_if_index, [])
        if not lists:
            return "none", None, None
        forward = (sw_if_index, src, dst, proto, sport, dport)
        if forward in self.sessions or (sw_if_index, dst, src, proto, dport, sport) in self.sessions:
            return "session", None, None
        s_addr, d_addr = ipaddress.ip_address(src), ipaddress.ip_address(dst)
        for index in lists:
            for i, r in enumerate(self.acls.items[index].rules):
                if _matches(r, s_addr, d_addr, proto, sport, dport):
                    action = int(r["is_permit"])
                    if action == PERMIT_REFLECT:
                        self.sessions.add((sw_if_index, src, dst, proto, sport, dport))
                        self.session_adds[sw_if_index] = self.session_adds.get(sw_if_index, 0) + 1
                    return ("deny" if action == DENY else "permit"), index, i
        return "deny", None, None


def _matches(r: dict[str, Any], src: Any, dst: Any, proto: int, sport: int, dport: int) -> bool:
    # public_inlines.h single_acl_match_5tuple: family, prefixes, protocol (0: any), then for TCP/UDP
    # and ICMP the port (type/code) ranges; TCP flags are not modelled (no flags in this packet model)
    sp, dp = r["src_prefix"], r["dst_prefix"]
    if src.version != sp.version or src not in sp or dst not in dp:
        return False
    if r["proto"] and int(r["proto"]) != proto:
        return False
    if not r["proto"]:
        return True
    if not int(r["srcport_or_icmptype_first"]) <= sport <= int(r["srcport_or_icmptype_last"]):
        return False
    return int(r["dstport_or_icmpcode_first"]) <= dport <= int(r["dstport_or_icmpcode_last"])
