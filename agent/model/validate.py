"""Full YANG validation of configuration documents, with errors a person can act on.

The same functions serve ``bng-agent validate FILE...`` (offline, before a change is pushed) and the
agent itself (startup files, ``<copy-config>``/``<edit-config>`` payloads, gNMI JSON-IETF values), so
what passes here passes there.

Accepted documents:

* XML: a NETCONF ``<config>`` (RFC 6241 edit-config/copy-config) or ``<data>`` (a ``<get-config>`` or
  ``<get-data>`` reply) element, or bare top-level data nodes (several siblings are fine, as yanglint
  accepts them).
* JSON-IETF (RFC 7951), optionally wrapped in ``{"ietf-restconf:data": ...}`` as RESTCONF prints it.

Validation is strict: unknown elements, wrong namespaces, state (``config false``) nodes, bad values,
missing keys, ``must``/``when``/``unique``/``mandatory`` and dangling leafrefs are all errors. The XML is
first read with the agent's safe parser (:mod:`agent.model.xmlsafe`), so malformed input is reported with
its line, and DTDs/entities never reach libyang.

libyang's error records are read directly (not through the binding's string-joining ``Context.error``),
so each :class:`Problem` keeps the instance path and the line separately.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import libyang
from _libyang import ffi, lib
from lxml import etree

from agent.errors import ErrorDetail, ValidationError
from agent.model import libyang_c
from agent.model.xmlsafe import XmlSyntaxError, parse_xml

NETCONF_BASE_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
NMDA_NS = "urn:ietf:params:xml:ns:yang:ietf-netconf-nmda"
_WRAPPERS = {(NETCONF_BASE_NS, "config"), (NETCONF_BASE_NS, "data"), (NMDA_NS, "data")}
_RESTCONF_DATA = "ietf-restconf:data"


@dataclass(frozen=True)
class Problem:
    """One reason a document is invalid."""

    message: str
    path: str | None = None  # instance (data) path, or schema path when no instance exists
    line: int | None = None
    column: int | None = None
    tag: str = "invalid-value"  # NETCONF error-tag a server would use

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}" + (f", column {self.column}" if self.column else ""))
        if self.path:
            where.append(self.path)
        return f"{' '.join(where)}: {self.message}" if where else self.message

    def detail(self) -> ErrorDetail:
        info = {"line": str(self.line)} if self.line is not None else {}
        return ErrorDetail(tag=self.tag, message=self.message, path=self.path, info=info)


class ConfigInvalid(ValidationError):
    """A configuration document failed parsing or YANG validation; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(
            first.message, tag=first.tag, path=first.path, details=[p.detail() for p in problems]
        )


