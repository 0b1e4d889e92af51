"""The second item source (run-time items such as sessions' objects) without VPP: pending until what they
need exists, removed first when configuration takes it away, never mixed up with configuration."""

from __future__ import annotations

import pytest
from _feature_helpers import P0, interfaces, port, sub

from agent.datastore.changes import Change
from agent.features.interfaces import keys
from agent.features.interfaces.values import AddressValue, SubifValue
from agent.vpp.items import Item, Value
from agent.vpp.runtime import RuntimeItemError, RuntimeItems
from agent.vpp.southbound import VppSouthbound

IF = "/ietf-interfaces:interfaces"


def session_address(intf: str, prefix: str) -> Item[Value]:
    return Item(
        keys.address(intf, prefix), AddressValue(intf, prefix), (keys.interface(intf),), intf, "session"
    )


CONFIG: dict[str, Item[Value]] = {
    keys.interface(f"{P0}.7"): Item(keys.interface(f"{P0}.7"), SubifValue(P0, 7, 2, 7, 0)),
}


def test_an_item_waits_for_its_dependency_and_is_programmed_when_it_appears() -> None:
    rt = RuntimeItems()
    on7, on8 = session_address(f"{P0}.7", "100.64.0.1/32"), session_address(f"{P0}.8", "100.64.0.2/32")
    change = rt.submit([on7, on8], [], CONFIG)
    assert list(change.new) == [on7.key] and not change.old  # only what can exist now is programmed
    assert change.states == {on7.key: "applied", on8.key: "pending"}
    rt.commit(change)
    assert rt.states() == {on7.key: "applied", on8.key: "pending"}
    # configuration gains P0.8: the pending item is programmed; configuration loses P0.7: removed first
    config = {keys.interface(f"{P0}.8"): Item(keys.interface(f"{P0}.8"), SubifValue(P0, 8, 2, 8, 0))}
    change = rt.rebase(config)
    assert list(change.new) == [on8.key] and list(change.old) == [on7.key]
    rt.commit(change)
    assert rt.states() == {on7.key: "pending", on8.key: "applied"}
    # removing an applied item deletes it from VPP; a pending one just goes
    change = rt.submit([], [on8.key, on7.key], config)
    assert list(change.old) == [on8.key] and not change.new
    rt.commit(change)
    assert rt.states() == {}


def test_resubmitting_the_same_item_sends_nothing() -> None:
    rt = RuntimeItems()
    it = session_address(f"{P0}.7", "100.64.0.1/32")
    rt.commit(rt.submit([it], [], CONFIG))
    change = rt.submit([session_address(f"{P0}.7", "100.64.0.1/32")], [], CONFIG)
    assert not change.old and not change.new


def test_a_run_time_source_cannot_touch_configuration() -> None:
    rt = RuntimeItems()
    with pytest.raises(RuntimeItemError, match="is configured"):
        rt.submit([Item(keys.interface(f"{P0}.7"), SubifValue(P0, 7, 2, 7, 0), origin="session")], [], CONFIG)
    with pytest.raises(RuntimeItemError, match="origin 'config'"):
        rt.submit([Item("address/x/10.0.0.1/32", AddressValue("x", "10.0.0.1/32"))], [], CONFIG)


async def test_a_commit_deleting_an_interface_removes_the_sessions_on_it_first() -> None:
    """The plan of a configuration commit deletes run-time items that need what the commit removes, in
    dependency order, and never touches run-time items that stay valid."""
    sb = VppSouthbound()
    sb.load_config(interfaces(port(), sub(7), sub(8)))
    sb.applied, sb.by_root = sb.intended_items()
    on7, on8 = session_address(f"{P0}.7", "100.64.0.1/32"), session_address(f"{P0}.8", "100.64.0.2/32")
    sb.runtime.commit(sb.runtime.submit([on7, on8], [], sb.applied))
    entry = interfaces(sub(7))["ietf-interfaces:interfaces"]["interface"][0]
    plan = await sb.plan(None, [Change("delete", f"{IF}/interface[name='{P0}.7']", entry, None)])
    keys_in_plan = [s.key for s in plan.steps]
    assert on7.key in keys_in_plan and on8.key not in keys_in_plan
    # VPP drops the address with the sub-interface: no call of its own, but recorded for a revert
    step = next(s for s in plan.steps if s.key == on7.key)
    assert step.op == "delete" and "no call" in step.detail
    assert plan.data.runtime_unapplied == [on7.key]


