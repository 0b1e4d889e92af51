"""VPP's API return values by name and text (``src/vnet/api_errno.h`` of the release the agent targets).

A bare ``-80`` means nothing to a network engineer; ``-80 BOND_SLAVE_NOT_ALLOWED (Operation not allowed on
slave of BondEthernet)`` says what VPP refused and why. The table is data (``api/vpp_errno.json``,
generated from VPP's ``src/vnet/error.h`` by ``scripts/gen_vpp_errno.py``), so a release bump is one
regeneration, and every place that shows a ``retval`` -- NETCONF error-message and error-info, the gNMI
status message, logs -- formats it through :func:`describe`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from agent.vpp.api import API_DIR

ERRNO_FILE = API_DIR / "vpp_errno.json"


@dataclass(frozen=True)
class VppErrno:
    value: int
    name: str  # VNET_API_ERROR_<name>
    text: str  # VPP's own description (format_vnet_api_errno prints it)


@cache
def table() -> dict[int, VppErrno]:
    """Every return value VPP defines, by value."""
    doc = json.loads(ERRNO_FILE.read_text(encoding="utf-8"))
    return {int(e["value"]): VppErrno(int(e["value"]), str(e["name"]), str(e["text"])) for e in doc["errors"]}


def lookup(retval: int) -> VppErrno | None:
    """The entry for ``retval``; None for 0 and for values this VPP release does not define."""
    return table().get(int(retval))


def name_of(retval: int) -> str:
    """``BOND_SLAVE_NOT_ALLOWED`` for -80; ``OK`` for 0; ``UNKNOWN`` for a value VPP does not define."""
    if retval == 0:
        return "OK"
    e = lookup(retval)
    return e.name if e is not None else "UNKNOWN"


def describe(retval: int) -> str:
    """``-80 BOND_SLAVE_NOT_ALLOWED (Operation not allowed on slave of BondEthernet)``."""
    e = lookup(retval)
    if e is None:
        return f"{retval} {name_of(retval)}"
    return f"{retval} {e.name} ({e.text})"
