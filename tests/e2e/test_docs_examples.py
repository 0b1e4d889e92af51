"""Every worked example in ``docs/features/`` runs on ``make run``'s node and gives the reply shown.

The agent is started as ``make run`` starts it: ``bng-agent run --sim --startup
examples/demo-config.xml`` (the demo node: an LACP bond of GigabitEthernet0/8/0 and 0/9/0, subscriber
VLANs on GigabitEthernet0/a/0, the management LAN on GigabitEthernet0/b/0, VRFs ``internet`` (table 10)
and ``voip`` (20), ``loopback0``, login ``admin``/``admin``), so a reader can paste each example into the
node ``make run`` gave them.

The payloads and the expected replies live in ``docs/features/examples/``; the pages quote them, and the
last test checks that each page still quotes its files verbatim, so a page cannot drift from what the
agent does. One agent serves the whole module and the tests run in file order, as a reader follows the
pages: interfaces first, then bonds, loopbacks, VRFs (which route over the interfaces made before),
commits and telemetry.

Replies are compared after normalisation: XML without message-ids, whitespace between elements or
times; gNMI replies without timestamps. pygnmi cannot share a process with the agent's own gNMI
modules, so the agent runs as a child process (as in production).
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from _gnmi_streams import subscribe_stream
from lxml import etree
from ncclient import manager
from ncclient.operations.rpc import RPCError
from pygnmi.client import gNMIclient, gNMIException  # type: ignore[import-untyped]
from pygnmi.spec.v080 import gnmi_ext_pb2, gnmi_pb2  # type: ignore[import-untyped]
from pygnmi.spec.v080.gnmi_pb2_grpc import gNMIStub  # type: ignore[import-untyped]
from vpp_papi import VPPApiClient

from agent.vpp.api import api_json_files
from vppsim.control import send_command

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "docs" / "features"
EXAMPLES = PAGES / "examples"
PASSWORD = "admin"  # the demo configuration's admin user (examples/demo-config.xml)
DEMO = ROOT / "examples" / "demo-config.xml"
START_TIMEOUT = 90.0


# ----------------------------------------------------------------------------------------- the agent
@dataclass
class Node:
    proc: subprocess.Popen[str]
    netconf_port: int
    gnmi_port: int
    metrics_url: str
    api_socket: str
    control_socket: str
    cert: str


def _start(tmp: Path) -> tuple[Node, Any]:
    settings = tmp / "agent.toml"
    settings.write_text('netconf-host = "127.0.0.1"\nlog-level = "INFO"\n')
    log = (tmp / "agent.log").open("w")
    ports = ["--netconf-port", "0", "--gnmi-port", "0", "--metrics-port", "0"]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agent.cli",
            "run",
            "--sim",
            "--startup",
            str(DEMO),
            "--data-dir",
            str(tmp / "data"),
            "--config",
            str(settings),
            *ports,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    out = ""
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + START_TIMEOUT
    while "data directory:" not in out:
        if time.monotonic() > deadline or proc.poll() is not None:
            _stop(proc)
            raise AssertionError(f"agent did not start:\n{out}\n{(tmp / 'agent.log').read_text()[-3000:]}")
        for key, _ in sel.select(timeout=0.5):
            out += os.read(key.fileobj.fileno(), 65536).decode()  # type: ignore[union-attr]
    sel.close()

    def find(pattern: str) -> str:
        match = re.search(pattern, out)
        assert match, out
        return match.group(1)

    node = Node(
        proc=proc,
        netconf_port=int(find(r"ssh -p (\d+)")),
        gnmi_port=int(find(r"gNMI \(TLS\): \S+:(\d+)")),
        metrics_url=find(r"Prometheus: (\S+)"),
        api_socket=find(r"VPP API socket: (\S+)"),
        control_socket=find(r"--control-socket (\S+)"),
        cert=str(tmp / "data" / "gnmi" / "gnmi-cert.pem"),
    )
    return node, log


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    agent, log = _start(tmp_path_factory.mktemp("docs"))
    try:
        yield agent
    finally:
        _stop(agent.proc)
        log.close()


@pytest.fixture(scope="module")
def nc(node: Node) -> Iterator[Any]:
    with manager.connect(
        host="127.0.0.1",
        port=node.netconf_port,
        username="admin",
        password=PASSWORD,
        hostkey_verify=False,
        look_for_keys=False,
        allow_agent=False,
        timeout=30,
    ) as m:
        yield m


@pytest.fixture(scope="module")
def gnmi(node: Node) -> Iterator[gNMIclient]:
    target = ("127.0.0.1", node.gnmi_port)
    with gNMIclient(target=target, username="admin", password=PASSWORD, path_cert=node.cert) as c:
        yield c


# ------------------------------------------------------------------------------------ normalisation
def canonical_xml(text: str | bytes) -> str:
    """The XML with message-ids, times and whitespace-only text removed, pretty-printed for diffs."""
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(text.encode() if isinstance(text, str) else text, parser)
    if "message-id" in root.attrib:
        del root.attrib["message-id"]
    for el in root.iter():
        if isinstance(el.tag, str) and etree.QName(el).localname == "time":
            el.text = "TIME"
        if el.text is not None and not el.text.strip():
            el.text = None
    return etree.tostring(etree.fromstring(etree.tostring(root, method="c14n")), pretty_print=True).decode()


def example(name: str) -> str:
    return (EXAMPLES / name).read_text()


def expect_xml(name: str, actual: str | bytes) -> None:
    assert canonical_xml(actual) == canonical_xml(example(name)), f"reply differs from {name}"


def expect_json(name: str, actual: Any) -> None:
    assert actual == json.loads(example(name)), f"reply differs from {name}:\n{json.dumps(actual, indent=2)}"


def expect_text(name: str, actual: str) -> None:
    # leading spaces matter (VPP centres its column headers); blank lines around do not
    assert actual.strip("\n").rstrip() == example(name).strip("\n").rstrip(), (
        f"output differs from {name}:\n{actual}"
    )


# ------------------------------------------------------------------------------------------ drivers
DRY_RUN = example("dry-run.xml")
CONSOLE = str(Path(sys.executable).with_name("netconf-console2"))


def console(node: Node, *args: str) -> str:
    """netconf-console2 as an operator runs it; returns what it prints."""
    cmd = [CONSOLE, "--host", "127.0.0.1", "--port", str(node.netconf_port), "-u", "admin", "-p", PASSWORD]
    done = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def edit_plan_commit(nc: Any, feature: str) -> None:
    """``<edit-config>`` the page's payload, compare the dry-run plan with the page, commit."""
    reply = nc.edit_config(target="candidate", config=example(f"{feature}.xml"))
    assert reply.ok
    expect_xml(f"{feature}.plan.xml", nc.dispatch(etree.fromstring(DRY_RUN)).xml)
    expect_xml("ok.reply.xml", nc.commit().xml)


