"""RFC 6242 framing decoder: both framings, split input, size limits, malformed chunks."""

from __future__ import annotations

import pytest

from agent.netconf.framing import Decoder, FramingError, MessageTooBig, encode


def _drain(d: Decoder) -> list[bytes]:
    out: list[bytes] = []
    for _ in range(1000):
        msg = d.next_message()
        if msg is None:
            return out
        out.append(msg)
    raise AssertionError("decoder did not stop")


def test_eom_messages_split_at_every_byte() -> None:
    stream = b"<a/>]]>]]><b>x</b>]]>]]>"
    d = Decoder(1000)
    got: list[bytes] = []
    for i in range(len(stream)):
        d.feed(stream[i : i + 1])
        got += _drain(d)
    assert got == [b"<a/>", b"<b>x</b>"]


def test_chunked_messages_with_several_chunks_split_at_every_byte() -> None:
    tail = b" message-id='1'/>"
    stream = b"\n#4\n<rpc\n#%d\n%s\n##\n" % (len(tail), tail) + encode(b"<second/>", chunked=True)
    d = Decoder(1000)
    d.switch_to_chunked()
    got: list[bytes] = []
    for i in range(len(stream)):
        d.feed(stream[i : i + 1])
        got += _drain(d)
    assert got == [b"<rpc message-id='1'/>", b"<second/>"]


def test_switch_after_hello_keeps_the_rest_of_the_buffer() -> None:
    d = Decoder(1000)
    d.feed(b"<hello/>]]>]]>" + encode(b"<rpc/>", chunked=True))
    assert d.next_message() == b"<hello/>"
    d.switch_to_chunked()
    assert d.next_message() == b"<rpc/>"


@pytest.mark.parametrize(
    "data",
    [b"\n#0\nx\n##\n", b"\n#01\nx\n##\n", b"\n#-1\n", b"\n#x\n", b"abc", b"\n##\n", b"\n#12345678901\n"],
)
def test_malformed_chunks_raise(data: bytes) -> None:
    d = Decoder(1 << 30)
    d.switch_to_chunked()
    d.feed(data)
    with pytest.raises(FramingError):
        _drain(d)


def test_chunked_size_limit_checked_on_the_header() -> None:
    d = Decoder(100)
    d.switch_to_chunked()
    d.feed(b"\n#101\n")
    with pytest.raises(MessageTooBig):
        d.next_message()


def test_chunked_size_limit_counts_all_chunks_of_a_message() -> None:
    d = Decoder(100)
    d.switch_to_chunked()
    d.feed(b"\n#60\n" + b"x" * 60 + b"\n#60\n")
    with pytest.raises(MessageTooBig):
        _drain(d)


def test_eom_size_limit_while_data_arrives() -> None:
    d = Decoder(100)
    d.feed(b"x" * 90)
    assert d.next_message() is None
    with pytest.raises(MessageTooBig):
        d.feed(b"x" * 90)


def test_eom_message_at_the_limit_is_accepted() -> None:
    d = Decoder(100)
    d.feed(b"x" * 100 + b"]]>]]>")
    assert d.next_message() == b"x" * 100