def detect_format(data: bytes, name: str = "") -> str:
    """``"xml"`` or ``"json"`` from the file name, else from the first significant character."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xml":
        return "xml"
    if suffix == ".json":
        return "json"
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "json" if head in (b"{", b"[") else "xml"


def parse_config(
    data: bytes | str, fmt: str | None = None, ctx: libyang.Context | None = None
) -> libyang.DNode | None:
    """Parse and fully validate configuration ``data``; return the tree (``None`` when empty).

    The caller owns the returned tree and must ``free()`` it. Raises :class:`ConfigInvalid`.
    """
    if ctx is None:
        from agent.model.context import load_model_set

        ctx = load_model_set().ctx
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fmt = fmt or detect_format(raw)
    if fmt == "xml":
        text = _xml_payload(raw)
        ly_fmt = lib.LYD_XML
    elif fmt == "json":
        text = _json_payload(raw)
        ly_fmt = lib.LYD_JSON
    else:
        raise ValueError(f"unknown data format {fmt!r}")
    if not text or text.isspace():
        return None
    try:
        return _libyang_parse(ctx, text, ly_fmt)
    except ConfigInvalid as exc:
        problem = _json_problem(text) if ly_fmt == lib.LYD_JSON else None
        if problem is not None:
            raise ConfigInvalid([problem]) from exc
        raise


def check_config(
    data: bytes | str, fmt: str | None = None, ctx: libyang.Context | None = None
) -> list[Problem]:
    """The problems in ``data`` (empty when it is valid)."""
    try:
        tree = parse_config(data, fmt, ctx)
    except ConfigInvalid as exc:
        return exc.problems
    if tree is not None:
        tree.free()
    return []


def check_file(path: str | Path, ctx: libyang.Context | None = None) -> list[Problem]:
    """The problems in the file at ``path`` (``-``: standard input); an unreadable file is one problem,
    not an exception."""
    p = Path(path)
    try:
        raw = sys.stdin.buffer.read() if str(path) == "-" else p.read_bytes()
    except OSError as exc:
        return [Problem(f"cannot read file: {exc.strerror or exc}", tag="operation-failed")]
    return check_config(raw, detect_format(raw, p.name), ctx)


def extended_context(yang_dirs: list[Path], modules: list[str]) -> libyang.Context:
    """A new context with the agent's model set plus ``modules`` found in ``yang_dirs``.

    For offline checks of data that uses a controller's own augmentations or test modules; the
    agent's model set itself is built the same way (same modules, same features).
    """
    from agent.errors import ModelError
    from agent.model.context import _load_with_features, search_path
    from agent.model.modules import PROJECT_MODULES, STANDARD_MODULES

    for d in yang_dirs:
        if not d.is_dir():
            raise ModelError(f"YANG directory {d} does not exist")
    path = ":".join([*(str(d) for d in yang_dirs), search_path()])
    ctx = libyang.Context(path, disable_searchdir_cwd=True)
    wanted = [*STANDARD_MODULES.items(), *((name, ["*"]) for name in PROJECT_MODULES)]
    wanted += [(name, ["*"]) for name in modules]
    for name, features in wanted:
        _load_with_features(ctx, name, features)
    return ctx


# --------------------------------------------------------------------------------------------------------
# input shapes


def _xml_payload(raw: bytes) -> str:
    """The data nodes of an XML document as text whose elements sit on their original lines."""
    try:
        root = parse_xml(raw)
        nodes = [root]
    except XmlSyntaxError as exc:
        if "Extra content at the end of the document" not in exc.message:
            raise ConfigInvalid([_xml_problem(exc)]) from exc
        # Several top-level data nodes: read them inside a synthetic root on the same line.
        try:
            wrapped = parse_xml(_wrap(raw))
        except XmlSyntaxError as exc2:
            raise ConfigInvalid([_xml_problem(exc2)]) from exc2
        nodes = list(wrapped)
    if len(nodes) == 1 and (etree.QName(nodes[0]).namespace, etree.QName(nodes[0]).localname) in _WRAPPERS:
        if len(nodes[0]) == 0:
            return ""
        sliced = _slice_wrapper(raw, nodes[0])
        if sliced is not None:
            return sliced
        nodes = list(nodes[0])
    elif len(nodes) == 1 and etree.QName(nodes[0]).namespace is not None:
        # Bare data with one top-level node: the (already vetted) text itself, nothing re-serialised.
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    if len(nodes) == 1 and etree.QName(nodes[0]).localname in ("config", "data") and not nodes[0].nsmap:
        raise ConfigInvalid(
            [
                Problem(
                    f"<{etree.QName(nodes[0]).localname}> needs the NETCONF namespace {NETCONF_BASE_NS}",
                    line=_source_line(nodes[0]),
                    tag="unknown-namespace",
                )
            ]
        )
    # Keep each element on its source line so libyang's line numbers are the file's.
    out: list[str] = []
    line = 1
    for node in nodes:
        if not isinstance(node.tag, str):
            continue  # comments, processing instructions
        start = _source_line(node) or line
        if start > line:
            out.append("\n" * (start - line))
            line = start
        text = etree.tostring(node, encoding="unicode", with_tail=False)
        out.append(text)
        line += text.count("\n")
    return "".join(out)


_WRAPPER_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*)*<(?:[\w.-]+:)?(?:config|data)\b[^>]*>", re.S
)
_WRAPPER_END = re.compile(rb"</(?:[\w.-]+:)?(?:config|data)\s*>\s*$")


def _slice_wrapper(raw: bytes, wrapper: etree._Element) -> str | None:
    """The text between ``<config>`` and ``</config>``, the start tag blanked so lines stay put.

    Copying bytes is much cheaper than re-serialising a large tree (8 MB: ~0.1 s saved). Only done when
    the wrapper declares nothing but its own default namespace, so no child depends on a prefix
    declared on it; otherwise ``None`` (the caller re-serialises the children).
    """
    if set(wrapper.nsmap) != {None}:
        return None
    start = _WRAPPER_START.match(raw)
    close = raw.rfind(b"</")
    end = _WRAPPER_END.match(raw, close) if close >= 0 else None
    if start is None or end is None or end.start() < start.end():
        return None
    head = re.sub(rb"[^\n]", b" ", raw[: start.end()])
    try:
        return (head + raw[start.end() : end.start()]).decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _source_line(node: etree._Element) -> int | None:
    line = getattr(node, "sourceline", None)  # lxml-stubs mistype this attribute
    return int(line) if line else None


def _wrap(raw: bytes) -> bytes:
    """``raw`` inside ``<wrapper>`` without moving any line (after an XML declaration, if present)."""
    body = raw
    decl = b""
    stripped = raw.lstrip(b"\xef\xbb\xbf")
    if stripped.startswith(b"<?xml"):
        end = stripped.find(b"?>") + 2
        decl, body = stripped[:end], stripped[end:]
    return decl + b"<wrapper>" + body + b"</wrapper>"


def _xml_problem(exc: XmlSyntaxError) -> Problem:
    return Problem(exc.message, line=exc.line, column=exc.column, tag="malformed-message")


_RESTCONF_HEAD = re.compile(r'^\s*\{\s*"ietf-restconf:data"\s*:')


def _json_payload(raw: bytes) -> str:
    """The JSON-IETF text for libyang; only a RESTCONF ``ietf-restconf:data`` wrapper is decoded here."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigInvalid([Problem(f"not UTF-8: {exc.reason}", tag="malformed-message")]) from exc
    if _RESTCONF_HEAD.match(text):
        problem = _json_problem(text)
        if problem is not None:
            raise ConfigInvalid([problem])
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError):
            return text  # libyang reports it
        if list(doc) == [_RESTCONF_DATA] and isinstance(doc[_RESTCONF_DATA], dict):
            return json.dumps(doc[_RESTCONF_DATA])
    return text


