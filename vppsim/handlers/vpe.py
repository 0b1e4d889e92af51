"""``vpe.api`` ``show_version`` and ``vlib.api`` ``cli_inband`` (the ``show`` commands of vppsim.vppcli).

VPP answers ``cli_inband`` with retval 0 and the command's output, including for commands it does not
know (``src/vlib/cli.c`` prints the parse error into the reply), so vppsim does the same.
"""

from __future__ import annotations

from typing import Any

from vppsim import errno, vppcli
from vppsim.handlers.registry import REGISTRY, Call, Reply

VERSION = vppcli.VERSION
BUILD_DATE = vppcli.BUILD_DATE


@REGISTRY.handler("show_version")
def show_version(call: Call, msg: Any) -> Reply:
    # vpe_api.c vl_api_show_version_t_handler
    return {
        "retval": errno.OK,
        "program": "vpe",
        "version": VERSION,
        "build_date": BUILD_DATE,
        "build_directory": "/w/workspace/vpp-merge-2606-ubuntu2404-x86_64",
    }


@REGISTRY.handler("cli_inband")
def cli_inband(call: Call, msg: Any) -> Reply:
    # vlib/cli.c + vlibmemory/vlib_api_cli.c vl_api_cli_inband_t_handler
    return {"retval": errno.OK, "reply": vppcli.run(call.emu, str(msg.cmd))}
