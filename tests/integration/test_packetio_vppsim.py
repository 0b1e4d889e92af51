"""The subscriber packet path end to end on vppsim: DHCP DISCOVERs sent by a client in a network
namespace into a veth-backed port reach the agent's packetio attributed to the right (sub-)interface,
and a reply the agent injects leaves the port with that interface's VLAN tags. Rate limiting and queue
overflow are counted, not silent; PPPoE discovery and PPP control use the control-plane link; ISC
dhclient gets a lease and rp-pppoe's discovery finds the agent as access concentrator.

With ``BNG_VPP_RUN_DIR`` set (the real-VPP lane: a VPP from ``scripts/vpp-run.sh`` with
``VPP_PORTS="GigabitEthernet0/8/0 GigabitEthernet0/9/0"``), the same tests run against that VPP, its
af_packet ports' veth peers standing in for the veth-backed vppsim ports; the assertions on vppsim's own
drop counters are then left out (VPP counts them in ``show errors``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _packetio_helpers import (
    Netns,
    VethPair,
    discover,
    lcp_request,
    offer_payload,
    padi,
    pado_payload,
    program_access,
    set_broadcast_route,
    sniffed,
)
from conftest import VppSim
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.layers.ppp import PPPoED, PPPoED_Tags, PPPoETag
from scapy.packet import raw
from vpp_papi import VPPApiClient

from agent.packetio import DHCPV4_SERVER, Frame, PacketIO, PacketIOConfig, Protocol
from agent.packetio.frames import parse_ethernet
from agent.vpp.api import api_json_files
from agent.vpp.connection import VppConnection

PORT = "GigabitEthernet0/8/0"
QLEN = Path("/proc/sys/net/unix/max_dgram_qlen")
PUNT_QLEN = 16384


#: The real-VPP lane: the run directory of a VPP that scripts/vpp-run.sh started with
#: VPP_PORTS="GigabitEthernet0/8/0 GigabitEthernet0/9/0" (af_packet interfaces on veths) and
#: deploy/vpp-lab.conf.in's punt socket. Unset (CI): the same tests run on vppsim.
VPP_RUN_DIR = os.environ.get("BNG_VPP_RUN_DIR", "")
#: The QinQ outer tag. VPP's af_packet input puts the tag the kernel moved into the packet's auxdata back
#: as 802.1Q whatever its TPID (src/plugins/af_packet/node.c: ``eth->type = ETHERNET_TYPE_VLAN``), so an
#: 802.1ad S-tag arriving on an af_packet port is classified as a C-tag: the real-VPP lane's QinQ
#: sub-interface has an 802.1Q outer tag. vppsim's ports stand for NICs, which see the wire's TPID.
S_TAG, S_TPID = ("q", 0x8100) if VPP_RUN_DIR else ("ad", 0x88A8)


class RealVpp:
    """A running VPP, offering what the tests use of :class:`VppSim`: ``api_socket`` and ``client()``."""

    def __init__(self, run_dir: str) -> None:
        self.api_socket = os.path.join(run_dir, "api.sock")
        self.ports = {
            name: (veth, peer)
            for name, veth, peer in (
                line.split() for line in Path(run_dir, "ports").read_text().splitlines() if line.strip()
            )
        }
        self._clients: list[VPPApiClient] = []

    def client(self, name: str = "test") -> VPPApiClient:
        c = VPPApiClient(apifiles=[str(p) for p in api_json_files()], server_address=self.api_socket)
        c.connect(name)
        self._clients.append(c)
        return c

    def close(self) -> None:
        for c in self._clients:
            with contextlib.suppress(Exception):
                c.disconnect()


def _index(client: Any, name: str) -> int:
    return next(int(d.sw_if_index) for d in client.api.sw_interface_dump() if d.interface_name == name)


@dataclass
class Lab:
    sim: VppSim | RealVpp
    ns: Netns
    port: int
    subs: dict[str, int]
    punt_dir: str

    def status(self) -> dict[str, Any] | None:
        """vppsim's ``packet_status`` (drop reasons, punt and PPPoE counters); None on a real VPP."""
        return self.sim.ctl("packet_status") if isinstance(self.sim, VppSim) else None


