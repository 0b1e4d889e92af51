"""What an operation handler gets: the request, the session, and the layers below.

Handlers are plain async functions ``(OpContext, etree._Element) -> Reply`` registered per operation
(:mod:`agent.netconf.dispatch`). They hold no datastore logic: they parse the operation's parameters,
check access, call :class:`~agent.datastore.store.Datastores` or the transaction manager, and return
what goes inside ``<rpc-reply>``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from lxml import etree

from agent.access.nacm import AccessControl
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.model import ModelSet
from agent.netconf.replies import NC_NS, RpcError
from agent.netconf.txnapi import Transactions

if TYPE_CHECKING:
    from agent.netconf.server import NetconfServer
    from agent.netconf.session import NetconfSession

NMDA_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
DS_NS = "urn:ietf:params:xml:ns:yang:ietf-datastores"
WD_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults"
MON_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring"
NOTIF_NS = "urn:ietf:params:xml:ns:netconf:notification:1.0"
BNG_NS = "urn:bng-agent:netconf"
T = TypeVar("T")


async def shielded(call: Awaitable[T]) -> T:
    """Await a transaction-manager call so that ending the session (kill-session, connection loss)
    does not cancel it half-way: a commit that reached the owner task completes (or fails) there, and
    its outcome is what running shows; only the reply to the vanished client is lost."""
    return await asyncio.shield(call)


@dataclass
class OpContext:
    server: NetconfServer
    nc: NetconfSession
    session: Session
    acl: AccessControl

    @property
    def datastores(self) -> Datastores:
        return self.server.datastores

    @property
    def txn(self) -> Transactions:
        return self.server.txn

    @property
    def model(self) -> ModelSet:
        return self.server.model


def child(op: etree._Element, name: str, ns: str = NC_NS) -> etree._Element | None:
    return op.find(f"{{{ns}}}{name}")


def children(op: etree._Element) -> list[etree._Element]:
    return [c for c in op if isinstance(c.tag, str)]


def text_of(op: etree._Element, name: str, ns: str = NC_NS) -> str | None:
    el = child(op, name, ns)
    return None if el is None else (el.text or "").strip()


def datastore_choice(op: etree._Element, name: str, allowed: tuple[str, ...]) -> str | etree._Element:
    """``<source>``/``<target>``: a datastore name, or the ``<config>`` element when allowed."""
    holder = child(op, name)
    if holder is None:
        raise RpcError(f"missing <{name}>", tag="missing-element", info={"bad-element": name})
    elems = children(holder)
    if len(elems) != 1:
        raise RpcError(
            f"<{name}> must name exactly one datastore", tag="invalid-value", info={"bad-element": name}
        )
    el = elems[0]
    qn = etree.QName(el)
    if (qn.namespace, qn.localname) == (NMDA_NS, "datastore"):
        # RFC 8526 3.2: lock, unlock and validate name an NMDA datastore by identity too
        return _datastore_identity(el, tuple(a for a in allowed if a != "config"))
    if qn.namespace != NC_NS or qn.localname not in allowed:
        raise RpcError(
            f"<{name}> cannot be {qn.localname!r} here (allowed: {', '.join(allowed)})",
            tag="invalid-value",
            info={"bad-element": qn.localname},
        )
    if qn.localname == "config":
        return el
    return qn.localname


def nmda_datastore(op: etree._Element, allowed: tuple[str, ...]) -> str:
    """RFC 8526 ``<datastore>ds:running</datastore>``: an identityref resolved through the element's
    namespace map."""
    el = child(op, "datastore", NMDA_NS)
    if el is None or not (el.text or "").strip():
        raise RpcError("missing <datastore>", tag="missing-element", info={"bad-element": "datastore"})
    return _datastore_identity(el, allowed)


def _datastore_identity(el: etree._Element, allowed: tuple[str, ...]) -> str:
    value = (el.text or "").strip()
    if ":" in value:
        prefix, name = value.split(":", 1)
        if el.nsmap.get(prefix) != DS_NS:
            raise RpcError(
                f"unknown datastore {value!r}", tag="invalid-value", info={"bad-element": "datastore"}
            )
    else:
        name = value
    if name not in allowed:
        raise RpcError(
            f"datastore {name!r} is not allowed here (allowed: {', '.join(allowed)})",
            tag="invalid-value",
            info={"bad-element": "datastore"},
        )
    return name
