"""<lock>/<unlock>: two sessions contending, lock-denied naming the holder, release on session end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _netconf_helpers import NetconfFixture, interface_config, running_server
from ncclient.operations.rpc import RPCError


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-lock")) as server:
        yield server


@pytest.mark.parametrize("target", ["running", "candidate", "startup"])
def test_second_session_gets_lock_denied_with_holder_session_id(fx: NetconfFixture, target: str) -> None:
    with fx.connect() as a, fx.connect() as b:
        a.lock(target)
        with pytest.raises(RPCError) as err:
            b.lock(target)
        assert err.value.tag == "lock-denied"
        assert err.value.type == "protocol"
        assert str(a.session_id) in (err.value.info or "")
        a.unlock(target)
        b.lock(target)
        b.unlock(target)


def test_locked_candidate_refuses_other_sessions_edits(fx: NetconfFixture) -> None:
    with fx.connect() as a, fx.connect() as b:
        a.lock("candidate")
        with pytest.raises(RPCError) as err:
            b.edit_config(target="candidate", config=interface_config("eth-l"))
        assert err.value.tag == "in-use"
        a.edit_config(target="candidate", config=interface_config("eth-l"))
        a.discard_changes()
        a.unlock("candidate")


def test_unlock_by_non_holder_fails(fx: NetconfFixture) -> None:
    with fx.connect() as a, fx.connect() as b:
        a.lock("running")
        with pytest.raises(RPCError) as err:
            b.unlock("running")
        assert err.value.tag == "operation-failed"
        a.unlock("running")


def test_lock_is_released_when_the_session_drops(fx: NetconfFixture) -> None:
    a = fx.connect()
    a.lock("candidate")
    a.edit_config(target="candidate", config=interface_config("eth-dropped"))
    a.close_session()
    with fx.connect() as b:
        b.lock("candidate")  # released, and the uncommitted change was discarded (RFC 6241 8.3.5.2)
        assert "eth-dropped" not in b.get_config("candidate").data_xml
        b.unlock("candidate")


def test_lock_candidate_refused_while_other_session_has_uncommitted_changes(fx: NetconfFixture) -> None:
    with fx.connect() as a, fx.connect() as b:
        a.edit_config(target="candidate", config=interface_config("eth-dirty"))
        with pytest.raises(RPCError) as err:
            b.lock("candidate")
        assert err.value.tag == "lock-denied"
        a.discard_changes()
        b.lock("candidate")
        b.unlock("candidate")


def _nmda(m: object, op: str, ds: str) -> None:
    from lxml import etree

    nc = "urn:ietf:params:xml:ns:netconf:base:1.0"
    nmda = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
    dsn = "urn:ietf:params:xml:ns:yang:ietf-datastores"
    rpc = (
        f'<{op} xmlns="{nc}"><target><datastore xmlns="{nmda}" xmlns:ds="{dsn}">ds:{ds}</datastore>'
        f"</target></{op}>"
    )
    m.dispatch(etree.fromstring(rpc))  # type: ignore[attr-defined]


def test_lock_and_unlock_name_an_nmda_datastore(fx: NetconfFixture) -> None:
    """RFC 8526 3.2: <lock>/<unlock> take <datastore> (an identity) as target; only writable ones."""
    with fx.connect() as a, fx.connect() as b:
        _nmda(a, "lock", "candidate")
        with pytest.raises(RPCError) as err:
            b.lock("candidate")
        assert err.value.tag == "lock-denied"
        _nmda(a, "unlock", "candidate")
        b.lock("candidate")
        b.unlock("candidate")
        for ds in ("operational", "intended"):
            with pytest.raises(RPCError) as err:
                _nmda(a, "lock", ds)
            assert err.value.tag == "invalid-value", ds
