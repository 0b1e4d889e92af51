"""kill -9 at random moments while committing: what a restart loads is always a real commit.

A child process (forked, so it starts in milliseconds with the model already loaded) commits in a loop
through the real TransactionManager and Journal with fsync on, reporting ``B <id>`` before and
``A <id>`` after each commit. The test kills it with SIGKILL after a random delay, then loads the data
directory the way a restarted agent does and checks: the load succeeds, the last commit id is the last
acknowledged one or the one in flight, and the configuration equals exactly what that commit produced.
Rounds continue on the same directory, so later rounds also crash while recovering, rotating journal
segments and writing snapshots (snapshots every 7 commits here).
"""

from __future__ import annotations

import os
import random
import select
import signal
import time
from pathlib import Path

from _crash_child import expected, loaded_view, run_child

from agent.datastore.journal import Journal
from agent.model import load_model_set

ROUNDS = 120
BUDGET_S = 50.0


def read_reports(fd: int) -> bytes:
    """Everything the (dead) child wrote; the pipe is at EOF once the child is gone."""
    chunks = []
    for _ in range(100_000):
        data = os.read(fd, 65536)
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def wait_for_ack(fd: int, deadline: float) -> bytes:
    """Read the child's reports until one acknowledgement ("A <id>") arrives or the deadline passes."""
    got = b""
    while b"\nA " not in b"\n" + got and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        data = os.read(fd, 4096)
        if not data:
            break
        got += data
    return got


def test_sigkill_during_commits_never_loses_or_invents_a_commit(tmp_path: Path) -> None:
    model = load_model_set()
    rng = random.Random(int(os.environ.get("CRASH_SEED", str(time.time_ns()))))
    data_dir = tmp_path / "data"
    start = time.monotonic()
    acked_max = 0
    rounds = 0
    kills_mid_commit = 0
    while rounds < ROUNDS:
        assert time.monotonic() - start < BUDGET_S, f"only {rounds} rounds in {BUDGET_S}s"
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            os.close(rfd)
            run_child(data_dir, wfd)
        os.close(wfd)
        # wait until the child has begun committing, then kill it a random moment later
        first = os.read(rfd, 64)
        assert first.startswith(b"B "), first
        if rounds % 2 == 0:
            # every other round, let at least one commit be acknowledged first, so the run makes
            # progress across restarts however slow a loaded machine makes each commit
            first += wait_for_ack(rfd, deadline=time.monotonic() + 5.0)
        time.sleep(rng.uniform(0.0, 0.04))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        lines = (first + read_reports(rfd)).decode().splitlines()
        os.close(rfd)
        assert not any(ln.startswith("E ") for ln in lines), lines
        began = [int(ln.split()[1]) for ln in lines if ln.startswith("B ")]
        acked = [int(ln.split()[1]) for ln in lines if ln.startswith("A ")]
        if acked:
            acked_max = max(acked_max, *acked)
        in_flight = max(began) if began else acked_max
        if in_flight > acked_max:
            kills_mid_commit += 1

        state = Journal(data_dir, model).load()
        assert state.last_commit_id in (acked_max, in_flight), (state.last_commit_id, acked_max, in_flight)
        assert loaded_view(state.running_json) == expected(state.last_commit_id)
        acked_max = state.last_commit_id  # the in-flight commit, if it made it, is the new baseline
        rounds += 1
    assert acked_max >= ROUNDS // 2  # the child made progress across restarts
    assert kills_mid_commit > ROUNDS // 4, f"only {kills_mid_commit} kills landed inside a commit"
    assert any(p.name.startswith("snapshot-") for p in data_dir.iterdir())
