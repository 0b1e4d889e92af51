"""NETCONF over SSH (RFC 6241/6242): the protocol server in front of the datastore and transaction layers."""

from agent.netconf.server import NetconfServer

__all__ = ["NetconfServer"]