def rpc_error(nc: Any, name: str) -> None:
    """The payload of ``<name>.xml`` is refused (at edit-config or at validate) with ``<name>.reply.xml``."""
    try:
        with pytest.raises(RPCError) as info:
            nc.edit_config(target="candidate", config=example(f"{name}.xml"))
            nc.validate(source="candidate")
        expect_xml(f"{name}.reply.xml", etree.tostring(info.value.xml))
    finally:
        nc.discard_changes()


def gnmi_set(gnmi: gNMIclient, feature: str) -> None:
    request = json.loads(example(f"{feature}.gnmi.json"))
    reply = gnmi.set(update=[(u["path"], u["val"]) for u in request["update"]], encoding="json_ietf")
    assert reply["response"] == [
        {"path": u["path"].split(":", 1)[1], "op": "UPDATE"} for u in request["update"]
    ]


def gnmi_stub(node: Node) -> tuple[grpc.Channel, Any]:
    """A raw gNMI stub (pygnmi's generated one) for what pygnmi's client does not expose."""
    credentials = grpc.ssl_channel_credentials(Path(node.cert).read_bytes())
    channel = grpc.secure_channel(f"localhost:{node.gnmi_port}", credentials)
    return channel, gNMIStub(channel)


METADATA = [("username", "admin"), ("password", PASSWORD)]


