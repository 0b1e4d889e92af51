"""``bng-agent nat-collector``: receive IPFIX and NetFlow v9 over UDP, write one JSON object per record.

For tests and for an operator checking what the agent (or VPP) exports without installing a full
collector. Each line carries where the record came from and its fields by IANA name, addresses in text
form::

  {"exporter": "127.0.0.1:40123", "version": 10, "domain": 1, "sequence": 0, "export_time": 1796680306,
   "template": 257, "layout": "nat44-session", "observationTimeMilliseconds": 1796680306123,
   "natEvent": 4, "sourceIPv4Address": "10.0.0.1", ...}

Malformed messages are reported on standard error (one line each) and counted; nothing stops the
collector but a signal, ``--count`` or ``--idle-timeout``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Callable
from typing import Any, TextIO

from agent.flowexport import DecodeError
from agent.flowexport.decoder import Decoder
from agent.flowexport.template import record_dict
from agent.natlog.templates import layout_name


class JsonLinesCollector(asyncio.DatagramProtocol):
    """Decodes every datagram and writes its records; ``on_record`` sees each line's dict too."""

    def __init__(self, out: TextIO, *, on_record: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.out = out
        self.decoder = Decoder()
        self.records = 0
        self.messages = 0
        self.malformed = 0
        self.unknown_sets = 0
        self.on_record = on_record
        self.activity = asyncio.Event()

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.messages += 1
        self.activity.set()
        exporter = f"{addr[0]}:{addr[1]}"
        try:
            d = self.decoder.decode(data, exporter)
        except DecodeError as exc:
            self.malformed += 1
            print(f"nat-collector: malformed message from {exporter}: {exc}", file=sys.stderr)
            return
        self.unknown_sets += d.unknown_sets
        m = d.message
        head = {"exporter": exporter, "version": m.version, "domain": m.domain, "sequence": m.sequence,
                "export_time": m.export_time}  # fmt: skip
        lines = []
        for t, recs in d.sets:
            base = {**head, "template": t.template_id, "layout": layout_name(t.fields)}
            for r in recs:
                row = {**base, **record_dict(t, r)}
                lines.append(json.dumps(row, separators=(",", ":")))
                if self.on_record is not None:
                    self.on_record(row)
        if lines:
            self.out.write("\n".join(lines) + "\n")
            self.out.flush()
            self.records += len(lines)


def _hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "nat-collector",
        help="receive IPFIX / NetFlow v9 (NAT events) and write JSON lines",
        description="A small IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) collector: one JSON object per "
        "record on standard output or --output.",
    )
    p.add_argument("--listen", type=_hostport, default=("127.0.0.1", 4739), metavar="HOST:PORT",
                   help="UDP address to listen on (default 127.0.0.1:4739; port 0 picks one)")  # fmt: skip
    p.add_argument("--output", metavar="FILE", help="append JSON lines here instead of standard output")
    p.add_argument("--count", type=int, metavar="N", help="exit after N records")
    p.add_argument("--idle-timeout", type=float, metavar="SECONDS", help="exit after this long without data")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    out = open(args.output, "a", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    done = asyncio.Event()
    loop = asyncio.get_running_loop()

    seen = 0

    def on_record(_row: dict[str, Any]) -> None:
        nonlocal seen
        seen += 1
        if args.count is not None and seen >= args.count:
            loop.call_soon(done.set)  # after this datagram's lines are written

    proto = JsonLinesCollector(out, on_record=on_record)
    transport, _ = await loop.create_datagram_endpoint(lambda: proto, local_addr=args.listen)
    host, port = transport.get_extra_info("sockname")[:2]
    print(f"nat-collector: listening on {host}:{port}", file=sys.stderr, flush=True)
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, done.set)
    try:
        while not done.is_set():
            proto.activity.clear()
            waiters: list[asyncio.Future[Any]] = [asyncio.ensure_future(done.wait())]
            if args.idle_timeout is not None:
                waiters.append(asyncio.ensure_future(asyncio.sleep(args.idle_timeout)))
                waiters.append(asyncio.ensure_future(proto.activity.wait()))
            _finished, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for w in pending:
                w.cancel()
            if args.idle_timeout is not None and not proto.activity.is_set() and not done.is_set():
                break
    finally:
        transport.close()
        if out is not sys.stdout:
            out.close()
    print(f"nat-collector: {proto.records} records, {proto.messages} messages, {proto.malformed} malformed",
          file=sys.stderr)  # fmt: skip
    return 0
