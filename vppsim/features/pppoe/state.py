"""The PPPoE plugin's control-plane state and its two frame paths, as VPP 26.06 has them.

``pppoe_add_del_cp`` (``pppoe_cp.c``) names one control-plane interface for the whole VPP
(``pem->cp_if_index``) and turns on ``pppoe-input`` on its ``device-input`` arc. Then
(``pppoe_cp_node.c``, ``pppoe_decap.c``, ``pppoe.c``):

- a PPPoE discovery frame (0x8863) from an access interface goes from ``ethernet-input`` (after the
  sub-interface is found, whatever its tags) to ``pppoe-cp-dispatch``; a session frame (0x8864) goes to
  ``pppoe-input``, which re-reads the frame from its Ethernet header knowing **at most one 802.1Q (0x8100)
  tag**, and hands it to ``pppoe-cp-dispatch`` unless it carries IPv4/IPv6 (data of a session);
- ``pppoe-cp-dispatch`` checks the PPPoE version/type byte (0x11, else "bad version/type"), learns the
  client's source MAC -> the receiving (sub-)interface in ``link_table``, and sends the **whole frame**,
  tags included, out of the control-plane interface;
- a frame the control plane writes into the control-plane interface goes through ``pppoe-input`` (same
  one-802.1Q-tag parsing) to ``pppoe-cp-dispatch``, which looks its destination MAC up in ``link_table``
  ("no such session" if unknown), writes the access port's MAC as source and sends the frame as it is out
  of the learned interface (``interface-output``: the frame must carry that interface's tags).

Consequence, modelled here as VPP does it: with an 802.1ad or QinQ access interface the discovery frames
reach the control plane, but session-stage PPP control frames (LCP, authentication, IPCP) and every frame
the control plane sends back are parsed with the outer tag as the PPPoE header and dropped as "bad
version/type" (docs/packet-path.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

NO_CP = 0xFFFFFFFF
ETH_P_8021Q = 0x8100
ETH_P_PPPOE_DISCOVERY = 0x8863
ETH_P_PPPOE_SESSION = 0x8864
PPP_IP4 = 0x0021
PPP_IP6 = 0x0057
PPPOE_VER_TYPE = 0x11


@dataclass(slots=True)
class PppoeCp:
    cp_if_index: int = NO_CP
    link_table: dict[bytes, int] = field(default_factory=dict)  # client MAC -> rx sw_if_index
    counters: dict[str, int] = field(default_factory=dict)

    def count(self, name: str) -> None:
        self.counters[name] = self.counters.get(name, 0) + 1


def pppoe_input_offset(frame: bytes) -> int | None:
    """Where ``pppoe-input`` finds the PPPoE header after ``vlib_buffer_reset``: after the Ethernet
    header, or after one 802.1Q tag; None when it drops the frame (a tag over a non-PPPoE type) or the
    frame is too short."""
    if len(frame) < 14 + 8:
        return None
    ethertype = (frame[12] << 8) | frame[13]
    if ethertype == ETH_P_8021Q:
        inner = (frame[16] << 8) | frame[17]
        if inner not in (ETH_P_PPPOE_DISCOVERY, ETH_P_PPPOE_SESSION) or len(frame) < 18 + 8:
            return None
        return 18
    return 14


def is_session_data(frame: bytes, offset: int) -> bool:
    """``pppoe-input``: the PPP protocol is IPv4 or IPv6 (a session's data, not control)."""
    proto = (frame[offset + 6] << 8) | frame[offset + 7]
    return proto in (PPP_IP4, PPP_IP6)