def gnmi_error(node: Node, name: str) -> None:
    """The Set of ``<name>.gnmi.json`` fails with the status and message in ``<name>.gnmi-reply.json``."""
    request = json.loads(example(f"{name}.gnmi.json"))
    channel, stub = gnmi_stub(node)
    updates = [
        gnmi_pb2.Update(
            path=gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name=u["path"].strip("/"))]),
            val=gnmi_pb2.TypedValue(json_ietf_val=json.dumps(u["val"]).encode()),
        )
        for u in request["update"]
    ]
    try:
        with pytest.raises(grpc.RpcError) as info:
            stub.Set(gnmi_pb2.SetRequest(update=updates), metadata=METADATA, timeout=30)
    finally:
        channel.close()
    error: Any = info.value
    expect_json(f"{name}.gnmi-reply.json", {"code": error.code().name, "details": error.details()})


def gnmi_get(gnmi: gNMIclient, feature: str) -> None:
    request = json.loads(example(f"{feature}.gnmi-get.json"))
    deadline = time.monotonic() + 10.0
    while True:  # state follows a commit within one operational refresh: retry NOT_FOUND for a while
        try:
            reply = gnmi.get(path=[request["path"]], datatype=request["type"], encoding="json_ietf")
            break
        except gNMIException:
            if request["type"] != "state" or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    updates = [u for n in reply["notification"] for u in n.get("update", [])]
    expect_json(f"{feature}.gnmi-get.reply.json", updates)


def vpp_cli(node: Node, command: str, names: list[str]) -> str:
    """VPP's own view (``vppctl`` through the ``cli_inband`` API), limited to the lines about ``names``."""
    client = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=node.api_socket)
    client.connect("docs-examples")
    try:
        reply = client.api.cli_inband(cmd=command)
    finally:
        client.disconnect()
    assert reply.retval == 0
    lines = str(reply.reply).splitlines()
    if not names:
        return "\n".join(lines)
    keep = [lines[0]] if command == "show interface" else []
    for i, line in enumerate(lines):
        if line.split(" ", 1)[0] in names:
            keep.append(line)
            if command != "show interface":  # the indented lines that belong to the matched one
                keep += _following(lines, i)
    return "\n".join(keep)


def _following(lines: list[str], i: int) -> list[str]:
    out: list[str] = []
    for line in lines[i + 1 :]:
        if not line.startswith(" "):
            break
        out.append(line)
    return out


# ---------------------------------------------------------------------------------------- the pages
def test_interfaces(node: Node, nc: Any, gnmi: gNMIclient) -> None:
    # the page's command lines: the edit and the plan from netconf-console2 (the candidate is shared)
    console(node, "--db", "candidate", "--edit-config1", str(EXAMPLES / "interfaces.xml"))
    expect_xml("interfaces.plan.xml", console(node, "--rpc", str(EXAMPLES / "dry-run.xml")))
    edit_plan_commit(nc, "interfaces")
    subifs = ["GigabitEthernet0/a/0", "GigabitEthernet0/a/0.300", "GigabitEthernet0/a/0.20002001"]
    expect_text("interfaces.vpp.txt", vpp_cli(node, "show interface", subifs))
    gnmi_set(gnmi, "interfaces")
    gnmi_get(gnmi, "interfaces")
    expect_text(
        "interfaces.gnmi.vpp.txt", vpp_cli(node, "show interface address", ["GigabitEthernet0/b/0.300"])
    )
    for error in ("interfaces-error-subid", "interfaces-error-vlan", "interfaces-error-nested"):
        rpc_error(nc, error)
    gnmi_error(node, "interfaces-error-subid")


