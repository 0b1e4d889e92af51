"""The subscriber API inside ``bng-agent run`` (the demo node on vppsim, tests/integration/
_sessions_child.py): served on the agent's gNMI port by the same process, against the subscriber manager
the agent runs -- a session the manager opened is listed, re-policed (its VRF moved, VPP reprogrammed,
the origin reported) and disconnected; the agent's own policy check refuses a VRF it does not have."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from test_sessions_agent import ACCESS, node
from test_telemetry_gnmi import PASSWORD, startup

from bindings.proto import subscribers_pb2 as pb
from bindings.proto import subscribers_pb2_grpc as pb_grpc

MD = [("username", "admin"), ("password", PASSWORD)]


def test_the_agent_serves_its_own_sessions(tmp_path: Path) -> None:
    with node(tmp_path, startup(tmp_path)) as n:
        s = n.ask(op="open", interface=ACCESS, mac="02:00:00:00:bb:01", ipv4="100.64.9.11")
        with grpc.insecure_channel(f"127.0.0.1:{n.gnmi}") as channel:  # the child runs gNMI without TLS
            api = pb_grpc.SubscribersStub(channel)
            listed = api.List(
                pb.ListRequest(filter=pb.Filter(access_interface=ACCESS)), metadata=MD, timeout=30
            )
            assert [x.id for x in listed.sessions] == [s["id"]]
            got = listed.sessions[0]
            assert got.ipv4.address == "100.64.9.11" and got.state == pb.ACTIVE
            assert got.policy["vrf"] == pb.PolicyValue(value="internet", origin=pb.TEMPLATE)
            moved = api.SetPolicy(
                pb.SetPolicyRequest(id=s["id"], set={"vrf": "voip"}), metadata=MD, timeout=30
            )
            assert moved.policy["vrf"] == pb.PolicyValue(value="voip", origin=pb.API)
            with pytest.raises(grpc.RpcError) as info:
                api.SetPolicy(pb.SetPolicyRequest(id=s["id"], set={"vrf": "nope"}), metadata=MD, timeout=30)
            e = info.value
            assert e.code() == grpc.StatusCode.INVALID_ARGUMENT and "'nope'" in (e.details() or "")  # type: ignore[attr-defined]
            gone = api.Disconnect(pb.DisconnectRequest(id=s["id"]), metadata=MD, timeout=30)
            assert gone.disconnected == 1
        assert n.ask(op="list")["sessions"] == []
