"""The one way the agent parses XML: every byte from a client is untrusted.

libxml2 (under lxml) will by default happily expand entities (billion laughs), fetch external DTDs
and entities over the network or from local files (XXE), and, with ``huge_tree``, lift its limits on
depth and text size. NETCONF and YANG XML never need any of that, so the parser here resolves no
entities, loads no DTD, touches no network, keeps libxml2's size limits, and documents that carry a
DOCTYPE at all are refused. Every module that parses XML (NETCONF framing, offline validation, tests)
takes its parser from :func:`make_parser` or calls :func:`parse_xml`.
"""

from __future__ import annotations

import re

from lxml import etree

from agent.errors import AgentError

# A DOCTYPE in the prolog (after an optional XML declaration, comments, PIs and white space).
_DOCTYPE = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*)*<!DOCTYPE", re.S)


_POSITION_SUFFIX = re.compile(r", line \d+, column \d+$")


class _RefuseExternal(etree.Resolver):
    """Answers every external DTD/entity request with nothing.

    ``load_dtd=False`` alone does not stop libxml2 from opening a DOCTYPE's external subset (seen
    here: ``<!DOCTYPE a SYSTEM "file:///etc/passwd">`` made it open the file), so the parser also gets
    this resolver, which lxml consults before libxml2's own loader.
    """

    # lxml-stubs lag lxml here: resolve() gets a context argument, resolve_string() takes it positionally.
    def resolve(self, system_url: str, public_id: str, context: object) -> object:  # type: ignore[override]
        return self.resolve_string("", context)  # type: ignore[call-arg]


class XmlSyntaxError(AgentError):
    """Input is not well-formed XML, or uses XML features the agent refuses (DTDs, entities)."""

    default_tag = "malformed-message"
    default_type = "rpc"

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None) -> None:
        info = {}
        if line is not None:
            info["line"] = str(line)
        if column is not None:
            info["column"] = str(column)
        super().__init__(message, info=info)
        self.line = line
        self.column = column


def make_parser(*, remove_blank_text: bool = False) -> etree.XMLParser:
    """A new lxml parser that resolves no entities, loads no DTD, uses no network, keeps size limits.

    Parsers are cheap but not thread-safe; make one per use (or per session) rather than sharing.
    """
    parser = etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_blank_text=remove_blank_text,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    parser.resolvers.add(_RefuseExternal())
    return parser


def parse_xml(data: bytes | str, *, remove_blank_text: bool = False) -> etree._Element:
    """Parse a whole document with :func:`make_parser`; refuse DTDs; raise :class:`XmlSyntaxError`."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if _DOCTYPE.match(data):
        raise XmlSyntaxError("XML with a DOCTYPE is not accepted (no DTDs or entities)", line=1)
    try:
        root = etree.fromstring(data, parser=make_parser(remove_blank_text=remove_blank_text))
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        reason = _POSITION_SUFFIX.sub("", str(exc.msg))  # the position is reported separately
        raise XmlSyntaxError(f"malformed XML: {reason}", line=line, column=column) from exc
    if root is None:
        raise XmlSyntaxError("empty XML document")
    docinfo = root.getroottree().docinfo
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlSyntaxError("XML with a DOCTYPE is not accepted (no DTDs or entities)", line=1)
    return root
