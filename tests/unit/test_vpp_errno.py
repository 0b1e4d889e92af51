"""VPP return values by name and text: the table is VPP 26.06's, and every number the emulator or the
agent uses means what VPP says it means."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import vppsim.errno as sim_errno
from agent.vpp import errno
from agent.vpp.api import API_DIR

ROOT = Path(__file__).resolve().parents[2]

# An excerpt of src/vnet/error.h (VPP 26.06) in its own layout: one entry spread over two lines.
ERROR_H = r"""
#define foreach_vnet_error                                                    \
  _ (UNSPECIFIED, -1, "Unspecified Error")                                    \
  _ (INVALID_SW_IF_INDEX, -2, "Invalid sw_if_index")                          \
  _ (BOND_SLAVE_NOT_ALLOWED, -80,                                             \
     "Operation not allowed on slave of BondEthernet")                        \
  _ (INVALID_PREFIX_LENGTH, -171, "Invalid prefix length")

typedef enum
"""


def test_a_refusal_reads_as_vpp_names_it() -> None:
    assert (
        errno.describe(-80) == "-80 BOND_SLAVE_NOT_ALLOWED (Operation not allowed on slave of BondEthernet)"
    )
    assert errno.describe(-2) == "-2 INVALID_SW_IF_INDEX (Invalid sw_if_index)"
    assert errno.name_of(0) == "OK"
    assert errno.describe(-9999) == "-9999 UNKNOWN"


def test_the_table_is_vpp_2606s() -> None:
    doc = json.loads((API_DIR / "vpp_errno.json").read_text())
    assert doc["vpp-release"] == "26.06"
    values = [e["value"] for e in doc["errors"]]
    assert len(values) == len(set(values)) == 143  # foreach_vnet_error in 26.06
    assert (max(values), min(values)) == (-1, -171)


def test_the_emulator_uses_vpps_numbers() -> None:
    for name, value in vars(sim_errno).items():
        if name.isupper() and isinstance(value, int) and value != 0:
            assert errno.name_of(value) == name, (name, value)


def test_the_generator_reads_vpps_header(tmp_path: Path) -> None:
    header = tmp_path / "error.h"
    header.write_text(ERROR_H)
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_vpp_errno.py"), "--release", "26.06", str(header)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    got = [(e["value"], e["name"], e["text"]) for e in json.loads(out)["errors"]]
    assert got == [
        (-1, "UNSPECIFIED", "Unspecified Error"),
        (-2, "INVALID_SW_IF_INDEX", "Invalid sw_if_index"),
        (-80, "BOND_SLAVE_NOT_ALLOWED", "Operation not allowed on slave of BondEthernet"),
        (-171, "INVALID_PREFIX_LENGTH", "Invalid prefix length"),
    ]
