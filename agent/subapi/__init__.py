"""The gRPC subscriber API (``proto/subscribers.proto``): List, Get, Watch, SetPolicy, Disconnect.

A protocol server only: it is served by the gNMI server's gRPC server (same port, TLS, users and NACM,
:meth:`agent.gnmi.server.GnmiServer.add_service`), decodes requests, authorises them and calls the
subscriber manager (:class:`agent.sessions.api.SessionManagerApi`). docs/subscriber-api.md.
"""

from agent.subapi.service import SERVICE_NAME, subscriber_service

__all__ = ["SERVICE_NAME", "subscriber_service"]
