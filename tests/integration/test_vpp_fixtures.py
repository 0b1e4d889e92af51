"""vppsim answers as real VPP 26.06 did: the recorded answers in tests/fixtures/vpp replayed in CI.

``make record-vpp`` (tests/vpp/record_vpp.py) sent each scenario's requests -- the calls the agent makes
and the refusals it handles -- to real VPP and stored VPP's answers. Here the same requests go to a
fresh vppsim with the same ports; after the explicit normalisation of tests/integration/_vpp_fixtures.py
(``NORMALISED``: each field and why) every answer must be identical. A second test fails when the agent
sends a message (agent.vpp.api.MESSAGES_USED) that no fixture covers, so a new message cannot go
unrecorded.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _vpp_fixtures import NORMALISED, differences, fixture_files, load_fixture, messages_sent, run_fixture

from agent.vpp.api import MESSAGES_USED

FIXTURES = fixture_files()


def test_fixtures_were_recorded_on_vpp_26_06() -> None:
    assert FIXTURES, "no recorded VPP answers in tests/fixtures/vpp (make record-vpp)"
    for path in FIXTURES:
        fx = load_fixture(path)
        assert fx["recorded_with"].startswith("vpp v26.06"), (path.name, fx["recorded_with"])
        assert fx["steps"], path.name


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_vppsim_answers_as_vpp_did(path: Path, vppsim_factory: Callable[..., Any]) -> None:
    fx = load_fixture(path)
    punt = f"/tmp/vs-punt-{uuid.uuid4().hex[:12]}.sock"  # short: a unix socket path
    extra = ("--punt-socket", punt) if fx.get("punt_socket") else ()
    try:
        sim = vppsim_factory(ports=fx["ports"], extra_args=extra)
        answers = run_fixture(sim.api_socket, fx["steps"])
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(punt)
    diff = differences(fx, answers)
    normalised = "\n".join(f"  {k}: {why}" for k, why in NORMALISED.items())
    assert not diff, (
        f"{len(diff)} answers differ from VPP's:\n"
        + "\n".join(diff)
        + (f"\n(normalised before comparing:\n{normalised})")
    )


def test_every_message_the_agent_sends_has_recorded_answers() -> None:
    covered: set[str] = set()
    for path in FIXTURES:
        covered |= messages_sent(load_fixture(path))
    missing = sorted(set(MESSAGES_USED) - covered)
    assert missing == [], f"messages the agent sends with no recorded VPP answer: {missing} (make record-vpp)"