@pytest.fixture
def unix_dgram_qlen() -> Iterator[None]:
    """The host setting deploy/sysctl.d/60-bng-agent.conf makes: the kernel queues at most
    ``net.unix.max_dgram_qlen`` datagrams (default 10) for the agent's punt socket, so a burst of
    DISCOVERs larger than that is lost in VPP's non-blocking sendmsg ("Socket TX error")."""
    with QLEN.open() as f:
        old = f.read().strip()
    if int(old) < PUNT_QLEN:
        QLEN.write_text(f"{PUNT_QLEN}\n")
    yield
    QLEN.write_text(f"{old}\n")


@pytest.fixture
def real_vpp() -> Iterator[RealVpp | None]:
    if not VPP_RUN_DIR:
        yield None
        return
    vpp = RealVpp(VPP_RUN_DIR)
    yield vpp
    vpp.close()


@pytest.fixture
def netns(real_vpp: RealVpp | None) -> Iterator[Netns]:
    ns = Netns(adopt=real_vpp.ports[PORT][1]) if real_vpp is not None else Netns()
    yield ns
    ns.remove()


@pytest.fixture
def lab(
    vppsim_factory: Callable[..., VppSim], netns: Netns, unix_dgram_qlen: None, real_vpp: RealVpp | None
) -> Iterator[Lab]:
    punt_dir = tempfile.mkdtemp(prefix="pio-", dir="/tmp")
    if real_vpp is None:
        sim: VppSim | RealVpp = vppsim_factory(extra_args=("--punt-socket", f"{punt_dir}/vpp-punt.sock"))
    else:
        sim = real_vpp
    c = sim.client()
    port = _index(c, PORT)
    assert c.api.sw_interface_set_flags(sw_if_index=port, flags=1).retval == 0
    subs = program_access(c, port, dot1ad=S_TAG == "ad")
    if isinstance(sim, VppSim):
        sim.ctl("back_port", name=PORT, host_if=netns.host)
    yield Lab(sim, netns, port, subs, punt_dir)
    if real_vpp is not None:  # leave the shared VPP as it was (a new vppsim is simply stopped)
        set_broadcast_route(c, False, check=False)
        for idx in subs.values():
            c.api.delete_subif(sw_if_index=idx)
        c.api.sw_interface_add_del_address(sw_if_index=port, is_add=False, prefix="10.1.0.1/24")
        c.api.sw_interface_set_flags(sw_if_index=port, flags=0)
    shutil.rmtree(punt_dir, ignore_errors=True)


async def _agent(lab: Lab, config: PacketIOConfig | None = None) -> tuple[VppConnection, PacketIO]:
    conn = VppConnection(lab.sim.api_socket, timeout=5)
    await conn.connect()
    pio = PacketIO(config)
    await pio.refresh(conn)
    await pio.open_punt(conn, f"{lab.punt_dir}/agent.sock", (DHCPV4_SERVER,))
    return conn, pio


@pytest.fixture
async def agent(lab: Lab) -> AsyncIterator[tuple[VppConnection, PacketIO]]:
    conn, pio = await _agent(lab)
    yield conn, pio
    await pio.close()
    await conn.close()


async def _collect(sub: Any, n: int, timeout: float = 10.0) -> list[Frame]:
    out: list[Frame] = []
    async with asyncio.timeout(timeout):
        while len(out) < n:
            out.append(await sub.get())
    return out


async def _send(ns: Netns, frames: list[bytes], repeat: int = 1, pps: float = 2000.0) -> int:
    """Paced: VPP's punt socket has a 64 KiB send buffer (``punt_config``), so a faster burst than the
    agent reads is lost in VPP ("Socket TX error"), on vppsim as on VPP."""
    return await asyncio.to_thread(ns.send, frames, repeat, pps)


