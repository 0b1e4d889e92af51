"""IPv6 multicast FIB entries, as much of ``src/vnet/mfib`` as the DHCPv6 relay's receive path needs.

Every IPv6 table has VPP's special entries (``ip6_mfib.c`` ``ip6_mfib_specials``: ::/0 with no path, and
ff02::1, ff02::2, ff02::16 (/128) and the solicited-node prefix ff02::1:ff00:0/104, each forwarding to the
local stack); API entries are added to them. An entry whose API paths are all removed stays, with no path
(recorded: tests/fixtures/vpp/dhcp6.json). The dump reports entry flags and interface flags as 0 (VPP's
``mfib_entry_encode`` does not fill them), so they are kept here only to decide what is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv6Address, IPv6Network
from typing import Any

MFIB_API_ENTRY_FLAG_ACCEPT_ALL_ITF = 0x8
MFIB_API_ITF_FLAG_FORWARD = 0x4
PATH_TYPE_LOCAL = 1

SPECIALS = (
    (IPv6Network("::/0"), False),
    (IPv6Network("ff02::1/128"), True),
    (IPv6Network("ff02::2/128"), True),
    (IPv6Network("ff02::16/128"), True),
    (IPv6Network("ff02::1:ff00:0/104"), True),
)


@dataclass(slots=True)
class MEntry:
    prefix: IPv6Network
    entry_flags: int = 0
    paths: list[dict[str, Any]] = field(default_factory=list)  # API paths: {"itf_flags", "path"}
    special_local: bool = False  # one of ip6_mfib_specials' local paths

    def accepts_local(self) -> bool:
        """Whether a packet to this group from any interface goes to the local stack."""
        if self.special_local:
            return True
        accept_all = bool(self.entry_flags & MFIB_API_ENTRY_FLAG_ACCEPT_ALL_ITF)
        return accept_all and any(int(p["path"].get("type", 0)) == PATH_TYPE_LOCAL for p in self.paths)


class Mfib6:
    """IPv6 mFIB entries of every table the emulator has (looked up through the routes FIB)."""

    def __init__(self) -> None:
        self.tables: dict[int, dict[IPv6Network, MEntry]] = {}

    def table(self, table_id: int) -> dict[IPv6Network, MEntry]:
        t = self.tables.get(table_id)
        if t is None:
            t = self.tables[table_id] = {p: MEntry(p, special_local=local) for p, local in SPECIALS}
        return t

    def forget(self, table_id: int) -> None:
        self.tables.pop(table_id, None)

    def lookup(self, table_id: int, group: IPv6Address) -> MEntry | None:
        """The longest entry containing ``group`` (S,G entries are not modelled)."""
        best: MEntry | None = None
        for e in self.table(table_id).values():
            if group in e.prefix and (best is None or e.prefix.prefixlen > best.prefix.prefixlen):
                best = e
        return best
