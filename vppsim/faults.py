"""Injected faults for tests: make the next K calls of a message fail with a given retval, or stall."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Fault:
    kind: str  # "fail" or "delay"
    remaining: int
    retval: int = 0
    seconds: float = 0.0


class FaultTable:
    """Faults per message name, consumed one call at a time, oldest rule first."""

    def __init__(self) -> None:
        self._rules: dict[str, list[Fault]] = {}

    def add(self, message: str, fault: Fault) -> None:
        if fault.remaining <= 0:
            raise ValueError("count must be positive")
        self._rules.setdefault(message, []).append(fault)

    def pending(self) -> dict[str, list[dict[str, object]]]:
        """Rules not used up yet, for the control channel's ``faults`` command."""
        return {
            name: [
                {"kind": f.kind, "remaining": f.remaining, "retval": f.retval, "seconds": f.seconds}
                for f in rules
            ]
            for name, rules in self._rules.items()
        }

    def clear(self) -> None:
        self._rules.clear()

    def take(self, message: str) -> Fault | None:
        """The fault that applies to this call of ``message`` (and count it), if any."""
        rules = self._rules.get(message)
        if not rules:
            return None
        fault = rules[0]
        fault.remaining -= 1
        if fault.remaining == 0:
            rules.pop(0)
            if not rules:
                del self._rules[message]
        return fault