async def test_discovers_reach_the_agent_on_their_sub_interface(lab: Lab, agent: Any) -> None:
    _, pio = agent
    sub = pio.subscribe(Protocol.DHCPV4)
    sent = {
        PORT: discover("02:00:00:00:00:01", 1),
        f"{PORT}.100": discover("02:00:00:00:00:02", 2, tags=(("q", 100),)),
        f"{PORT}.200300": discover("02:00:00:00:00:03", 3, tags=((S_TAG, 200), ("q", 300))),
    }
    assert await _send(lab.ns, list(sent.values())) == 3
    got = {f.interface.name: f for f in await _collect(sub, 3)}
    assert set(got) == set(sent)
    for name, frame in got.items():
        assert frame.data == sent[name]  # the whole frame, client MAC and tags included, as VPP punts it
        assert frame.interface.port == PORT and frame.via == "punt"
        assert frame.protocol is Protocol.DHCPV4
    assert got[f"{PORT}.100"].interface.sw_if_index == lab.subs["dot1q"]
    assert [t.vid for t in got[f"{PORT}.200300"].eth.tags] == [200, 300]
    assert got[f"{PORT}.200300"].eth.tags[0].tpid == S_TPID


async def test_reply_leaves_the_port_with_the_interface_tags(lab: Lab, agent: Any) -> None:
    _, pio = agent
    sub = pio.subscribe(Protocol.DHCPV4)
    macs = {"": "02:00:00:00:01:01", ".100": "02:00:00:00:01:02", ".200300": "02:00:00:00:01:03"}
    tags = {"": (), ".100": (("q", 100),), ".200300": ((S_TAG, 200), ("q", 300))}
    await _send(lab.ns, [discover(macs[k], 10 + i, tags=tags[k]) for i, k in enumerate(macs)])
    frames = await _collect(sub, 3)
    sniffer = lab.ns.start_sniff(count=3, timeout=20)  # after the DISCOVERs: it sees outgoing frames too
    for f in frames:
        suffix = f.interface.name[len(PORT) :]
        xid = 10 + list(macs).index(suffix)
        # sent by interface name: the packet path adds the interface's tags and the port's MAC
        assert pio.send(
            f.interface.name,
            bytes.fromhex(macs[suffix].replace(":", "")),
            0x0800,
            offer_payload(xid, macs[suffix]),
        )
    out = await asyncio.to_thread(sniffed, sniffer, 30)
    assert len(out) == 3
    seen = {}
    for raw_frame in out:
        eth = parse_ethernet(raw_frame)
        seen[eth.dst.hex(":")] = ([(t.tpid, t.vid) for t in eth.tags], eth.src, raw_frame[eth.l3_offset :])
    port_mac = frames[0].interface.mac
    assert seen["02:00:00:00:01:01"][0] == []
    assert seen["02:00:00:00:01:02"][0] == [(0x8100, 100)]
    assert seen["02:00:00:00:01:03"][0] == [(S_TPID, 200), (0x8100, 300)]
    for i, (mac, (_, src, payload)) in enumerate(sorted(seen.items())):
        assert src == port_mac
        assert payload[: len(offer_payload(10 + i, mac))] == offer_payload(10 + i, mac)
    assert pio.counters.sent[PORT] == 3


async def test_discover_without_the_broadcast_receive_route_is_dropped(lab: Lab, agent: Any) -> None:
    """As on VPP: without a receive entry for 255.255.255.255/32 a DISCOVER dies in ip4-lookup."""
    _, pio = agent
    set_broadcast_route(lab.sim.client("route"), False)
    sub = pio.subscribe(Protocol.DHCPV4)
    await _send(lab.ns, [discover("02:00:00:00:02:01", 20, tags=(("q", 100),))])
    await asyncio.sleep(1.0)
    assert sub.get_nowait() is None
    status = lab.status()
    if status is not None:
        assert status["ports"][PORT]["rx"] == 1
        assert status["ports"][PORT]["drops"] == {"not for us (forwarding not emulated)": 1}


