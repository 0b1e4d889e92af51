"""NACM rule evaluation (RFC 8341 3.4): rule order, groups, paths with keys, defaults, read pruning."""

from __future__ import annotations

import json

from lxml import etree

from agent.access.nacm import AccessControl, parse_path, policy_from_json

IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
NS = {IF: "ietf-interfaces", "urn:ietf:params:xml:ns:yang:ietf-netconf-acm": "ietf-netconf-acm"}


def _policy(rule_lists: list[dict[str, object]], **top: object) -> str:
    return json.dumps(
        {
            "ietf-netconf-acm:nacm": {
                "groups": {"group": [{"name": "g", "user-name": ["u"]}]},
                "rule-list": rule_lists,
                **top,
            }
        }
    )


def _rule(name: str, action: str, **kw: str) -> dict[str, str]:
    return {"name": name, "action": action, "module-name": kw.pop("module", "*"), **kw}


def test_first_matching_rule_wins_and_groups_matter() -> None:
    text = _policy(
        [
            {
                "name": "l",
                "group": ["g"],
                "rule": [
                    _rule("permit-eth0", "permit", path="/ietf-interfaces:interfaces/interface[name='eth0']"),
                    _rule("deny-ifs", "deny", module="ietf-interfaces"),
                ],
            }
        ]
    )
    acl = AccessControl(policy_from_json(text), "u", recovery=False)
    eth0 = parse_path("/ietf-interfaces:interfaces/interface[name='eth0']/description")
    eth1 = parse_path("/ietf-interfaces:interfaces/interface[name='eth1']/description")
    assert acl.data_access(eth0, "read")
    assert not acl.data_access(eth1, "read")
    other = AccessControl(policy_from_json(text), "someone-else", recovery=False)
    assert other.data_access(eth1, "read")  # not in group g: read-default permit
    assert not other.data_access(eth1, "update")  # write-default deny


def test_recovery_user_and_disabled_nacm_are_unrestricted() -> None:
    text = _policy([{"name": "l", "group": ["*"], "rule": [_rule("deny-all", "deny")]}])
    assert AccessControl(policy_from_json(text), "admin", recovery=True).may_exec("ietf-netconf", "commit")
    assert not AccessControl(policy_from_json(text), "u", recovery=False).may_exec("ietf-netconf", "commit")
    disabled = _policy(
        [{"name": "l", "group": ["*"], "rule": [_rule("deny-all", "deny")]}], **{"enable-nacm": False}
    )
    assert AccessControl(policy_from_json(disabled), "u", recovery=False).may_exec("ietf-netconf", "commit")


def test_default_deny_rpcs_and_close_session() -> None:
    acl = AccessControl(policy_from_json(_policy([])), "u", recovery=False)
    assert acl.may_exec("ietf-netconf", "get-config")
    assert not acl.may_exec("ietf-netconf", "kill-session")
    assert not acl.may_exec("ietf-netconf", "delete-config")
    assert acl.may_exec("ietf-netconf", "close-session")


def test_prune_removes_denied_entries_and_nacm_itself() -> None:
    text = _policy(
        [
            {
                "name": "l",
                "group": ["g"],
                "rule": [_rule("hide", "deny", path="/ietf-interfaces:interfaces/interface[name='b']")],
            }
        ]
    )
    acl = AccessControl(policy_from_json(text), "u", recovery=False)
    doc = etree.fromstring(
        f'<d><interfaces xmlns="{IF}"><interface><name>a</name></interface>'
        "<interface><name>b</name><description>secret</description></interface></interfaces>"
        '<nacm xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-acm">'
        "<enable-nacm>true</enable-nacm></nacm></d>"
    )
    acl.prune(list(doc), NS.get)
    names = [e.text for e in doc.iter(f"{{{IF}}}name")]
    assert names == ["a"]
    assert b"secret" not in etree.tostring(doc)
    assert b"nacm" not in etree.tostring(doc)


def test_rule_paths_with_yang_prefixes_match_like_module_names() -> None:
    """RFC 8341's own examples write rule paths with YANG prefixes; such a deny rule must apply."""
    text = _policy(
        [
            {
                "name": "l",
                "group": ["g"],
                "rule": [
                    _rule("deny-desc", "deny", path="/if:interfaces/if:interface/if:description"),
                    _rule("deny-v4", "deny", path="/if:interfaces/if:interface/ip:ipv4"),
                ],
            }
        ],
        **{"write-default": "permit"},
    )
    acl = AccessControl(policy_from_json(text), "u", recovery=False)
    desc = parse_path("/ietf-interfaces:interfaces/interface[name='eth0']/description")
    v4 = parse_path("/ietf-interfaces:interfaces/interface[name='eth0']/ietf-ip:ipv4/address")
    enabled = parse_path("/ietf-interfaces:interfaces/interface[name='eth0']/enabled")
    assert not acl.data_access(desc, "update")
    assert not acl.data_access(v4, "read")
    assert acl.data_access(enabled, "update")
