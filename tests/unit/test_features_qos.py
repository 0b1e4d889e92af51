"""The QoS feature's mapping without VPP: profile -> VPP policer configuration (per type, what VPP's
software policer does with each field), interface attachments -> items, calls, and session builders."""

from __future__ import annotations

from typing import Any

import pytest
from _feature_helpers import P0, P1, calls, interfaces, items_of, port, value

from agent.features import registry
from agent.features.qos import keys, session
from agent.features.qos.compile import compile_profile
from agent.features.qos.descriptors import PolicerDescriptor
from agent.features.qos.items import NAME_MAX, policer_name
from agent.features.qos.values import (
    DROP,
    MARK_AND_TRANSMIT,
    TRANSMIT,
    Action,
    PolicerAttachValue,
    PolicerValue,
)
from agent.vpp.config import ConfigIndex, RootId
from agent.vpp.items import HandleRef, Item


def qos(*profiles: dict[str, Any]) -> dict[str, Any]:
    return {"bng-qos:qos": {"profile": list(profiles)}}


def policed(name: str = P0, **directions: str) -> dict[str, Any]:
    return port(name, **{"bng-qos:qos": {f"{d}-profile": p for d, p in directions.items()}})


GOLD = {"name": "gold", "type": "1r2c", "cir": "100000", "cbs": 125000}


def test_1r2c_sends_its_exceed_action_as_vpps_violate_too() -> None:
    """VPP's one-rate policer with eb = 0 never has tokens in its second bucket: a non-conforming packet
    is VPP's *violate*, so the profile's exceed action must be VPP's violate action as well."""
    cfg = compile_profile({**GOLD, "exceed": {"action": "mark-and-transmit", "dscp": 10}})
    assert (cfg.type, cfg.cir, cfg.eir, cfg.cb, cfg.eb) == (0, 100000, 0, 125000, 0)
    assert cfg.conform == Action(TRANSMIT)
    assert cfg.exceed == cfg.violate == Action(MARK_AND_TRANSMIT, 10)


def test_1r3c_is_sent_as_a_two_rate_policer_with_pir_equal_to_cir() -> None:
    """RFC 2697 on VPP's RFC 2698 code: both buckets fill at CIR, the second holds CBS + EBS, so it runs
    ahead of the first by what overflowed it. (VPP's own 1R3C code wraps its u32 second bucket after a
    yellow packet and refills it, docs/qos.md.)"""
    cfg = compile_profile({"name": "p", "type": "1r3c", "cir": "8000", "cbs": 10000, "pbs": 20000})
    assert (cfg.type, cfg.cir, cfg.eir, cfg.cb, cfg.eb) == (2, 8000, 8000, 10000, 30000)
    assert cfg.violate == Action(DROP)


def test_two_rate_types_send_peak_rate_and_burst_as_given() -> None:
    for kind, vpp_type in (("2r3c", 2), ("2r3c-rfc4115", 3)):
        cfg = compile_profile(
            {
                "name": "p",
                "type": kind,
                "cir": "20000",
                "pir": "50000",
                "violate": {"action": "transmit"},
                "colour-aware": True,
            }
        )
        assert (cfg.type, cfg.cir, cfg.eir, cfg.cb, cfg.eb) == (vpp_type, 20000, 50000, 16000, 32000)
        assert cfg.violate == Action(TRANSMIT) and cfg.color_aware


def test_an_attached_profile_makes_one_policer_per_interface_and_direction() -> None:
    items = items_of({**qos(GOLD), **interfaces(policed(P0, input="gold", output="gold"), policed(P1))})
    pin = value(items[keys.policer(P0, "input")], PolicerValue)
    pout = value(items[keys.policer(P0, "output")], PolicerValue)
    assert pin.name == f"bng-agent:{P0}/in" and pout.name == f"bng-agent:{P0}/out"
    assert pin.config == pout.config == compile_profile(GOLD)
    attach = items[keys.attachment(P0, "output")]
    assert value(attach, PolicerAttachValue) == PolicerAttachValue(P0, True, pout.name)
    assert attach.deps == (keys.policer(P0, "output"), f"interface/{P0}") and attach.owner == P0
    assert calls(attach) == (
        f"policer_output(name={pout.name}, sw_if_index=<{P0}>, apply=True)",
        f"policer_output(name={pout.name}, sw_if_index=<{P0}>, apply=False)",
    )
    assert not [k for k in items if P1 in k and k.startswith("qos-")]


