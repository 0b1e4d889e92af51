"""Connection messages (``src/vlibmemory/memclnt.api``, handlers in ``socket_api.c`` / ``memclnt_api.c``)."""

from __future__ import annotations

import os
from typing import Any

from vppsim.handlers.registry import REGISTRY, Call, Reply


@REGISTRY.handler("sockclnt_create")
def sockclnt_create(call: Call, msg: Any) -> Reply:
    # socket_api.c vl_api_sockclnt_create_t_handler: registers the client and returns the whole
    # message table so the client can map "name_crc" to ids.
    defs = call.emu.defs
    table = defs.message_table()
    call.session.name = msg.name
    return {
        "client_index": call.session.client_index,
        "response": 0,
        "index": call.session.client_index,
        "count": len(table),
        "message_table": table,
    }


@REGISTRY.handler("sockclnt_delete")
def sockclnt_delete(call: Call, msg: Any) -> Reply:
    # socket_api.c vl_api_sockclnt_delete_t_handler: response 1 for a known registration, then the
    # registration (and the socket) go away.
    call.session.close_after_reply = True
    return {"response": 1}


@REGISTRY.handler("control_ping")
def control_ping(call: Call, msg: Any) -> Reply:
    # memclnt_api.c vl_api_control_ping_t_handler: retval 0 and VPP's pid.
    return {"retval": 0, "client_index": call.session.client_index, "vpe_pid": os.getpid()}


@REGISTRY.handler("get_api_json")
def get_api_json(call: Call, msg: Any) -> Reply:
    # memclnt_api.c vl_api_get_api_json_t_handler: a JSON array with every loaded .api.json.
    return {"retval": 0, "json": call.emu.defs.api_json}


@REGISTRY.handler("memclnt_keepalive_reply")
def memclnt_keepalive_reply(call: Call, msg: Any) -> Reply:
    return None
