"""Recorded VPP answers: run a fixture's request sequence against a VPP (real or vppsim), normalise.

A fixture (tests/fixtures/vpp/<scenario>.json, written by ``make record-vpp`` from real VPP 26.06) holds
a list of steps. Each step sends one request with vpp-papi's synchronous client (the project's own API
files, as the agent uses them) and stores what VPP answered: the reply, or the details of a dump, and
any events that arrived. Request arguments may refer to an earlier step's reply (``{"$ref": [step,
"field"]}``) so a sequence reads like the agent's (create, then use the sw_if_index VPP returned);
``{"$bytes": "<hex>"}`` stands for a byte string.

Replaying the same steps against vppsim and normalising both sides with :func:`normalise` must give
identical results. What :func:`normalise` changes is listed in :data:`NORMALISED`, each with its reason:
nothing else may differ.
"""

from __future__ import annotations

import enum
import ipaddress
import json
import socket
import struct
import time
from pathlib import Path
from typing import Any

from vpp_papi import VPPApiClient

from agent.vpp.api import MESSAGES_USED, api_json_files
from agent.vpp.connection import expected_crcs

FIXTURE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "vpp"
EVENT_SETTLE = 0.3  # seconds a step marked "events" waits for VPP's interface events to arrive

#: Every field the comparison does not take literally, and why. Keys are "<message>.<field>" ("*" for
#: every message); the replay test prints this table when something differs.
NORMALISED: dict[str, str] = {
    "*._vl_msg_id": "message ids are assigned when VPP starts (plugin load order); clients map them by name",
    "*.context": "the client's own request counter, echoed back",
    "*.client_index": "the client's registration slot in VPP's client pool, echoed back",
    "control_ping_reply.vpe_pid": "VPP's process id",
    "*.nh.address": "a union (ip4 | ip6): only the member the path's proto selects is compared; the other "
    "is the same bytes read as the other family",
    "sockclnt_create_reply.index": "the client's registration slot in VPP's client pool",
    "sockclnt_create_reply.count": "VPP registers all its ~2,000 messages, vppsim the project's; "
    "the message_table entries the agent uses are compared instead",
    "sockclnt_create_reply.message_table": "reduced to the name_crc entries of the messages the agent "
    "uses (their indexes are assigned at start, see _vl_msg_id)",
    "get_api_json_reply.json": "VPP serves every definition it has, vppsim the project's: reduced to the "
    "CRCs of the messages the agent uses; fields and types are compared by tests/vpp/test_vpp_api.py",
    "show_version_reply.version": "the build's version string: reduced to the release (26.06)",
    "show_version_reply.build_date": "when VPP was built",
    "show_version_reply.build_directory": "where VPP was built",
    "sw_interface_details.l2_address": "port MACs are the NIC's (a veth's random MAC on the real-VPP lab)"
    " and loopback/bond MACs are derived from a process-wide counter; compared as present (6 bytes)",
    "sw_interface_event.pid": "the subscribing client's pid",
    "ip_route_add_del_reply.stats_index": "index of the route's counter in the stats segment, allocated "
    "in FIB entry creation order including VPP's own entries",
    "ip_route_details.route.stats_index": "same as ip_route_add_del_reply.stats_index",
    "ip_route_dump": "details sorted by prefix and each route's paths by next hop: VPP walks its FIB hash "
    "tables (order is an implementation detail); the agent keys routes by prefix and paths by next hop",
    "ip_route_dump (RR)": "host entries VPP adds to resolve recursive next hops (source RR, fib_path.c "
    "fib_path_resolve) are dropped: vppsim does not create them (docs/fidelity.md, known differences)",
    "sw_interface_details.flags (LACP bonds)": "the link bit of an LACP bond and its sub-interfaces is "
    "dropped once a member is admin up: VPP activates LACP members only after a partner answers (none in "
    "the lab), vppsim treats them as negotiated (docs/fidelity.md, known differences)",
    "sw_interface_details (af_packet ports)": "interface_dev_type, link_speed and link_duplex of ports "
    "and their sub-interfaces: the lab's ports are af_packet on veths (af-packet, speed and duplex "
    "unknown), vppsim's model a DPDK NIC (dpdk, 1 Gbit/s, full duplex) as on a production node",
    "*.punt.punt": "a union (exception | l4 | ip_proto): only the member punt.type selects is compared",
    "punt_socket_dump": "details sorted (VPP walks a hash of registrations)",
    "punt_socket_register_reply.pathname": "VPP's own punt socket, from its startup.conf (punt { socket })",
    "policer_details (TSC)": "scale and cir/pir_tokens_per_period follow the CPU's TSC frequency (xlate.c "
    "compute_policer_params; vppsim assumes 2 GHz): replaced by a placeholder; the scaled limits and buckets "
    "are compared unscaled (>> scale: the configured bytes), last_update_time (a TSC reading) dropped",
    "cli_inband_reply.reply": "CLI text: reduced to the lines the agent parses (agent/vpp/retrieve.py "
    "_unnumbered: interface header lines and 'unnumbered, use' lines)",
    "ip_neighbor_add_del_reply.stats_index": "the neighbour's counter index, allocated in creation order",
    "ip_neighbor_details.age": "seconds since the entry was last updated",
    "ip_neighbor_dump": "details sorted (VPP walks a hash of neighbours)",
    "ip_mroute_add_del_reply.stats_index": "the mFIB entry's counter index, allocated in creation order "
    "including VPP's own entries (as ip_route_add_del_reply.stats_index)",
    "*.prefix.grp_address": "a union (ip4 | ip6): only the member the prefix's af selects is compared",
    "*.prefix.src_address": "a union (ip4 | ip6): only the member the prefix's af selects is compared",
    "sw_interface_ip6nd_ra_details.prefixes.*_lifetime_expires": "seconds until a prefix lifetime runs "
    "out, counted from the call that set it: rounded to whole seconds (the steps take microseconds)",
}


