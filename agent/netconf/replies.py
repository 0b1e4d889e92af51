"""Encoding ``<rpc-reply>``: ok, data, and ``rpc-error`` from :class:`agent.errors.AgentError`.

RFC 6241 section 4.2: the reply copies every attribute of the ``<rpc>`` element (message-id and any
others the client added) so a client can match replies to requests. Errors are encoded from the
:class:`~agent.errors.ErrorDetail` list every layer's exceptions carry (Appendix A: error-type,
error-tag, error-severity, error-app-tag, error-path, error-message, error-info).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from xml.sax.saxutils import escape, quoteattr

from agent.errors import AgentError, ErrorDetail

NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
# error-info children defined by RFC 6241 Appendix A live in the base namespace.
_BASE_INFO = {
    "session-id",
    "bad-attribute",
    "bad-element",
    "bad-namespace",
    "ok-element",
    "err-element",
    "noop-element",
}


class RpcError(AgentError):
    """An error raised by the NETCONF layer itself (bad rpc envelope, unknown operation, ...)."""

    default_tag = "operation-failed"
    default_type = "protocol"


def _attrs(rpc_attrs: Mapping[str, str]) -> str:
    """Attributes in lxml's form; namespaced ones (``{uri}name``, RFC 6241 4.2's ``ex:user-id``) get a
    prefix declared next to them."""
    out: list[str] = []
    prefixes: dict[str, str] = {}
    for key, value in rpc_attrs.items():
        if key.startswith("{"):
            uri, local = key[1:].split("}", 1)
            if uri not in prefixes:
                prefixes[uri] = f"a{len(prefixes)}"
                out.append(f" xmlns:{prefixes[uri]}={quoteattr(uri)}")
            out.append(f" {prefixes[uri]}:{local}={quoteattr(value)}")
        else:
            out.append(f" {key}={quoteattr(value)}")
    return "".join(out)


def _open(rpc_attrs: Mapping[str, str], extra_ns: str = "") -> str:
    return f'<rpc-reply xmlns="{NC_NS}"{extra_ns}{_attrs(rpc_attrs)}>'


def ok_reply(rpc_attrs: Mapping[str, str]) -> bytes:
    return (_open(rpc_attrs) + "<ok/></rpc-reply>").encode()


def data_reply(rpc_attrs: Mapping[str, str], inner_xml: str, *, wrapper: str = "data", ns: str = "") -> bytes:
    """A reply with ``<data>`` (or another element) holding ``inner_xml`` (already serialised XML)."""
    xmlns = f' xmlns="{ns}"' if ns else ""
    return (_open(rpc_attrs) + f"<{wrapper}{xmlns}>{inner_xml}</{wrapper}></rpc-reply>").encode()


def raw_reply(rpc_attrs: Mapping[str, str], body_xml: str) -> bytes:
    """A reply whose body is arbitrary serialised XML (an RPC's output elements)."""
    return (_open(rpc_attrs) + body_xml + "</rpc-reply>").encode()


_PATH_PREFIX = re.compile(r"(?<![\w.-])([A-Za-z_][\w.-]*):(?=[A-Za-z_*])")
_QUOTED = re.compile(r"('[^']*'|\"[^\"]*\")")


def _path_namespaces(path: str, module_ns: Mapping[str, str]) -> str:
    """xmlns declarations for the module-name prefixes of an error-path (libyang writes instance
    paths with module names as prefixes): RFC 6241 Appendix A evaluates error-path with the namespace
    declarations in scope, so each prefix is bound to its module's namespace on the element itself."""
    prefixes: dict[str, str] = {}
    for i, part in enumerate(_QUOTED.split(path)):
        if i % 2:
            continue  # a literal
        for m in _PATH_PREFIX.finditer(part):
            ns = module_ns.get(m.group(1))
            if ns is not None:
                prefixes[m.group(1)] = ns
    return "".join(f" xmlns:{p}={quoteattr(ns)}" for p, ns in sorted(prefixes.items()))


def error_xml(detail: ErrorDetail, module_ns: Mapping[str, str] | None = None) -> str:
    parts = [
        "<rpc-error>",
        f"<error-type>{escape(detail.error_type)}</error-type>",
        f"<error-tag>{escape(detail.tag)}</error-tag>",
        f"<error-severity>{escape(detail.severity)}</error-severity>",
    ]
    if detail.app_tag:
        parts.append(f"<error-app-tag>{escape(detail.app_tag)}</error-app-tag>")
    info = dict(detail.info)
    if detail.path and detail.path.startswith("/"):
        decls = _path_namespaces(detail.path, module_ns) if module_ns else ""
        parts.append(f"<error-path{decls}>{escape(detail.path)}</error-path>")
    elif detail.path:
        # not an instance path (a data-plane item key such as ``address/<if>/<prefix>``): error-path is
        # an XPath (RFC 6241 Appendix A), so the key goes to error-info
        info.setdefault("item", detail.path)
    if detail.message:
        parts.append(f'<error-message xml:lang="en">{escape(detail.message)}</error-message>')
    if info:
        parts.append("<error-info>")
        for key, value in info.items():
            if not _is_ncname(key):
                continue
            if key in _BASE_INFO:
                parts.append(f"<{key}>{escape(value)}</{key}>")
            else:
                parts.append(f'<{key} xmlns="urn:bng-agent:error-info">{escape(value)}</{key}>')
        parts.append("</error-info>")
    parts.append("</rpc-error>")
    return "".join(parts)


def error_reply(
    rpc_attrs: Mapping[str, str],
    error: AgentError | list[ErrorDetail],
    module_ns: Mapping[str, str] | None = None,
) -> bytes:
    """``module_ns`` (module name -> namespace) binds the prefixes of error-paths."""
    details = error.details if isinstance(error, AgentError) else error
    body = "".join(error_xml(d, module_ns) for d in details)
    return (_open(rpc_attrs) + body + "</rpc-reply>").encode()


def warnings_xml(details: list[ErrorDetail], module_ns: Mapping[str, str] | None = None) -> str | None:
    """The body of a reply to an operation that succeeded with warnings, or None for a plain ``<ok/>``.

    RFC 6241 section 4.4 sends ``<ok/>`` only "if no errors or warnings occurred"; otherwise the reply
    carries the ``<rpc-error>`` elements, here each with ``error-severity`` warning.
    """
    if not details:
        return None
    return "".join(error_xml(d, module_ns) for d in details)


def _is_ncname(name: str) -> bool:
    return (
        bool(name) and (name[0].isalpha() or name[0] == "_") and all(c.isalnum() or c in "-_." for c in name)
    )