async def test_unknown_vlan_down_sub_interface_and_other_mac_are_not_punted(lab: Lab, agent: Any) -> None:
    _, pio = agent
    sub = pio.subscribe(Protocol.DHCPV4)
    c = lab.sim.client("down")
    assert c.api.sw_interface_set_flags(sw_if_index=lab.subs["qinq"], flags=0).retval == 0
    await _send(
        lab.ns,
        [
            discover("02:00:00:00:03:01", 30, tags=(("q", 999),)),  # no such VLAN
            discover("02:00:00:00:03:02", 31, tags=((S_TAG, 200), ("q", 300))),  # admin down
            discover("02:00:00:00:03:03", 32, tags=(("q", 100), ("q", 7))),  # 2 tags, exact-match .100
            bytes.fromhex("02000000eeee")
            + discover("02:00:00:00:03:05", 34, tags=(("q", 100),))[6:],  # not us
            discover("02:00:00:00:03:04", 33, tags=(("q", 100),)),  # delivered
        ],
    )
    (frame,) = await _collect(sub, 1)
    assert frame.eth.src == bytes.fromhex("020000000304")
    await asyncio.sleep(0.5)
    assert sub.get_nowait() is None
    status = lab.status()
    if status is not None:
        assert status["ports"][PORT]["drops"] == {
            "unknown vlan": 2,
            "interface down": 1,
            "l3 mac mismatch": 1,
        }


async def test_rate_limit_per_port_is_counted(lab: Lab) -> None:
    conn, pio = await _agent(lab, PacketIOConfig(rate_per_port=50, burst_per_port=20))
    try:
        sub = pio.subscribe(Protocol.DHCPV4)
        n = 400
        assert await _send(lab.ns, [discover("02:00:00:00:04:01", 40, tags=(("q", 100),))], repeat=n) == n
        counters = pio.counters
        async with asyncio.timeout(20):
            while counters.total_received() + counters.total_dropped() < n:
                await asyncio.sleep(0.05)
        limited = counters.dropped[(PORT, "rate-limited")]
        admitted = counters.received[(PORT, "dhcpv4")]
        assert admitted + limited == n
        assert 20 <= admitted < 200  # the burst, plus 50/s for as long as the sending took
        assert sub.queued == admitted
    finally:
        await pio.close()
        await conn.close()


async def test_queue_overflow_is_counted_and_the_queue_keeps_the_first_frames(lab: Lab) -> None:
    conn, pio = await _agent(lab, PacketIOConfig(queue_per_port=5))
    try:
        sub = pio.subscribe(Protocol.DHCPV4)
        frames = [discover(f"02:00:00:00:05:{i:02x}", 50 + i, tags=(("q", 100),)) for i in range(40)]
        assert await _send(lab.ns, frames) == 40
        counters = pio.counters
        async with asyncio.timeout(20):
            while counters.total_received() + counters.total_dropped() < 40:
                await asyncio.sleep(0.05)
        assert counters.dropped == {(PORT, "queue-full"): 35}
        assert [f.data for f in await _collect(sub, 5)] == frames[:5]
        samples = {(name, labels): v for name, labels, v in pio.samples()}
        assert samples[("bng_packetio_frames_dropped", (PORT, "queue-full"))] == 35
        assert samples[("bng_packetio_frames_received", (PORT, "dhcpv4"))] == 5
    finally:
        await pio.close()
        await conn.close()


# ---------------------------------------------------------------------- PPPoE control-plane link

CP_PORT = "GigabitEthernet0/9/0"
CLIENT = {"": "02:00:00:00:06:01", ".100": "02:00:00:00:06:02", ".200300": "02:00:00:00:06:03"}
TAGS: dict[str, tuple[tuple[str, int], ...]] = {
    "": (),
    ".100": (("q", 100),),
    ".200300": ((S_TAG, 200), ("q", 300)),
}


@pytest.fixture
def cp_link(lab: Lab) -> Iterator[VethPair]:
    """GigabitEthernet0/9/0 is VPP's PPPoE control-plane interface (an af_packet interface on a veth on a
    real VPP): its frames go out of veth end ``a``; the agent reads end ``b``."""
    real = isinstance(lab.sim, RealVpp)
    veth = VethPair(adopt=lab.sim.ports[CP_PORT]) if isinstance(lab.sim, RealVpp) else VethPair()
    c = lab.sim.client("cp")
    cp = _index(c, CP_PORT)
    assert c.api.sw_interface_set_flags(sw_if_index=cp, flags=1).retval == 0
    if isinstance(lab.sim, VppSim):
        lab.sim.ctl("back_port", name=CP_PORT, host_if=veth.a)
    assert c.api.pppoe_add_del_cp(sw_if_index=cp, is_add=1).retval == 0
    yield veth
    if real:
        c.api.pppoe_add_del_cp(sw_if_index=cp, is_add=0)
        c.api.sw_interface_set_flags(sw_if_index=cp, flags=0)
    veth.remove()


