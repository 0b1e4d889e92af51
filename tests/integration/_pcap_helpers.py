"""Captured UDP payloads -> a pcap file -> tshark's decoding (Debian's tshark, see sysdeps)."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any


def tshark() -> str:
    path = shutil.which("tshark")
    assert path, "tshark is missing: install the Debian package 'tshark' (make sysdeps)"
    return path


def write_pcap(path: Path, payloads: list[bytes], dport: int, sport: int = 40000) -> None:
    """Each payload as an Ethernet/IPv4/UDP frame 127.0.0.1 -> 127.0.0.1."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate(payloads):
        udp = struct.pack("!HHHH", sport, dport, 8 + len(p), 0) + p
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))  # fmt: skip
        frame = b"\0" * 12 + b"\x08\x00" + ip + udp
        out += struct.pack("<IIII", i, 0, len(frame), len(frame)) + frame
    path.write_bytes(bytes(out))


def _walk(node: Any, out: list[dict[str, Any]], headers: list[dict[str, Any]]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            if k.startswith("Flow ") and isinstance(v, dict):
                out.append({**headers[-1], **{kk: vv for kk, vv in v.items() if isinstance(vv, str)}})
            elif k == "cflow" and isinstance(v, dict):
                headers.append({kk: vv for kk, vv in v.items() if isinstance(vv, str)})
                _walk(v, out, headers)
            else:
                _walk(v, out, headers)
    elif isinstance(node, list):
        for v in node:
            _walk(v, out, headers)


def tshark_flows(path: Path, port: int) -> list[dict[str, str]]:
    """Every flow record tshark's cflow dissector finds, with its message header fields merged in
    (keys as tshark names them: ``cflow.nat_event``, ``cflow.srcaddr``, ``cflow.version`` ...)."""
    r = subprocess.run(
        [tshark(), "-r", str(path), "-d", f"udp.port=={port},cflow", "-T", "json"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    flows: list[dict[str, Any]] = []
    _walk(json.loads(r.stdout), flows, [{}])
    return flows
