"""gNMI origins that name a YANG module (what pygnmi and gnmic send for "module:path" strings)."""

from __future__ import annotations

import pytest

from agent.errors import PathError
from agent.model.context import load_model_set
from agent.model.paths import GnmiPath, PathElem, gnmi_to_xpath


@pytest.fixture(scope="module")
def ctx() -> object:
    return load_model_set().ctx


def test_module_origin_qualifies_the_first_element(ctx: object) -> None:
    path = GnmiPath("ietf-interfaces", [PathElem("interfaces"), PathElem("interface", {"name": "e0"})])
    assert gnmi_to_xpath(path, ctx) == "/ietf-interfaces:interfaces/interface[name='e0']"  # type: ignore[arg-type]


def test_module_origin_alone_reads_that_module_but_edits_stay_whole_tree(ctx: object) -> None:
    assert gnmi_to_xpath(GnmiPath("ietf-interfaces", []), ctx) == "/ietf-interfaces:*"  # type: ignore[arg-type]
    edit = gnmi_to_xpath(GnmiPath("ietf-interfaces", []), ctx, allow_wildcards=False)  # type: ignore[arg-type]
    assert edit == "/*"
    assert gnmi_to_xpath(GnmiPath("rfc7951", []), ctx) == "/*"  # type: ignore[arg-type]


def test_origin_of_a_module_that_does_not_define_the_first_element(ctx: object) -> None:
    with pytest.raises(PathError):
        gnmi_to_xpath(GnmiPath("ietf-ip", [PathElem("interfaces")]), ctx)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("origin", "tag"), [("openconfig", "operation-not-supported"), ("nope", "invalid-value")]
)
def test_unserved_and_unknown_origins(ctx: object, origin: str, tag: str) -> None:
    with pytest.raises(PathError) as info:
        gnmi_to_xpath(GnmiPath(origin, [PathElem("interfaces")]), ctx)  # type: ignore[arg-type]
    assert info.value.tag == tag
