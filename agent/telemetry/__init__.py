"""Operational state and telemetry: stats-segment polling, VPP events, the operational tree, Prometheus.

The agent process calls :func:`start_telemetry`; northbound servers read the operational datastore (the
provider is registered there) and subscribe to :attr:`Telemetry.bus` for ON_CHANGE / notifications.
"""

from agent.telemetry.events import EventBus, InterfaceStateEvent, Subscription, VppConnectionEvent
from agent.telemetry.service import Telemetry, start_telemetry

__all__ = [
    "EventBus",
    "InterfaceStateEvent",
    "Subscription",
    "Telemetry",
    "VppConnectionEvent",
    "start_telemetry",
]