def test_bonds(node: Node, nc: Any, gnmi: gNMIclient) -> None:
    edit_plan_commit(nc, "bonds")
    names = ["BondEthernet1", "BondEthernet1.200", "GigabitEthernet0/c/0", "GigabitEthernet0/d/0"]
    expect_text("bonds.vpp.txt", vpp_cli(node, "show interface", names))
    gnmi_set(gnmi, "bonds")
    gnmi_get(gnmi, "bonds")
    rpc_error(nc, "bonds-error-member")


def test_loopbacks(node: Node, nc: Any, gnmi: gNMIclient) -> None:
    edit_plan_commit(nc, "loopbacks")
    gnmi_set(gnmi, "loopbacks")
    expect_text("loopbacks.vpp.txt", vpp_cli(node, "show interface address", ["loop1", "loop2"]))
    rpc_error(nc, "loopbacks-error-own-address")


def test_vrfs(node: Node, nc: Any, gnmi: gNMIclient) -> None:
    edit_plan_commit(nc, "vrfs")
    expect_text("vrfs.vpp.txt", vpp_cli(node, "show ip fib summary table 30", []))
    gnmi_set(gnmi, "vrfs")
    gnmi_get(gnmi, "vrfs")
    rpc_error(nc, "vrfs-error-table-id")


IF_100 = (
    "subtree",
    '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface>'
    "<name>GigabitEthernet0/a/0.300</name><description/>"
    '<mtu xmlns="urn:bng-agent:yang:bng-interfaces"/></interface></interfaces>',
)


def rpc(nc: Any, name: str) -> str:
    return str(nc.dispatch(etree.fromstring(example(name).encode())).xml)


def test_commit_confirmed_rollback_and_revert(node: Node, nc: Any) -> None:
    subif = ["GigabitEthernet0/a/0.300"]
    nc.edit_config(target="candidate", config=example("commit-edit.xml"))
    expect_xml("commit.plan.xml", nc.dispatch(etree.fromstring(DRY_RUN)).xml)
    expect_xml("ok.reply.xml", rpc(nc, "commit-confirmed.xml"))
    expect_xml("commit-trial.reply.xml", nc.get_config(source="running", filter=IF_100).xml)
    expect_text("commit-trial.vpp.txt", vpp_cli(node, "show interface", subif))
    expect_xml("ok.reply.xml", rpc(nc, "commit-cancel.xml"))  # back to before, in VPP too
    expect_xml("commit-cancelled.reply.xml", nc.get_config(source="running", filter=IF_100).xml)
    expect_text("commit-cancelled.vpp.txt", vpp_cli(node, "show interface", subif))

    nc.edit_config(target="candidate", config=example("commit-edit.xml"))
    expect_xml("ok.reply.xml", rpc(nc, "commit-confirmed.xml"))
    expect_xml("ok.reply.xml", rpc(nc, "commit-confirm.xml"))
    checkpoints = etree.fromstring(rpc(nc, "commit-list-checkpoints.xml").encode())
    listing = checkpoints[0]
    for old in list(listing)[3:]:  # newest first; the page shows the newest three
        listing.remove(old)
    expect_xml("commit-list-checkpoints.reply.xml", etree.tostring(checkpoints))
    # newest first: the confirmation (no changes), the confirmed commit, and the state before it
    rollback_to = int(listing[2][0].text or "")
    expect_xml(
        "commit-rollback.xml", f'<rollback xmlns="urn:bng-agent:netconf"><id>{rollback_to}</id></rollback>'
    )
    expect_xml("commit-rollback.reply.xml", rpc(nc, "commit-rollback.xml"))
    expect_text("commit-rolled-back.vpp.txt", vpp_cli(node, "show interface", subif))

    # a data-plane failure: VPP refuses the address, the sub-interface created before it is deleted again
    send_command(node.control_socket, "fail", message="sw_interface_add_del_address", retval=-105)
    nc.edit_config(target="candidate", config=example("commit-failure.xml"))
    try:
        with pytest.raises(RPCError) as info:
            nc.commit()
        expect_xml("commit-failure.reply.xml", etree.tostring(info.value.xml))
    finally:
        nc.discard_changes()
    assert "GigabitEthernet0/a/0.303" not in vpp_cli(node, "show interface", ["GigabitEthernet0/a/0.303"])


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _message(field: int, body: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(body)) + body


