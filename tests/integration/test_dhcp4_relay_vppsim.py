"""The DHCPv4 relay end to end on vppsim with real components: ISC dhclient in a network namespace on a
veth into a veth-backed vppsim port gets an address from Kea through the relay (DISCOVER/REQUEST punted
by vppsim as VPP does, relayed from the host's UDP stack with Option 82 and link selection, Kea's
answers sent back out of the port); ``dhclient -r`` ends the lease. Tagged and QinQ clients, Option 82
spoofing, a server that never answers and DISCOVER floods are driven with scapy frames.

Root: the tests make namespaces and veths (unique names) and remove them."""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
from _dhcp4_helpers import DHCLIENT, KeaServer, client_message, client_script, stop_pid_file
from _packetio_helpers import Netns, program_access, sniffed

from agent.dhcp4.config import AccessRelay, Option82, RelayConfig, ServerGroup
from agent.dhcp4.leases import Lease
from agent.dhcp4.service import Dhcp4Service
from agent.packetio import DHCPV4_SERVER, PacketIO, PacketIOConfig
from agent.vpp.connection import VppConnection

PORT = "GigabitEthernet0/8/0"
QLEN = Path("/proc/sys/net/unix/max_dgram_qlen")


class Sink:
    """Records what the relay tells the subscriber manager."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Lease, str]] = []
        self.changed = asyncio.Event()

    def lease_bound(self, lease: Lease, renewed: bool) -> None:
        self.events.append(("renewed" if renewed else "bound", lease, ""))
        self.changed.set()

    def lease_ended(self, lease: Lease, reason: str) -> None:
        self.events.append(("ended", lease, reason))
        self.changed.set()

    async def wait(self, kind: str, n: int = 1, timeout: float = 20.0) -> list[Lease]:
        async with asyncio.timeout(timeout):
            while True:
                got = [e[1] for e in self.events if e[0] == kind]
                if len(got) >= n:
                    return got
                self.changed.clear()
                await self.changed.wait()


@dataclass
class Lab:
    sim: Any  # VppSim, or tests/vpp's RealVpp in the real-VPP lane
    ns: Netns
    kea: KeaServer
    port: int
    subs: dict[str, int]
    conn: VppConnection
    pio: PacketIO
    service: Dhcp4Service
    sink: Sink
    port_mac: str
    real: bool

    @property
    def s_tag(self) -> str:
        """The QinQ outer tag's kind: 802.1ad on vppsim (a NIC sees the wire's TPID); 802.1Q on real VPP's
        af_packet ports, whose input puts every outer tag back as 802.1Q (docs/packet-path.md)."""
        return "q" if self.real else "ad"

    def relay_config(self, **group: Any) -> RelayConfig:
        g = ServerGroup(
            name="kea",
            servers=(group.pop("server", self.kea.address),),
            vrf_servers={},
            gateway=self.kea.relay_address,
            link_selection=group.pop("link_selection", True),
            server_id_override=group.pop("server_id_override", True),
            response_timeout=group.pop("response_timeout", 2.0),
        )
        access = {
            PORT: AccessRelay(PORT, g, IPv4Address("10.1.0.1"), None),
            f"{PORT}.100": AccessRelay(f"{PORT}.100", g, IPv4Address("10.2.0.1"), None),
            f"{PORT}.200300": AccessRelay(f"{PORT}.200300", g, IPv4Address("10.3.0.1"), None),
        }
        trusted = frozenset(group.pop("trusted", ()))
        return RelayConfig(access, Option82(trusted=trusted, **group), "bng-test")


@pytest.fixture
def unix_dgram_qlen() -> Iterator[None]:
    old = QLEN.read_text().strip()
    if int(old) < 16384:
        QLEN.write_text("16384\n")
    yield
    QLEN.write_text(f"{old}\n")


@pytest.fixture
async def lab(vppsim_factory: Callable[..., Any], unix_dgram_qlen: None) -> AsyncIterator[Lab]:
    workdir = Path(tempfile.mkdtemp(prefix="d4-", dir="/tmp"))
    try:
        sim: Any = vppsim_factory(extra_args=("--punt-socket", f"{workdir}/vpp-punt.sock"))
        real = False
    except ValueError:  # the real-VPP lane (tests/vpp): its lab startup file has `punt { socket }`
        sim, real = vppsim_factory(), True
    c = sim.client()
    port = next(int(d.sw_if_index) for d in c.api.sw_interface_dump() if d.interface_name == PORT)
    port_mac = next(str(d.l2_address) for d in c.api.sw_interface_dump() if d.interface_name == PORT)
    assert c.api.sw_interface_set_flags(sw_if_index=port, flags=1).retval == 0
    subs = program_access(c, port, dot1ad=not real)
    ns = Netns(adopt=sim.peer(PORT)) if real else Netns()
    kea = KeaServer(
        workdir,
        [
            ("10.1.0.0/24", "10.1.0.100", "10.1.0.199", "10.1.0.1"),
            ("10.2.0.0/24", "10.2.0.100", "10.2.0.199", "10.2.0.1"),
            ("10.3.0.0/24", "10.3.0.100", "10.3.0.199", "10.3.0.1"),
        ],
    )
    if not real:
        sim.ctl("back_port", name=PORT, host_if=ns.host)
    conn = VppConnection(sim.api_socket, timeout=5)
    await conn.connect()
    pio = PacketIO(PacketIOConfig())
    await pio.refresh(conn)
    await pio.open_punt(conn, f"{workdir}/agent.sock", (DHCPV4_SERVER,))
    sink = Sink()
    service = Dhcp4Service(pio, sink=sink)
    lab = Lab(sim, ns, kea, port, subs, conn, pio, service, sink, port_mac, real)
    await service.start()
    service.configure(lab.relay_config())
    try:
        yield lab
    finally:
        await service.stop()
        await pio.close()
        await conn.close()
        kea.stop()
        ns.remove()
        subprocess.run(["rm", "-rf", str(workdir)], check=False)


async def _run(argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(subprocess.run, argv, capture_output=True, text=True, timeout=timeout)


async def test_dhclient_gets_an_address_from_kea_through_the_relay_and_release_ends_the_lease(
    lab: Lab, tmp_path: Path
) -> None:
    lease_file, pid_file = tmp_path / "dhclient.leases", tmp_path / "dhclient.pid"
    script = client_script(tmp_path / "script.sh")
    # vppsim answers no ARP: the client reaches the relay's address (its server identifier, RFC 5107)
    # through a static neighbour, as it would through VPP's ARP reply on a real node
    subprocess.run(
        lab.ns.exec("ip", "neigh", "replace", "10.1.0.1", "lladdr", lab.port_mac, "dev", lab.ns.peer),
        check=True,
    )
    base = [DHCLIENT, "-4", "-v", "-sf", str(script), "-lf", str(lease_file), "-pf", str(pid_file)]
    try:
        done = await _run(lab.ns.exec(*base, "-1", lab.ns.peer), timeout=120)
        assert done.returncode == 0, done.stderr + lab.kea.log_text()[-3000:]
        bound = await lab.sink.wait("bound")
        lease = bound[0]
        assert lease.key.interface == PORT and lease.key.outer_vlan == 0
        assert IPv4Address("10.1.0.100") <= lease.address <= IPv4Address("10.1.0.199")
        assert f"DHCPACK of {lease.address} from 10.1.0.1" in done.stderr  # server-id overridden
        assert lease.lease_time == 3600
        assert lease.circuit_id == PORT.encode()  # untagged: the interface name alone
        text = lease_file.read_text()
        assert f"fixed-address {lease.address};" in text
        assert "relay-agent-information" not in text  # Option 82 removed from the reply
        shown = subprocess.run(
            lab.ns.exec("ip", "-4", "addr", "show", lab.ns.peer), capture_output=True, text=True
        )
        assert str(lease.address) in shown.stdout
        released = await _run(lab.ns.exec(*base, "-r", lab.ns.peer))
        assert released.returncode == 0, released.stderr
        ended = [e for e in lab.sink.events if e[0] == "ended"]
        if not ended:
            await lab.sink.wait("ended")
            ended = [e for e in lab.sink.events if e[0] == "ended"]
        assert [(e[1].address, e[2]) for e in ended] == [(lease.address, "release")]
        assert len(lab.service.leases) == 0
        packets = lab.service.relay.counters.packets
        assert packets[("from-client", "discover")] >= 1 and packets[("to-client", "ack")] == 1
        assert packets[("to-server", "release")] == 1
    finally:
        stop_pid_file(pid_file)


async def test_tagged_and_qinq_clients_get_addresses_of_their_subnet(lab: Lab) -> None:
    """scapy clients on the dot1q 100 and the 200/300 QinQ sub-interface: each exchange is relayed with
    the sub-interface's circuit-id and link selection, and the OFFER/ACK leave with the client's tags."""
    cases = [
        ("02:00:00:00:10:01", (("q", 100),), f"{PORT}.100", "10.2.0.", f"{PORT}.100:100"),
        (
            "02:00:00:00:10:02",
            (("ad", 200), ("q", 300)),
            f"{PORT}.200300",
            "10.3.0.",
            f"{PORT}.200300:200.300",
        ),
    ]
    for i, (mac, tags, interface, subnet, circuit) in enumerate(cases):
        sniff = lab.ns.start_sniff(2, 20)
        xid = 0x1000 + i
        await asyncio.to_thread(lab.ns.send, [client_message(mac, xid, "discover", tags=tags)])
        offer_frames = await asyncio.to_thread(sniffed, sniff, 30)
        offers = [f for f in offer_frames if _bootp_reply(f)]
        assert offers, (
            f"no OFFER for {interface}: {lab.service.relay.counters.dropped} " + lab.kea.log_text()[-2000:]
        )
        from _dhcp4_helpers import parse_reply

        pkt, opts = parse_reply(offers[0])
        offered = pkt["BOOTP"].yiaddr
        assert offered.startswith(subnet)
        assert opts["message-type"] == 2 and "relay_agent_information" not in opts
        vlans = [layer.vlan for layer in _vlan_layers(pkt)]
        assert vlans == [t[1] for t in tags]
        request = client_message(
            mac,
            xid,
            "request",
            tags=tags,
            options=[("requested_addr", offered), ("server_id", opts["server_id"])],
        )
        await asyncio.to_thread(lab.ns.send, [request])
        leases = await lab.sink.wait("bound", i + 1)
        got = leases[i]
        assert got.key.interface == interface and str(got.address) == offered
        assert (got.key.outer_vlan, got.key.inner_vlan) == (tags[0][1], tags[1][1] if len(tags) > 1 else 0)
        assert got.circuit_id == circuit.encode()


def _bootp_reply(frame: bytes) -> bool:
    from scapy.layers.dhcp import BOOTP
    from scapy.layers.l2 import Ether

    pkt = Ether(frame)
    return pkt.haslayer(BOOTP) and pkt[BOOTP].op == 2


def _vlan_layers(pkt: Any) -> list[Any]:
    from scapy.layers.l2 import Dot1AD, Dot1Q

    out = []
    layer = pkt.payload
    while isinstance(layer, (Dot1Q, Dot1AD)):
        out.append(layer)
        layer = layer.payload
    return out


async def test_option82_from_an_untrusted_port_is_dropped_and_from_a_trusted_one_kept(lab: Lab) -> None:
    spoof = client_message(
        "02:00:00:00:20:01", 0x2001, "discover", options=[("relay_agent_information", b"\x01\x04evil")]
    )
    forged_giaddr = client_message("02:00:00:00:20:02", 0x2002, "discover", giaddr="10.9.9.9")
    await asyncio.to_thread(lab.ns.send, [spoof, forged_giaddr])
    relay = lab.service.relay
    async with asyncio.timeout(10):
        while relay.counters.dropped.get("option82-untrusted", 0) < 2:
            await asyncio.sleep(0.05)
    assert relay.counters.packets.get(("to-server", "discover"), 0) == 0
    lab.service.configure(lab.relay_config(trusted={PORT}))
    await asyncio.to_thread(lab.ns.send, [spoof])
    async with asyncio.timeout(10):
        while relay.counters.packets.get(("to-server", "discover"), 0) < 1:
            await asyncio.sleep(0.05)


async def test_a_server_that_never_answers_is_counted_and_nothing_is_bound(lab: Lab) -> None:
    lab.service.configure(lab.relay_config(server=IPv4Address("198.18.255.254"), response_timeout=1.0))
    await asyncio.to_thread(lab.ns.send, [client_message("02:00:00:00:30:01", 0x3001, "discover")])
    relay = lab.service.relay
    async with asyncio.timeout(10):
        while relay.counters.errors.get("server-timeout", 0) < 1:
            await asyncio.sleep(0.1)
    assert relay.counters.packets[("to-server", "discover")] == 1
    assert len(relay.pending) == 0 and len(lab.service.leases) == 0 and lab.sink.events == []


async def test_discover_floods_from_one_mac_and_many_are_counted_and_logs_are_bounded(
    lab: Lab, caplog: pytest.LogCaptureFixture
) -> None:
    lab.service.configure(lab.relay_config(server=IPv4Address("198.18.255.254")))
    one = client_message("02:00:00:00:40:01", 0x4001, "discover", options=[("relay_agent_information", b"x")])
    await asyncio.to_thread(lab.ns.send, [one], 300, 3000.0)
    many = [
        client_message(f"02:00:00:01:{i >> 8:02x}:{i & 0xFF:02x}", 0x5000 + i, "discover") for i in range(300)
    ]
    await asyncio.to_thread(lab.ns.send, many, 1, 3000.0)
    relay = lab.service.relay
    async with asyncio.timeout(15):
        while relay.counters.packets.get(("from-client", "discover"), 0) < 600:
            await asyncio.sleep(0.1)
    assert relay.counters.dropped["option82-untrusted"] == 300
    lines = [r for r in caplog.records if "option82-untrusted" in r.getMessage()]
    assert 1 <= len(lines) <= 11  # ten per window, then one summary line at most
    flood = [client_message("02:00:00:00:40:02", 0x4002, "discover")] * 50
    await asyncio.to_thread(lab.ns.send, flood, 1, 5000.0)
    async with asyncio.timeout(15):
        while relay.counters.packets.get(("from-client", "discover"), 0) < 650:
            await asyncio.sleep(0.1)
    assert relay.counters.dropped["client-rate-limited"] >= 30
    assert relay.counters.packets[("to-server", "discover")] < 300 + 20