# ---------------------------------------------------------------------- JSON form of VPP values


def plain(v: Any) -> Any:
    """A vpp-papi value as JSON: named tuples become objects, addresses strings, bytes hex."""
    if isinstance(v, tuple) and hasattr(v, "_asdict"):
        return {k: plain(x) for k, x in v._asdict().items()}
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [plain(x) for x in v]
    if isinstance(v, enum.Enum):
        return int(v.value)
    if isinstance(v, bool | int | float | str) or v is None:
        return v
    if isinstance(v, bytes):
        return {"$bytes": v.hex()}
    if isinstance(
        v,
        ipaddress.IPv4Address
        | ipaddress.IPv6Address
        | ipaddress.IPv4Network
        | ipaddress.IPv6Network
        | ipaddress.IPv4Interface
        | ipaddress.IPv6Interface,
    ):
        return str(v)
    return str(v)  # MACAddress and other vpp-papi formatted types print as VPP's CLI does


def resolve(args: Any, results: list[Any]) -> Any:
    """Request arguments with ``$ref``/``$bytes`` replaced by values (``results``: earlier replies)."""
    if isinstance(args, dict):
        if set(args) == {"$ref"}:
            step, field = args["$ref"]
            return results[step][field]
        if set(args) == {"$bytes"}:
            return bytes.fromhex(args["$bytes"])
        return {k: resolve(x, results) for k, x in args.items()}
    if isinstance(args, list):
        return [resolve(x, results) for x in args]
    return args


# ---------------------------------------------------------------------- running steps


