"""The CoA audit log: bounded (the oldest entry leaves, and gNMI hears its delete), every entry in the
operational document and the notification, and the listener's configuration read from bng-aaa JSON."""

from __future__ import annotations

from agent.aaa.audit import AuditLog, changes, notification
from agent.aaa.coa import CoaConfig
from agent.sessions.api import PolicyAttr


def test_the_log_is_bounded_and_says_what_left() -> None:
    seen: list[tuple[int, int | None]] = []
    log = AuditLog(size=2)
    log.listeners.append(lambda e, ev: seen.append((e.seq, ev.seq if ev else None)))
    for i in range(3):
        log.record(
            time=1_796_686_092.5 + i, client="192.0.2.10", request="coa", attributes=("Filter-Id=a&b",),
            sessions=(7,), result="nak", error_cause=503, latency_ms=1.0,
        )  # fmt: skip
    assert [e.seq for e in log.entries] == [2, 3]
    assert seen == [(1, None), (2, None), (3, 1)]
    doc = log.document()["bng-aaa:dynamic-authorization-audit"]["request"]
    assert doc[0]["seq"] == "2" and doc[0]["time"].startswith("2026-12-07T23:28:13")
    assert doc[0]["error-cause"] == 503 and doc[0]["session-id"] == ["7"]
    ch = changes(log.entries[-1], log.entries[0])
    assert ch[0].op == "delete" and ch[0].path.endswith("request[seq='2']")
    assert "<attribute>Filter-Id=a&amp;b</attribute>" in notification(log.entries[-1])
    log.resize(1)
    assert [e.seq for e in log.entries] == [3]


def test_configuration_from_bng_aaa() -> None:
    cfg = CoaConfig.from_entry(
        {
            "radius": {
                "nas-identifier": "bng1",
                "dynamic-authorization": {
                    "enabled": True,
                    "port": 1700,
                    "event-timestamp-window": 60,
                    "client": [{"address": "2001:db8::0:1", "shared-secret": "s"}],
                },
            },
            "attribute-mapping": {
                "attribute": [
                    {"name": "down", "vendor-id": 65000, "type": 1, "target": "qos-output-profile",
                     "value": [{"radius-value": "gold", "qos-profile": "down-1g"}]},
                    {"name": "tpl", "type": 200, "target": "session-template"},
                ]
            },
        }
    )  # fmt: skip
    assert cfg.enabled and cfg.port == 1700 and cfg.window == 60 and cfg.require_event_timestamp
    assert cfg.clients == {"2001:db8::1": b"s"} and cfg.nas_identifier == "bng1"
    rule = cfg.mapping[(65000, 1)]
    assert rule.target is PolicyAttr.QOS_OUTPUT and rule.values == {"gold": "down-1g"}
    assert (0, 200) not in cfg.mapping  # a whole template is not changed by a CoA
    assert not CoaConfig.from_entry({}).enabled
