"""Which committed changes an ON_CHANGE subscription must see, and data-path splitting."""

from __future__ import annotations

import pytest

from agent.gnmi.datapath import split_data_path, split_last
from agent.gnmi.matching import CONTAINS, INSIDE, relation, split_pattern

IF = "/ietf-interfaces:interfaces/interface"


def test_split_data_path_handles_quotes_slashes_and_modules() -> None:
    path = "/ietf-interfaces:interfaces/interface[name='Gi0/8/0.100']/ietf-ip:ipv4/address[ip=\"10.0.0.1\"]"
    assert split_data_path(path) == (
        ("ietf-interfaces:interfaces", ()),
        ("interface", (("name", "Gi0/8/0.100"),)),
        ("ietf-ip:ipv4", ()),
        ("address", (("ip", "10.0.0.1"),)),
    )
    assert split_data_path("/a:b[k='it\"s']") == (("a:b", (("k", 'it"s'),)),)


def test_split_last_ignores_slashes_inside_keys() -> None:
    assert split_last(f"{IF}[name='a/b']/description") == (f"{IF}[name='a/b']", "description")
    assert split_last(f"{IF}[name='a/b']") == ("/ietf-interfaces:interfaces", "interface[name='a/b']")


@pytest.mark.parametrize(
    ("change", "pattern", "expected"),
    [
        # change below the subscribed node: everything it touched is wanted
        (f"{IF}[name='e0']/description", f"{IF}", INSIDE),
        (f"{IF}[name='e0']/description", f"{IF}[name='e0']", INSIDE),
        # a created entry that contains the subscribed leaf
        (f"{IF}[name='e0']", f"{IF}/description", CONTAINS),
        (f"{IF}[name='e0']", f"{IF}[name='e0']/description", CONTAINS),
        # other entries, other leaves and other modules are not wanted
        (f"{IF}[name='e1']/description", f"{IF}[name='e0']/description", None),
        (f"{IF}[name='e0']/mtu", f"{IF}/description", None),
        ("/ietf-system:system/hostname", f"{IF}", None),
        # wildcards: '*' element, and '...' (descendants) at any depth
        (f"{IF}[name='e0']/description", f"{IF}/*", INSIDE),
        (
            f"{IF}[name='e0']/ietf-ip:ipv4/address[ip='1.1.1.1']",
            "/ietf-interfaces:interfaces//address",
            INSIDE,
        ),
        (f"{IF}[name='e0']", "/ietf-interfaces:interfaces//address", CONTAINS),
        ("/ietf-system:system/hostname", "/*", INSIDE),
    ],
)
def test_relation(change: str, pattern: str, expected: str | None) -> None:
    assert relation(change, split_pattern(pattern)) == expected
