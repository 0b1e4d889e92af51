"""Shared helpers for the datastore unit tests (not a test module)."""

from __future__ import annotations

from lxml import etree

from agent.model.xmlsafe import parse_xml

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
IP = "urn:ietf:params:xml:ns:yang:ietf-ip"
IANA = "urn:ietf:params:xml:ns:yang:iana-if-type"
IFP = "/ietf-interfaces:interfaces"


def config(body: str) -> etree._Element:
    """A <config> element around ``body`` with the usual namespaces declared."""
    return parse_xml(
        f'<config xmlns="{NC}" xmlns:nc="{NC}" xmlns:ianaift="{IANA}" '
        f'xmlns:yang="urn:ietf:params:xml:ns:yang:1">{body}</config>'.encode()
    )


def interfaces(body: str) -> etree._Element:
    return config(f'<interfaces xmlns="{IF}">{body}</interfaces>')


BNGIF = "urn:bng-agent:yang:bng-interfaces"


def iface(name: str, extra: str = "", attrs: str = "", kind: str = "ethernetCsmacd") -> str:
    return f"<interface{attrs}><name>{name}</name><type>ianaift:{kind}</type>{extra}</interface>"


def subif(parent: str, vid: int, extra: str = "") -> str:
    """A VLAN sub-interface as bng-interfaces wants it (named <parent>.<sub-id>)."""
    sub = (
        f'<sub-interface xmlns="{BNGIF}"><parent-interface>{parent}</parent-interface><sub-id>{vid}</sub-id>'
        f"<encapsulation><single-tagged><vlan-id>{vid}</vlan-id></single-tagged></encapsulation></sub-interface>"
    )
    return iface(f"{parent}.{vid}", sub + extra, kind="l2vlan")


def addr(ip: str, plen: int = 24) -> str:
    return f'<ipv4 xmlns="{IP}"><address><ip>{ip}</ip><prefix-length>{plen}</prefix-length></address></ipv4>'
