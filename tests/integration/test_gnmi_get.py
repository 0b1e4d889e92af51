"""gNMI Capabilities and Get through pygnmi against a running agent (TLS with its self-signed pair)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from _gnmi_helpers import ALICE_PASSWORD, Agent, interface, running_agent
from pygnmi.client import gNMIclient, gNMIException
from pygnmi.spec.v080 import gnmi_pb2


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    with running_agent(tmp_path_factory.mktemp("gnmi-get")) as a:
        with a.client() as c:
            entries = [interface("eth0", "uplink"), interface("eth1", "access"), interface("eth2")]
            c.set(update=[("/ietf-interfaces:interfaces", {"interface": entries})], encoding="json_ietf")
        yield a


@pytest.fixture
def client(agent: Agent) -> Iterator[gNMIclient]:
    with agent.client() as c:
        yield c


def _updates(resp: dict[str, Any]) -> dict[str, Any]:
    return {u["path"]: u["val"] for n in resp["notification"] for u in n.get("update") or []}


def _code(exc: gNMIException) -> grpc.StatusCode:
    err = exc.orig_exc if hasattr(exc, "orig_exc") else exc.args[1]
    return err.code()  # type: ignore[no-any-return]


def test_tls_is_on_by_default_with_a_generated_certificate(agent: Agent) -> None:
    assert not agent.insecure and agent.cert.endswith("gnmi-cert.pem")
    assert "BEGIN CERTIFICATE" in Path(agent.cert).read_text()
    key = Path(agent.cert).with_name("gnmi-key.pem")
    assert key.stat().st_mode & 0o077 == 0


def test_capabilities_list_the_yang_library_modules(client: gNMIclient) -> None:
    caps = client.capabilities()
    assert caps["gnmi_version"] == "0.10.0"
    assert set(caps["supported_encodings"]) == {"json_ietf", "json", "proto"}
    models = {m["name"]: m for m in caps["supported_models"]}
    assert models["ietf-interfaces"]["version"] == "2018-02-20"
    assert "IETF" in models["ietf-interfaces"]["organization"]
    assert "bng-interfaces" in models and "ietf-system" in models


def test_get_config_with_a_key_wildcard(client: gNMIclient) -> None:
    resp = client.get(
        path=["/ietf-interfaces:interfaces/interface[name=*]/description"], encoding="json_ietf"
    )
    got = _updates(resp)
    assert got == {
        "ietf-interfaces:interfaces/interface[name=eth0]/description": "uplink",
        "ietf-interfaces:interfaces/interface[name=eth1]/description": "access",
    }


def test_get_config_of_a_list_entry_returns_its_json_ietf_subtree(client: gNMIclient) -> None:
    resp = client.get(path=["/interfaces/interface[name=eth1]"], datatype="config", encoding="json_ietf")
    (value,) = _updates(resp).values()
    assert value["name"] == "eth1" and value["description"] == "access"
    assert value["type"] == "iana-if-type:ethernetCsmacd"
    assert "statistics" not in value  # CONFIG excludes state


def test_get_state_with_an_element_wildcard_and_proto_encoding(client: gNMIclient) -> None:
    resp = client.get(
        path=["/interfaces/interface[name=eth0]/statistics/*"], datatype="state", encoding="proto"
    )
    got = _updates(resp)
    base = "ietf-interfaces:interfaces/interface[name=eth0]/statistics/"
    assert isinstance(got[base + "in-octets"], int)  # typed uint_val, not a string
    assert got[base + "in-errors"] == 0
    assert not any("description" in p for p in got)


def test_get_descendants_wildcard_finds_every_oper_status(client: gNMIclient) -> None:
    resp = client.get(path=["/interfaces/.../oper-status"], datatype="all", encoding="json_ietf")
    got = _updates(resp)
    assert sorted(got) == [
        f"ietf-interfaces:interfaces/interface[name={n}]/oper-status" for n in ("eth0", "eth1", "eth2")
    ]
    assert set(got.values()) == {"up"}


def test_get_of_a_missing_entry_is_not_found(client: gNMIclient) -> None:
    with pytest.raises(gNMIException) as info:
        client.get(path=["/interfaces/interface[name=nope]/description"], encoding="json_ietf")
    assert _code(info.value) == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    "path",
    [
        "/interfaces/no-such-node",
        "/ietf-interfaces:interfaces/interface[nam=eth0]",
        "/no-module:interfaces",
    ],
)
def test_malformed_paths_are_invalid_argument(client: gNMIclient, path: str) -> None:
    with pytest.raises(gNMIException) as info:
        client.get(path=[path], encoding="json_ietf")
    assert _code(info.value) == grpc.StatusCode.INVALID_ARGUMENT


def _raw_stub(agent: Agent) -> Any:
    from pygnmi.spec.v080.gnmi_pb2_grpc import gNMIStub

    creds = grpc.ssl_channel_credentials(Path(agent.cert).read_bytes())
    channel = grpc.secure_channel(f"localhost:{agent.gnmi_port}", creds)
    return channel, gNMIStub(channel)


MD = [("username", "admin"), ("password", "admin-pw")]


def test_unknown_and_unserved_origins(agent: Agent) -> None:
    channel, stub = _raw_stub(agent)
    with channel:
        elems = [gnmi_pb2.PathElem(name="interfaces")]
        with pytest.raises(grpc.RpcError) as info:
            stub.Get(gnmi_pb2.GetRequest(path=[gnmi_pb2.Path(origin="bogus", elem=elems)]), metadata=MD)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.RpcError) as info:
            stub.Get(gnmi_pb2.GetRequest(path=[gnmi_pb2.Path(origin="openconfig", elem=elems)]), metadata=MD)
        assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED
        # origin "rfc7951" and a module-name origin are served
        ok = stub.Get(
            gnmi_pb2.GetRequest(path=[gnmi_pb2.Path(origin="ietf-interfaces", elem=elems)], encoding=4),
            metadata=MD,
        )
        assert ok.notification[0].update


def test_unsupported_encoding_is_unimplemented(agent: Agent) -> None:
    channel, stub = _raw_stub(agent)
    with channel:
        with pytest.raises(grpc.RpcError) as info:
            stub.Get(gnmi_pb2.GetRequest(encoding=gnmi_pb2.ASCII), metadata=MD)
        assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_huge_request_is_refused_and_the_server_keeps_serving(agent: Agent) -> None:
    channel, stub = _raw_stub(agent)
    with channel:
        big = gnmi_pb2.PathElem(name="interfaces", key={"x": "a" * (5 * 1024 * 1024)})
        with pytest.raises(grpc.RpcError) as info:
            stub.Get(gnmi_pb2.GetRequest(path=[gnmi_pb2.Path(elem=[big])]), metadata=MD, timeout=30)
        assert info.value.code() in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INVALID_ARGUMENT)
        many = [gnmi_pb2.Path(elem=[gnmi_pb2.PathElem(name="interfaces")])] * 5000
        with pytest.raises(grpc.RpcError) as info:
            stub.Get(gnmi_pb2.GetRequest(path=many), metadata=MD, timeout=30)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert stub.Capabilities(gnmi_pb2.CapabilityRequest(), metadata=MD).gNMI_version == "0.10.0"


def test_wrong_password_and_missing_credentials_are_unauthenticated(agent: Agent) -> None:
    with pytest.raises(gNMIException) as info, agent.client(password="wrong") as c:
        c.get(path=["/interfaces"], encoding="json_ietf")  # pygnmi already fails at connect
    assert _code(info.value) == grpc.StatusCode.UNAUTHENTICATED
    channel, stub = _raw_stub(agent)
    with channel, pytest.raises(grpc.RpcError) as info2:
        stub.Capabilities(gnmi_pb2.CapabilityRequest())
    assert info2.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_a_client_that_does_not_trust_the_certificate_cannot_connect(agent: Agent) -> None:
    channel = grpc.secure_channel(f"localhost:{agent.gnmi_port}", grpc.ssl_channel_credentials())
    from pygnmi.spec.v080.gnmi_pb2_grpc import gNMIStub

    with channel, pytest.raises(grpc.RpcError) as info:
        gNMIStub(channel).Capabilities(gnmi_pb2.CapabilityRequest(), metadata=MD, timeout=10)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


def test_nacm_read_rules_apply_to_get(agent: Agent) -> None:
    """alice's group may read, but ietf-system authentication is default-deny-write only while nacm
    itself is default-deny-all: alice does not see /nacm, admin (recovery user) does."""
    with agent.client(username="alice", password=ALICE_PASSWORD) as c:
        resp = c.get(path=["/"], datatype="config", encoding="json_ietf")
    (value,) = _updates(resp).values()
    assert "ietf-interfaces:interfaces" in value
    assert "ietf-netconf-acm:nacm" not in value
    with agent.client() as c:
        (admin_value,) = _updates(c.get(path=["/"], datatype="config", encoding="json_ietf")).values()
    assert "ietf-netconf-acm:nacm" in admin_value


def test_health_and_reflection_services_answer(agent: Agent) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    creds = grpc.ssl_channel_credentials(Path(agent.cert).read_bytes())
    with grpc.secure_channel(f"localhost:{agent.gnmi_port}", creds) as channel:
        status = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="gnmi.gNMI"), timeout=10
        )
        assert status.status == health_pb2.HealthCheckResponse.SERVING
        from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = list(
            stub.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10
            )
        )
        names = {s.name for s in replies[0].list_services_response.service}
        assert "gnmi.gNMI" in names


def test_module_name_origin_strings_from_pygnmi(client: gNMIclient) -> None:
    """pygnmi sends "module:path" as origin=module + unqualified elements; the origin qualifies the first
    element, and "module:" alone (no elements) is that module's top-level data, not the whole tree."""
    resp = client.get(path=["ietf-interfaces:interfaces/interface[name=eth0]/description"], datatype="config")
    assert _updates(resp) == {"ietf-interfaces:interfaces/interface[name=eth0]/description": "uplink"}
    whole = _updates(client.get(path=["/"], datatype="config", encoding="json_ietf"))
    assert len(whole) == 1 and set(next(iter(whole.values()))) > {"ietf-interfaces:interfaces"}
    module = _updates(client.get(path=["ietf-interfaces:"], datatype="config", encoding="json_ietf"))
    assert list(module) == ["ietf-interfaces:interfaces"]
    names = {e["name"] for e in module["ietf-interfaces:interfaces"]["interface"]}
    assert {"eth0", "eth1", "eth2"} <= names
    # a module with no top-level data of its own selects nothing (not NOT_FOUND: the path names no node)
    assert _updates(client.get(path=["ietf-ip:"], datatype="config", encoding="json_ietf")) == {}
