"""Value types of the QoS feature's items: a VPP policer and its attachment to an interface."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from agent.vpp.items import Value

# sse2_qos_action_type (src/plugins/policer/policer_types.api)
DROP, TRANSMIT, MARK_AND_TRANSMIT = 0, 1, 2
# sse2_qos_policer_type
TYPE_1R2C, TYPE_1R3C, TYPE_2R3C_2698, TYPE_2R3C_4115 = 0, 1, 2, 3
# sse2_qos_rate_type / sse2_qos_round_type: the agent always sends kbit/s, rounded to the closest
RATE_KBPS, ROUND_TO_CLOSEST = 0, 0


@dataclass(frozen=True, slots=True)
class Action:
    """What VPP does with packets of one colour (``sse2_qos_action``)."""

    type: int
    dscp: int = 0

    def api(self) -> dict[str, int]:
        return {"type": self.type, "dscp": self.dscp}


@dataclass(frozen=True, slots=True)
class PolicerConfig:
    """A ``vl_api_policer_config_t`` exactly as the agent sends it and VPP dumps it back."""

    type: int
    cir: int  # kbit/s (1000 bit/s)
    eir: int  # kbit/s: VPP's peak rate for two-rate policers, 0 for one-rate ones
    cb: int  # bytes
    eb: int  # bytes: VPP's second bucket (see compile.py for what it holds per type)
    color_aware: bool
    conform: Action
    exceed: Action
    violate: Action

    def api(self) -> dict[str, Any]:
        return {
            "cir": self.cir,
            "eir": self.eir,
            "cb": self.cb,
            "eb": self.eb,
            "rate_type": RATE_KBPS,
            "round_type": ROUND_TO_CLOSEST,
            "type": self.type,
            "color_aware": self.color_aware,
            "conform_action": self.conform.api(),
            "exceed_action": self.exceed.api(),
            "violate_action": self.violate.api(),
        }


@dataclass(frozen=True, slots=True)
class PolicerValue(Value):
    """One VPP policer (``policer_add``), named by the agent (``bng-agent:...``)."""

    kind: ClassVar[str] = "qos-policer"
    name: str
    config: PolicerConfig
    # the profile it was compiled from, for operational data and metrics; not VPP state (a policer read
    # back from VPP has none), so not part of the comparison
    profile: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class PolicerAttachValue(Value):
    """A policer applied to an interface's input or output (``policer_input`` / ``policer_output``)."""

    kind: ClassVar[str] = "qos-policer-attach"
    interface: str
    output: bool
    policer: str  # the policer's VPP name
