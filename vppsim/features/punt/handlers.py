"""``punt.api`` socket messages (``src/vnet/ip/punt_api.c`` over ``src/vnet/ip/punt.c``)."""

from __future__ import annotations

from typing import Any

from vppsim.features.punt.state import (
    ADDRESS_IP4,
    ADDRESS_IP6,
    IP_PROTO_ICMP6,
    IP_PROTO_UDP,
    PUNT_API_TYPE_EXCEPTION,
    PUNT_API_TYPE_IP_PROTO,
    PUNT_API_TYPE_L4,
    PUNT_PACKETDESC_VERSION,
    UNIX_PATH_MAX,
    PuntServer,
    Registration,
)
from vppsim.handlers.registry import REGISTRY, Call, Reply

FAILED = -1  # the handlers map every clib_error_t to rv = -1
PORT_ANY = 0xFFFF
_TYPES = (PUNT_API_TYPE_L4, PUNT_API_TYPE_IP_PROTO, PUNT_API_TYPE_EXCEPTION)


def _decode(punt: Any) -> tuple[int, int, int, int] | None:
    """``vl_api_punt_decode``: (type, af, protocol, port) or None for an unknown type or family."""
    type_ = int(punt.type)
    if type_ not in _TYPES:
        return None
    u = punt.punt
    if type_ == PUNT_API_TYPE_EXCEPTION:
        return (type_, 0, 0, int(u.exception.id))
    body = u.l4 if type_ == PUNT_API_TYPE_L4 else u.ip_proto
    af = int(body.af)
    if af not in (ADDRESS_IP4, ADDRESS_IP6):
        return None
    port = int(body.port) if type_ == PUNT_API_TYPE_L4 else 0
    return (type_, af, int(body.protocol), port)


def _add(server: PuntServer, type_: int, af: int, protocol: int, port: int, path: str) -> bool:
    """``vnet_punt_socket_add`` after the version check: False where it returns an error."""
    if path[:UNIX_PATH_MAX] == server.path[:UNIX_PATH_MAX]:
        return False  # "Punt socket: Invalid client path"
    if type_ == PUNT_API_TYPE_L4:
        # punt_socket_register_l4: a port is required; UDP for either family, ICMPv6 (type) for IPv6
        if port == PORT_ANY:
            return False
        if protocol == IP_PROTO_ICMP6 and af != ADDRESS_IP6:
            return False
        if protocol not in (IP_PROTO_UDP, IP_PROTO_ICMP6):
            return False
    key = server.key(type_, af, protocol, port)
    server.registrations[key] = Registration(type_, af, protocol, port, path)  # re-registering moves it
    return True


@REGISTRY.handler("punt_socket_register")
def punt_socket_register(call: Call, msg: Any) -> Reply:
    # punt_api.c vl_api_punt_socket_register_t_handler: an undecodable punt gets no reply at all; any
    # error is rv -1; the reply names VPP's socket (empty when `punt { socket }` was not configured).
    server = call.emu.punt
    decoded = _decode(msg.punt)
    if decoded is None:
        return None
    path = str(msg.pathname)
    if server is None:
        return {"retval": FAILED, "pathname": ""}  # "socket is not configured"
    ok = int(msg.header_version) == PUNT_PACKETDESC_VERSION and _add(server, *decoded, path)
    return {"retval": 0 if ok else FAILED, "pathname": server.path}


@REGISTRY.handler("punt_socket_deregister")
def punt_socket_deregister(call: Call, msg: Any) -> Reply:
    # vl_api_punt_socket_deregister_t_handler -> vnet_punt_socket_del: removing what is not registered
    # is not an error (the hash unset and the port unregistration simply find nothing).
    server = call.emu.punt
    decoded = _decode(msg.punt)
    if decoded is None:
        return {"retval": FAILED}
    if server is None:
        return {"retval": FAILED}
    server.registrations.pop(server.key(*decoded), None)
    return {"retval": 0}


@REGISTRY.handler("punt_socket_dump")
def punt_socket_dump(call: Call, msg: Any) -> Reply:
    # vl_api_punt_socket_dump_t_handler -> punt_client_walk for one type
    server = call.emu.punt
    type_ = int(msg.type)
    if server is None or type_ not in _TYPES:
        return []
    out = []
    for reg in server.registrations.values():
        if reg.type != type_:
            continue
        if type_ == PUNT_API_TYPE_L4:
            union: dict[str, Any] = {"l4": {"af": reg.af, "protocol": reg.protocol, "port": reg.port}}
        elif type_ == PUNT_API_TYPE_IP_PROTO:
            union = {"ip_proto": {"af": reg.af, "protocol": reg.protocol}}
        else:
            union = {"exception": {"id": reg.port}}
        out.append({"punt": {"type": type_, "punt": union}, "pathname": reg.pathname})
    return out
