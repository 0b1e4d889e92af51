"""When interfaces created or deleted over the binary API show up in the stats segment.

vppsim publishes new interfaces in batches (one segment lock and epoch change per batch, at most
``STATS_FLUSH_SECONDS`` = 5 ms after the reply on an idle event loop, at once when 1,024 are waiting) and
withdraws deleted ones before the delete's reply is sent, as VPP does inside the call. When the segment is
full, what does not fit waits and is published, lowest sw_if_index first, as soon as space comes back.
Driven only through vpp-papi's async client, ``VPPStats`` and the control channel.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from vpp_papi.vpp_papi_async import VPPApiClient
from vpp_papi.vpp_stats import VPPStats

if TYPE_CHECKING:
    from conftest import VppSim

TWO_TAGS_DOT1AD_EXACT = 4 | 8 | 16
#: The documented bound is 5 ms plus one event-loop turn. What the test guards against is publication
#: waiting for a periodic collector (VPP's stats update interval is 10 s by default); 0.87 s was seen with
#: a load average of 7 on 2 cores, so the bound leaves room for a stalled loop and still catches that.
VISIBLE_WITHIN_S = 2.0
COUNT = 1500


async def create_pipelined(client: VPPApiClient, count: int, window: int) -> list[int]:
    in_flight: deque[Any] = deque()
    indices: list[int] = []
    for i in range(1, count + 1):
        in_flight.append(
            client.api.create_subif(
                sw_if_index=1,
                sub_id=i,
                sub_if_flags=TWO_TAGS_DOT1AD_EXACT,
                outer_vlan_id=100,
                inner_vlan_id=i,
            )
        )
        if len(in_flight) >= window:
            r = await in_flight.popleft()
            assert r.retval == 0
            indices.append(r.sw_if_index)
    while in_flight:
        r = await in_flight.popleft()
        assert r.retval == 0
        indices.append(r.sw_if_index)
    return indices


def names_of(stats: VPPStats, indices: list[int]) -> list[str | None]:
    """Names by sw_if_index (valid while no slot below is empty: VPPStats skips empty slots)."""
    names = stats["/if/names"]
    return [names[i] if i < len(names) else None for i in indices]


async def test_created_interfaces_appear_within_the_bound_and_deleted_ones_leave_before_the_reply(
    vppsim: VppSim,
) -> None:
    client = VPPApiClient(server_address=vppsim.api_socket)
    assert await client.connect("publish-test", asyncio.Queue()) == 0
    stats = VPPStats(socketname=vppsim.stats_socket)
    stats.connect()
    try:
        indices = await create_pipelined(client, COUNT, 128)
        replied = time.monotonic()
        want = [f"GigabitEthernet0/8/0.{i}" for i in range(1, COUNT + 1)]
        seen: list[str | None] = []
        for _ in range(1000):
            seen = names_of(stats, indices)
            if seen == want or time.monotonic() - replied > 5:
                break
            await asyncio.sleep(0.001)
        visible_after = time.monotonic() - replied
        assert seen == want
        assert visible_after < VISIBLE_WITHIN_S, f"names appeared {visible_after:.3f} s after the last reply"
        # counters and VPP's per-interface symlinks came with the names
        assert len(stats["/if/rx"][0]) > max(indices)
        last = f"/interfaces/GigabitEthernet0_8_0.{COUNT}/rx"
        assert stats[last].sum_packets() == 0

        # deletions: gone from /if/names as soon as the replies are in, with no wait at all
        half = indices[: COUNT // 2]
        for idx in half:
            assert (await client.api.delete_subif(sw_if_index=idx)).retval == 0
        # (VPPStats skips the NULL slots of withdrawn names, so later names shift down in its list)
        remaining = set(stats["/if/names"])
        assert not remaining & set(want[: COUNT // 2])
        assert set(want[COUNT // 2 :]) <= remaining
        assert stats.ls([f"^/interfaces/GigabitEthernet0_8_0.{COUNT // 2}/"]) == []
        # the freed indices are reused; a reused index is published under its new name
        r = await client.api.create_loopback()
        assert r.retval == 0 and r.sw_if_index in half
        for _ in range(1000):
            if "loop0" in stats["/if/names"] or time.monotonic() - replied > 10:
                break
            await asyncio.sleep(0.001)
        rx = stats["/if/rx"]
        assert "loop0" in stats["/if/names"]
        assert rx[:, r.sw_if_index].sum_packets() == 0  # a reused index starts from zero
    finally:
        stats.disconnect()
        await client.disconnect()


async def test_a_full_stats_segment_never_fails_an_api_call(vppsim_factory: Any) -> None:
    # 1 MiB holds a few hundred interfaces with VPP's 17 symlinks each; the API must not notice
    sim = vppsim_factory(extra_args=("--stats-size-mb", "1"))
    client = VPPApiClient(server_address=sim.api_socket)
    assert await client.connect("full-test", asyncio.Queue()) == 0
    stats = VPPStats(socketname=sim.stats_socket)
    stats.connect()
    try:
        indices = await create_pipelined(client, COUNT, 128)  # every reply says retval 0
        await asyncio.sleep(0.1)
        # the burst did not fit (how much did depends on how the emulator batched it): the segment
        # stays readable and holds only whole, real entries -- nothing half-written
        status = sim.ctl("stats_status")
        assert status["full"] and status["pending"] > 0
        names = stats["/if/names"]
        assert 3 < len(names) <= 3 + COUNT
        created = {f"GigabitEthernet0/8/0.{i}" for i in range(1, COUNT + 1)}
        assert set(names[3:]) <= created
        links = stats.ls(["^/interfaces/GigabitEthernet0_8_0\\."])
        assert 0 < len(links) < 17 * COUNT and len(links) % 17 == 0
        # newest first, so the index VPP hands out next (its free list is LIFO) is the lowest one, whose
        # counters the segment already holds; a never-published high index would need every counter
        # vector to grow, and whether that fits a fragmented 1 MiB heap depends on the burst's batching
        for idx in reversed(indices):
            assert (await client.api.delete_subif(sw_if_index=idx)).retval == 0
        assert stats["/if/names"] == ["local0", "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"]
        # the space is reusable: a new interface is published again, into the freed name space and
        # directory slots (freed blocks in their grace period are reused early when the heap is full)
        r = await client.api.create_loopback()
        assert r.retval == 0 and r.sw_if_index == min(indices)
        for _ in range(1000):
            if "loop0" in stats["/if/names"]:
                break
            await asyncio.sleep(0.005)
        assert "loop0" in stats["/if/names"]
    finally:
        stats.disconnect()
        await client.disconnect()


BASE = ["local0", "GigabitEthernet0/8/0", "GigabitEthernet0/9/0"]
BURST = 600  # at most ~300 fit in 1 MiB with 17 symlinks each, however the burst is batched
#: polling bounds for what the emulator does on its own (no fixed sleeps; generous for a loaded CI)
POLLS = 2000
POLL_S = 0.01


async def test_interfaces_the_full_segment_had_no_room_for_are_published_once_space_is_freed(
    vppsim_factory: Any,
) -> None:
    sim = vppsim_factory(extra_args=("--stats-size-mb", "1"))
    client = VPPApiClient(server_address=sim.api_socket)
    assert await client.connect("retry-test", asyncio.Queue()) == 0
    stats = VPPStats(socketname=sim.stats_socket)
    stats.connect()
    want = [f"GigabitEthernet0/8/0.{i}" for i in range(1, BURST + 1)]
    try:
        indices = await create_pipelined(client, BURST, 128)
        assert indices == list(range(3, 3 + BURST))

        # stats_status first tries to publish whatever waits, so its answer does not depend on when
        # the emulator flushed its batches
        status = sim.ctl("stats_status")
        assert status["full"] is True
        published = status["published"] - len(BASE)
        assert 0 < published < BURST and status["pending"] == BURST - published
        assert status["used"] + status["free"] == status["capacity"] > 1_000_000
        assert 0 <= status["quarantined"] <= status["free"]
        # what fitted is the lowest sw_if_indices, each one whole: name, counters and 17 symlinks
        assert stats["/if/names"] == BASE + want[:published]
        assert len(stats.ls(["^/interfaces/GigabitEthernet0_8_0\\."])) == 17 * published
        assert len(stats["/if/rx"][0]) >= 3 + published

        # keep the first ten (published) and the ten lowest still waiting; delete the rest newest
        # first: the other waiting ones are simply forgotten, then the published ones make room. (Keeping
        # the highest forty and deleting oldest first let freed room go to waiting interfaces deleted a
        # moment later, which grew the counter vectors towards index 600 in a 1 MiB segment; whether
        # the kept ones then fitted depended on how the burst was batched, and the test failed about one
        # run in three, before this session too.)
        keep = indices[:10] + indices[published : published + 10]
        for idx in reversed(indices):
            if idx not in keep:
                assert (await client.api.delete_subif(sw_if_index=idx)).retval == 0
        expected = BASE + [want[idx - 3] for idx in keep]
        for _ in range(POLLS):
            status = sim.ctl("stats_status")
            if status["pending"] == 0:
                break
            await asyncio.sleep(POLL_S)
        assert status["pending"] == 0 and status["full"] is False, status
        assert status["published"] == len(expected)
        assert stats["/if/names"] == expected
        links = stats.ls(["^/interfaces/GigabitEthernet0_8_0\\."])
        assert len(links) == 17 * len(keep)
        assert {link.split("/")[2] for link in links} == {n.replace("/", "_") for n in expected[3:]}

        # an interface that waited gets counters like any other: traffic on the last one shows up
        last = keep[-1]
        counter = f"/interfaces/GigabitEthernet0_8_0.{last - 2}/rx"  # sub-id = index - 2 here
        assert stats[counter].sum_packets() == 0
        sim.ctl("traffic", sw_if_index=last, rx_pps=1000, rx_bps=64_000)
        for _ in range(POLLS):
            if stats[counter].sum_packets() > 0:
                break
            await asyncio.sleep(POLL_S)
        assert stats[counter].sum_packets() > 0
        assert stats["/if/rx"][:, last].sum_packets() == stats[counter].sum_packets()
    finally:
        stats.disconnect()
        await client.disconnect()
