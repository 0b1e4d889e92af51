"""Keys of the ACL feature's items (built with :func:`agent.vpp.keys.join`)."""

from __future__ import annotations

from agent.vpp import keys
from agent.vpp.config import RootId

#: Root kinds: one ``acls/acl`` entry, one ``acls/attachment-points/interface`` entry.
ACL = "acl"
ATTACHMENT = "acl-attachment"


def root(name: str) -> RootId:
    return RootId(ACL, name)


def acl(name: str) -> str:
    """``acl/<name>``: an ACL of VPP's ACL plugin (``acl_add_replace``)."""
    return keys.join1("acl", name)


def macip(name: str) -> str:
    """``macip-acl/<name>``: a MAC/IP ACL (``macip_acl_add_replace``), for Ethernet ACL types."""
    return keys.join1("macip-acl", name)


def stats(name: str) -> str:
    """``acl-stats/<name>``: the ACL plugin's per-rule counters are on for ACL ``name`` (one switch for
    all of VPP; one item per ACL so that each ACL's plan makes sure of it)."""
    return keys.join1("acl-stats", name)


def attachment(interface: str) -> str:
    """``acl-attachment/<interface>``: the interface's input and output ACL lists."""
    return keys.join1("acl-attachment", interface)


def macip_attachment(interface: str) -> str:
    """``macip-attachment/<interface>``: the MAC/IP ACL checked on the interface's input."""
    return keys.join1("macip-attachment", interface)


def foreign(index: int) -> str:
    """A placeholder for an ACL index VPP has that is not the agent's (in retrieved attachments)."""
    return keys.join1("acl-index", str(index))


def name_of(key: str) -> str:
    return keys.rest(key)
