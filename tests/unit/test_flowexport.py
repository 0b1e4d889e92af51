"""IPFIX / NetFlow v9 codecs: what an exporter writes decodes back field by field, sequence numbers
follow each RFC, templates are refreshed, and malformed input is rejected with a reason, never a crash."""

from __future__ import annotations

import contextlib
import random
import struct

import pytest

from agent.flowexport import DecodeError, Field, Template, ipfix, netflow9
from agent.flowexport.decoder import MAX_TEMPLATES, Decoder
from agent.flowexport.exporter import Exporter, Format
from agent.flowexport.template import VARIABLE, record_dict

SESSION = Template(
    256,
    (Field(323, 8), Field(230, 1), Field(8, 4), Field(225, 4), Field(4, 1), Field(7, 2), Field(227, 2),
     Field(234, 4)),
)  # fmt: skip
REC = (1_700_000_000_123, 4, 0x0A000001, 0xC6336401, 6, 40000, 1024, 7)


class Clock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize("fmt", list(Format))
def test_records_round_trip_with_names_and_text_addresses(fmt: Format) -> None:
    exp = Exporter(fmt, 42, max_size=512)
    exp.define(SESSION)
    msgs = exp.export(256, [REC] * 3)
    assert len(msgs) == 1
    d = Decoder().decode(msgs[0], "x")
    assert d.message.domain == 42
    [(t, recs)] = d.sets
    assert recs == [REC] * 3
    assert record_dict(t, recs[0]) == {
        "observationTimeMilliseconds": 1_700_000_000_123,
        "natEvent": 4,
        "sourceIPv4Address": "10.0.0.1",
        "postNATSourceIPv4Address": "198.51.100.1",
        "protocolIdentifier": 6,
        "sourceTransportPort": 40000,
        "postNAPTSourceTransportPort": 1024,
        "ingressVRFID": 7,
    }


@pytest.mark.parametrize("fmt", list(Format))
def test_messages_stay_within_max_size_and_lose_nothing(fmt: Format) -> None:
    exp = Exporter(fmt, 1, max_size=512)
    exp.define(SESSION)
    recs = [(i, 4, i, i, 17, i & 0xFFFF, 1, 0) for i in range(1000)]
    msgs = exp.export(256, recs)
    assert all(len(m) <= 512 for m in msgs)
    dec = Decoder()
    got = [r for m in msgs for _t, rs in dec.decode(m, "x").sets for r in rs]
    assert got == recs


def test_ipfix_sequence_counts_records_v9_counts_packets() -> None:
    for fmt, expected in ((Format.IPFIX, [0, 5, 12]), (Format.NETFLOW_V9, [0, 1, 2])):
        exp = Exporter(fmt, 1)
        exp.define(SESSION)
        seqs = []
        for n in (5, 7, 1):
            (m,) = exp.export(256, [REC] * n)
            seqs.append(Decoder().decode(m, "x").message.sequence)
        assert seqs == expected, fmt


def test_v9_header_count_includes_template_records() -> None:
    exp = Exporter(Format.NETFLOW_V9, 1)
    exp.define(SESSION)
    (first,) = exp.export(256, [REC] * 3)
    (second,) = exp.export(256, [REC] * 3)
    assert struct.unpack_from("!H", first, 2)[0] == 4
    assert struct.unpack_from("!H", second, 2)[0] == 3


@pytest.mark.parametrize("fmt", list(Format))
def test_templates_are_refreshed_after_the_interval(fmt: Format) -> None:
    clock = Clock()
    exp = Exporter(fmt, 1, template_interval=10, clock=clock)
    exp.define(SESSION)
    with_templates = []
    for _ in range(4):
        (m,) = exp.export(256, [REC])
        with_templates.append(bool(Decoder().decode(m, "x").message.templates))
        clock.t += 6
    assert with_templates == [True, False, True, False]


def test_templates_are_scoped_by_exporter_and_domain() -> None:
    exp = Exporter(Format.IPFIX, 1)
    exp.define(SESSION)
    first = exp.export(256, [REC])[0]
    later = exp.export(256, [REC])[0]
    dec = Decoder()
    dec.decode(first, "a")
    assert dec.decode(later, "a").record_count == 1
    assert dec.decode(later, "b").unknown_sets == 1


def test_options_template_and_variable_length_round_trip() -> None:
    opts = Template(300, (Field(149, 4), Field(144, 4)), scope_count=1)
    var = Template(301, (Field(8, 4), Field(999, VARIABLE)))
    exp = Exporter(Format.IPFIX, 1)
    exp.define(opts)
    exp.define(var)
    recs: list[tuple[int | bytes, ...]] = [(1, b"x" * 300), (2, b""), (3, b"abc")]
    msgs = exp.export(301, recs) + exp.export(300, [(1, 99)])
    dec = Decoder()
    got = [(t.template_id, r) for m in msgs for t, rs in dec.decode(m, "x").sets for r in rs]
    assert got == [(301, r) for r in recs] + [(300, (1, 99))]
    assert dec.templates("x", 10, 1)[300].scope_count == 1