def commit_extension(commit_id: str, action: str, seconds: int = 0) -> Any:
    """gnmi_ext ``Extension{commit: Commit{id, commit|confirm|cancel}}``, encoded by field number.

    pygnmi bundles gNMI 0.8's gnmi_ext, which predates the Commit extension (gnmi_ext.proto:
    Extension.commit = 4; Commit.id = 1, commit = 2, confirm = 3, cancel = 4;
    CommitRequest.rollback_duration = 1; google.protobuf.Duration.seconds = 1).
    """
    body = _message(1, commit_id.encode())
    if action == "commit":
        duration = _varint(1 << 3) + _varint(seconds)
        body += _message(2, _message(1, duration))
    else:
        body += _message({"confirm": 3, "cancel": 4}[action], b"")
    return gnmi_ext_pb2.Extension.FromString(_message(4, body))


def test_gnmi_commit_confirmed(node: Node, gnmi: gNMIclient) -> None:
    request = json.loads(example("commit.gnmi.json"))
    commit = request["commit"]
    path = request["update"][0]["path"]
    channel, stub = gnmi_stub(node)
    metadata = METADATA

    def description() -> Any:
        reply = gnmi.get(
            path=[path.removeprefix("/ietf-interfaces:")], datatype="config", encoding="json_ietf"
        )
        return reply["notification"][0]["update"][0]["val"]

    before = description()
    update = gnmi_pb2.Update(
        path=gnmi_pb2.Path(
            elem=[
                gnmi_pb2.PathElem(name="ietf-interfaces:interfaces"),
                gnmi_pb2.PathElem(name="interface", key={"name": "GigabitEthernet0/a/0.300"}),
                gnmi_pb2.PathElem(name="description"),
            ]
        ),
        val=gnmi_pb2.TypedValue(json_ietf_val=json.dumps(request["update"][0]["val"]).encode()),
    )
    ext = commit_extension(commit["id"], "commit", commit["rollback_duration_s"])
    stub.Set(gnmi_pb2.SetRequest(update=[update], extension=[ext]), metadata=metadata)
    assert description() == request["update"][0]["val"]
    stub.Set(gnmi_pb2.SetRequest(extension=[commit_extension(commit["id"], "cancel")]), metadata=metadata)
    assert description() == before
    stub.Set(gnmi_pb2.SetRequest(update=[update], extension=[ext]), metadata=metadata)
    stub.Set(gnmi_pb2.SetRequest(extension=[commit_extension(commit["id"], "confirm")]), metadata=metadata)
    assert description() == request["update"][0]["val"]
    channel.close()


PORT = "GigabitEthernet0/9/0"


def flat(message: dict[str, Any]) -> dict[str, Any]:
    """One pygnmi stream message as {full path: value}; ``{"sync_response": True}`` passes through."""
    if message.get("sync_response"):
        return {"sync_response": True}
    update = message.get("update") or {}
    prefix = update.get("prefix") or ""
    return {(f"{prefix}/{u['path']}" if prefix else u["path"]): u["val"] for u in update.get("update") or []}


