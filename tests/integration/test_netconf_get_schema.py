"""RFC 6022 <get-schema> and netconf-state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _netconf_helpers import NetconfFixture, running_server
from ncclient.operations.rpc import RPCError

MON = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-schema")) as server:
        yield server


def test_get_schema_returns_module_source(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        reply = m.get_schema("ietf-interfaces")
    assert "module ietf-interfaces" in reply.data
    assert 'namespace "urn:ietf:params:xml:ns:yang:ietf-interfaces"' in reply.data


def test_get_schema_unknown_module_is_invalid_value(fx: NetconfFixture) -> None:
    with fx.connect() as m, pytest.raises(RPCError) as err:
        m.get_schema("no-such-module")
    assert err.value.tag == "invalid-value"


def test_schema_list_and_locks_in_netconf_state(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        m.lock("candidate")
        data = m.get(filter=("subtree", f'<netconf-state xmlns="{MON}"/>')).data
        m.unlock("candidate")
        ids = [e.text for e in data.iter(f"{{{MON}}}identifier")]
        assert "ietf-interfaces" in ids
        holder = data.find(f".//{{{MON}}}datastore[{{{MON}}}name='candidate']//{{{MON}}}locked-by-session")
        assert holder is not None and holder.text == str(m.session_id)
        # every schema listed can be fetched
        assert "module ietf-yang-library" in m.get_schema("ietf-yang-library").data
