"""The ``<hello>`` the server sends: only capabilities the server really implements.

NMDA servers advertise the YANG library with ``yang-library:1.1`` and its ``content-id`` (RFC 8526
section 2 / RFC 8525) instead of one capability per module; clients then read ``/yang-library`` and
fetch modules with ``<get-schema>`` (RFC 7950 5.6.4: with yang-library:1.1 the modules are
not listed as capabilities). ``writable-running`` edits are transactions of their own (validation, plan,
apply with revert, durable) exactly like a candidate commit.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from agent.netconf.replies import NC_NS

BASE_10 = "urn:ietf:params:netconf:base:1.0"
BASE_11 = "urn:ietf:params:netconf:base:1.1"

SERVER_CAPABILITIES = [
    BASE_10,
    BASE_11,
    "urn:ietf:params:netconf:capability:writable-running:1.0",
    "urn:ietf:params:netconf:capability:candidate:1.0",
    "urn:ietf:params:netconf:capability:confirmed-commit:1.0",
    "urn:ietf:params:netconf:capability:confirmed-commit:1.1",
    "urn:ietf:params:netconf:capability:rollback-on-error:1.0",
    "urn:ietf:params:netconf:capability:validate:1.0",
    "urn:ietf:params:netconf:capability:validate:1.1",
    "urn:ietf:params:netconf:capability:startup:1.0",
    "urn:ietf:params:netconf:capability:xpath:1.0",
    "urn:ietf:params:netconf:capability:with-defaults:1.0?basic-mode=explicit"
    "&also-supported=report-all,report-all-tagged,trim",
    # RFC 8526 3.1.1.2: with-defaults on <get-data> of operational too (same modes)
    "urn:ietf:params:netconf:capability:with-operational-defaults:1.0?basic-mode=explicit"
    "&also-supported=report-all,report-all-tagged,trim",
    "urn:ietf:params:netconf:capability:notification:1.0",
    "urn:ietf:params:netconf:capability:interleave:1.0",
]


def yang_library_capability(content_id: str) -> str:
    return "urn:ietf:params:netconf:capability:yang-library:1.1?revision=2019-01-04&content-id=" + content_id


def capabilities(content_id: str) -> list[str]:
    return [*SERVER_CAPABILITIES, yang_library_capability(content_id)]


def hello(session_id: int, content_id: str) -> bytes:
    caps = "".join(f"<capability>{escape(c)}</capability>" for c in capabilities(content_id))
    return (
        f'<hello xmlns="{NC_NS}"><capabilities>{caps}</capabilities>'
        f"<session-id>{session_id}</session-id></hello>"
    ).encode()