def _json_problem(text: str) -> Problem | None:
    """A precise syntax/shape problem (with line and column) in ``text``, if it has one.

    Run only after libyang rejected the document (json.loads of a large document costs ~0.1 s), so
    malformed JSON is reported by position rather than by libyang's less specific message.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return Problem(
            f"malformed JSON: {exc.msg}", line=exc.lineno, column=exc.colno, tag="malformed-message"
        )
    except RecursionError:
        return None  # nested deeper than Python's parser goes; libyang's own message stands
    if not isinstance(doc, dict):
        return Problem(
            "JSON-IETF data must be an object of module-qualified members", line=1, tag="malformed-message"
        )
    for member in doc:
        if ":" not in member:
            return Problem(
                f"top-level member {member!r} must be module-qualified (RFC 7951 section 4)",
                path=f"/{member}",
                tag="unknown-namespace",
            )
    return None


# --------------------------------------------------------------------------------------------------------
# libyang


def _libyang_parse(ctx: libyang.Context, text: str, ly_fmt: int) -> libyang.DNode | None:
    """Strict parse, then full validation as a separate step so a failed validation still has the
    tree at hand to turn schema locations (e.g. a missing mandatory leaf) into instance paths."""
    # Ask libyang to record the data path of each error. The Python binding turns that off when it
    # configures logging (no callback, errors stored in the context); this keeps that and sets the flag.
    libyang_c.record_error_paths()
    lib.ly_err_clean(ctx.cdata, ffi.NULL)
    buf = ffi.new("char[]", text.encode("utf-8"))
    inp = ffi.new("struct ly_in **")
    if lib.ly_in_new_memory(buf, inp) != lib.LY_SUCCESS:
        raise ConfigInvalid([Problem("cannot read input", tag="operation-failed")])
    tree = ffi.new("struct lyd_node **")
    try:
        ret = lib.lyd_parse_data(
            ctx.cdata,
            ffi.NULL,
            inp[0],
            ly_fmt,
            lib.LYD_PARSE_STRICT | lib.LYD_PARSE_NO_STATE | lib.LYD_PARSE_ONLY,
            0,
            tree,
        )
    finally:
        lib.ly_in_free(inp[0], 0)
    if ret == lib.LY_SUCCESS:
        ret = lib.lyd_validate_all(tree, ctx.cdata, lib.LYD_VALIDATE_NO_STATE, ffi.NULL)
    if ret != lib.LY_SUCCESS:
        problems = _collect_errors(ctx)
        if tree[0] != ffi.NULL:
            problems = [_instance_problem(ctx, tree[0], p) for p in problems]
            lib.lyd_free_all(tree[0])
        raise ConfigInvalid(problems or [Problem("invalid data (libyang gave no reason)")])
    lib.ly_err_clean(ctx.cdata, ffi.NULL)
    if tree[0] == ffi.NULL:
        return None
    return libyang.DNode.new(ctx, tree[0])


_MANDATORY = re.compile(r'Mandatory node "(?P<name>[^"]+)" instance does not exist')


def _instance_problem(ctx: libyang.Context, tree: object, problem: Problem) -> Problem:
    """Replace the schema path of a missing-mandatory error with the path of the instance lacking it."""
    m = _MANDATORY.search(problem.message)
    if not m or not problem.path or "[" in problem.path:
        return problem
    parent, _, child = problem.path.rpartition("/")
    if not parent:
        return problem
    found = ffi.new("struct ly_set **")
    if lib.lyd_find_xpath(tree, f"{parent}[not({child})]".encode(), found) != lib.LY_SUCCESS:
        lib.ly_err_clean(ctx.cdata, ffi.NULL)
        return problem
    try:
        if found[0].count == 0:
            return problem
        raw = lib.lyd_path(found[0].dnodes[0], lib.LYD_PATH_STD, ffi.NULL, 0)
        try:
            where = ffi.string(raw).decode()
        finally:
            lib.free(raw)
    finally:
        lib.ly_set_free(found[0], ffi.NULL)
    return Problem(problem.message, path=f"{where}/{child}", line=problem.line, tag=problem.tag)


# libyang validation error codes (LY_VECODE) -> NETCONF error-tag.
_TAG_FOR_VECODE = {
    lib.LYVE_SYNTAX: "malformed-message",
    lib.LYVE_SYNTAX_XML: "malformed-message",
    lib.LYVE_SYNTAX_JSON: "malformed-message",
    lib.LYVE_REFERENCE: "invalid-value",
    lib.LYVE_DATA: "invalid-value",
}


def _collect_errors(ctx: libyang.Context) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str | None]] = set()
    for err in libyang_c.errors(ctx.cdata):
        path = err.path
        tag = _tag_for(err.message, err.vecode)
        if (err.message, path) not in seen:
            seen.add((err.message, path))
            message = f"{err.message} ({err.apptag})" if err.apptag else err.message
            problems.append(Problem(message, path=path, line=err.line, tag=tag))
    lib.ly_err_clean(ctx.cdata, ffi.NULL)
    return problems


def _tag_for(message: str, vecode: int) -> str:
    if "not found as a child" in message or "Unexpected data state node" in message:
        return "unknown-element"
    if "No module with namespace" in message or "No module named" in message:
        return "unknown-namespace"
    if "List instance is missing its key" in message or "Mandatory node" in message:
        return "missing-element"
    if "Duplicate instance" in message:
        return "data-exists"
    return _TAG_FOR_VECODE.get(vecode, "invalid-value")
