"""NACM (RFC 8341) enforced by the NETCONF server: exec, read pruning and write denial per user.

The bootstrap admin is the recovery user (never restricted). It configures two users and rules:
``alice`` (group ops) may do everything except reading/writing interface descriptions and killing
sessions; ``bob`` (group viewers) may only read, and may not read interfaces at all.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _netconf_helpers import IF_NS, NetconfFixture, interface_config, running_server
from ncclient.operations.rpc import RPCError

NACM = "urn:ietf:params:xml:ns:yang:ietf-netconf-acm"
SYS = "urn:ietf:params:xml:ns:yang:ietf-system"

SETUP = f"""<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
<system xmlns="{SYS}"><authentication>
  <user><name>admin</name><password>$0$s3cret-admin</password></user>
  <user><name>alice</name><password>$0$alice-pw</password></user>
  <user><name>bob</name><password>$0$bob-pw</password></user>
</authentication></system>
<nacm xmlns="{NACM}">
  <write-default>permit</write-default>
  <groups>
    <group><name>ops</name><user-name>alice</user-name></group>
    <group><name>viewers</name><user-name>bob</user-name></group>
  </groups>
  <rule-list><name>ops-rules</name><group>ops</group>
    <rule><name>no-descriptions</name><module-name>ietf-interfaces</module-name>
      <path xmlns:if="{IF_NS}">/if:interfaces/if:interface/if:description</path>
      <access-operations>*</access-operations><action>deny</action></rule>
    <rule><name>no-kill</name><module-name>ietf-netconf</module-name><rpc-name>kill-session</rpc-name>
      <access-operations>exec</access-operations><action>deny</action></rule>
  </rule-list>
  <rule-list><name>viewer-rules</name><group>viewers</group>
    <rule><name>no-interfaces</name><module-name>ietf-interfaces</module-name>
      <access-operations>read</access-operations><action>deny</action></rule>
    <rule><name>no-edits</name><module-name>*</module-name>
      <access-operations>create update delete</access-operations><action>deny</action></rule>
    <rule><name>no-commit</name><module-name>ietf-netconf</module-name><rpc-name>commit</rpc-name>
      <access-operations>exec</access-operations><action>deny</action></rule>
  </rule-list>
</nacm></config>"""


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-nacm")) as server:
        with server.connect() as m:
            m.edit_config(target="candidate", config=SETUP)
            m.edit_config(target="candidate", config=interface_config("n0", "secret-text"))
            m.commit()
        yield server


def test_read_rules_prune_data(fx: NetconfFixture) -> None:
    with fx.connect("alice", "alice-pw") as alice:
        xml = alice.get_config("running").data_xml
        assert "n0" in xml and "secret-text" not in xml
        assert "<nacm" not in xml  # /nacm is default-deny-all
    with fx.connect("bob", "bob-pw") as bob:
        xml = bob.get_config("running").data_xml
        assert "n0" not in xml
        assert "<system" in xml  # other modules stay readable (read-default permit)
    with fx.connect() as admin:  # recovery user sees everything
        xml = admin.get_config("running").data_xml
        assert "secret-text" in xml and "<nacm" in xml


def test_write_rules_deny_edits(fx: NetconfFixture) -> None:
    with fx.connect("alice", "alice-pw") as alice:
        alice.edit_config(target="candidate", config=interface_config("n-alice"))
        with pytest.raises(RPCError) as err:
            alice.edit_config(target="candidate", config=interface_config("n-alice", "not allowed"))
        assert err.value.tag == "access-denied"
        alice.discard_changes()
    with fx.connect("bob", "bob-pw") as bob:
        with pytest.raises(RPCError) as err:
            bob.edit_config(target="candidate", config=interface_config("n-bob"))
        assert err.value.tag == "access-denied"
        assert "n-bob" not in bob.get_config("candidate").data_xml


def test_exec_rules_deny_operations(fx: NetconfFixture) -> None:
    with fx.connect("bob", "bob-pw") as bob:
        with pytest.raises(RPCError) as err:
            bob.commit()
        assert err.value.tag == "access-denied"
        assert err.value.type == "protocol"
    alice = fx.connect("alice", "alice-pw")
    with fx.connect() as other:
        with pytest.raises(RPCError) as err:
            alice.kill_session(other.session_id)
        assert err.value.tag == "access-denied"
    assert alice.close_session().ok  # always permitted


def test_default_deny_all_rpcs_need_an_explicit_permit(fx: NetconfFixture) -> None:
    with fx.connect("bob", "bob-pw") as bob, pytest.raises(RPCError) as err:
        bob.delete_config("startup")
    assert err.value.tag == "access-denied"


def test_merge_of_a_new_node_needs_create_access_and_of_an_existing_one_update(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    rules = f"""<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
<system xmlns="{SYS}"><authentication>
  <user><name>admin</name><password>$0$s3cret-admin</password></user>
  <user><name>carol</name><password>$0$carol-pw</password></user>
</authentication></system>
<nacm xmlns="{NACM}"><write-default>permit</write-default>
  <groups><group><name>no-new</name><user-name>carol</user-name></group></groups>
  <rule-list><name>r</name><group>no-new</group>
    <rule><name>no-create-ifs</name><module-name>ietf-interfaces</module-name>
      <path xmlns:if="{IF_NS}">/if:interfaces/if:interface</path>
      <access-operations>create</access-operations><action>deny</action></rule>
  </rule-list></nacm></config>"""
    with running_server(tmp_path_factory.mktemp("nc-nacm-create")) as server:
        with server.connect() as admin:
            admin.edit_config(target="candidate", config=rules)
            admin.edit_config(target="candidate", config=interface_config("exists"))
            admin.commit()
        with server.connect("carol", "carol-pw") as carol:
            carol.edit_config(target="candidate", config=interface_config("exists", "changed"))  # update: ok
            with pytest.raises(RPCError) as err:
                carol.edit_config(target="candidate", config=interface_config("brand-new"))  # create: denied
            assert err.value.tag == "access-denied"
            carol.discard_changes()
