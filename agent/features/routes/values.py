"""Value types of the routes feature's items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from agent.vpp.items import Value


@dataclass(frozen=True, slots=True)
class Path:
    """One next hop (fib_types.api ``fib_path``): ``type`` is ``fib_path_type``; ``nh_table`` is the table
    the next-hop address is resolved in (0 when there is no address)."""

    address: str | None
    interface: str | None
    weight: int
    preference: int
    type: int
    nh_table: int

    def sort_key(self) -> tuple[str, str, int, int, int]:
        return (self.address or "", self.interface or "", self.weight, self.preference, self.type)


@dataclass(frozen=True, slots=True)
class RouteValue(Value):
    """A route with its whole path set, paths in :meth:`Path.sort_key` order."""

    kind: ClassVar[str] = "route"
    table_id: int
    is_ip6: bool
    prefix: str
    paths: tuple[Path, ...]
