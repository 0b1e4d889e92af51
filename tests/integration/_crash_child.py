"""The process the crash test kills: it commits in a loop and reports each commit on a pipe.

Protocol on the pipe (one line each, written with a single ``os.write`` so a kill never splits one):
``B <id>`` just before commit ``<id>`` starts, ``A <id>`` once ``commit()`` returned (acknowledged,
hence durable). The configuration after commit ``k`` is a pure function of ``k`` (:func:`expected`),
so the test can check what a restart loads without trusting the child.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from agent.datastore.journal import Journal
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.model import load_model_set
from agent.txn import RecordingSouthbound, TransactionManager

IFS = "/ietf-interfaces:interfaces"
BASE = 12  # interfaces created by commit 1
EVERY = 5  # every 5th commit replaces the "rotating" extra interface


def if_path(name: str) -> str:
    return f"{IFS}/interface[name='{name}']"


def entry(name: str, description: str | None = None) -> dict[str, Any]:
    e: dict[str, Any] = {"name": name, "type": "iana-if-type:ethernetCsmacd"}
    if description is not None:
        e["description"] = description
    return e


def expected(k: int) -> dict[str, str | None]:
    """Interface name -> description after commit ``k`` (empty before commit 1)."""
    if k < 1:
        return {}
    out: dict[str, str | None] = {f"eth{j}": None for j in range(BASE)}
    for m in range(2, k + 1):
        out[f"eth{m % BASE}"] = f"commit {m}"
    last_rot = k - k % EVERY
    if last_rot >= EVERY:
        out[f"rot{last_rot}"] = f"rot {last_rot}"
    return out


def edit_for(ds: Datastores, session: Session, k: int) -> None:
    """Put the edit of commit ``k`` into the candidate (a small JSON edit plus, every 5th commit, a
    delete and a create)."""
    if k == 1:
        updates: list[tuple[str, Any]] = [(IFS, {"interface": [entry(f"eth{j}") for j in range(BASE)]})]
        ds.edit_gnmi("candidate", deletes=[], replaces=[], updates=updates, session=session)
        return
    deletes: list[str] = []
    updates = [(if_path(f"eth{k % BASE}") + "/description", f"commit {k}")]
    if k % EVERY == 0:
        if k - EVERY >= EVERY:
            deletes.append(if_path(f"rot{k - EVERY}"))
        updates.append((IFS, {"interface": [entry(f"rot{k}", f"rot {k}")]}))
    ds.edit_gnmi("candidate", deletes=deletes, replaces=[], updates=updates, session=session)


def loaded_view(running_json: str | None) -> dict[str, str | None]:
    import json

    doc = json.loads(running_json or "{}")
    return {
        e["name"]: e.get("description")
        for e in doc.get("ietf-interfaces:interfaces", {}).get("interface", [])
    }


async def commit_loop(data_dir: Path, report_fd: int, snapshot_every: int, limit: int) -> None:
    model = load_model_set()
    journal = Journal(data_dir, model, snapshot_every=snapshot_every)
    ds = Datastores(model)
    tm = TransactionManager(ds, journal, RecordingSouthbound(model.ctx))
    await tm.start()
    session = Session.create("crash", "cli")
    for _ in range(limit):
        k = tm.last_commit_id + 1
        edit_for(ds, session, k)
        os.write(report_fd, f"B {k}\n".encode())
        rec = await tm.commit(session)
        assert rec.id == k
        os.write(report_fd, f"A {k}\n".encode())
    await tm.stop()


def run_child(data_dir: Path, report_fd: int, snapshot_every: int = 7, limit: int = 100_000) -> None:
    """Entry point in the forked child; never returns."""
    code = 0
    try:
        asyncio.run(commit_loop(data_dir, report_fd, snapshot_every, limit))
    except BaseException as exc:
        os.write(report_fd, f"E {exc!r}\n".encode())
        code = 1
    os._exit(code)
