"""Message handlers by name, so each VPP feature (NAT, ACL, policer ...) adds its own module the same way.

A handler takes the call context and the decoded request and returns the reply fields as a dict (the
reply message is the one the definitions' ``services`` name), a list of dicts for a dump (each becomes a
``*_details`` message), or ``None`` when VPP sends nothing back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vppsim.emulator import Emulator
    from vppsim.server import ApiSession

Reply = dict[str, Any] | list[dict[str, Any]] | None
Handler = Callable[["Call", Any], Reply]


class Call:
    """What a handler may use: the emulator's state and the client session that sent the request."""

    __slots__ = ("emu", "session")

    def __init__(self, emu: Emulator, session: ApiSession) -> None:
        self.emu = emu
        self.session = session


class Registry:
    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self._dispatch: dict[str, tuple[dict[str, Any] | None, Handler | None]] = {}

    def dispatch(
        self, name: str, services: dict[str, dict[str, Any]]
    ) -> tuple[dict[str, Any] | None, Handler | None]:
        """The service entry (reply name, stream flag) and handler of a request, cached per name."""
        found = self._dispatch.get(name)
        if found is None:
            found = self._dispatch[name] = (services.get(name), self.handlers.get(name))
        return found

    def handler(self, name: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            if name in self.handlers:
                raise ValueError(f"two handlers for {name}")
            self.handlers[name] = fn
            self._dispatch.clear()
            return fn

        return register


REGISTRY = Registry()
