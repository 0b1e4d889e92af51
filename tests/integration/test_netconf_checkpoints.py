"""Project RPCs: dry-run plan of the candidate, list checkpoints, roll back to a checkpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _netconf_helpers import NetconfFixture, interface_config, running_server
from lxml import etree
from ncclient.operations.rpc import RPCError

BNG = "urn:bng-agent:netconf"


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-cp")) as server:
        yield server


def _call(m: object, body: str) -> etree._Element:
    reply = m.dispatch(etree.fromstring(body))  # type: ignore[attr-defined]
    return etree.fromstring(reply.xml.encode())


def test_dry_run_lists_steps_without_applying(fx: NetconfFixture) -> None:
    applied_before = fx.run_sync(lambda: fx.southbound.apply_calls)
    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("dr0", "x"))
        plan = _call(m, f'<dry-run xmlns="{BNG}"/>')
        keys = [k.text or "" for k in plan.iter(f"{{{BNG}}}key")]
        assert any("dr0" in k for k in keys)
        assert "dr0" not in m.get_config("running").data_xml
        m.discard_changes()
    assert fx.run_sync(lambda: fx.southbound.apply_calls) == applied_before


def test_checkpoints_and_rollback(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.edit_config(target="candidate", config=interface_config("rb0"))
        m.commit()
        cps = _call(m, f'<list-checkpoints xmlns="{BNG}"/>')
        first = int(cps.findtext(f".//{{{BNG}}}checkpoint/{{{BNG}}}id") or "0")
        m.edit_config(target="candidate", config=interface_config("rb1"))
        m.commit()
        assert "rb1" in m.get_config("running").data_xml
        reply = _call(m, f'<rollback xmlns="{BNG}"><id>{first}</id></rollback>')
        assert int(reply.findtext(f"{{{BNG}}}commit-id") or "0") > first
        xml = m.get_config("running").data_xml
        assert "rb0" in xml and "rb1" not in xml
        with pytest.raises(RPCError):
            _call(m, f'<rollback xmlns="{BNG}"><id>99999</id></rollback>')
    assert "rb1" not in fx.run_sync(fx.southbound.json)
