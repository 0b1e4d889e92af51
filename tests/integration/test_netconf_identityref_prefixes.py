"""Identityref values whose prefix is declared on the leaf element itself (Namespaces in XML allows a
declaration on any element; RFC 7950 9.10.3 resolves the prefix in the XML namespace scope).

The hard case is a prefix bound to the *same* namespace as the enclosing default namespace:
``<acls xmlns=ACL>...<type xmlns:x=ACL>x:ipv4-acl-type</type>``. The agent accepts it for every
configurable identityref leaf of the model set (sent as raw bytes, so the server sees exactly this).
ncclient does not send it: lxml, when ncclient appends the parsed ``<config>`` into its ``<rpc>``,
drops a namespace declaration whose URI is already in scope (it cannot see prefixes used in text), so
the value arrives with an undeclared prefix and is refused ("unable to map prefix to YANG schema").
The last test pins that client-side behaviour, which docs/netconf.md explains to users.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import libyang
import pytest
from _netconf_helpers import HELLO_11, NC_NS, NetconfFixture, RawSession, chunk, rpc, running_server
from lxml import etree

from agent.model import load_model_set

IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
IANA = "urn:ietf:params:xml:ns:yang:iana-if-type"
IP = "urn:ietf:params:xml:ns:yang:ietf-ip"
VRRP = "urn:ietf:params:xml:ns:yang:ietf-vrrp"
SYS = "urn:ietf:params:xml:ns:yang:ietf-system"
NAT = "urn:ietf:params:xml:ns:yang:ietf-nat"
ACL = "urn:ietf:params:xml:ns:yang:ietf-access-control-list"


def _interface(inner: str) -> str:
    return (
        f'<interfaces xmlns="{IF}"><interface><name>GigabitEthernet0/8/0</name>{inner}</interface>'
        "</interfaces>"
    )


#: schema path of every configurable identityref leaf -> an edit that sets it with the prefix declared on
#: the leaf (same namespace as the enclosing default wherever the identity's module allows it)
CASES: dict[str, str] = {
    "/ietf-interfaces:interfaces/interface/type": _interface(
        f'<type xmlns:t="{IANA}">t:ethernetCsmacd</type>'
    ),
    "/ietf-interfaces:interfaces/interface/ietf-ip:ipv4/ietf-vrrp:vrrp/vrrp-instance/version": _interface(
        f'<ipv4 xmlns="{IP}"><vrrp xmlns="{VRRP}"><vrrp-instance><vrid>1</vrid>'
        f'<version xmlns:v="{VRRP}">v:vrrp-v3</version></vrrp-instance></vrrp></ipv4>'
    ),
    "/ietf-interfaces:interfaces/interface/ietf-ip:ipv6/ietf-vrrp:vrrp/vrrp-instance/version": _interface(
        f'<ipv6 xmlns="{IP}"><vrrp xmlns="{VRRP}"><vrrp-instance><vrid>1</vrid>'
        f'<version xmlns:v="{VRRP}">v:vrrp-v3</version></vrrp-instance></vrrp></ipv6>'
    ),
    "/ietf-system:system/radius/server/authentication-type": (
        f'<system xmlns="{SYS}"><radius><server><name>r1</name>'
        f'<authentication-type xmlns:s="{SYS}">s:radius-chap</authentication-type></server></radius></system>'
    ),
    "/ietf-system:system/authentication/user-authentication-order": (
        f'<system xmlns="{SYS}"><authentication>'
        f'<user-authentication-order xmlns:s="{SYS}">s:local-users</user-authentication-order>'
        "</authentication></system>"
    ),
    "/ietf-nat:nat/instances/instance/type": (
        f'<nat xmlns="{NAT}"><instances><instance><id>1</id>'
        f'<type xmlns:n="{NAT}">n:napt44</type></instance></instances></nat>'
    ),
    "/ietf-access-control-list:acls/acl/type": (
        f'<acls xmlns="{ACL}"><acl><name>a1</name><type xmlns:x="{ACL}">x:ipv4-acl-type</type></acl></acls>'
    ),
    "/ietf-access-control-list:acls/acl/aces/ace/actions/forwarding": (
        f'<acls xmlns="{ACL}"><acl><name>a1</name><aces><ace><name>r1</name><actions>'
        f'<forwarding xmlns:acl="{ACL}">acl:accept</forwarding></actions></ace></aces></acl></acls>'
    ),
}


def config_identityref_leaves() -> set[str]:
    """Every configurable identityref (or union with one) leaf and leaf-list of the model set."""

    def walk(node: libyang.SNode) -> Iterator[libyang.SNode]:
        yield node
        if node.nodetype() in (libyang.SNode.LEAF, libyang.SNode.LEAFLIST):
            return
        for c in node.children():
            yield from walk(c)

    found = set()
    for mod in load_model_set().ctx:
        if not mod.implemented():
            continue
        for top in mod:
            if top.nodetype() in (libyang.SNode.RPC, libyang.SNode.NOTIF, libyang.SNode.ACTION):
                continue  # RPC inputs are read by the NETCONF layer with the element's own nsmap
            for n in walk(top):
                if n.nodetype() not in (libyang.SNode.LEAF, libyang.SNode.LEAFLIST) or n.config_false():
                    continue
                t = n.type()
                bases = (
                    [t.base(), *(u.base() for u in t.union_types())]
                    if t.base() == libyang.Type.UNION
                    else [t.base()]
                )
                if libyang.Type.IDENT in bases:
                    found.add(n.schema_path())
    return found


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-identityref")) as server:
        yield server


def test_every_configurable_identityref_leaf_is_covered() -> None:
    assert config_identityref_leaves() == set(CASES)


def _exchange(port: int, bodies: list[str]) -> list[bytes]:
    async def go() -> list[bytes]:
        s = RawSession(port)
        await s.open()
        await s.send(HELLO_11)
        replies = []
        for n, body in enumerate(bodies, 1):
            await s.send(chunk(rpc(body, n)))
            replies.append(await s.read_chunked())
        await s.close()
        return replies

    return asyncio.run(go())


@pytest.mark.parametrize("path", sorted(CASES))
def test_prefix_declared_on_the_leaf_is_accepted(fx: NetconfFixture, path: str) -> None:
    edit = f"<edit-config><target><candidate/></target><config>{CASES[path]}</config></edit-config>"
    read = "<get-config><source><candidate/></source></get-config>"
    reply, data, _ = _exchange(fx.port, [edit, read, "<discard-changes/>"])
    assert b"<ok/>" in reply, reply.decode()
    value = etree.fromstring(CASES[path]).xpath("//*[contains(text(), ':')]")[0]
    prefix, local = value.text.split(":")
    got = etree.fromstring(data).xpath(f"//*[local-name()='{etree.QName(value).localname}']")
    assert got, data.decode()
    got_prefix, _, got_local = (got[-1].text or "").rpartition(":")
    assert got_local == local
    # the same identity read back: a QName (RFC 7950 9.10.3), which libyang 3 writes without a prefix
    # when the identity's module is the element's default namespace
    assert got[-1].nsmap.get(got_prefix or None) == value.nsmap[prefix]


def test_ncclient_drops_a_leaf_declaration_already_in_scope() -> None:
    """Why ncclient users see "unable to map prefix": the declaration is gone before the bytes leave."""
    from ncclient.xml_ import new_ele, sub_ele, to_ele, to_xml

    config = to_ele(f'<config xmlns="{NC_NS}">{CASES["/ietf-access-control-list:acls/acl/type"]}</config>')
    request = new_ele("rpc")
    sub_ele(request, "edit-config").append(config)
    sent = to_xml(request)
    assert "<type>x:ipv4-acl-type</type>" in sent and "xmlns:x" not in sent


def test_an_undeclared_prefix_is_refused_with_what_to_do(fx: NetconfFixture) -> None:
    edit = (
        f'<edit-config><target><candidate/></target><config><acls xmlns="{ACL}"><acl><name>a1</name>'
        "<type>x:ipv4-acl-type</type></acl></acls></config></edit-config>"
    )
    (reply,) = _exchange(fx.port, [edit])
    error = etree.fromstring(reply)
    assert error.findtext(f".//{{{NC_NS}}}error-tag") == "invalid-value"
    message = error.findtext(f".//{{{NC_NS}}}error-message") or ""
    assert "unable to map prefix" in message and "declare it on <config>" in message
