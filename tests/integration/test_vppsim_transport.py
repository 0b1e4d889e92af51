"""VPP's socket transport as vpp-papi uses it: the async client's get_api_json bootstrap, pipelined requests
answered in order, many clients at once, and interface events to the clients that registered."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import threading
import time
from typing import TYPE_CHECKING, Any

from vpp_papi.vpp_papi_async import VPPApiClient as AsyncClient

from agent.vpp.api import MESSAGES_USED, message_crcs

if TYPE_CHECKING:
    from conftest import VppSim

ADMIN_UP, LINK_UP = 1, 2


def wait_for(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


async def connect_async(sim: VppSim, events: asyncio.Queue[Any] | None = None) -> AsyncClient:
    client = AsyncClient(server_address=sim.api_socket)
    rc = await client.connect("async-test", events if events is not None else asyncio.Queue())
    assert rc == 0
    return client


def test_async_client_learns_definitions_with_get_api_json(vppsim: VppSim) -> None:
    async def run() -> None:
        client = await connect_async(vppsim)
        try:
            crcs = message_crcs()
            for name in MESSAGES_USED:
                assert client.get_msg_index(f"{name}_{crcs[name][2:]}") > 0, name
            v = await client.api.show_version()
            assert v.retval == 0 and v.version.startswith("26.06")
            _, details = await client.api.sw_interface_dump()
            assert [d.interface_name for d in details][:2] == ["local0", "GigabitEthernet0/8/0"]
        finally:
            await client.disconnect()

    asyncio.run(asyncio.wait_for(run(), 30))


def test_pipelined_requests_are_answered_in_order(vppsim: VppSim) -> None:
    n = 400

    async def run() -> None:
        client = await connect_async(vppsim)
        try:
            futures = [client.api.create_vlan_subif(sw_if_index=1, vlan_id=i) for i in range(1, n + 1)]
            dump = client.api.sw_interface_dump(name_filter_valid=True, name_filter="GigabitEthernet0/8/0.")
            futures += [client.api.create_vlan_subif(sw_if_index=2, vlan_id=i) for i in range(1, 11)]
            replies = await asyncio.gather(*futures)
            assert all(r.retval == 0 for r in replies)
            # answered in the order sent: consecutive indices after local0 and the two ports
            assert [r.sw_if_index for r in replies] == list(range(3, 3 + n + 10))
            _, details = await dump
            # the dump was processed after the first n creations and before the last ten
            assert len(details) == n
        finally:
            await client.disconnect()

    asyncio.run(asyncio.wait_for(run(), 60))


def test_many_clients_at_once(vppsim: VppSim) -> None:
    per_client, n_sync = 40, 4
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            c = vppsim.client(f"w{k}")
            results[k] = [c.api.create_loopback().sw_if_index for _ in range(per_client)]
        except BaseException as e:  # surfaced below
            errors.append(e)

    async def async_worker() -> list[int]:
        client = await connect_async(vppsim)
        try:
            futs = [client.api.create_loopback() for _ in range(per_client)]
            return [r.sw_if_index for r in await asyncio.gather(*futs)]
        finally:
            await client.disconnect()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_sync)]
    for t in threads:
        t.start()
    async_indices = asyncio.run(asyncio.wait_for(async_worker(), 60))
    for t in threads:
        t.join(timeout=60)
    assert not errors and all(not t.is_alive() for t in threads)
    all_indices = [i for lst in results.values() for i in lst] + async_indices
    assert len(all_indices) == len(set(all_indices)) == per_client * (n_sync + 1)
    c = vppsim.client()
    loops = c.api.sw_interface_dump(name_filter_valid=True, name_filter="loop")
    assert len(loops) == per_client * (n_sync + 1)


def test_events_go_to_registered_clients_only(vppsim: VppSim) -> None:
    listener, other, actor = vppsim.client("listener"), vppsim.client("other"), vppsim.client("actor")
    got: list[Any] = []
    stray: list[Any] = []
    listener.register_event_callback(lambda name, msg: got.append((name, msg)))
    other.register_event_callback(lambda name, msg: stray.append((name, msg)))
    assert listener.api.want_interface_events(enable_disable=1, pid=os.getpid()).retval == 0
    # registering twice, or unregistering without a registration: INVALID_REGISTRATION
    assert listener.api.want_interface_events(enable_disable=1, pid=os.getpid()).retval == -31
    assert other.api.want_interface_events(enable_disable=0, pid=os.getpid()).retval == -31

    actor.api.sw_interface_set_flags(sw_if_index=1, flags=ADMIN_UP)
    assert wait_for(lambda: len(got) >= 1)
    name, ev = got[0]
    assert name == "sw_interface_event"
    # flags say which events happened (admin up), not the whole state (the link was already up)
    assert (ev.sw_if_index, int(ev.flags), ev.deleted, ev.pid) == (1, ADMIN_UP, False, os.getpid())

    # link loss from the outside world
    vppsim.ctl("link", sw_if_index=1, up=False)
    assert wait_for(lambda: len(got) >= 2)
    assert (got[1][1].sw_if_index, int(got[1][1].flags)) == (1, 0)  # a link-down event sets no flag

    # creation and deletion are reported too
    loop = actor.api.create_loopback().sw_if_index
    actor.api.delete_loopback(sw_if_index=loop)
    assert wait_for(lambda: len(got) >= 4)
    assert [(e.sw_if_index, e.deleted) for _, e in got[2:4]] == [(loop, False), (loop, True)]

    # no change, no event; after unregistering, nothing more
    actor.api.sw_interface_set_flags(sw_if_index=1, flags=ADMIN_UP)
    assert listener.api.want_interface_events(enable_disable=0, pid=os.getpid()).retval == 0
    actor.api.sw_interface_set_flags(sw_if_index=2, flags=ADMIN_UP)
    time.sleep(0.3)
    assert len(got) == 4
    assert stray == []


def test_disconnect_and_reconnect(vppsim: VppSim) -> None:
    c = vppsim.client()
    assert c.api.create_loopback().retval == 0
    assert c.disconnect() is not None
    c2 = vppsim.client("again")
    assert [d.interface_name for d in c2.api.sw_interface_dump()][-1] == "loop0"


def test_oversized_or_garbage_frames_do_not_hurt_other_clients(vppsim: VppSim) -> None:
    good = vppsim.client("good")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(vppsim.api_socket)
        # an undecodable message id, then a header announcing 4 GB
        junk = b"\xff\xff" + b"\x00" * 10
        s.sendall(struct.pack(">QII", 0, len(junk), 0) + junk)
        s.sendall(struct.pack(">QII", 0, 0xFFFFFFF0, 0))
        assert s.recv(16) == b""  # the emulator closed this connection
    assert good.api.show_version().retval == 0


def test_loopback_admin_up_reports_admin_and_link_in_one_event(vppsim: VppSim) -> None:
    listener, actor = vppsim.client("listener"), vppsim.client("actor")
    got: list[Any] = []
    listener.register_event_callback(lambda name, msg: got.append(msg))
    loop = actor.api.create_loopback().sw_if_index
    assert listener.api.want_interface_events(enable_disable=1, pid=1).retval == 0
    actor.api.sw_interface_set_flags(sw_if_index=loop, flags=ADMIN_UP)
    assert wait_for(lambda: len(got) >= 1)
    time.sleep(0.2)
    # the loopback's carrier follows admin state; both events are batched into one message
    assert [(e.sw_if_index, int(e.flags)) for e in got] == [(loop, ADMIN_UP | LINK_UP)]


def test_bond_creation_is_one_event_with_link_down(vppsim: VppSim) -> None:
    listener, actor = vppsim.client("listener"), vppsim.client("actor")
    got: list[Any] = []
    listener.register_event_callback(lambda name, msg: got.append(msg))
    assert listener.api.want_interface_events(enable_disable=1, pid=1).retval == 0
    bond = actor.api.bond_create2(mode=3, lb=0).sw_if_index
    assert wait_for(lambda: len(got) >= 1)
    time.sleep(0.2)
    # a new bond has no active member, so its carrier is down (VPP 26.06 bonding/cli.c; recorded:
    # fixtures/vpp/bonds.json): one add event without flags
    assert [(e.sw_if_index, int(e.flags), e.deleted) for e in got] == [(bond, 0, False)]


def test_deleting_an_admin_up_sub_interface_is_one_event_deleted_with_no_flags(vppsim: VppSim) -> None:
    """interface.c vnet_delete_sw_interface sets an admin-up interface down before it calls the delete
    callbacks; link_state_process merges ADMIN_DOWN and DEL into one message: flags 0, deleted true. A
    sub-interface's admin change is an event of its own (admin_up_down_function takes sw_if_index), and
    admin-down, like link-down, sets no flag."""
    listener, actor = vppsim.client("listener"), vppsim.client("actor")
    got: list[Any] = []
    listener.register_event_callback(lambda name, msg: got.append(msg))
    sub = actor.api.create_subif(sw_if_index=1, sub_id=7, sub_if_flags=2 | 16, outer_vlan_id=7).sw_if_index
    actor.api.sw_interface_set_flags(sw_if_index=1, flags=ADMIN_UP)  # a sub goes up only under an up port
    actor.api.sw_interface_set_flags(sw_if_index=sub, flags=ADMIN_UP)
    assert listener.api.want_interface_events(enable_disable=1, pid=1).retval == 0
    actor.api.sw_interface_set_flags(sw_if_index=sub, flags=0)
    actor.api.sw_interface_set_flags(sw_if_index=sub, flags=ADMIN_UP)
    assert wait_for(lambda: len(got) >= 2)
    assert actor.api.delete_subif(sw_if_index=sub).retval == 0
    assert wait_for(lambda: len(got) >= 3)
    time.sleep(0.2)
    assert [(e.sw_if_index, int(e.flags), e.deleted) for e in got] == [
        (sub, 0, False),
        (sub, ADMIN_UP, False),
        (sub, 0, True),
    ]
