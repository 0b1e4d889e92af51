"""Templates and their record codec.

A record is a tuple of values in template order: an ``int`` for unsigned numbers, timestamps and IPv4
addresses (their 32-bit value, as on the wire), ``bytes`` for everything else (IPv6 and MAC addresses,
octet arrays, strings, variable-length fields). Keeping addresses as integers lets a whole data set be
decoded and re-encoded with one precompiled :class:`struct.Struct`, which is what makes a relay in
Python keep up with VPP (100,000 records/s and more).
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from agent.flowexport.errors import DecodeError
from agent.flowexport.ie import Ie, IeType, lookup

VARIABLE = 0xFFFF
Value = int | bytes
Record = tuple[Value, ...]

_INT_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}
_NUMERIC = (IeType.UNSIGNED, IeType.IPV4, IeType.MILLISECONDS, IeType.SECONDS)


@dataclass(frozen=True, slots=True)
class Field:
    """A field specifier: element number, length on the wire (``0xFFFF``: variable), enterprise."""

    ie: int
    length: int
    enterprise: int = 0

    @property
    def element(self) -> Ie:
        return lookup(self.ie, self.enterprise)

    @property
    def is_int(self) -> bool:
        """Carried as an ``int`` (numbers of 1 to 8 octets, reduced-size encoding included)."""
        return self.element.type in _NUMERIC and 1 <= self.length <= 8


@dataclass(frozen=True)
class Template:
    """A (data or options) template. ``scope_count`` > 0 makes it an options template whose first
    ``scope_count`` fields are scope fields."""

    template_id: int
    fields: tuple[Field, ...]
    scope_count: int = 0
    _struct: struct.Struct | None = field(init=False, repr=False, compare=False, default=None)
    _odd: tuple[int, ...] = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self) -> None:
        if not 256 <= self.template_id <= 0xFFFF:
            raise ValueError(f"template id {self.template_id} outside 256..65535")
        if not self.fields:
            raise ValueError("a template needs at least one field")
        if not 0 <= self.scope_count <= len(self.fields):
            raise ValueError("scope count larger than the field count")
        if any(f.length == 0 for f in self.fields):
            raise ValueError("a field of length 0")
        if any(f.length == VARIABLE for f in self.fields):
            return
        codes, odd = [], []
        for i, f in enumerate(self.fields):
            if f.is_int and f.length in _INT_CODES:
                codes.append(_INT_CODES[f.length])
            else:
                codes.append(f"{f.length}s")
                if f.is_int:
                    odd.append(i)  # reduced-size unsigned (3, 5, 6, 7 octets): bytes <-> int by hand
        object.__setattr__(self, "_struct", struct.Struct("!" + "".join(codes)))
        object.__setattr__(self, "_odd", tuple(odd))

    @property
    def record_length(self) -> int | None:
        """Octets per record, or None with a variable-length field."""
        return None if self._struct is None else self._struct.size

    @property
    def min_record_length(self) -> int:
        return sum(1 if f.length == VARIABLE else f.length for f in self.fields)

    def index(self, name: str) -> int:
        """Position of the field named ``name`` (IANA spelling)."""
        for i, f in enumerate(self.fields):
            if f.element.name == name:
                return i
        raise KeyError(name)

    # ------------------------------------------------------------------------------------- encode

    def encode(self, records: Sequence[Record]) -> bytes:
        """The records back to back (a data set's body without header or padding)."""
        s = self._struct
        if s is not None and not self._odd:
            pack = s.pack
            return b"".join([pack(*r) for r in records])
        return b"".join([self._encode_one(r) for r in records])

    def _encode_one(self, rec: Record) -> bytes:
        if len(rec) != len(self.fields):
            raise ValueError(f"template {self.template_id}: {len(rec)} values for {len(self.fields)} fields")
        if self._struct is not None:
            vals = list(rec)
            for i in self._odd:
                vals[i] = int(vals[i]).to_bytes(self.fields[i].length, "big")
            return self._struct.pack(*vals)
        out = bytearray()
        for f, v in zip(self.fields, rec, strict=True):
            if f.length == VARIABLE:
                b = bytes(v) if isinstance(v, bytes) else int(v).to_bytes(8, "big")
                out += bytes([len(b)]) if len(b) < 255 else b"\xff" + struct.pack("!H", len(b))
                out += b
            elif isinstance(v, int):
                out += v.to_bytes(f.length, "big")
            else:
                if len(v) != f.length:
                    raise ValueError(f"field {f.element.name}: {len(v)} octets for length {f.length}")
                out += v
        return bytes(out)

    # ------------------------------------------------------------------------------------- decode

    def decode(self, body: bytes | memoryview, where: str) -> list[Record]:
        """Every record of a data set body (header stripped). Trailing octets shorter than a record
        are padding (RFC 7011 section 3.3.1, RFC 3954 section 5.3); anything else is an error."""
        s = self._struct
        if s is not None:
            n = len(body) // s.size
            if not self._odd:
                return list(s.iter_unpack(body[: n * s.size]))
            out: list[Record] = []
            for r in s.iter_unpack(body[: n * s.size]):
                vals: list[Any] = list(r)
                for i in self._odd:
                    vals[i] = int.from_bytes(vals[i], "big")
                out.append(tuple(vals))
            return out
        return list(self._decode_variable(bytes(body), where))

    def _decode_variable(self, body: bytes, where: str) -> Iterator[Record]:
        pos, end, minimum = 0, len(body), self.min_record_length
        while end - pos >= minimum:
            vals: list[Value] = []
            for f in self.fields:
                n = f.length
                if n == VARIABLE:
                    if pos >= end:
                        raise DecodeError("truncated-record", f"{where}: variable length past the set")
                    n = body[pos]
                    pos += 1
                    if n == 255:
                        if pos + 2 > end:
                            raise DecodeError("truncated-record", f"{where}: variable length past the set")
                        (n,) = struct.unpack_from("!H", body, pos)
                        pos += 2
                if pos + n > end:
                    raise DecodeError("truncated-record", f"{where}: field {f.element.name} past the set")
                raw = body[pos : pos + n]
                pos += n
                vals.append(int.from_bytes(raw, "big") if f.is_int and f.length != VARIABLE else raw)
            yield tuple(vals)


def to_json_value(f: Field, v: Value) -> Any:
    """A value as a collector writes it in JSON: addresses in text form, MACs as aa:bb:..,
    other octets as hex, numbers as numbers."""
    t = f.element.type
    if t is IeType.IPV4 and isinstance(v, int):
        return str(ipaddress.IPv4Address(v))
    if t is IeType.IPV6 and isinstance(v, bytes) and len(v) == 16:
        return str(ipaddress.IPv6Address(v))
    if t is IeType.MAC and isinstance(v, bytes):
        return ":".join(f"{b:02x}" for b in v)
    if t is IeType.STRING and isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, bytes):
        return v.hex()
    return v


def record_dict(t: Template, rec: Record) -> dict[str, Any]:
    """``{element name: JSON value}`` of one record."""
    return {f.element.name: to_json_value(f, v) for f, v in zip(t.fields, rec, strict=True)}