@pytest.fixture
async def pppoe_agent(lab: Lab, cp_link: VethPair) -> AsyncIterator[PacketIO]:
    conn = VppConnection(lab.sim.api_socket, timeout=5)
    await conn.connect()
    pio = PacketIO()
    await pio.refresh(conn)
    pio.open_cp_link(cp_link.b, ports=(PORT,))
    yield pio
    await pio.close()
    await conn.close()


async def test_pppoe_discovery_reaches_the_agent_over_the_control_plane_link(
    lab: Lab, pppoe_agent: PacketIO
) -> None:
    sub = pppoe_agent.subscribe(Protocol.PPPOE_DISCOVERY, Protocol.PPPOE_SESSION)
    sent = {f"{PORT}{k}": padi(CLIENT[k], tags=TAGS[k]) for k in CLIENT}
    await _send(lab.ns, list(sent.values()))
    got = {f.interface.name: f for f in await _collect(sub, 3)}
    assert set(got) == set(sent)
    for name, frame in got.items():
        # VPP sends the whole frame, tags included, out of the control-plane interface: the agent finds
        # the sub-interface from the tags (pppoe_cp_node.c gives no interface index)
        assert frame.data == sent[name] and frame.via == "pppoe-cp"
        assert frame.protocol is Protocol.PPPOE_DISCOVERY
    status = lab.status()
    if status is not None:  # pppoe_learn_process: client MAC -> sub-interface
        assert status["pppoe"]["learned"][CLIENT[".200300"]] == lab.subs["qinq"]


async def test_ppp_control_in_a_session_reaches_the_agent_except_with_two_tags(
    lab: Lab, pppoe_agent: PacketIO
) -> None:
    """VPP 26.06's pppoe-input parses at most one 802.1Q tag: LCP from a QinQ subscriber is dropped."""
    sub = pppoe_agent.subscribe(Protocol.PPPOE_DISCOVERY, Protocol.PPPOE_SESSION)
    port = pppoe_agent.interfaces.by_name(PORT)
    assert port is not None
    port_mac = port.mac
    frames = {k: lcp_request(CLIENT[k], port_mac, 0x1234, tags=TAGS[k]) for k in CLIENT}
    await _send(lab.ns, list(frames.values()))
    got = await _collect(sub, 2)
    assert sorted(f.interface.name for f in got) == [PORT, f"{PORT}.100"]
    assert all(
        f.protocol is Protocol.PPPOE_SESSION and f.data == frames[f.interface.name[len(PORT) :]] for f in got
    )
    await asyncio.sleep(0.5)
    assert sub.get_nowait() is None
    status = lab.status()
    if status is not None:
        assert status["pppoe"]["counters"]["bad version/type"] == 1


