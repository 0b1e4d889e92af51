"""<kill-session> and <close-session>."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from _netconf_helpers import NetconfFixture, running_server
from lxml import etree
from ncclient.operations.rpc import RPCError


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-kill")) as server:
        yield server


def _wait_disconnected(m: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not m.connected:  # type: ignore[attr-defined]
            return True
        time.sleep(0.05)
    return False


def test_kill_session_ends_the_victim_and_releases_its_lock(fx: NetconfFixture) -> None:
    victim = fx.connect()
    victim.lock("running")
    with fx.connect() as killer:
        killer.kill_session(victim.session_id)
        assert _wait_disconnected(victim)
        killer.lock("running")  # the victim's lock is gone
        killer.unlock("running")


def test_kill_own_session_is_invalid_value(fx: NetconfFixture) -> None:
    with fx.connect() as m, pytest.raises(RPCError) as err:
        m.kill_session(m.session_id)
    assert err.value.tag == "invalid-value"


def test_kill_unknown_session_is_invalid_value(fx: NetconfFixture) -> None:
    with fx.connect() as m, pytest.raises(RPCError) as err:
        m.kill_session("999999")
    assert err.value.tag == "invalid-value"


def test_close_session_replies_ok_then_ends(fx: NetconfFixture) -> None:
    m = fx.connect()
    reply = m.close_session()
    assert reply.ok
    assert _wait_disconnected(m)


def test_kill_session_with_a_malformed_or_missing_id(fx: NetconfFixture) -> None:
    nc = "urn:ietf:params:xml:ns:netconf:base:1.0"
    with fx.connect() as m:
        for body, tag in (
            ("<session-id>abc</session-id>", "invalid-value"),
            ("<session-id>0</session-id>", "invalid-value"),
            ("", "missing-element"),
        ):
            with pytest.raises(RPCError) as err:
                m.dispatch(etree.fromstring(f'<kill-session xmlns="{nc}">{body}</kill-session>'))
            assert err.value.tag == tag, body
            assert err.value.info is not None and "session-id" in err.value.info, body