def test_telemetry_sample_counters(node: Node, gnmi: gNMIclient) -> None:
    request = json.loads(example("telemetry-sample.json"))
    # 1,000 frames/s and 64,000 bytes/s (64-byte frames) arrive on the port (vppsim's control channel)
    send_command(node.control_socket, "traffic", name=PORT, rx_pps=1000, rx_bps=64000)
    stream = subscribe_stream(gnmi, request)
    shown = json.loads(example("telemetry-sample.reply.json"))  # one sample of each subscribed leaf
    series: dict[str, list[int]] = {path: [] for path in shown}
    try:
        deadline = time.monotonic() + 20
        while min(len(v) for v in series.values()) < 4 and time.monotonic() < deadline:
            for path, value in flat(stream.get_update(timeout=10)).items():
                if path != "sync_response":
                    series[path].append(int(value))  # KeyError: a path the page does not show
    finally:
        stream.close()
        send_command(node.control_socket, "traffic", name=PORT, rx_pps=0, rx_bps=0)
    octets, packets = (series[next(k for k in shown if k.endswith(leaf))] for leaf in ("octets", "pkts"))
    assert len(octets) >= 4 and octets == sorted(octets) and octets[-1] > octets[0], series
    # samples of one tick come from one stats read: whole 64-byte frames
    assert all(o == 64 * p for o, p in zip(octets, packets, strict=False)), series


def test_telemetry_on_change_oper_status(node: Node, gnmi: gNMIclient) -> None:
    stream = subscribe_stream(gnmi, json.loads(example("telemetry-on-change.json")))
    seen: list[dict[str, Any]] = []
    try:
        while not seen or "sync_response" not in seen[-1]:  # (the current value and) sync_response
            seen.append(flat(stream.get_update(timeout=15)))
            assert len(seen) < 10, seen
        send_command(node.control_socket, "link", name=PORT, up=False)
        changes = [flat(stream.get_update(timeout=10))]
        send_command(node.control_socket, "link", name=PORT, up=True)
        changes.append(flat(stream.get_update(timeout=10)))
    finally:
        stream.close()
    expect_json("telemetry-on-change.reply.json", changes)


def scrape(node: Node, names: list[str]) -> str:
    """The exposition lines of ``names`` for the example port, as ``curl .../metrics | grep`` shows them."""
    with urllib.request.urlopen(node.metrics_url, timeout=10) as reply:
        text = reply.read().decode()
    keep = [
        line for line in text.splitlines() if line.split("{", 1)[0] in names and f'interface="{PORT}"' in line
    ]
    return "\n".join(keep)


def test_prometheus_metrics(node: Node) -> None:
    gauges = ["bng_interface_oper_up", "bng_interface_admin_up", "bng_interface_mtu_bytes"]
    deadline = time.monotonic() + 10
    while True:  # the exporter reads state once per refresh: the link test above may still be settling
        try:
            expect_text("telemetry-metrics.txt", scrape(node, gauges))
            break
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    counters = scrape(node, ["bng_interface_receive_packets_total", "bng_interface_receive_bytes_total"])
    assert re.search(r"bng_interface_receive_bytes_total\{.*\} [1-9]", counters), counters


def _normalised_lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def test_nat(node: Node, nc: Any, gnmi: gNMIclient) -> None:
    edit_plan_commit(nc, "nat")
    for name in ("nat-det44-forward", "nat-det44-reverse", "nat-mapping"):
        expect_xml(f"{name}.reply.xml", rpc(nc, f"{name}.xml"))
    rpc_error(nc, "nat-error-det44-ratio")
    # overlapping pools pass YANG validation and are refused when the commit is planned, before VPP
    try:
        nc.edit_config(target="candidate", config=example("nat-error-overlap.xml"))
        with pytest.raises(RPCError) as info:
            nc.commit()
        expect_xml("nat-error-overlap.reply.xml", etree.tostring(info.value.xml))
    finally:
        nc.discard_changes()
    gnmi_set(gnmi, "nat")
    gnmi_get(gnmi, "nat")


