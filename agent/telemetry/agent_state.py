"""``/bng-agent:agent-state``: the agent's own health as YANG operational data.

The same :class:`~agent.telemetry.snapshot.AgentCounters` that feed Prometheus (``bng_vpp_connected``,
``bng_commits_total`` ...) are formatted here as JSON-IETF (RFC 7951: 64-bit counters as strings) for the
operational datastore, and flattened to ``path -> value`` so the service can publish exactly the leaves
that changed on the event bus (gNMI ON_CHANGE).
"""

from __future__ import annotations

from typing import Any

from agent.telemetry.operational import date_and_time
from agent.telemetry.snapshot import AgentCounters

ROOT = "/bng-agent:agent-state"


def agent_state_json(c: AgentCounters) -> dict[str, Any]:
    """The ``agent-state`` container for ``c``."""
    vpp: dict[str, Any] = {
        "connection-state": c.vpp_state,
        "vpp-version": c.vpp_version,
        "connects": c.vpp_connects,
        "disconnects": c.vpp_disconnects,
        "in-sync": c.in_sync,
    }
    if c.vpp_last_change:
        vpp["last-change"] = date_and_time(c.vpp_last_change)
    if c.vpp_last_error:
        vpp["last-error"] = c.vpp_last_error
    return {
        "bng-agent:agent-state": {
            "vpp": vpp,
            "transactions": {
                "commits": str(c.commits),
                "commit-failures": str(c.commit_failures),
                "last-commit-id": str(c.last_commit_id),
                "resyncs": c.resyncs,
                "resync-repairs": str(c.resync_repairs),
            },
            "unmanaged-vpp-objects": c.unmanaged,
        }
    }


def agent_state_leaves(c: AgentCounters) -> dict[str, str]:
    """Every leaf of :func:`agent_state_json` as ``data path -> value text`` (booleans ``true``/``false``)."""
    out: dict[str, str] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for name, value in node.items():
            path = f"{prefix}/{name}"
            if isinstance(value, dict):
                walk(path, value)
            elif isinstance(value, bool):
                out[path] = "true" if value else "false"
            else:
                out[path] = str(value)

    walk(ROOT, agent_state_json(c)["bng-agent:agent-state"])
    return out
