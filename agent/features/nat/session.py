"""NAT44 for subscriber sessions: the session manager's hook (``SessionProgrammer.add_hook``) for the
``nat-instance`` policy attribute (from the session template, the API, RADIUS or CoA).

VPP translates a packet by the interface it arrives on: nat44-ed's (or det44's) *inside* feature must be
on that interface, and the packet's FIB (the interface's VRF) picks the instance's pools. So:

* a 1:1 VLAN session (a sub-interface of its own) gets the inside feature of its instance's plugin on
  that sub-interface, as the same items (keys, values, descriptors) a configured ``inside-interface``
  makes, so reconcile reads them back from ``nat44_interface_dump`` / ``det44_interface_dump`` and a
  failed submission is reverted like any other;
* a shared-VLAN session rides on the access interface, which is configuration: it is covered only when
  that interface is an ``inside-interface`` of the instance, and a session asking for an instance whose
  inside interfaces do not include it is refused (nothing per session could make VPP translate it);
* the instance must be in the session's VRF (nat44-ed's pools are chosen by the inside FIB; det44 has
  one inside VRF), so a session in another VRF is refused rather than left silently untranslated.

Refusals are :class:`~agent.sessions.api.InvalidRequest` (INVALID_ARGUMENT / NETCONF ``invalid-value``)
raised before anything is programmed: :meth:`NatSessionHook.validate` for an instance that is not
configured, :meth:`NatSessionHook.check` (called by the programmer for a session whose policy changed)
for the VRF and the shared-VLAN rule. :meth:`NatSessionHook.items` itself never raises: a session
restored after its instance was deleted simply has no NAT items.

For a deterministic instance the session's outside address and port block follow from configuration
alone (:mod:`agent.features.nat.det44`, VPP's own arithmetic): :func:`session_nat` gives them for the
session's operational data.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from agent.features.base import Lookup
from agent.features.interfaces import keys as if_keys
from agent.features.jsonietf import member
from agent.features.nat import keys
from agent.features.nat.det44 import DetMap
from agent.features.nat.items import det_maps, instances, is_enabled, mode
from agent.features.nat.values import Det44InterfaceValue, Nat44InterfaceValue
from agent.vpp.config import Entry
from agent.vpp.items import Item, Value

#: The session policy attribute naming a NAT instance (``agent.sessions.api.PolicyAttr.NAT``).
NAT_INSTANCE = "nat-instance"


def find_instance(ctx: Lookup, value: str | None) -> Entry | None:
    """The enabled ``ietf-nat`` instance with this id, or ``None``."""
    if value is None or not value.strip().isdigit():
        return None
    for inst in instances(ctx.get(keys.ROOT)):
        if int(inst["id"]) == int(value) and is_enabled(inst):
            return inst
    return None


def _inside(inst: Entry) -> set[str]:
    return {str(n) for n in member(inst, "inside-interface", []) or []}


def _per_subscriber(session: Any) -> bool:
    return bool(session.interface != session.key.access_interface)


def refusal(session: Any, ctx: Lookup) -> str | None:
    """Why a session cannot have the NAT instance its policy names (``None``: it can, or names none)."""
    value = session.policy_value(NAT_INSTANCE)
    if value is None:
        return None
    inst = find_instance(ctx, value)
    if inst is None:
        return f"NAT instance {value!r} is not configured (or not enabled)"
    inst_vrf = member(inst, "vrf")
    inst_vrf = str(inst_vrf) if inst_vrf else None
    if inst_vrf != session.vrf:
        return (
            f"NAT instance {value} translates VRF {inst_vrf or 'default'} but the session is in VRF "
            f"{session.vrf or 'default'}"
        )
    if not _per_subscriber(session) and session.key.access_interface not in _inside(inst):
        return (
            f"session on shared VLAN {session.key.access_interface}: NAT instance {value} covers it only "
            f"when that access interface is one of the instance's inside-interface (configure it there)"
        )
    return None


def session_nat(session: Any, ctx: Lookup) -> dict[str, Any] | None:
    """The session's ``nat`` operational container (JSON-IETF members), ``None`` without NAT: the
    instance, its mode and, for det44, the outside address and port block of the session's IPv4
    address (the answer ``det44_forward`` gives)."""
    value = session.policy_value(NAT_INSTANCE)
    inst = find_instance(ctx, value)
    if inst is None:
        return None
    out: dict[str, Any] = {"instance": int(inst["id"]), "mode": mode(inst)}
    if mode(inst) != "deterministic" or session.ipv4 is None:
        return out
    addr = ipaddress.IPv4Address(session.ipv4.address)
    for iid, inside, outside in det_maps(ctx.get(keys.ROOT)):
        dm = DetMap.of(inside, outside)
        if iid == int(inst["id"]) and addr in dm.inside:
            o, lo, hi = dm.forward(addr)
            out["outside-address"] = str(o)
            out["port-range"] = {"start": lo, "end": hi}
            break
    return out


class NatSessionHook:
    """The NAT feature's :class:`agent.sessions.api.SessionHook` (``bng-agent run`` registers it)."""

    name = "nat"

    def items(self, session: Any, ctx: Lookup) -> list[Item[Value]]:
        if not _per_subscriber(session):
            return []  # the access interface's inside feature is configuration
        inst = find_instance(ctx, session.policy_value(NAT_INSTANCE))
        if inst is None:
            return []
        name = session.interface
        deps = [if_keys.interface(name)]
        if session.vrf is not None:
            deps.append(if_keys.binding(name, False))  # VPP sizes nat44-ed's per-VRF state from the binding
        if mode(inst) == "deterministic":
            return [
                Item(
                    keys.det44_interface(name, True),
                    Det44InterfaceValue(name, True),
                    (keys.DET44_PLUGIN, *deps),
                    None,  # det44 has no interface-delete callback: removed by call before the sub-interface
                    "session",
                )
            ]
        return [
            Item(
                keys.nat44_interface(name, True),
                Nat44InterfaceValue(name, True),
                (keys.NAT44_PLUGIN, *deps),
                name,
                "session",
            )
        ]

    def validate(self, attr: Any, value: str, ctx: Lookup) -> str | None:
        if str(attr) != NAT_INSTANCE or find_instance(ctx, value) is not None:
            return None
        return f"NAT instance {value!r} is not configured (or not enabled)"

    def check(self, session: Any, ctx: Lookup) -> str | None:
        """The whole session against its instance (VRF, shared VLAN): see :func:`refusal`."""
        return refusal(session, ctx)


NAT_HOOK = NatSessionHook()
