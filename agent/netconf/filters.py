"""Read parameters common to get, get-config and get-data: filters and with-defaults.

XPath filters (RFC 6241 8.9) come with XML namespace prefixes bound on the ``<filter>`` element;
libyang evaluates XPath with *module names* as prefixes, so each prefix is rewritten to the module
that owns its namespace before the expression reaches the datastore. Subtree filters are passed on as
elements (the datastore evaluates them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from agent.netconf.context import NMDA_NS, WD_NS, child
from agent.netconf.replies import NC_NS, RpcError

WITH_DEFAULTS = ("report-all", "trim", "explicit", "report-all-tagged")
# a prefix: a name followed by ':' that is not part of '::' (an axis) and is followed by a name or '*'
_PREFIX = re.compile(r"(?<![\w.-])([A-Za-z_][\w.-]*):(?=[A-Za-z_*])")
_QUOTED = re.compile(r"('[^']*'|\"[^\"]*\")")


@dataclass
class ReadFilter:
    xpath: str | None = None
    subtree: etree._Element | None = None


def xpath_to_libyang(expr: str, nsmap: dict[str | None, str], ns_modules: dict[str, str]) -> str:
    """Rewrite XML prefixes in ``expr`` to module names (text inside quotes is left alone)."""

    def fix(segment: str) -> str:
        def repl(m: re.Match[str]) -> str:
            prefix = m.group(1)
            ns = nsmap.get(prefix)
            if ns is None:
                if prefix in ns_modules.values():
                    return m.group(0)  # already a module name (JSON-style XPath)
                raise RpcError(f"XPath prefix {prefix!r} is not bound to a namespace", tag="invalid-value")
            module = ns_modules.get(ns)
            if module is None:
                raise RpcError(f"XPath namespace {ns!r} is not a module of this server", tag="invalid-value")
            return module + ":"

        return _PREFIX.sub(repl, segment)

    parts = _QUOTED.split(expr)
    return "".join(p if i % 2 else fix(p) for i, p in enumerate(parts))


def parse_filter(el: etree._Element | None, ns_modules: dict[str, str]) -> ReadFilter:
    """RFC 6241 ``<filter type="subtree|xpath">``."""
    if el is None:
        return ReadFilter()
    ftype = el.get("type") or el.get(f"{{{NC_NS}}}type") or "subtree"
    if ftype == "subtree":
        return ReadFilter(subtree=el)
    if ftype == "xpath":
        select = el.get("select") or el.get(f"{{{NC_NS}}}select")
        if not select:
            raise RpcError(
                "an XPath filter needs a select attribute",
                tag="missing-attribute",
                info={"bad-attribute": "select", "bad-element": "filter"},
            )
        return ReadFilter(xpath=xpath_to_libyang(select, dict(el.nsmap), ns_modules))
    raise RpcError(
        f"unknown filter type {ftype!r}",
        tag="bad-attribute",
        info={"bad-attribute": "type", "bad-element": "filter"},
    )


def parse_nmda_filter(op: etree._Element, ns_modules: dict[str, str]) -> ReadFilter:
    """RFC 8526 get-data: ``<subtree-filter>`` or ``<xpath-filter>``."""
    sub = child(op, "subtree-filter", NMDA_NS)
    xp = child(op, "xpath-filter", NMDA_NS)
    if sub is not None and xp is not None:
        raise RpcError("use either subtree-filter or xpath-filter", tag="invalid-value")
    if sub is not None:
        return ReadFilter(subtree=sub)
    if xp is not None:
        return ReadFilter(xpath=xpath_to_libyang((xp.text or "").strip(), dict(xp.nsmap), ns_modules))
    return ReadFilter()


def with_defaults(op: etree._Element) -> str | None:
    """RFC 6243 ``<with-defaults>``; in ``<get-data>`` YANG puts it in the ietf-netconf-nmda namespace
    (the grouping is used there), and the with-defaults module's namespace is accepted too."""
    el = child(op, "with-defaults", WD_NS)
    if el is None:
        el = child(op, "with-defaults", NMDA_NS)
    if el is None:
        return None
    mode = (el.text or "").strip()
    if mode not in WITH_DEFAULTS:
        raise RpcError(
            f"unsupported with-defaults mode {mode!r}",
            tag="invalid-value",
            info={"bad-element": "with-defaults"},
        )
    return mode
