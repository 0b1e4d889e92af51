"""The key/value items the planner works on, and the VPP calls descriptors turn them into.

A committed configuration is flattened into :class:`Item` records with stable keys
(``interface/GigabitEthernet0/8/0.100``, ``address/GigabitEthernet0/8/0.100/10.0.0.1/24``,
``route/blue/10.0.0.0/8`` ...). Descriptors never talk to VPP directly: they return :class:`VppCall`
records whose interface arguments are :class:`IfRef` names, resolved to ``sw_if_index`` only when the
executor sends them. That keeps planning pure (a dry run prints exactly the calls a commit would make)
and lets an undo call refer to an interface that is re-created with a new index.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, TypeVar

TAG_PREFIX = "bng-agent:"

#: Where an item comes from: committed northbound configuration, or a run-time source such as the
#: session manager (a subscriber's policer, ACL, NAT mapping), which never goes through a commit.
Origin = Literal["config", "session"]
#: A run-time item's state: programmed, waiting for an item it depends on, or refused by VPP.
ItemState = Literal["applied", "pending", "failed"]


def tag_for(name: str) -> str:
    """The tag the agent sets on every interface it creates (VPP limits tags to 64 bytes)."""
    return (TAG_PREFIX + name)[:63]


class Value:
    """Base of the value types, one frozen dataclass per item kind (``SubifValue``, ``RouteValue`` ...),
    defined by the feature that owns the kind. ``kind`` names the descriptor that programs it; two
    values compare equal when they mean the same object in VPP (configured and retrieved values are
    built to compare with ``==``)."""

    __slots__ = ()
    kind: ClassVar[str]


V = TypeVar("V", bound=Value, covariant=True)


@dataclass(slots=True)
class Item(Generic[V]):
    """One thing VPP holds: an interface, an address, a table binding, a route ...

    ``deps`` are keys that must exist before this item is created (and outlive it on delete).
    ``owner`` is the interface whose deletion removes this item inside VPP as well (addresses, flags,
    table bindings go with a deleted sub-interface), so the planner need not send a call for it.
    ``origin`` says who asked for it (see :data:`Origin`).
    ``order`` places the item's call among the calls of its wave (sorted by ``order``, then by key);
    it is not part of the item's identity. Addresses are grouped by family and table with it: in VPP
    each address add walks every IP-enabled interface of the same multicast FIB table, and VPP does
    that walk about five times faster while the previous add walked the same table (docs/southbound.md,
    "Call order within a wave").
    """

    key: str
    value: V
    deps: tuple[str, ...] = ()
    owner: str | None = None
    origin: Origin = "config"
    order: tuple[int, ...] = field(default=(), compare=False)

    @property
    def kind(self) -> str:
        return self.value.kind


@dataclass(frozen=True, slots=True)
class IfRef:
    """An interface argument, by agent name; the executor swaps in the current ``sw_if_index``."""

    name: str

    def __repr__(self) -> str:
        return f"<{self.name}>"


@dataclass(frozen=True, slots=True)
class HandleRef:
    """An index VPP assigns to a non-interface object (an ACL's ``acl_index``), by the item key that
    made it; the executor swaps in the current index, as it does for :class:`IfRef`."""

    key: str

    def __repr__(self) -> str:
        return f"<{self.key}>"


@dataclass(slots=True)
class VppCall:
    """One binary-API request. ``binds``: the reply's ``sw_if_index`` becomes this interface's index;
    ``unbinds``: the interface leaves the name map once the call succeeds. ``binds_handle``:
    (item key, reply field) -- the reply's field becomes that object's index (an ACL made with
    ``acl_add_replace``); ``unbinds_handle``: the object's index is forgotten once the call succeeds."""

    msg: str
    args: dict[str, Any]
    binds: str | None = None
    unbinds: str | None = None
    ok_retvals: tuple[int, ...] = field(default=(0,))
    binds_handle: tuple[str, str] | None = None
    unbinds_handle: str | None = None

    def render(self) -> str:
        inner = ", ".join(f"{k}={_render(v)}" for k, v in self.args.items())
        return f"{self.msg}({inner})"


_QUIET = frozenset({"label_stack", "n_labels", "rpf_id"})


#: A longer array is rendered as its first elements and a count (an ACL's 10,000 rules)
RENDERED_ELEMENTS = 64


def _render_prefix(v: dict[str, Any]) -> str | None:
    """A ``vl_api_prefix_t`` in wire form (``{"address": {"af", "un"}, "len"}``) as ``10.0.0.0/8``."""
    try:
        un = v["address"]["un"]
        raw = un.get("ip6") if v["address"]["af"] else un.get("ip4")
        return f"{ipaddress.ip_address(raw)}/{int(v['len'])}"
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _render(v: Any) -> str:
    if isinstance(v, dict) and v.keys() == {"address", "len"} and (text := _render_prefix(v)) is not None:
        return text
    if isinstance(v, (list, tuple)) and len(v) > RENDERED_ELEMENTS:
        shown = ", ".join(_render(x) for x in v[:RENDERED_ELEMENTS])
        return f"[{shown}, ... ({len(v)} in all)]"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_render(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}={_render(x)}" for k, x in v.items() if k not in _QUIET) + "}"
    return repr(v) if not isinstance(v, str) else v


def has_ref(v: Any) -> bool:
    if isinstance(v, (IfRef, HandleRef)):
        return True
    if isinstance(v, dict):
        return any(has_ref(x) for x in v.values())
    if isinstance(v, list):
        return any(has_ref(x) for x in v)
    return False
