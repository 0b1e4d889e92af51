"""``bng-agent nat-collector``: a real process receives IPFIX and NetFlow v9 and writes JSON lines."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from agent.flowexport import Template
from agent.flowexport.exporter import Exporter, Format
from agent.natlog.templates import NAT44_SESSION

REC = (1_796_680_000_123, 4, 0x0A000001, 0xC6336401, 6, 40000, 1024, 7)


def test_nat_collector_writes_one_json_line_per_record(tmp_path: Path) -> None:
    out = tmp_path / "records.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent.cli", "nat-collector", "--listen", "127.0.0.1:0", "--count", "4",
         "--output", str(out), "--idle-timeout", "30"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "listening on 127.0.0.1:" in line, line
        port = int(line.rsplit(":", 1)[1])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"\x00\x0a garbage", ("127.0.0.1", port))
        for fmt in Format:
            exp = Exporter(fmt, 3)
            exp.define(Template(300, NAT44_SESSION))
            for m in exp.export(300, [REC, REC]):
                s.sendto(m, ("127.0.0.1", port))
        assert proc.wait(timeout=30) == 0
        err = proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["version"] for r in rows] == [10, 10, 9, 9]
    assert rows[0] | {"exporter": "x"} == {
        "exporter": "x", "version": 10, "domain": 3, "sequence": 0, "export_time": rows[0]["export_time"],
        "template": 300, "layout": "nat44-session", "observationTimeMilliseconds": 1_796_680_000_123,
        "natEvent": 4, "sourceIPv4Address": "10.0.0.1", "postNATSourceIPv4Address": "198.51.100.1",
        "protocolIdentifier": 6, "sourceTransportPort": 40000, "postNAPTSourceTransportPort": 1024,
        "ingressVRFID": 7,
    }  # fmt: skip
    assert "malformed message" in err and "4 records" in err