async def test_pado_goes_back_through_the_control_plane_link_or_the_punt_socket(
    lab: Lab, pppoe_agent: PacketIO
) -> None:
    pio = pppoe_agent
    sub = pio.subscribe(Protocol.PPPOE_DISCOVERY)
    await _send(lab.ns, [padi(CLIENT[k], tags=TAGS[k]) for k in CLIENT])
    padis = {f.interface.name[len(PORT) :]: f for f in await _collect(sub, 3)}
    conn = VppConnection(lab.sim.api_socket, timeout=5)
    await conn.connect()
    try:
        sniffer = lab.ns.start_sniff(count=4, timeout=20)
        # through the control-plane link: VPP looks the client MAC up and writes the port's MAC as source
        for k in ("", ".100", ".200300"):
            assert pio.reply(padis[k], pado_payload(), via="pppoe-cp", src=b"\x02\xaa\xaa\xaa\xaa\xaa")
        await asyncio.sleep(0.3)
        # ... which drops the QinQ one (its outer tag read as the PPPoE header); the punt socket's PUNT_L2
        # sends any frame out of any interface as it is
        await pio.open_punt(conn, f"{lab.punt_dir}/agent.sock", (DHCPV4_SERVER,))
        assert pio.reply(padis[".200300"], pado_payload())
        out = await asyncio.to_thread(sniffed, sniffer, 30)
    finally:
        await conn.close()
    port_mac = padis[""].interface.mac
    seen = {}
    for raw_frame in out:
        eth = parse_ethernet(raw_frame)
        seen[eth.dst.hex(":")] = ([(t.tpid, t.vid) for t in eth.tags], eth.src, eth.ethertype)
        assert raw_frame[eth.l3_offset :].startswith(pado_payload())
    assert seen == {
        CLIENT[""]: ([], port_mac, 0x8863),
        CLIENT[".100"]: ([(0x8100, 100)], port_mac, 0x8863),
        CLIENT[".200300"]: ([(S_TPID, 200), (0x8100, 300)], port_mac, 0x8863),
    }
    status = lab.status()
    if status is not None:
        counters = status["pppoe"]["counters"]
        assert counters["from control plane"] == 2 and counters["bad version/type"] == 1


# ---------------------------------------------------------------------- a real DHCP client

DHCLIENT = shutil.which("dhclient") or "/usr/sbin/dhclient"


def _dhcp_answer(frame: Frame, lease: str, server: str) -> bytes | None:
    """A minimal DHCP server's answer (OFFER to DISCOVER, ACK to REQUEST), as the IP packet to send."""
    pkt = Ether(frame.data)
    bootp, opts = pkt[BOOTP], dict(o for o in pkt[DHCP].options if isinstance(o, tuple))
    kind = {1: "offer", 3: "ack"}.get(int(opts.get("message-type", 0)))
    if kind is None:
        return None
    reply = (
        IP(src=server, dst="255.255.255.255")
        / UDP(sport=67, dport=68)
        / BOOTP(op=2, xid=bootp.xid, yiaddr=lease, siaddr=server, chaddr=bootp.chaddr, flags=bootp.flags)
        / DHCP(
            options=[
                ("message-type", kind),
                ("server_id", server),
                ("lease_time", 3600),
                ("subnet_mask", "255.255.255.0"),
                ("router", server),
                "end",
            ]
        )
    )
    return raw(reply)


async def test_dhclient_gets_a_lease_through_the_packet_path(lab: Lab, agent: Any, tmp_path: Path) -> None:
    """ISC dhclient in the namespace: its DISCOVER and REQUEST reach the agent by the punt socket, the
    agent's OFFER and ACK go back out of the port, and dhclient binds the lease."""
    assert os.path.exists(DHCLIENT), "dhclient is missing: apt-get install isc-dhcp-client (make sysdeps)"
    _, pio = agent
    sub = pio.subscribe(Protocol.DHCPV4)
    answered: list[str] = []

    async def server() -> None:
        async for frame in sub:
            payload = _dhcp_answer(frame, "10.1.0.50", "10.1.0.1")
            if payload is not None:
                answered.append(frame.interface.name)
                assert pio.reply(frame, payload)

    task = asyncio.create_task(server())
    lease_file, pid_file = tmp_path / "dhclient.leases", tmp_path / "dhclient.pid"
    # -1: one try, exit 2 without a lease; -sf /bin/true: bind the lease but leave the interface alone
    argv = [DHCLIENT, "-4", "-1", "-v", "-sf", "/bin/true", "-lf", str(lease_file), "-pf", str(pid_file)]
    done = await asyncio.to_thread(
        subprocess.run, lab.ns.exec(*argv, lab.ns.peer), capture_output=True, text=True, timeout=120
    )
    try:
        assert done.returncode == 0, done.stderr
        assert "DHCPACK of 10.1.0.50 from 10.1.0.1" in done.stderr
        lease = lease_file.read_text()
        assert "fixed-address 10.1.0.50;" in lease and f'interface "{lab.ns.peer}";' in lease
        assert answered == [PORT, PORT]  # the DISCOVER and the REQUEST, both on the untagged port
    finally:
        if pid_file.exists():  # dhclient went to the background holding the lease: stop the one we started
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
        sub.close()
        await task