def test_v9_options_template_round_trip() -> None:
    opts = Template(300, (Field(1, 4), Field(144, 4)), scope_count=1)
    exp = Exporter(Format.NETFLOW_V9, 1)
    exp.define(opts)
    (m,) = exp.export(300, [(1, 99)])
    d = Decoder().decode(m, "x")
    assert d.sets[0][0].scope_count == 1 and d.sets[0][1] == [(1, 99)]


def test_reduced_size_encoding() -> None:
    t = Template(260, (Field(1, 3), Field(2, 5)))
    exp = Exporter(Format.IPFIX, 1)
    exp.define(t)
    (m,) = exp.export(260, [(0x123456, 0x0102030405)])
    assert Decoder().decode(m, "x").sets[0][1] == [(0x123456, 0x0102030405)]


def test_ipfix_template_withdrawal() -> None:
    exp = Exporter(Format.IPFIX, 1)
    exp.define(SESSION)
    first = exp.export(256, [REC])[0]
    withdraw = ipfix.encode_message(0, 1, 1, ipfix.SET_HEADER.pack(2, 8) + struct.pack("!HH", 256, 0))
    later = exp.export(256, [REC])[0]
    dec = Decoder()
    dec.decode(first, "x")
    dec.decode(withdraw, "x")
    assert dec.decode(later, "x").unknown_sets == 1


def _valid() -> bytes:
    exp = Exporter(Format.IPFIX, 1)
    exp.define(SESSION)
    return exp.export(256, [REC] * 4)[0]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "short-header"),
        (b"\x00\x0a" + b"\0" * 10, "short-header"),
        (struct.pack("!HHIII", 5, 16, 0, 0, 0), "bad-version"),
        (struct.pack("!HHIII", 10, 400, 0, 0, 0), "bad-length"),
        (struct.pack("!HHIII", 10, 20, 0, 0, 0) + struct.pack("!HH", 256, 2), "bad-set-length"),
        (struct.pack("!HHIII", 10, 24, 0, 0, 0) + struct.pack("!HHI", 256, 400, 0), "bad-set-length"),
        (struct.pack("!HHIII", 10, 24, 0, 0, 0) + struct.pack("!HHI", 7, 8, 0), "bad-set-id"),
        (struct.pack("!HHIII", 10, 28, 0, 0, 0) + struct.pack("!HHHHHH", 2, 12, 256, 5, 8, 4),
         "bad-template"),
        (struct.pack("!HHIII", 10, 24, 0, 0, 0) + struct.pack("!HHHH", 2, 8, 12, 1), "bad-template"),
        (struct.pack("!HHIIII", 9, 1, 0, 0, 0, 0) + struct.pack("!HHHH", 0, 8, 256, 9), "bad-template"),
        (struct.pack("!HHIIII", 9, 1, 0, 0, 0, 0) + struct.pack("!HH", 0, 900), "bad-set-length"),
    ],
)  # fmt: skip
def test_malformed_messages_are_rejected_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as exc:
        Decoder().decode(data, "rogue")
    assert exc.value.reason == reason


def test_random_garbage_and_truncations_never_raise_anything_else() -> None:
    rnd = random.Random(17)
    valid = _valid()
    v9 = Exporter(Format.NETFLOW_V9, 1)
    v9.define(Template(257, (Field(8, 4), Field(999, VARIABLE))))
    samples = [valid, v9.export(257, [(1, b"abc")] * 5)[0]]
    dec = Decoder()
    for _ in range(5000):
        base = bytearray(rnd.choice(samples))
        op = rnd.randrange(3)
        if op == 0:
            base = base[: rnd.randrange(len(base))]
        elif op == 1:
            for _k in range(rnd.randrange(1, 6)):
                base[rnd.randrange(len(base))] = rnd.randrange(256)
        else:
            base = bytearray(rnd.randbytes(rnd.randrange(64)))
            base[:2] = rnd.choice([b"\x00\x0a", b"\x00\x09"])
        with contextlib.suppress(DecodeError):
            dec.decode(bytes(base), rnd.randrange(4))


def test_template_table_is_bounded_per_exporter() -> None:
    dec = Decoder()
    tset = b"".join(struct.pack("!HHHH", 256 + i, 1, 8, 4) for i in range(MAX_TEMPLATES + 1))
    msg = ipfix.encode_message(0, 0, 1, ipfix.SET_HEADER.pack(2, 4 + len(tset)) + tset)
    with pytest.raises(DecodeError) as exc:
        dec.decode(msg, "rogue")
    assert exc.value.reason == "too-many-templates"


def test_exporter_scopes_are_bounded_least_recent_first() -> None:
    from agent.flowexport import decoder

    exp = Exporter(Format.IPFIX, 1)
    exp.define(SESSION)
    first = exp.export(256, [REC])[0]
    dec = decoder.Decoder()
    dec.decode(first, "vpp")
    for i in range(decoder.MAX_SCOPES - 1):
        dec.decode(first, ("rogue", i))
    dec.decode(first, "vpp")  # heard again: now the most recent
    dec.decode(first, "one more")
    assert dec.evicted == 1
    assert dec.templates("vpp", 10, 1) and not dec.templates(("rogue", 0), 10, 1)


def test_v9_rejects_enterprise_templates() -> None:
    with pytest.raises(ValueError):
        netflow9.encode_templates([Template(256, (Field(1, 4, enterprise=9),))])