class Runner:
    """Runs steps against one VPP API socket and returns their JSON answers."""

    def __init__(self, api_socket: str) -> None:
        self.api_socket = api_socket
        self.client = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=api_socket)
        self.events: list[Any] = []
        self.client.register_event_callback(lambda name, msg: self.events.append(msg))
        self.client.connect("fixture")
        self.results: list[Any] = []

    def close(self) -> None:
        if self.client.transport.connected:
            self.client.disconnect()

    def run(self, step: dict[str, Any]) -> dict[str, Any]:
        msg = step["send"]
        args = resolve(step.get("args", {}), self.results)
        if msg in ("sockclnt_create", "sockclnt_delete"):
            answer = self._connection(args)
        else:
            self.events.clear()
            out = getattr(self.client.api, msg)(**args)
            if isinstance(out, list):
                answer = {"details": [plain(d) for d in out]}
                self.results.append(answer["details"])
            else:
                answer = {"reply": plain(out)}
                self.results.append(answer["reply"])
            if step.get("events"):
                time.sleep(EVENT_SETTLE)
                answer["events"] = [plain(e) for e in self.events]
            return answer
        self.results.append(answer["reply"])
        return answer

    def _connection(self, args: dict[str, Any]) -> dict[str, Any]:
        """``sockclnt_create`` then ``sockclnt_delete`` on a socket of its own (the framing vpp-papi uses:
        a 16-byte header ``>QII`` = 0, length, 0; ``sockclnt_create`` is message 15 in every VPP)."""
        msgs = self.client.messages
        header = struct.Struct(">QII")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(self.api_socket)

            def exchange(name: str, body: dict[str, Any]) -> Any:
                b = msgs[name].pack(body)
                s.sendall(header.pack(0, len(b), 0) + b)
                _, length, _ = header.unpack(_read(s, header.size))
                data = _read(s, length)
                reply_name = name + "_reply"
                return msgs[reply_name].unpack(data)[0]

            created = exchange("sockclnt_create", {"_vl_msg_id": 15, "context": 1, **args})
            table = {m.name: m.index for m in created.message_table}
            delete_id = table[f"sockclnt_delete_{msgs['sockclnt_delete'].crc[2:]}"]
            # the request's client_index is the handle sockclnt_create returned (socket_api.c
            # vl_api_sockclnt_delete_t_handler looks the registration up by it), as vpp-papi sends it
            body = {
                "_vl_msg_id": delete_id,
                "context": 2,
                "client_index": created.index,
                "index": created.index,
            }
            deleted = exchange("sockclnt_delete", body)
        return {"reply": plain(created), "then": {"send": "sockclnt_delete", "reply": plain(deleted)}}


