"""RFC 6022 <get-schema> and netconf-state."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Iterator

import pytest
from _netconf_helpers import HELLO_11, NetconfFixture, RawSession, chunk, rpc, running_server
from lxml import etree
from ncclient.operations.rpc import RPCError

MON = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"
YL = "urn:ietf:params:xml:ns:yang:ietf-yang-library"


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


def test_schema_list_is_the_yang_library_and_every_entry_can_be_fetched(fx: NetconfFixture) -> None:
    """RFC 6022: each module and import-only module of the YANG library in formats yang and yin,
    location NETCONF; <get-schema> of each identifier, version and format returns that module (YANG
    text, or YIN as XML content of <data>)."""
    flt = (
        f'<filter type="subtree"><netconf-state xmlns="{MON}"><schemas/></netconf-state>'
        f'<yang-library xmlns="{YL}"/></filter>'
    )
    yin_ns = "urn:ietf:params:xml:ns:yang:yin:1"
    with fx.connect() as m:
        data = m.get(filter=flt).data
        schemas = [
            (
                e.findtext(f"{{{MON}}}identifier"),
                e.findtext(f"{{{MON}}}version"),
                (e.findtext(f"{{{MON}}}format") or "").split(":")[-1],
                e.findtext(f"{{{MON}}}namespace"),
                [loc.text for loc in e.iterfind(f"{{{MON}}}location")],
            )
            for e in data.iter(f"{{{MON}}}schema")
        ]
        library = {
            (e.findtext(f"{{{YL}}}name"), e.findtext(f"{{{YL}}}revision") or "")
            for tag in ("module", "import-only-module")
            for e in data.iter(f"{{{YL}}}{tag}")
        }
        for fmt in ("yang", "yin"):
            assert {(i, v) for i, v, f, *_ in schemas if f == fmt} == library, fmt
        for ident, version, fmt, namespace, locations in schemas:
            assert locations == ["NETCONF"], ident
            reply = m.get_schema(ident, version=version or None, format=fmt)
            if fmt == "yang":
                text = reply.data
                # (indented when the file is an RFC's extract, as Debian 13's libyang ships its own)
                assert re.search(rf"^\s*module {re.escape(str(ident))} {{", text, re.M), ident
                assert re.search(rf'namespace\s+"?{re.escape(str(namespace))}', text), ident
                if version:
                    assert re.search(rf'revision\s+"?{version}', text), ident
            else:
                root = etree.fromstring(reply.xml.encode()).find(f".//{{{MON}}}data/{{{yin_ns}}}module")
                assert root is not None and root.get("name") == ident, ident
                ns_el = root.find(f"{{{yin_ns}}}namespace")
                assert ns_el is not None and ns_el.get("uri") == namespace, ident


def _own_session(reply: bytes, session_id: str) -> dict[str, int]:
    root = etree.fromstring(reply)
    for sess in root.iter(f"{{{MON}}}session"):
        if sess.findtext(f"{{{MON}}}session-id") == session_id:
            return {c: int(sess.findtext(f"{{{MON}}}{c}") or -1) for c in _COUNTERS}
    raise AssertionError(f"session {session_id} not in netconf-state")


def _global(reply: bytes) -> dict[str, int]:
    stats = etree.fromstring(reply).find(f".//{{{MON}}}statistics")
    assert stats is not None
    return {c: int(stats.findtext(f"{{{MON}}}{c}") or -1) for c in _COUNTERS}


_COUNTERS = ("in-rpcs", "in-bad-rpcs", "out-rpc-errors")


def test_rpc_counters_tell_bad_rpcs_from_rpc_errors(fx: NetconfFixture) -> None:
    """RFC 6022: in-rpcs counts correct <rpc> messages, in-bad-rpcs messages that are not (malformed
    XML, no message-id), out-rpc-errors every rpc-error reply (also to a correct <rpc>)."""
    state = (
        f'<get><filter><netconf-state xmlns="{MON}"><sessions/><statistics/></netconf-state></filter></get>'
    )

    async def go() -> tuple[bytes, bytes, str]:
        s = RawSession(fx.port)
        hello = await s.open()
        sid = etree.fromstring(hello.removesuffix(b"]]>]]>")).findtext(
            "{urn:ietf:params:xml:ns:netconf:base:1.0}session-id"
        )
        await s.send(HELLO_11)
        await s.send(chunk(rpc(state, 1)))
        before = await s.read_chunked()
        await s.send(chunk(b"<rpc message-id='2' xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'><get>"))
        await s.read_chunked()
        await s.send(chunk(b'<rpc xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get/></rpc>'))
        await s.read_chunked()
        await s.send(chunk(rpc("<get-config><source><nowhere/></source></get-config>", 4)))
        await s.read_chunked()
        await s.send(chunk(rpc(state, 5)))
        after = await s.read_chunked()
        await s.close()
        return before, after, str(sid)

    before, after, sid = asyncio.run(go())
    session = next(
        e
        for e in etree.fromstring(after).iter(f"{{{MON}}}session")
        if e.findtext(f"{{{MON}}}session-id") == sid
    )
    # an identityref in XML is a QName (RFC 7950 9.10.3): libyang 2 writes it with a prefix, libyang 3
    # without one when the identity's module is the element's default namespace; both mean the same
    transport = session.find(f"{{{MON}}}transport")
    assert transport is not None and transport.text is not None
    prefix, _, name = transport.text.rpartition(":")
    assert (name, transport.nsmap.get(prefix or None)) == ("netconf-ssh", MON)
    assert session.findtext(f"{{{MON}}}username") == "admin"
    assert session.findtext(f"{{{MON}}}source-host") == "127.0.0.1"
    dt.datetime.fromisoformat(session.findtext(f"{{{MON}}}login-time") or "")
    stats = etree.fromstring(after).find(f".//{{{MON}}}statistics")
    assert stats is not None
    dt.datetime.fromisoformat(stats.findtext(f"{{{MON}}}netconf-start-time") or "")
    for counter in ("in-bad-hellos", "in-sessions", "dropped-sessions", "out-notifications"):
        assert int(stats.findtext(f"{{{MON}}}{counter}") or -1) >= 0, counter
    mine0, mine1 = _own_session(before, sid), _own_session(after, sid)
    assert mine1["in-rpcs"] - mine0["in-rpcs"] == 2  # the bad get-config and the second get
    assert mine1["in-bad-rpcs"] - mine0["in-bad-rpcs"] == 2  # malformed XML and no message-id
    assert mine1["out-rpc-errors"] - mine0["out-rpc-errors"] == 3
    all0, all1 = _global(before), _global(after)
    for counter in _COUNTERS:
        assert all1[counter] - all0[counter] >= mine1[counter] - mine0[counter], counter
