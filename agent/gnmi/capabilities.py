"""gNMI Capabilities (specification 3.2): the implemented modules of the YANG library, the encodings
and the gNMI version."""

from __future__ import annotations

from typing import Any

import libyang

from agent.gnmi.pb import GNMI_VERSION, gnmi
from agent.model.schema import module_organization
from agent.model.yanglib import module_entries

ENCODINGS = (4, 0, 2)  # JSON_IETF, JSON, PROTO


def model_data(ctx: libyang.Context) -> list[Any]:
    """``ModelData`` for every implemented module (name, organization, version = revision date)."""
    out = []
    for entry in module_entries(ctx):
        if not entry.implemented or entry.name in ("yang", "ietf-yang-schema-mount"):
            continue
        out.append(
            gnmi.ModelData(
                name=entry.name, organization=module_organization(ctx, entry.name), version=entry.revision
            )
        )
    return out


def capability_response(ctx: libyang.Context) -> Any:
    return gnmi.CapabilityResponse(
        supported_models=model_data(ctx), supported_encodings=list(ENCODINGS), gNMI_version=GNMI_VERSION
    )