def test_preloaded_items_wait_for_the_next_rebase() -> None:
    """Sessions restored after a restart are registered without programming: the next reconcile's rebase
    decides (they are applied once what they depend on exists)."""
    from agent.features.interfaces import keys as ik
    from agent.features.interfaces.values import AddressValue
    from agent.vpp.items import Item

    it = Item(
        ik.address("x.7", "100.64.0.1/32"),
        AddressValue("x.7", "100.64.0.1/32"),
        (ik.interface("x.7"),),
        "x.7",
        "session",
    )
    rt = RuntimeItems()
    rt.preload([it])
    assert rt.states() == {it.key: "pending"} and rt.applied() == {}
    change = rt.rebase({ik.interface("x.7"): it})
    assert change.new == {it.key: it} and change.states == {it.key: "applied"}


def test_a_submission_re_evaluates_only_what_it_touches_and_agrees_with_a_full_rebase() -> None:
    """Incremental submissions (the changed items and their dependants) give the states a full
    re-evaluation would: a removed dependency sends its dependants back to pending, a returning one
    brings them back."""
    from agent.features.interfaces import keys as ik
    from agent.features.interfaces.values import AddressValue
    from agent.vpp.items import Item

    def addr(intf: str, n: int, *deps: str) -> Item[AddressValue]:
        p = f"100.64.0.{n}/32"
        return Item(ik.address(intf, p), AddressValue(intf, p), (ik.interface(intf), *deps), intf, "session")

    config = {ik.interface("a"): addr("a", 250)}
    rt = RuntimeItems()
    base = addr("a", 1)
    chain = [base, addr("a", 2, base.key), addr("b", 3)]  # the last waits for an interface nobody has
    for it in chain:
        change = rt.submit([it], [], config)
        rt.commit(change)
    assert rt.states() == {chain[0].key: "applied", chain[1].key: "applied", chain[2].key: "pending"}
    change = rt.submit([], [base.key], config)
    assert set(change.old) == {base.key, chain[1].key} and not change.new
    rt.commit(change)
    full = rt.rebase(config)
    assert rt.states() == {chain[1].key: "pending", chain[2].key: "pending"} == full.states
    rt.commit(rt.submit([base], [], config))
    assert rt.states()[chain[1].key] == "applied"
    assert rt.states() == rt.rebase(config).states


def test_the_outside_view_is_the_dict_a_plan_used_to_get() -> None:
    """What a submission's plan sees around it (configuration plus the other applied run-time items, not
    pending ones, not the ones it replaces) is the same through the view as through the dict it replaced."""
    rt = RuntimeItems()
    on7 = [session_address(f"{P0}.7", f"100.64.0.{n}/32") for n in (1, 2, 3)]
    on8 = session_address(f"{P0}.8", "100.64.0.9/32")  # pending: P0.8 is not configured
    rt.commit(rt.submit([*on7, on8], [], CONFIG))
    exclude = {on7[0].key: on7[0]}
    view = rt.outside(CONFIG, exclude)
    expected = {**CONFIG, **{k: v for k, v in rt.applied().items() if k not in exclude}}
    assert dict(view) == expected and len(view) == len(expected) == 3
    assert view[on7[1].key] == on7[1] and on7[0].key not in view and on8.key not in view
    with pytest.raises(KeyError):
        view[on8.key]
