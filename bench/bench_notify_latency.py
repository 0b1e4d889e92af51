"""Latency of the bng-agent notifications: a carrier change in VPP to the NETCONF client's socket.

Starts ``bng-vppsim`` (``agent.app.sim.start_sim``), the agent's stack in-process (datastores, commit,
VPP link, telemetry, NETCONF server on 127.0.0.1 port 0) and a raw NETCONF client on asyncssh (no
ncclient, whose I/O thread adds its own delay). The client subscribes with ``<create-subscription>``;
each round pulls or restores a port's cable through vppsim's control channel and measures until the
``oper-status-change`` notification has arrived. Prints JSON.

    .venv/bin/python bench/bench_notify_latency.py [--rounds 40]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import statistics
import tempfile
import time
from pathlib import Path

import asyncssh

from agent.app.sim import start_sim
from agent.datastore.journal import Journal
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.model import load_model_set
from agent.netconf import NetconfServer
from agent.telemetry import start_telemetry
from agent.txn import TransactionManager
from agent.vpp.link import VppLink
from agent.vpp.southbound import VppSouthbound
from vppsim.control import send_command

PORT = "GigabitEthernet0/8/0"
PASSWORD = "bench-Secret-1"
EOM = b"]]>]]>"
HELLO = (
    b'<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities>'
    b"<capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>" + EOM
)
SUBSCRIBE = (
    b'<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
    b'<create-subscription xmlns="urn:ietf:params:xml:ns:netconf:notification:1.0"/></rpc>' + EOM
)


async def read_until(reader: asyncssh.SSHReader[bytes], marker: bytes, buf: bytearray) -> bytes:
    """The next EOM-framed message containing ``marker`` (earlier messages are dropped)."""
    while True:
        end = buf.find(EOM)
        while end >= 0:
            msg = bytes(buf[:end])
            del buf[: end + len(EOM)]
            if marker in msg:
                return msg
            end = buf.find(EOM)
        chunk = await asyncio.wait_for(reader.read(65536), 30)
        if not chunk:
            raise ConnectionError("NETCONF session closed")
        buf += chunk


async def run(rounds: int) -> dict[str, object]:
    sim = await start_sim(ports=2)
    tmp = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    model = load_model_set()
    ds = Datastores(model)
    sb = VppSouthbound()
    sb.load_config(ds.running.json())
    link = VppLink(sim.api_socket, sb, timeout=5.0)
    await link.start()
    assert await link.wait_ready(30), link.fatal
    txn = TransactionManager(ds, Journal(tmp / "journal", model, fsync=False), sb)
    await txn.start()
    tel = await start_telemetry(
        stats_socket=sim.stats_socket, link=link, southbound=sb, txn=txn, datastores=ds
    )
    pw = tmp / "admin-password"
    pw.write_text(PASSWORD + "\n")
    server = NetconfServer(
        ds, txn, model, host="127.0.0.1", port=0, data_dir=tmp / "netconf", admin_password_file=pw
    )
    await server.start()
    server.follow_telemetry(tel.bus)
    session = Session(id=1, user="admin", origin="netconf")
    iface = {"name": PORT, "type": "iana-if-type:ethernetCsmacd", "enabled": True}
    ds.edit_gnmi(
        "candidate",
        deletes=[],
        replaces=[],
        updates=[("/ietf-interfaces:interfaces", {"interface": [iface]})],
        session=session,
    )
    await txn.commit(session)
    samples: list[float] = []
    try:
        async with asyncssh.connect(
            "127.0.0.1", server.port, username="admin", password=PASSWORD, known_hosts=None
        ) as conn:
            writer, reader, _ = await conn.open_session(subsystem="netconf", encoding=None)
            buf = bytearray()
            writer.write(HELLO)
            await read_until(reader, b"<hello", buf)
            writer.write(SUBSCRIBE)
            await read_until(reader, b"<ok", buf)
            loop = asyncio.get_running_loop()
            for i in range(rounds):
                up = i % 2 == 1
                want = b"<oper-status>" + (b"up" if up else b"down") + b"</oper-status>"
                t0 = time.perf_counter()
                await loop.run_in_executor(
                    None, functools.partial(send_command, sim.control_socket, "link", name=PORT, up=up)
                )
                await read_until(reader, want, buf)
                samples.append(time.perf_counter() - t0)
            writer.close()
    finally:
        await server.stop()
        await tel.stop()
        await txn.stop()
        await link.stop()
        await sim.stop()
    ms = sorted(s * 1000 for s in samples)
    return {
        "rounds": rounds,
        "link_change_to_notification_ms": {
            "median": round(statistics.median(ms), 2),
            "p90": round(ms[int(0.9 * (len(ms) - 1))], 2),
            "max": round(ms[-1], 2),
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=40)
    args = ap.parse_args()
    print(json.dumps(asyncio.run(run(args.rounds)), indent=2))


if __name__ == "__main__":
    main()
