"""RFC 5277 create-subscription with the RFC 6470 notifications, received by ncclient."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from _netconf_helpers import NetconfFixture, interface_config, running_server
from lxml import etree
from ncclient.operations.rpc import RPCError

NCN = "urn:ietf:params:xml:ns:yang:ietf-netconf-notifications"


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-notif")) as server:
        yield server


def _collect(m: Any, name: str, timeout: float = 10.0) -> etree._Element:
    """The next notification whose body is ``name`` (others are skipped), within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = m.take_notification(block=True, timeout=max(0.1, deadline - time.monotonic()))
        if n is None:
            continue
        root = etree.fromstring(n.notification_xml.encode())
        body = root.find(f"{{{NCN}}}{name}")
        if body is not None:
            return body
    raise AssertionError(f"no {name} notification within {timeout}s")


def test_config_change_names_the_user_session_and_edits(fx: NetconfFixture) -> None:
    with fx.connect() as listener, fx.connect() as editor:
        listener.create_subscription()
        editor.edit_config(target="candidate", config=interface_config("ntf0", "d"))
        editor.commit()
        body = _collect(listener, "netconf-config-change")
        assert body.findtext(f"{{{NCN}}}changed-by/{{{NCN}}}username") == "admin"
        assert body.findtext(f"{{{NCN}}}changed-by/{{{NCN}}}session-id") == str(editor.session_id)
        assert body.findtext(f"{{{NCN}}}datastore") == "running"
        targets = [t.text or "" for t in body.iter(f"{{{NCN}}}target")]
        assert any("ntf0" in t for t in targets)
        ops = [o.text for o in body.iter(f"{{{NCN}}}operation")]
        assert "create" in ops
        # interleave: the subscribed session still answers RPCs
        assert "ntf0" in listener.get_config("running").data_xml


def test_session_start_and_end(fx: NetconfFixture) -> None:
    with fx.connect() as listener:
        listener.create_subscription()
        other = fx.connect()
        sid = other.session_id
        start = _collect(listener, "netconf-session-start")
        assert start.findtext(f"{{{NCN}}}session-id") == str(sid)
        other.close_session()
        end = _collect(listener, "netconf-session-end")
        assert end.findtext(f"{{{NCN}}}session-id") == str(sid)
        assert end.findtext(f"{{{NCN}}}termination-reason") == "closed"


def test_confirmed_commit_events(fx: NetconfFixture) -> None:
    with fx.connect() as listener, fx.connect() as editor:
        listener.create_subscription()
        editor.edit_config(target="candidate", config=interface_config("ntf-cc"))
        editor.commit(confirmed=True, timeout="1")
        start = _collect(listener, "netconf-confirmed-commit")
        assert start.findtext(f"{{{NCN}}}confirm-event") == "start"
        assert start.findtext(f"{{{NCN}}}timeout") == "1"
        timeout = _collect(listener, "netconf-confirmed-commit")
        assert timeout.findtext(f"{{{NCN}}}confirm-event") == "timeout"


def test_second_subscription_and_unknown_stream_are_refused(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        with pytest.raises(RPCError) as err:
            m.create_subscription(stream_name="NOPE")
        assert err.value.tag == "invalid-value"
        m.create_subscription()
        with pytest.raises(RPCError):
            m.create_subscription()


def test_startup_change_is_notified(fx: NetconfFixture) -> None:
    with fx.connect() as listener, fx.connect() as editor:
        listener.create_subscription()
        editor.copy_config(source="running", target="startup")
        body = _collect(listener, "netconf-config-change")
        assert body.findtext(f"{{{NCN}}}datastore") == "startup"
        assert body.findtext(f"{{{NCN}}}changed-by/{{{NCN}}}session-id") == str(editor.session_id)