def test_policer_calls_name_it_by_the_index_vpp_returned() -> None:
    items = items_of({**qos(GOLD), **interfaces(policed(P0, input="gold"))})
    it = items[keys.policer(P0, "input")]
    d = PolicerDescriptor()
    create = d.create(it)
    ref = HandleRef(it.key)
    assert create.msg == "policer_add" and create.binds_handle == (it.key, "policer_index")
    assert create.args["infos"]["rate_type"] == 0 and create.args["infos"]["cir"] == 100000
    delete = d.delete(it)
    assert delete.args == {"policer_index": ref} and delete.unbinds_handle == it.key


def test_a_profile_change_updates_every_policer_in_place() -> None:
    doc = {**qos(GOLD), **interfaces(*(policed(f"{P0}.{i}", input="gold") for i in range(1, 4)))}
    before = items_of(doc)
    after = items_of({**doc, **qos({**GOLD, "cir": "200000"})})
    d = PolicerDescriptor()
    changed = [k for k in after if before[k] != after[k]]
    assert sorted(changed) == sorted(keys.policer(f"{P0}.{i}", "input") for i in range(1, 4))
    for k in changed:
        up = d.update(before[k], after[k])  # type: ignore[arg-type]
        assert up is not None and up.msg == "policer_update" and up.args["infos"]["cir"] == 200000


def test_interfaces_read_their_profiles() -> None:
    entry = policed(P0, input="gold", output="silver")
    refs = list(registry.ROOTS.references(RootId("if", P0), entry))
    assert keys.root("gold") in refs and keys.root("silver") in refs


def test_long_interface_names_get_a_policer_name_vpp_accepts() -> None:
    long = "GigabitEthernet0/8/0." + "9" * 60
    name = policer_name(long, "output")
    assert len(name.encode()) <= NAME_MAX and name.startswith("bng-agent:h:") and name.endswith("/out")
    assert name != policer_name(long + "1", "output")


def test_session_items_are_the_configured_attachment_with_session_origin() -> None:
    cfg = ConfigIndex.from_json({**qos(GOLD), **interfaces(port())}, registry.ROOTS)
    items = session.session_items(f"{P0}.77", "gold", None, cfg)
    assert [it.key for it in items] == [
        keys.policer(f"{P0}.77", "input"),
        keys.attachment(f"{P0}.77", "input"),
    ]
    assert all(it.origin == "session" for it in items)
    assert set(session.session_keys(f"{P0}.77")) >= {it.key for it in items}
    with pytest.raises(session.UnknownProfileError):
        session.session_items(f"{P0}.77", None, "missing", cfg)
    assert session.sessions_using("gold", {"a": ("gold", None), "b": (None, "x")}) == ["a"]


def test_retrieved_and_configured_policers_compare_equal() -> None:
    """What reconcile reads back from policer_dump is built into the same value."""
    from types import SimpleNamespace as NS

    from agent.features.qos.retrieve import config_of

    cfg = compile_profile({**GOLD, "conform": {"action": "mark-and-transmit", "dscp": 46}})
    api = cfg.api()
    d = NS(
        **{k: v for k, v in api.items() if not k.endswith("_action")},
        conform_action=NS(**api["conform_action"]),
        exceed_action=NS(**api["exceed_action"]),
        violate_action=NS(**api["violate_action"]),
    )
    assert config_of(d) == cfg
    item: Item[PolicerValue] = Item("k", PolicerValue("n", cfg))
    assert PolicerDescriptor().equivalent(item, Item("k", PolicerValue("n", config_of(d))))
