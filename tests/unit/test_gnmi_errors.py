"""gRPC status codes the gNMI server reports for errors of the layers below (gNMI spec 3.4.7, 2.5)."""

from __future__ import annotations

import json

import grpc
import pytest

from agent.datastore.tree import DataTree
from agent.errors import AgentError, ErrorDetail, ValidationError
from agent.gnmi.errors import status_of
from agent.model.context import load_model_set

# RFC 7950 section 15: the error-tag NETCONF reports with each validation error-app-tag
RFC7950_15 = [
    ("operation-failed", "data-not-unique"),
    ("operation-failed", "too-many-elements"),
    ("operation-failed", "too-few-elements"),
    ("operation-failed", "must-violation"),
    ("data-missing", "instance-required"),
    ("data-missing", "missing-choice"),
    ("bad-attribute", "missing-instance"),
]


@pytest.mark.parametrize(("tag", "app_tag"), RFC7950_15)
def test_model_constraint_violations_are_invalid_argument(tag: str, app_tag: str) -> None:
    err = ValidationError("violated", tag=tag, app_tag=app_tag)
    assert status_of(err)[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert err.tag == tag  # NETCONF's rpc-error keeps the RFC 7950 error-tag


def test_operation_failed_without_app_tag_stays_failed_precondition() -> None:
    # e.g. a data-plane step that VPP refused: the request may succeed in another state
    assert status_of(AgentError("VPP said -2"))[0] == grpc.StatusCode.FAILED_PRECONDITION


def test_data_missing_outside_validation_is_not_found() -> None:
    assert status_of(AgentError("nothing to delete", tag="data-missing"))[0] == grpc.StatusCode.NOT_FOUND
    # from validation it is a missing mandatory node in the proposed configuration
    assert (
        status_of(ValidationError("Mandatory node", tag="data-missing"))[0]
        == grpc.StatusCode.INVALID_ARGUMENT
    )


def test_the_first_error_decides() -> None:
    details = [
        ErrorDetail(tag="operation-failed", message="must", app_tag="must-violation"),
        ErrorDetail(tag="operation-failed", message="other"),
    ]
    err = AgentError("must", details=details)
    assert err.grpc_code == "INVALID_ARGUMENT"


def test_a_real_must_violation_from_libyang() -> None:
    """libyang's own error for a broken ``must`` carries the app-tag that makes it INVALID_ARGUMENT."""
    data = {
        "ietf-interfaces:interfaces": {
            "interface": [
                {"name": "e0", "type": "iana-if-type:ethernetCsmacd"},
                {
                    "name": "e0.5",  # must: named <parent>.<sub-id>, and the sub-id is 6
                    "type": "iana-if-type:l2vlan",
                    "bng-interfaces:sub-interface": {
                        "parent-interface": "e0",
                        "sub-id": 6,
                        "encapsulation": {"single-tagged": {"vlan-id": 6}},
                    },
                },
            ]
        }
    }
    with pytest.raises(ValidationError) as info:
        DataTree.parse(load_model_set().ctx, json.dumps(data)).close()
    assert info.value.details[0].app_tag == "must-violation"
    assert info.value.tag == "operation-failed"
    assert status_of(info.value)[0] == grpc.StatusCode.INVALID_ARGUMENT
