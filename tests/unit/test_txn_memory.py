"""The transaction layer holds bounded state: memory stays flat over many commits."""

from __future__ import annotations

import gc
import os
from pathlib import Path

from _txn_helpers import add_subifs, if_path, subif_name

from agent.datastore.journal import Journal
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.model import load_model_set
from agent.txn import RecordingSouthbound, TransactionManager

WARMUP = 300
COMMITS = 1500


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def test_rss_flat_over_many_commits(tmp_path: Path) -> None:
    model = load_model_set()
    journal = Journal(tmp_path, model, snapshot_every=100, fsync=False)
    ds = Datastores(model)
    tm = TransactionManager(ds, journal, RecordingSouthbound(model.ctx), checkpoints=20)
    await tm.start()
    s = Session.create("mem", "netconf")
    sub = tm.subscribe()
    add_subifs(ds, s, range(1, 11))
    await tm.commit(s)
    baseline = 0
    for i in range(COMMITS):
        path = if_path(subif_name(1 + i % 10)) + "/description"
        if i % 2:
            await tm.edit_running_gnmi(s, updates=[(path, f"n{i}")])
        else:
            ds.edit_gnmi("candidate", deletes=[], replaces=[], updates=[(path, f"n{i}")], session=s)
            await tm.commit(s, comment=f"c{i}")
        if i % 50 == 0:
            await tm.rollback(tm.last_commit_id - 1, s)
        for _ in range(1000):  # drain the subscriber so its queue does not count
            if sub._queue.empty():
                break
            sub._queue.get_nowait()
        if i == WARMUP:
            gc.collect()
            baseline = rss_bytes()
    gc.collect()
    grown = rss_bytes() - baseline
    assert len(tm.list_checkpoints()) == 20 and len(tm._history) == 20
    assert len(journal._encoded) <= 100 + 20
    assert grown < 8 << 20, f"RSS grew {grown / 1e6:.1f} MB over {COMMITS - WARMUP} commits"
    await tm.stop()
