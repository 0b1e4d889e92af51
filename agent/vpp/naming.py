"""The name <-> sw_if_index map.

VPP knows interfaces by ``sw_if_index``, which it reuses after deletes and reassigns after a restart; the
agent knows them by their ``ietf-interfaces`` name. This map is the only place that translates, it is
rebuilt from ``sw_interface_dump`` after every (re)connect (never trusted across a VPP restart) and it is
changed only by the executor as create/delete calls succeed or are undone.
"""

from __future__ import annotations

from agent.vpp.errors import VppError


class UnknownInterfaceError(VppError):
    """A step refers to an interface VPP does not have (e.g. a physical port that is not present)."""


class UnknownHandleError(VppError):
    """A step refers to a VPP object (an ACL) whose index the agent does not know: it was never made."""


class NameMap:
    """Bidirectional map between agent interface names and VPP ``sw_if_index`` values.

    It also keeps the indices VPP assigned to other objects the agent made (``handles``: an ACL's item
    key -> its ``acl_index``), rebuilt from dumps at every reconcile like the interface indices.
    """

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self._name: dict[int, str] = {}
        self.handles: dict[str, int] = {}

    def handle(self, key: str) -> int:
        try:
            return self.handles[key]
        except KeyError:
            raise UnknownHandleError(f"{key} does not exist in VPP", path=key) from None

    def replace_handles(self, handles: dict[str, int]) -> None:
        self.handles = dict(handles)

    def bind(self, name: str, sw_if_index: int) -> None:
        old = self._index.pop(name, None)
        if old is not None:
            self._name.pop(old, None)
        stale = self._name.pop(sw_if_index, None)
        if stale is not None:
            self._index.pop(stale, None)
        self._index[name] = sw_if_index
        self._name[sw_if_index] = name

    def unbind(self, name: str) -> None:
        idx = self._index.pop(name, None)
        if idx is not None:
            self._name.pop(idx, None)

    def index(self, name: str) -> int:
        try:
            return self._index[name]
        except KeyError:
            raise UnknownInterfaceError(f"interface {name!r} does not exist in VPP", path=name) from None

    def get(self, name: str) -> int | None:
        return self._index.get(name)

    def name_of(self, sw_if_index: int) -> str | None:
        return self._name.get(sw_if_index)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __len__(self) -> int:
        return len(self._index)

    def as_dict(self) -> dict[str, int]:
        return dict(self._index)

    def replace(self, mapping: dict[str, int]) -> None:
        """Load a whole map (after a dump); later entries win on a duplicate index."""
        self._index.clear()
        self._name.clear()
        for name, idx in mapping.items():
            self.bind(name, idx)
