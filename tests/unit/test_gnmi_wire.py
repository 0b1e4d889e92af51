"""Hand-encoded Subscribe responses decode with a standard gNMI client's protobuf classes.

pygnmi's own generated gNMI classes (an independent copy of gnmi.proto) decode what
:mod:`agent.gnmi.wire` writes, so a collector sees exactly the typed values, prefixes and paths the
server meant; the leaves come from a real libyang tree through :class:`agent.gnmi.flatten.Flattener`.
"""

from __future__ import annotations

import json

from pygnmi.spec.v080 import gnmi_pb2

from agent.datastore.store import Datastores
from agent.datastore.tree import DataTree, find_xpath
from agent.gnmi import wire
from agent.gnmi.flatten import Flattener
from agent.gnmi.matching import split_pattern
from agent.model import load_model_set

IFS = "ietf-interfaces:interfaces"


def _tree() -> DataTree:
    """An operational tree (config and state) as the datastore builds it for a read."""
    ds = Datastores(load_model_set())
    doc = {
        IFS: {
            "interface": [
                {
                    "name": "Gi0/8/0",
                    "type": "iana-if-type:ethernetCsmacd",
                    "description": "uplink",
                    "enabled": False,
                    "oper-status": "up",
                    "statistics": {
                        "discontinuity-time": "2026-01-01T00:00:00Z",
                        "in-octets": "18446744073709551615",
                        "in-errors": 7,
                    },
                }
            ]
        }
    }
    ds.operational.register(f"/{IFS}", lambda: doc)
    return ds.read_tree("operational", config_only=False)


def _decode(messages: list[bytes]) -> list[object]:
    return [gnmi_pb2.SubscribeResponse.FromString(m) for m in messages]


def test_flattened_leaves_carry_paths_and_yang_types() -> None:
    tree = _tree()
    flat = Flattener(tree.ctx)
    out: list[tuple[str, str, object, int, bool]] = []
    assert flat.select(find_xpath(tree.root, f"/{IFS}"), split_pattern(f"/{IFS}/interface/statistics"), out)
    by_name = {name: (parent, value, kind) for parent, name, value, kind, _ in out}
    assert by_name["in-octets"] == (
        f"/{IFS}/interface[name='Gi0/8/0']/statistics",
        "18446744073709551615",
        wire.K_UINT,
    )
    assert by_name["in-errors"][1:] == (7, wire.K_UINT)
    # XPath evaluation per node gives the same leaves as pattern navigation
    again: list[tuple[str, str, object, int, bool]] = []
    for node in find_xpath(tree.root, f"/{IFS}/interface/statistics"):
        flat.node(node, again)
    assert sorted(again) == sorted(out)


def test_proto_encoded_notification_decodes_with_typed_values() -> None:
    prefix = wire.path_bytes(f"/{IFS}")
    rel = wire.elems_bytes((("interface", (("name", "Gi0/8/0"),)), ("statistics", ())))
    ups = [
        wire.update_with(
            wire.update_path_field(rel, "in-octets"),
            wire.typed(wire.K_UINT, "18446744073709551615", False, wire.ENC_PROTO),
        ),
        wire.update_with(
            wire.update_path_field(rel, "mtu"), wire.typed(wire.K_INT, -5, False, wire.ENC_PROTO)
        ),
        wire.update_with(
            wire.update_path_field(rel, "enabled"), wire.typed(wire.K_BOOL, False, False, wire.ENC_PROTO)
        ),
        wire.update_with(
            wire.update_path_field(rel, "descr"), wire.typed(wire.K_STR, "é/x", False, wire.ENC_PROTO)
        ),
        wire.update_with(
            wire.update_path_field(rel, "ll"), wire.typed(wire.K_UINT, [1, 2], True, wire.ENC_PROTO)
        ),
    ]
    deletes = [wire.path_bytes(f"/{IFS}/interface[name='old']")]
    (resp,) = _decode([wire.notification(123, prefix, ups, deletes)])
    note = resp.update
    assert note.timestamp == 123
    assert [e.name for e in note.prefix.elem] == [IFS]
    first = note.update[0]
    assert [e.name for e in first.path.elem] == ["interface", "statistics", "in-octets"]
    assert dict(first.path.elem[0].key) == {"name": "Gi0/8/0"}
    assert first.val.uint_val == 18446744073709551615
    assert note.update[1].val.int_val == -5
    assert note.update[2].val.WhichOneof("value") == "bool_val" and note.update[2].val.bool_val is False
    assert note.update[3].val.string_val == "é/x"
    assert [v.uint_val for v in note.update[4].val.leaflist_val.element] == [1, 2]
    assert dict(note.delete[0].elem[1].key) == {"name": "old"}
    (sync,) = _decode([wire.SYNC])
    assert sync.sync_response is True


def test_json_ietf_encoding_keeps_rfc7951_values() -> None:
    body = wire.typed(wire.K_UINT, "18446744073709551615", False, wire.ENC_JSON_IETF)
    (resp,) = _decode(
        [wire.notification(1, None, [wire.update_with(wire.update_path_field(b"", "x"), body)], [])]
    )
    assert json.loads(resp.update.update[0].val.json_ietf_val) == "18446744073709551615"