async def test_a_sub_interface_created_later_is_learnt_from_its_first_frame(lab: Lab, agent: Any) -> None:
    """The agent's table comes from sw_interface_dump; a frame from an index it does not know is dropped
    (``unknown-interface``) and makes packetio reload the table, so the next frame is attributed."""
    _, pio = agent
    sub = pio.subscribe(Protocol.DHCPV4)
    c = lab.sim.client("later")
    new = c.api.create_subif(sw_if_index=lab.port, sub_id=777, sub_if_flags=2 | 16, outer_vlan_id=777)
    assert new.retval == 0
    try:
        for call in (
            c.api.sw_interface_add_del_address(
                sw_if_index=new.sw_if_index, is_add=True, prefix="10.7.0.1/24"
            ),
            c.api.sw_interface_set_flags(sw_if_index=new.sw_if_index, flags=1),
        ):
            assert call.retval == 0
        frame = discover("02:00:00:00:07:01", 70, tags=(("q", 777),))
        await _send(lab.ns, [frame])
        async with asyncio.timeout(10):
            while pio.counters.dropped.get(("unknown", "unknown-interface"), 0) < 1:
                await asyncio.sleep(0.05)
        async with asyncio.timeout(10):
            while pio.interfaces.get(new.sw_if_index) is None:
                await asyncio.sleep(0.05)
        await _send(lab.ns, [frame])
        (got,) = await _collect(sub, 1)
        assert got.interface.name == f"{PORT}.777" and got.data == frame
    finally:
        c.api.delete_subif(sw_if_index=new.sw_if_index)


PPPOE = shutil.which("pppoe") or "/usr/sbin/pppoe"


def _pado_for(frame: Frame, ac_name: bytes) -> bytes | None:
    """A PADO for a PADI (RFC 2516 5.2): the requested Service-Name, our AC-Name, Host-Uniq and
    Relay-Session-Id echoed."""
    pkt = Ether(frame.data)
    disc = pkt[PPPoED]
    if disc.code != 0x09:
        return None
    asked = {
        t.tag_type: t.tag_value for t in (pkt[PPPoED_Tags].tag_list if pkt.haslayer(PPPoED_Tags) else [])
    }
    tags = [
        PPPoETag(tag_type=0x0101, tag_value=asked.get(0x0101, b"")),
        PPPoETag(tag_type=0x0102, tag_value=ac_name),
    ]
    tags += [PPPoETag(tag_type=t, tag_value=asked[t]) for t in (0x0103, 0x0110) if t in asked]
    return raw(PPPoED(code=0x07) / PPPoED_Tags(tag_list=tags))


async def test_rp_pppoe_discovers_the_agent_as_access_concentrator(lab: Lab, pppoe_agent: PacketIO) -> None:
    """rp-pppoe's discovery (``pppoe -A``) in the namespace: its PADI reaches the agent through VPP's
    PPPoE control-plane interface, the agent's PADO goes back the same way, and the client lists the
    agent's AC-Name."""
    assert os.path.exists(PPPOE), "pppoe is missing: apt-get install pppoe (make sysdeps)"
    pio = pppoe_agent
    sub = pio.subscribe(Protocol.PPPOE_DISCOVERY)
    answered: list[str] = []

    async def access_concentrator() -> None:
        async for frame in sub:
            pado = _pado_for(frame, b"bng-agent-test")
            if pado is not None:
                answered.append(frame.interface.name)
                assert pio.reply(frame, pado)

    task = asyncio.create_task(access_concentrator())
    try:
        done = await asyncio.to_thread(
            subprocess.run,
            lab.ns.exec(PPPOE, "-I", lab.ns.peer, "-A", "-t", "5"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        sub.close()
        await task
    assert "Access-Concentrator: bng-agent-test" in done.stdout, (done.stdout, done.stderr)
    assert answered[:1] == [PORT]
