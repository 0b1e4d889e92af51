"""The project's API definitions (agent/vpp/api/*.api.json) against the running VPP's own (get_api_json).

The agent checks CRCs at connect (agent.vpp.connection.check_message_table); this goes further: for every
message the agent sends and every reply/details message those imply, the field list (types, names, array
lengths) must equal VPP's, and so must every type, enum and union the message uses (recursively), the
service entry (which reply, which details stream) and the CRC in VPP's message table.
"""

from __future__ import annotations

import json
from typing import Any

from _realvpp import RealVpp

from agent.vpp.api import MESSAGES_USED, load_definitions
from agent.vpp.connection import expected_crcs

Defs = dict[str, dict[str, Any]]


def index(api_files: list[dict[str, Any]]) -> Defs:
    """One namespace per kind (messages, types, enums, unions, aliases, services) over all files."""
    out: Defs = {k: {} for k in ("messages", "types", "enums", "enumflags", "unions", "aliases", "services")}
    for api in api_files:
        for kind in ("messages", "types", "enums", "enumflags", "unions"):
            for d in api.get(kind, []):
                out[kind][d[0]] = d
        out["aliases"].update(api.get("aliases", {}))
        out["services"].update(api.get("services", {}))
    return out


def fields(defn: list[Any]) -> list[Any]:
    """The wire layout of a message/type/enum definition: the name, the CRC/comment dicts and the
    annotations inside a field (``{"discriminator": ...}``, ``{"case": ...}``, which VPP's 26.06 JSON
    has and the project's files leave out) dropped; what is left decides the encoding."""
    return [
        [x for x in f if not isinstance(x, dict)] if isinstance(f, list) else f
        for f in defn[1:]
        if not isinstance(f, dict)
    ]


def type_closure(defs: Defs, defn: list[Any], seen: set[str]) -> None:
    for f in fields(defn):
        t = f[0]
        name = t.removeprefix("vl_api_").removesuffix("_t")
        for key in (t, name):
            if key in seen:
                break
            for kind in ("types", "unions", "enums", "enumflags"):
                if key in defs[kind]:
                    seen.add(key)
                    if kind in ("types", "unions"):
                        type_closure(defs, defs[kind][key], seen)
            if key in defs["aliases"]:
                seen.add(key)


def describe(defs: Defs, name: str) -> dict[str, Any]:
    """Everything about one message that must be equal on both sides."""
    msg = defs["messages"].get(name)
    if msg is None:
        return {"missing": True}
    used: set[str] = set()
    type_closure(defs, msg, used)
    types = {}
    for t in sorted(used):
        for kind in ("types", "unions", "enums", "enumflags"):
            if t in defs[kind]:
                # an enumflag is an enum on the wire; VPP's JSON lists sub_if_flags under "enums", the
                # project's under "enumflags" (same values, same CRC)
                label = "enum" if kind.startswith("enum") else kind
                body = defs[kind][t][1:] if label == "enum" else fields(defs[kind][t])  # keeps enumtype
                types[f"{label}/{t}"] = body
        if t in defs["aliases"]:
            types[f"alias/{t}"] = defs["aliases"][t]
    crc = next(p["crc"] for p in msg[1:] if isinstance(p, dict) and "crc" in p)
    return {"fields": fields(msg), "crc": crc, "types": types, "service": defs["services"].get(name)}


def vpp_definitions(vpp: RealVpp) -> tuple[Defs, dict[str, int]]:
    c = vpp.client("api-compare")
    try:
        reply = c.api.get_api_json()
        assert reply.retval == 0
        return index(json.loads(reply.json)), dict(c.transport.message_table)
    finally:
        c.disconnect()


def test_every_message_the_agent_uses_has_vpps_fields_types_and_crc(vppsim: RealVpp) -> None:
    vpp_defs, table = vpp_definitions(vppsim)
    ours = index(list(load_definitions().values()))
    names = sorted(expected_crcs(MESSAGES_USED))  # the requests and the replies/details they imply
    assert len(names) > len(MESSAGES_USED)
    # get_api_json serves vnet's and the plugins' definitions; memclnt's connection messages are not among
    # them (clients bring VPP's memclnt.api.json, as vpp-papi bundles it): their CRCs are still checked
    # against the message table below
    memclnt = {m[0] for m in load_definitions()["memclnt.api.json"]["messages"]}
    assert not memclnt & set(vpp_defs["messages"])
    differences = {}
    for name in names:
        crc = str(describe(ours, name)["crc"])[2:]
        assert f"{name}_{crc}" in table, f"{name}_{crc} not in VPP's message table"
        if name in memclnt:
            continue
        mine, theirs = describe(ours, name), describe(vpp_defs, name)
        if name in MESSAGES_USED and theirs.get("service") is None and mine.get("service") is None:
            mine.pop("service", None), theirs.pop("service", None)
        if mine != theirs:
            differences[name] = {"project": mine, "vpp": theirs}
    assert differences == {}, json.dumps(differences, indent=1)