def test_natlog(node: Node, nc: Any, gnmi: gNMIclient) -> None:
    edit_plan_commit(nc, "natlog")
    gnmi_set(gnmi, "natlog")
    gnmi_get(gnmi, "natlog")


def test_every_example_is_quoted_verbatim_by_a_page() -> None:
    pages = {page.name: _normalised_lines(page.read_text()) for page in PAGES.glob("*.md")}
    for path in sorted(EXAMPLES.iterdir()):
        quoting = [name for name, text in pages.items() if _normalised_lines(path.read_text()) in text]
        assert quoting, f"no page in docs/features quotes {path.name} as it is"
        assert any(f"examples/{path.name}" in pages[name] for name in quoting), f"{path.name} is not linked"


# ------------------------------------------------------------------------------ refreshing the pages
QUOTE = re.compile(
    r"(\[`examples/(?P<name>[^`]+)`\]\(examples/[^)]+\):\n\n```\w*\n)(?P<body>.*?)(\n```)", re.S
)


def refresh_pages() -> list[str]:
    """Re-quote every example file in the pages that link it (the block after the link); returns pages."""
    changed = []
    for page in sorted(PAGES.glob("*.md")):
        text = page.read_text()
        new = QUOTE.sub(lambda m: m.group(1) + example(m.group("name")).rstrip("\n") + m.group(4), text)
        if new != text:
            page.write_text(new)
            changed.append(page.name)
    return changed


def record() -> None:
    """After an intended change of behaviour: run the pages' examples, write the replies the agent gives
    now into docs/features/examples/, and re-quote them in the pages. Review the diff before committing.

    ``PYTHONPATH=tests python tests/e2e/test_docs_examples.py --record``
    """
    import inspect
    import tempfile

    module = sys.modules[__name__]

    def write(name: str, text: str) -> None:
        (EXAMPLES / name).write_text(text.rstrip("\n") + "\n")

    def write_xml(name: str, actual: str | bytes) -> None:
        root = etree.fromstring(actual.encode() if isinstance(actual, str) else actual)
        if "message-id" in root.attrib:
            del root.attrib["message-id"]
        for el in root.iter():
            if el.text is not None and not el.text.strip():
                el.text = None
            el.tail = None
        write(name, etree.tostring(root, pretty_print=True).decode())

    setattr(module, "expect_xml", write_xml)  # noqa: B010 - the drivers look these up at call time
    setattr(module, "expect_json", lambda name, actual: write(name, json.dumps(actual, indent=2)))  # noqa: B010
    setattr(module, "expect_text", lambda name, actual: write(name, actual.strip("\n").rstrip()))  # noqa: B010
    tmp = Path(tempfile.mkdtemp(prefix="docs-record-"))
    node, log = _start(tmp)
    try:
        nc = manager.connect(
            host="127.0.0.1",
            port=node.netconf_port,
            username="admin",
            password=PASSWORD,
            hostkey_verify=False,
            look_for_keys=False,
            allow_agent=False,
            timeout=30,
        )
        with gNMIclient(
            target=("127.0.0.1", node.gnmi_port), username="admin", password=PASSWORD, path_cert=node.cert
        ) as gnmi:
            fixtures = {"node": node, "nc": nc, "gnmi": gnmi}
            ordered = sorted(
                (
                    f
                    for n, f in vars(module).items()
                    if n.startswith("test_") and "node" in inspect.signature(f).parameters
                ),
                key=lambda f: f.__code__.co_firstlineno,
            )
            for test in ordered:
                test(*(fixtures[p] for p in inspect.signature(test).parameters))
                print("recorded", test.__name__)
        nc.close_session()
    finally:
        _stop(node.proc)
        log.close()
    print("pages re-quoted:", ", ".join(refresh_pages()) or "none")


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: python tests/e2e/test_docs_examples.py --record")
    record()