def _read(s: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("VPP closed the socket")
        data += chunk
    return data


def run_fixture(api_socket: str, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    runner = Runner(api_socket)
    try:
        return [runner.run(step) for step in steps]
    finally:
        runner.close()


# ---------------------------------------------------------------------- normalisation


def _used_name_crcs() -> set[str]:
    return {f"{n}_{crc[2:]}" for n, crc in expected_crcs(MESSAGES_USED).items()}


def _path(p: dict[str, Any]) -> dict[str, Any]:
    family = "ip6" if p.get("proto") == 1 else "ip4"
    addr = p["nh"]["address"]
    return {**p, "nh": {**p["nh"], "address": {family: addr[family]}}}


def _normalise_message(name: str, m: dict[str, Any]) -> dict[str, Any]:
    m = {k: v for k, v in m.items() if k not in ("_0", "_vl_msg_id", "context", "client_index")}
    if name == "sockclnt_create_reply":
        used = _used_name_crcs()
        m["index"] = "<client slot>"
        m["count"] = "<messages>"
        m["message_table"] = sorted(e["name"] for e in m["message_table"] if e["name"] in used)
    elif name == "get_api_json_reply":
        crcs = expected_crcs(MESSAGES_USED)
        seen = {}
        for api in json.loads(m["json"]):
            for d in api.get("messages", []):
                if d[0] in crcs:
                    seen[d[0]] = next(p["crc"] for p in d[1:] if isinstance(p, dict) and "crc" in p)
        m["json"] = dict(sorted(seen.items()))
    elif name == "show_version_reply":
        m["version"] = ".".join(str(m["version"]).lstrip("v").split(".")[:2])[:5]
        m["build_date"] = "<build date>"
        m["build_directory"] = "<build directory>"
    elif name == "sw_interface_details":
        mac = m.get("l2_address")
        m["l2_address"] = "<mac>" if isinstance(mac, str) and len(mac.split(":")) == 6 else mac
    elif name == "sw_interface_event":
        m["pid"] = "<pid>"
    elif name == "ip_route_add_del_reply":
        m["stats_index"] = "<stats index>"
    elif name == "ip_route_details":
        paths = [_path(p) for p in m["route"]["paths"]]
        m["route"] = {**m["route"], "stats_index": "<stats index>", "paths": paths}
    elif name == "punt_socket_details":
        member = {0: "l4", 1: "exception", 2: "ip_proto"}.get(m["punt"]["type"], "l4")
        m["punt"] = {**m["punt"], "punt": {member: m["punt"]["punt"][member]}}
    elif name == "punt_socket_register_reply":
        m["pathname"] = "<VPP's punt socket>"
    elif name == "control_ping_reply":
        m["vpe_pid"] = "<pid>"
    elif name == "ip_neighbor_add_del_reply":
        m["stats_index"] = "<stats index>" if m["stats_index"] != 0xFFFFFFFF else m["stats_index"]
    elif name == "ip_neighbor_details":
        m["age"] = "<age>"
    elif name == "ip_mroute_add_del_reply":
        m["stats_index"] = "<stats index>" if m["stats_index"] != 0xFFFFFFFF else m["stats_index"]
    elif name == "ip_mroute_details":
        pfx = m["route"]["prefix"]
        fam = "ip6" if pfx["af"] == 1 else "ip4"
        pfx = {**pfx, "grp_address": pfx["grp_address"][fam], "src_address": pfx["src_address"][fam]}
        m["route"] = {
            **m["route"],
            "prefix": pfx,
            "paths": [{**p, "path": _path(p["path"])} for p in m["route"]["paths"]],
        }
    elif name == "sw_interface_ip6nd_ra_details":
        m["prefixes"] = [
            {
                **p,
                "valid_lifetime_expires": round(p["valid_lifetime_expires"]),
                "pref_lifetime_expires": round(p["pref_lifetime_expires"]),
            }
            for p in m["prefixes"]
        ]
    elif name == "policer_details":
        shift = int(m["scale"])
        for f in ("current_limit", "current_bucket", "extended_limit", "extended_bucket"):
            m[f] = int(m[f]) >> shift
        for f in ("scale", "cir_tokens_per_period", "pir_tokens_per_period", "last_update_time"):
            m[f] = "<tsc>"
    elif name == "cli_inband_reply":
        lines = str(m["reply"]).splitlines()
        keep = [ln.rstrip() for ln in lines if (ln and not ln[0].isspace()) or "unnumbered, use" in ln]
        m["reply"] = keep
    return m


REPLY_OF: dict[str, str] = {}
DETAILS_OF: dict[str, str] = {}


def _services() -> None:
    if REPLY_OF:
        return
    from agent.vpp.api import load_definitions

    for api in load_definitions().values():
        for req, svc in api.get("services", {}).items():
            REPLY_OF[req] = svc["reply"]
            if svc.get("stream"):
                reply = str(svc["reply"])
                details = reply if reply.endswith("_details") else req.replace("_dump", "_details")
                DETAILS_OF[req] = svc.get("stream_msg") or details


def _without_rr(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Route details without the RR host entries of recursive next hops (see NORMALISED)."""
    resolving = set()
    for d in details:
        for p in d["route"]["paths"]:
            addr = next(iter(p["nh"].get("address", {}).values()), None)
            if addr and p["sw_if_index"] == 0xFFFFFFFF and p["type"] == 0 and addr not in ("0.0.0.0", "::"):
                resolving.add(addr)
    return [
        d
        for d in details
        if not (
            d["route"]["prefix"].endswith(("/32", "/128"))
            and d["route"]["prefix"].rsplit("/", 1)[0] in resolving
        )
    ]


def _lab_ports(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Port fields that depend on the NIC model, and LACP bond carriers (see NORMALISED)."""
    out = []
    for d in details:
        d = dict(d)
        if d["interface_dev_type"] in ("af-packet", "dpdk"):
            d["interface_dev_type"] = "<port>"
            d["link_speed"] = "<port speed>"
            d["link_duplex"] = "<port duplex>"
        out.append(d)
    return out


def normalise(step: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The answer with every :data:`NORMALISED` field replaced by its stable form."""
    _services()
    msg = step["send"]
    out: dict[str, Any] = {}
    if "reply" in answer:
        out["reply"] = _normalise_message(REPLY_OF.get(msg, msg + "_reply"), answer["reply"])
    if "details" in answer:
        out["details"] = [_normalise_message(DETAILS_OF.get(msg, ""), d) for d in answer["details"]]
        if msg in ("punt_socket_dump", "ip_neighbor_dump"):
            out["details"].sort(key=lambda d: json.dumps(d, sort_keys=True))
        if msg == "ip_route_dump":
            out["details"] = _without_rr(out["details"])
            for d in out["details"]:
                d["route"]["paths"] = sorted(d["route"]["paths"], key=lambda p: json.dumps(p, sort_keys=True))
            out["details"].sort(key=lambda d: (d["route"]["prefix"], json.dumps(d, sort_keys=True)))
    if msg == "sw_interface_dump" and "details" in answer:
        out["details"] = _lab_ports(out["details"])
    if "events" in answer:
        out["events"] = [_normalise_message("sw_interface_event", e) for e in answer["events"]]
    if "then" in answer:
        out["then"] = {
            "send": answer["then"]["send"],
            "reply": _normalise_message("sockclnt_delete_reply", answer["then"]["reply"]),
        }
    return out


# ---------------------------------------------------------------------- fixture files


def fixture_files() -> list[Path]:
    return sorted(FIXTURE_DIR.glob("*.json"))


def load_fixture(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def messages_sent(fixture: dict[str, Any]) -> set[str]:
    sent = set()
    for step in fixture["steps"]:
        sent.add(step["send"])
        if "then" in step.get("answer", {}):
            sent.add(step["answer"]["then"]["send"])
    return sent


def _diff(path: str, want: Any, got: Any, out: list[str]) -> None:
    """Field-level differences: ``path: VPP=... vppsim=...`` (lists of objects element by element)."""
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got)):
            _diff(f"{path}.{k}", want.get(k, "<absent>"), got.get(k, "<absent>"), out)
    elif isinstance(want, list) and isinstance(got, list) and want and isinstance(want[0], dict):
        for i in range(max(len(want), len(got))):
            _diff(
                f"{path}[{i}]",
                want[i] if i < len(want) else "<absent>",
                got[i] if i < len(got) else "<absent>",
                out,
            )
    elif want != got:
        out.append(f"{path}: VPP={json.dumps(want)} vppsim={json.dumps(got)}")


def differences(fixture: dict[str, Any], answers: list[dict[str, Any]]) -> list[str]:
    """One line per differing field of a step's normalised answer (empty: vppsim answered as VPP did)."""
    out: list[str] = []
    for i, (step, got) in enumerate(zip(fixture["steps"], answers, strict=True)):
        lines: list[str] = []
        _diff("", normalise(step, step["answer"]), normalise(step, got), lines)
        note = f" ({step['note']})" if step.get("note") else ""
        out.extend(f"step {i} {step['send']}{note} {line}" for line in lines)
    return out
