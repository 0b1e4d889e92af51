#!/usr/bin/env python3
"""Generate ``agent/vpp/api/vpp_errno.json`` from VPP's ``src/vnet/error.h``.

VPP's API return values (``retval``) are the ``foreach_vnet_api_error`` list of ``src/vnet/api_errno.h``,
which in 26.06 is defined as ``foreach_vnet_error`` from ``src/vnet/error.h``: ``_ (NAME, -N, "text")``.
The table is data so that it moves with the VPP release the agent is written for, not by hand:

    git --git-dir=/work/.mirror/FDio+vpp/repo show v26.06:src/vnet/error.h \\
        | python3 scripts/gen_vpp_errno.py --release 26.06 - > agent/vpp/api/vpp_errno.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

_ENTRY = re.compile(r'_\s*\(\s*([A-Z0-9_]+)\s*,\s*(-?\d+)\s*,\s*"((?:[^"\\]|\\.)*)"\s*\)')


def parse(text: str) -> list[tuple[int, str, str]]:
    """The ``foreach_vnet_error`` entries of ``error.h`` as ``(value, name, text)``, in source order."""
    start = text.index("#define foreach_vnet_error")
    body: list[str] = []
    for line in text[start:].splitlines():
        body.append(line.rstrip().removesuffix("\\"))
        if not line.rstrip().endswith("\\"):
            break
    joined = " ".join(body)
    return [(int(v), name, msg.encode().decode("unicode_escape")) for name, v, msg in _ENTRY.findall(joined)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("error_h", help="path of src/vnet/error.h, or - for stdin")
    ap.add_argument("--release", required=True, help="the VPP release the file comes from (e.g. 26.06)")
    args = ap.parse_args()
    text = sys.stdin.read() if args.error_h == "-" else Path(args.error_h).read_text(encoding="utf-8")
    entries = parse(text)
    doc = {
        "vpp-release": args.release,
        "source": "src/vnet/error.h foreach_vnet_error (src/vnet/api_errno.h foreach_vnet_api_error)",
        "errors": [{"value": v, "name": n, "text": t} for v, n, t in entries],
    }
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
