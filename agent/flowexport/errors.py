"""The one exception of the flow export codecs."""

from __future__ import annotations


class DecodeError(ValueError):
    """A message that does not follow RFC 7011 / RFC 3954: too short, a length that points outside the
    message, an unknown version, a malformed template. ``reason`` is a short stable token for counters
    (``bng_natlog_malformed_total{reason=...}``); the message text says where."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
