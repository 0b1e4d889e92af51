"""RFC 6242 message framing: base:1.0 end-of-message and base:1.1 chunked framing.

The decoder is incremental (bytes go in as SSH delivers them, whole messages come out) and enforces a
maximum message size while data arrives, so a client cannot make the server buffer an unbounded
message before it is rejected. Framing errors are raised as :class:`FramingError`; RFC 6242 section 4.2
says the session must then be terminated, since the byte stream can no longer be trusted.
"""

from __future__ import annotations

import re

from agent.errors import AgentError

EOM = b"]]>]]>"
_CHUNK_HEADER = re.compile(rb"\n#([1-9][0-9]{0,9})\n")
_END_OF_CHUNKS = b"\n##\n"
# RFC 6242 4.2: chunk-size is 1..4294967295.
MAX_CHUNK_SIZE = 4294967295


class FramingError(AgentError):
    """The byte stream does not follow RFC 6242 framing, or a message exceeds the size limit."""

    default_tag = "malformed-message"
    default_type = "rpc"


class MessageTooBig(FramingError):
    """A message grew past the configured maximum size before it was complete."""

    default_tag = "too-big"
    default_type = "transport"


class Decoder:
    """Turns a byte stream into NETCONF messages; starts in base:1.0 framing (the hello is always 1.0)."""

    def __init__(self, max_message_size: int) -> None:
        self.max_message_size = max_message_size
        self.chunked = False
        self._buf = bytearray()
        self._msg = bytearray()  # chunked mode: body collected so far for the current message
        self._scanned = 0  # base:1.0: bytes of _buf already searched for the end-of-message marker

    def switch_to_chunked(self) -> None:
        """Both peers advertised base:1.1: every message after the hellos is chunked."""
        self.chunked = True

    def feed(self, data: bytes) -> None:
        """Add received bytes (checks the size limit for base:1.0, where no length is announced)."""
        self._buf += data
        if not self.chunked:
            self._find_eom()

    def _find_eom(self) -> int:
        """Index of the first end-of-message marker, searching only bytes not searched before (a large
        message arriving in many pieces costs linear, not quadratic, time); enforces the size limit."""
        idx = self._buf.find(EOM, max(0, self._scanned - len(EOM) + 1))
        if idx < 0:
            self._scanned = len(self._buf)
            if len(self._buf) > self.max_message_size + len(EOM):
                raise MessageTooBig(f"message exceeds the maximum size of {self.max_message_size} bytes")
        return idx

    def next_message(self) -> bytes | None:
        """The next complete message, or None until more bytes arrive.

        One at a time, because the framing can change right after the hello (the caller calls
        :meth:`switch_to_chunked` before asking for the next message).
        """
        return self._next_chunked() if self.chunked else self._next_eom()

    def pending(self) -> bytes:
        """Bytes received but not yet part of a returned message."""
        return bytes(self._buf)

    def _next_eom(self) -> bytes | None:
        idx = self._find_eom()
        if idx < 0:
            return None
        if idx > self.max_message_size:
            raise MessageTooBig(f"message exceeds the maximum size of {self.max_message_size} bytes")
        msg = bytes(self._buf[:idx])
        del self._buf[: idx + len(EOM)]
        self._scanned = 0
        return msg

    def _next_chunked(self) -> bytes | None:
        while True:
            if bytes(self._buf[:1]) not in (b"", b"\n") or bytes(self._buf[1:2]) not in (b"", b"#"):
                raise FramingError("expected a chunk header (LF '#')")
            if len(self._buf) < 4:
                return None
            if self._buf.startswith(_END_OF_CHUNKS):
                del self._buf[:4]
                if not self._msg:
                    raise FramingError("end-of-chunks marker without any chunk")
                msg = bytes(self._msg)
                self._msg = bytearray()
                return msg
            if not self._buf.startswith(b"\n#"):
                raise FramingError("expected a chunk header (LF '#')")
            if self._buf[2:3] == b"#":
                # "\n##" but not followed by LF yet: need more bytes, or it's malformed
                if len(self._buf) >= 4:
                    raise FramingError("malformed end-of-chunks marker")
                return None
            nl = self._buf.find(b"\n", 2, 14)
            if nl < 0:
                if len(self._buf) >= 14:
                    raise FramingError("chunk header too long or missing LF")
                return None
            m = _CHUNK_HEADER.match(self._buf, 0, nl + 1)
            if m is None:
                raise FramingError(f"bad chunk size {bytes(self._buf[2:nl])!r}")
            size = int(m.group(1))
            if size > MAX_CHUNK_SIZE:
                raise FramingError(f"chunk size {size} exceeds 4294967295")
            if len(self._msg) + size > self.max_message_size:
                raise MessageTooBig(f"message exceeds the maximum size of {self.max_message_size} bytes")
            start = nl + 1
            if len(self._buf) < start + size:
                return None
            self._msg += self._buf[start : start + size]
            del self._buf[: start + size]


def encode(message: bytes, chunked: bool) -> bytes:
    """Frame one message for sending."""
    if not chunked:
        return message + EOM
    return b"\n#%d\n" % len(message) + message + _END_OF_CHUNKS
