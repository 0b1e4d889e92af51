"""<commit> and <cancel-commit>: plain, confirmed (timeout and session-drop rollback), persist tokens,
and a data-plane failure coming back as operation-failed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from _netconf_helpers import NetconfFixture, interface_config, running_server
from ncclient.operations.rpc import RPCError


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-commit")) as server:
        yield server


def _running_has(fx: NetconfFixture, name: str) -> bool:
    with fx.connect() as m:
        return name in m.get_config("running").data_xml


def _wait_for(cond: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_commit_applies_to_data_plane_and_running(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("c-plain", "x"))
        m.commit()
    assert _running_has(fx, "c-plain")
    assert "c-plain" in fx.run_sync(fx.southbound.json)


def test_confirmed_commit_rolls_back_after_timeout(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("c-timeout"))
        m.commit(confirmed=True, timeout="1")
        assert _running_has(fx, "c-timeout")
        assert _wait_for(lambda: not _running_has(fx, "c-timeout"))
    assert "c-timeout" not in fx.run_sync(fx.southbound.json)


def test_confirmed_commit_is_kept_by_a_confirming_commit(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("c-confirmed"))
        m.commit(confirmed=True, timeout="2")
        m.commit()
    time.sleep(2.5)
    assert _running_has(fx, "c-confirmed")


def test_confirmed_commit_rolls_back_when_its_session_drops(fx: NetconfFixture) -> None:
    m = fx.connect()
    m.edit_config(target="candidate", config=interface_config("c-drop"))
    m.commit(confirmed=True, timeout="600")
    assert _running_has(fx, "c-drop")
    m.close_session()
    assert _wait_for(lambda: not _running_has(fx, "c-drop"))


def test_persist_survives_session_and_persist_id_confirms_from_another(fx: NetconfFixture) -> None:
    m = fx.connect()
    m.edit_config(target="candidate", config=interface_config("c-persist"))
    m.commit(confirmed=True, timeout="600", persist="tok-1")
    m.close_session()
    time.sleep(0.5)
    assert _running_has(fx, "c-persist")
    with fx.connect() as other:
        with pytest.raises(RPCError) as err:
            other.commit(persist_id="wrong")
        assert err.value.tag == "invalid-value"
        other.commit(persist_id="tok-1")
    assert _running_has(fx, "c-persist")


def test_cancel_commit_reverts_now(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("c-cancel"))
        m.commit(confirmed=True, timeout="600")
        assert _running_has(fx, "c-cancel")
        m.cancel_commit()
        assert not _running_has(fx, "c-cancel")


def test_cancel_commit_without_pending_is_an_error(fx: NetconfFixture) -> None:
    with fx.connect() as m, pytest.raises(RPCError) as err:
        m.cancel_commit()
    assert err.value.tag == "operation-failed"


def test_data_plane_failure_is_operation_failed_and_changes_nothing(fx: NetconfFixture) -> None:
    fx.run_sync(lambda: setattr(fx.southbound, "fail_at", 0))
    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("c-fail"))
        with pytest.raises(RPCError) as err:
            m.commit()
        assert err.value.tag == "operation-failed"
        assert "c-fail" in (err.value.message or "")
        # error-path is an XPath (a data-plane item key goes to error-info instead)
        assert err.value.path is None or err.value.path.startswith("/")
        m.discard_changes()
    assert not _running_has(fx, "c-fail")
    assert "c-fail" not in fx.run_sync(fx.southbound.json)


def test_invalid_candidate_fails_validate_and_commit(fx: NetconfFixture) -> None:
    # an interface without its mandatory type
    cfg = (
        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        '<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"><interface><name>c-bad</name>'
        "</interface></interfaces></config>"
    )
    with fx.connect() as m:
        m.edit_config(target="candidate", config=cfg)
        with pytest.raises(RPCError) as err:
            m.validate("candidate")
        assert err.value.tag in ("data-missing", "invalid-value", "operation-failed")
        assert "type" in (err.value.message or "")
        with pytest.raises(RPCError):
            m.commit()
        m.discard_changes()
