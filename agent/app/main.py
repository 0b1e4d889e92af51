"""``bng-agent run``: start everything in order, serve, stop cleanly on SIGTERM/SIGINT.

Start-up order: load the model set; open the journal (last committed running config) or, on a first
start, the ``--startup`` file; start vppsim if asked (or if no VPP socket exists); connect to VPP and
reconcile it with running config (the link keeps doing that after every reconnect); start the
transaction manager and the NETCONF server; print how to connect. Shutdown runs the same list backwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.datastore import unapplied
from agent.errors import AgentError
from agent.vpp.audit import DriftAuditor
from agent.vpp.events import DriftMonitor
from agent.vpp.link import VppLink
from agent.vpp.southbound import VppSouthbound

log = logging.getLogger("agent.app")

DEFAULT_VPP_API_SOCKET = "/run/vpp/api.sock"
DEFAULT_VPP_STATS_SOCKET = "/run/vpp/stats.sock"
DEFAULT_DATA_DIR = "/var/lib/bng-agent"
# RFC 6242's port needs root; an unprivileged run (make run on a laptop) uses 8830 instead.
DEFAULT_NETCONF_PORT = 830 if os.geteuid() == 0 else 8830
DEFAULT_GNMI_PORT = 9339
DEFAULT_METRICS_PORT = 9464
# The emulator's NICs (GigabitEthernet0/8/0 .. 0/d/0): the demo configuration uses the first four, the
# feature pages' worked examples (docs/features) bond the two spare ones on the same node.
DEFAULT_SIM_PORTS = 6
VPP_READY_TIMEOUT = 60.0
# examples/demo-config.* configure this user with this password (a lab node; see docs/southbound.md)
DEMO_USER = "admin"
DEMO_PASSWORD = "admin"


class SettingsError(AgentError):
    """A command-line or ``--config`` setting that cannot work (reported before anything starts)."""

    default_tag = "invalid-value"


@dataclass
class Settings:
    """Effective settings: command line over ``--config`` file (TOML) over defaults."""

    data_dir: Path
    startup: Path | None
    netconf_port: int
    netconf_host: str
    gnmi_port: int
    metrics_port: int
    vpp_api_socket: str
    vpp_stats_socket: str
    sim: bool
    sim_ports: int
    log_level: str
    gnmi_insecure: bool = False
    gnmi_tls_cert: Path | None = None
    gnmi_tls_key: Path | None = None
    gnmi_client_ca: Path | None = None
    admin_password_file: Path | None = None
    # drift while running (agent/vpp/events.py): audit period in seconds (0: events only), and whether
    # drift is repaired (true) or only reported (false)
    drift_audit_interval: float = 60.0
    drift_repair: bool = True
    acl_interval: float = 5.0  # ACL hit counters and reflexive sessions are read this often
    # the agent's end of VPP's punt socket (DHCP relay); None: /run/bng-agent/punt.sock, or beside vppsim
    punt_socket: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Settings:
        file: dict[str, Any] = {}
        if getattr(args, "config", None):
            with open(args.config, "rb") as f:
                file = tomllib.load(f)

        def pick(name: str, default: Any) -> Any:
            v = getattr(args, name, None)
            if v is not None and v is not False:
                return v
            return file.get(name.replace("_", "-"), file.get(name, default))

        api = pick("vpp_api_socket", None)
        sim = bool(pick("sim", False)) or (api is None and not os.path.exists(DEFAULT_VPP_API_SOCKET))
        startup = pick("startup", None)

        def path(name: str) -> Path | None:
            v = pick(name, None)
            return Path(v) if v else None

        cert, key = path("gnmi_tls_cert"), path("gnmi_tls_key")
        insecure = bool(pick("gnmi_insecure", False))
        if (cert is None) != (key is None):
            raise SettingsError("--gnmi-tls-cert and --gnmi-tls-key must be given together")
        if insecure and cert is not None:
            raise SettingsError("--gnmi-insecure and --gnmi-tls-cert/--gnmi-tls-key exclude each other")
        client_ca = path("gnmi_client_ca")
        if client_ca is not None and insecure:
            raise SettingsError("--gnmi-client-ca needs TLS (drop --gnmi-insecure)")
        for what, p in (("gnmi-tls-cert", cert), ("gnmi-tls-key", key), ("gnmi-client-ca", client_ca)):
            if p is not None and not p.is_file():
                raise SettingsError(f"--{what}: no such file: {p}")
        audit_interval = float(pick("drift_audit_interval", 60.0))
        if audit_interval < 0:
            raise SettingsError("--drift-audit-interval must be 0 (off) or a number of seconds")
        repair = file.get("drift-repair", True)
        if getattr(args, "no_drift_repair", False):
            repair = False
        if not isinstance(repair, bool):
            raise SettingsError("drift-repair must be true or false")
        password_file = path("admin_password_file")
        if password_file is not None and not password_file.is_file():
            raise SettingsError(f"--admin-password-file: no such file: {password_file}")
        return cls(
            data_dir=Path(pick("data_dir", DEFAULT_DATA_DIR)),
            startup=Path(startup) if startup else None,
            netconf_port=int(pick("netconf_port", DEFAULT_NETCONF_PORT)),
            # with the emulator this is a laptop or CI run: listen on loopback unless told otherwise
            netconf_host=str(file.get("netconf-host", "127.0.0.1" if sim else "0.0.0.0")),
            gnmi_port=int(pick("gnmi_port", DEFAULT_GNMI_PORT)),
            metrics_port=int(pick("metrics_port", DEFAULT_METRICS_PORT)),
            vpp_api_socket=str(api or DEFAULT_VPP_API_SOCKET),
            vpp_stats_socket=str(pick("vpp_stats_socket", DEFAULT_VPP_STATS_SOCKET)),
            sim=sim,
            sim_ports=int(file.get("sim-ports", DEFAULT_SIM_PORTS)),
            log_level=str(file.get("log-level", os.environ.get("BNG_AGENT_LOG", "INFO"))),
            gnmi_insecure=insecure,
            gnmi_tls_cert=cert,
            gnmi_tls_key=key,
            gnmi_client_ca=client_ca,
            admin_password_file=password_file,
            drift_audit_interval=audit_interval,
            drift_repair=repair,
            acl_interval=float(pick("acl_interval", 5.0)),
            punt_socket=file.get("punt-socket"),
        )


def startup_json(path: Path) -> str:
    """The ``--startup`` file (NETCONF XML ``<config>`` or JSON-IETF), validated, as JSON-IETF text."""
    from agent.model.validate import parse_config

    tree = parse_config(path.read_bytes())
    if tree is None:
        return ""
    try:
        return str(tree.print_mem("json", with_siblings=True, pretty=False))
    finally:
        tree.free()


class Agent:
    """The running agent; :meth:`start` / :meth:`stop` are usable from tests in-process."""

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.sim: Any = None
        self.link: VppLink | None = None
        self.southbound = VppSouthbound()
        self.drift: DriftMonitor | None = None
        self.txn: Any = None
        self.netconf: Any = None
        self.gnmi: Any = None
        self.telemetry: Any = None
        self.datastores: Any = None
        self.journal: Any = None
        self._op_handle: int | None = None
        self.nat: Any = None
        self._nat_handle: int | None = None
        self.acl: Any = None
        self._acl_stats: Any = None
        self._acl_op: int | None = None
        self._acl_task: asyncio.Task[None] | None = None
        self.subscribers: Any = None  # agent.sessions.service.SubscriberService
        self._subscriber_wiring: Any = None
        self.coa: Any = None  # agent.app.coa.CoaRuntime
        self.natlog: Any = None
        self.dhcp6: Any = None
        self.nd_guard: Any = None
        self.ra_metrics: Any = None
        self._natlog_handle: int | None = None
        self.dhcp4: Any = None
        self.aaa: Any = None

    async def start(self) -> None:
        from agent.datastore.journal import Journal
        from agent.datastore.store import Datastores
        from agent.model.context import load_model_set
        from agent.txn.manager import TransactionManager

        model = load_model_set()
        self.s.data_dir.mkdir(parents=True, exist_ok=True)
        self.journal = Journal(self.s.data_dir / "journal", model)
        loaded = self.journal.load()
        for problem in loaded.problems:
            log.warning("journal problem=%s", problem)
        running = loaded.running_json
        source = "journal"
        if not running and self.s.startup is not None:
            running, source = startup_json(self.s.startup), str(self.s.startup)
        self.datastores = Datastores(model, running=running or None, startup=loaded.startup_json or None)
        if source != "journal" and running:
            # First start from --startup: make it the journal's base (snapshot 0) and the startup
            # datastore, so later commits replay on top of it after a restart.
            await self.journal.snapshot(
                self.datastores.running.json(), loaded.last_commit_id, list(loaded.history)
            )
            await self.journal.wait_snapshot()
            self.journal.save_startup(self.datastores.running.json())
        self.southbound.load_config(self.datastores.running.json())
        log.info("config source=%s last_commit=%d", source if running else "empty", loaded.last_commit_id)
        for entry, nodes in unapplied.instances(self.datastores.running.tree.root):
            if nodes:
                log.warning(
                    "config stored but not applied: %s (%d) -- %s", entry.path, len(nodes), entry.reason
                )

        # sessions from their log into the southbound before it first reconciles VPP (docs/subscribers.md)
        from agent.features.acl.session import AclSessionHook
        from agent.features.nat.session import NAT_HOOK
        from agent.features.qos.session import QOS_HOOK
        from agent.sessions.service import SubscriberService

        # the features' per-session items (SessionHook)
        self.subscribers = SubscriberService(
            self.s.data_dir, self.southbound, hooks=[AclSessionHook(), QOS_HOOK, NAT_HOOK]
        )
        self.subscribers.restore()
        self.sessions = self.subscribers.manager  # what the subscriber API and metrics use

        api, stats = self.s.vpp_api_socket, self.s.vpp_stats_socket
        if self.s.sim:
            from agent.app.sim import start_sim

            self.sim = await start_sim(ports=self.s.sim_ports)
            api, stats = self.sim.api_socket, self.sim.stats_socket
            log.info("vppsim started pid=%d api=%s stats=%s", self.sim.proc.pid, api, stats)
        self.vpp_api_socket, self.vpp_stats_socket = api, stats
        self.link = VppLink(api, self.southbound)
        self.link.on_call = self._observe_vpp_call
        await self.link.start()
        ready = await self.link.wait_ready(VPP_READY_TIMEOUT)
        if self.link.fatal is not None:
            raise self.link.fatal
        if not ready:
            log.warning("vpp not reachable at %s yet; serving anyway, commits fail until it is", api)
        auditor = DriftAuditor(self.southbound, repair=self.s.drift_repair)
        self.drift = DriftMonitor(self.link, auditor, interval=self.s.drift_audit_interval)
        await self.drift.start()

        self.txn = TransactionManager(self.datastores, self.journal, self.southbound)
        await self.txn.start(loaded)
        await self._start_telemetry(stats)
        self._start_nat()
        self._start_acl(stats)
        await self._start_natlog()
        await self._start_dhcp6()
        self._start_nd_guard()
        self._start_ra_metrics()
        await self._start_netconf(model)
        await self._start_gnmi(model)
        if self.telemetry is not None and self.gnmi is not None:
            # oper-status and VPP connection events drive gNMI ON_CHANGE subscriptions
            self.telemetry.forward(self.gnmi.publish_operational)
        if self.telemetry is not None and self.netconf is not None:
            # bng-agent:vpp-connection-change and oper-status-change on the NETCONF stream (RFC 5277)
            self.netconf.follow_telemetry(self.telemetry.bus)
        await self._start_subscribers()
        await self._start_coa()
        self._start_module_metrics()

    def _start_module_metrics(self) -> None:
        """ARP/ND cache sizes (always) and subscriber metrics (when a subscriber manager runs, as
        ``self.sessions``) as the telemetry modules ``neighbors`` and ``subscribers``."""
        if self.telemetry is None:
            return
        from agent.features.proxyarp.metrics import NeighborMetrics

        sb = self.southbound
        self.neighbor_metrics = NeighborMetrics(lambda: sb.conn, lambda i: sb.names.name_of(i))
        self.neighbor_metrics.start()
        self.telemetry.register_source("neighbors", self.neighbor_metrics.samples)
        self._start_qos_state()
        sessions = getattr(self, "sessions", None)
        if sessions is not None:
            from agent.sessions.metrics import SessionMetrics

            self.session_metrics = SessionMetrics(sessions)
            self.session_metrics.start()
            self.telemetry.register_source("subscribers", self.session_metrics.samples)

    def _start_nat(self) -> None:
        """NAT44 operational state (``/ietf-nat:nat`` in ``<operational>``) and its metrics."""
        from agent.features.nat.keys import ROOT
        from agent.features.nat.operational import NatMonitor
        from agent.features.vrfs.items import table_id

        sb = self.southbound
        self.nat = NatMonitor(
            config=lambda: sb.config.get(ROOT),
            conn=lambda: sb.conn,
            vrf_tables=lambda: {n: table_id(e) for n, e in sb.config.entries("vrf").items()},
        )
        self.nat.start()
        self._nat_handle = self.datastores.operational.register("/ietf-nat:nat", self.nat.provide)
        if self.telemetry is not None:
            self.telemetry.register_source("nat", self.nat.samples)

    def _start_qos_state(self) -> None:
        """Policers' programmed values and counters: ``bng-qos:qos-state`` and the ``qos`` metrics."""
        from agent.features.qos.state import QosState

        assert self.telemetry is not None
        sb = self.southbound
        self.qos_state = QosState(
            lambda: sb.conn,
            lambda: {**sb.applied, **sb.runtime.applied()},
            lambda: sb.names.handles,
            self.vpp_stats_socket,
        )
        self.qos_state.start()
        self.telemetry.register_source("qos", self.qos_state.samples)
        self.datastores.operational.register("/bng-qos:qos-state", self.qos_state.operational)

    async def _start_subscribers(self) -> None:
        """The subscriber service: its packet-path consumers (DHCPv4/DHCPv6 relay, RA, ND guard ...) are
        added here with ``self.subscribers.add_consumer(...)`` before it starts them."""
        from agent.app.subscribers import SubscriberWiring

        self._subscriber_wiring = SubscriberWiring(self.subscribers, self.datastores)
        self._subscriber_wiring.start(self.gnmi, self.netconf)
        self.subscribers.add_consumer(self._aaa_consumer())
        self.subscribers.add_consumer(self._dhcp4_consumer())
        await self.subscribers.start()
        # a QoS profile edited in configuration changes the policers of the sessions using it
        self.subscribers.follow_config(self.txn, ("/bng-qos:qos",))

    async def _start_coa(self) -> None:
        """The CoA/Disconnect listener (RFC 5176, docs/coa.md) on the subscriber manager: follows
        ``bng-aaa:aaa/radius/dynamic-authorization``; its audit log in ``<operational>``, on gNMI ON_CHANGE
        and as NETCONF notifications."""
        from agent.app.coa import CoaRuntime

        self.coa = CoaRuntime(self.datastores.running.json, self.subscribers.manager, self.datastores)
        self.coa.start(self.gnmi, self.netconf)
        try:
            await self.coa.apply()
        except OSError:
            log.exception("CoA listener did not start; retried after the next commit")
        self.coa.follow(self.txn)
        if self.telemetry is not None:
            self.telemetry.register_source("coa", self.coa.samples)

    async def _start_natlog(self) -> None:
        """The NAT event logging relay (docs/nat-logging.md): follows nat-logging in running."""
        import json

        from agent.natlog.service import NatLogService

        self.natlog = NatLogService(self.s.data_dir)
        self.natlog.follow(self.txn, lambda: str(self.datastores.running.json()))
        await self.natlog.apply(json.loads(self.datastores.running.json() or "{}"))
        self._natlog_handle = self.datastores.operational.register(
            "/bng-telemetry:telemetry", self.natlog.provide
        )
        if self.telemetry is not None:
            self.telemetry.register_source("natlog", self.natlog.samples)

    def _start_ra_metrics(self) -> None:
        """RA counters per interface from VPP (agent/features/ra/metrics.py)."""
        from agent.features.ra.metrics import RaMetrics

        sb = self.southbound
        self.ra_metrics = RaMetrics(lambda: sb.conn, sb.names.name_of)
        self.ra_metrics.start()
        if self.telemetry is not None:
            self.telemetry.register_source("ra", self.ra_metrics.samples)

    def _start_nd_guard(self) -> None:
        """The ND guard (agent/ndguard): only sessions' own IPv6 neighbours stay on IPoE access
        interfaces; runs while a subscriber manager does."""
        import json

        from agent.ndguard.guard import NdGuard
        from agent.sessions.templates import AccessConfig

        sessions = getattr(self, "sessions", None)
        if sessions is None:
            return
        sb, ds = self.southbound, self.datastores

        def access() -> list[str]:
            doc = json.loads(ds.running.json() or "{}")
            cfg = AccessConfig.from_entry(doc.get("bng-subscribers:subscribers") or {})
            return [name for name, ai in cfg.interfaces.items() if ai.ipoe]

        self.nd_guard = NdGuard(lambda: sb.conn, sessions.list, access, sb.names.get)
        self.nd_guard.start()
        if self.telemetry is not None:
            self.telemetry.register_source("ndguard", self.nd_guard.samples)

    async def _start_dhcp6(self) -> None:
        """The DHCPv6 relay (agent/app/dhcp6.py): idle until an access interface relays DHCPv6; its
        bindings become sessions when a subscriber manager runs (``self.sessions``)."""
        from agent.app.dhcp6 import DEFAULT_PUNT_SOCKET, Dhcp6Runtime
        from agent.dhcp6.sessions import SessionSink

        sessions = getattr(self, "sessions", None)
        punt = DEFAULT_PUNT_SOCKET
        if self.sim is not None:  # next to the emulator's sockets, as the agent's other private files
            punt = os.path.join(os.path.dirname(self.vpp_api_socket), "agent-dhcp6.sock")
        link = self.link
        self.dhcp6 = Dhcp6Runtime(
            self.datastores.running.json,
            lambda: link.conn if link is not None else None,
            self.southbound.names.name_of,
            punt,
            SessionSink(sessions) if sessions is not None else None,
        )
        try:
            await self.dhcp6.apply()
        except Exception:
            log.exception("dhcp6 relay did not start; retried after the next commit")
        self.dhcp6.follow(self.txn)
        if self.telemetry is not None:
            self.telemetry.register_source("dhcpv6", self.dhcp6.samples)

    def _aaa_consumer(self) -> Any:
        """RADIUS AAA (docs/aaa.md): follows bng-aaa; authorises IPoE sessions for the DHCPv4 relay and
        sends accounting for every session, with counters from the telemetry's stats-segment reads."""
        from agent.aaa.counters import from_telemetry
        from agent.aaa.service import AaaService

        telemetry = self.telemetry
        counters = None
        if telemetry is not None:
            counters = from_telemetry(lambda: telemetry.snapshot, self.southbound.names.get)
        self.aaa = AaaService(
            self.datastores.running.json,
            lambda: getattr(self, "sessions", None),
            self.s.data_dir,
            **({"counters": counters} if counters is not None else {}),
            txn=self.txn,
        )
        if telemetry is not None:
            telemetry.register_source("aaa", self.aaa.samples)
        return self.aaa

    def _dhcp4_consumer(self) -> Any:
        """The DHCPv4 relay and its packet path (docs/dhcp-relay.md), a consumer of the subscriber service:
        started once configuration relays DHCPv4; its leases become the manager's sessions."""
        from agent.app.dhcp import DEFAULT_PUNT_SOCKET, Dhcp4Runtime
        from agent.dhcp4.sessions import ManagerSink

        punt = self.s.punt_socket
        if punt is None:
            punt = os.path.join(self.sim.workdir, "agent-punt.sock") if self.sim else DEFAULT_PUNT_SOCKET
        link = self.link
        assert link is not None
        self.dhcp4 = Dhcp4Runtime(
            self.datastores.running.json,
            lambda: link.conn,
            self.southbound.names.name_of,
            punt,
            ManagerSink(
                lambda: getattr(self, "sessions", None),
                lambda: self.aaa.authorizer() if self.aaa is not None else None,
            ),
            self.txn,
        )
        if self.telemetry is not None:
            self.telemetry.register_source("dhcp4", self.dhcp4.samples)
        return self.dhcp4

    def _observe_vpp_call(self, msg: str, seconds: float) -> None:
        """Every VPP call's latency into telemetry's histogram (calls before telemetry started are not
        counted: the first reconcile runs before the telemetry service exists)."""
        if self.telemetry is not None:
            self.telemetry.observe_vpp_call(msg, seconds)

    def _start_acl(self, stats_socket: str) -> None:
        """ACL hit counters and reflexive sessions (agent/features/acl/operational.py): operational state
        under /ietf-access-control-list:acls and the ``acl`` metrics."""
        from agent.features.acl.operational import AclMonitor, StatsCounters

        self._acl_stats = StatsCounters(stats_socket, self.southbound)
        self.acl = AclMonitor(self.southbound, self._acl_stats.read)
        self._acl_op = self.datastores.operational.register(
            "/ietf-access-control-list:acls", self.acl.operational
        )
        if self.telemetry is not None:
            self.telemetry.register_source("acl", self.acl.samples)
        self._acl_task = asyncio.get_running_loop().create_task(self.acl.run(self.s.acl_interval))

    async def _start_telemetry(self, stats_socket: str) -> None:
        try:
            from agent.telemetry.service import start_telemetry
        except ImportError:  # a partial build: report at least what the southbound knows
            log.warning("telemetry not available in this build")
            self._op_handle = self.datastores.operational.register(
                "/ietf-interfaces:interfaces", self._vpp_state
            )
            return
        self.telemetry = await start_telemetry(
            stats_socket=stats_socket,
            link=self.link,
            southbound=self.southbound,
            txn=self.txn,
            datastores=self.datastores,
            metrics_port=self.s.metrics_port,
            metrics_host=self.s.netconf_host,
        )

    async def _start_gnmi(self, model: Any) -> None:
        try:
            from agent.gnmi.server import GnmiServer
        except ImportError:
            log.warning("gnmi server not available in this build")
            return
        self.gnmi = GnmiServer(
            self.datastores,
            self.txn,
            model,
            host=self.s.netconf_host,
            port=self.s.gnmi_port,
            data_dir=self.s.data_dir / "gnmi",
            tls_cert=self.s.gnmi_tls_cert,
            tls_key=self.s.gnmi_tls_key,
            client_ca=self.s.gnmi_client_ca,
            insecure=self.s.gnmi_insecure,
            admin_password_file=self.s.admin_password_file,
        )
        from agent.subapi import subscriber_service

        # the subscriber API on the gNMI port; UNAVAILABLE until a subscriber manager runs (self.sessions)
        self.gnmi.add_service(subscriber_service(lambda: getattr(self, "sessions", None)))
        await self.gnmi.start()

    async def _start_netconf(self, model: Any) -> None:
        try:
            from agent.netconf.server import NetconfServer
        except ImportError:  # the northbound is optional in a partial build
            log.warning("netconf server not available in this build")
            return
        self.netconf = NetconfServer(
            self.datastores,
            self.txn,
            model,
            host=self.s.netconf_host,
            port=self.s.netconf_port,
            data_dir=self.s.data_dir / "netconf",
            admin_password_file=self.s.admin_password_file,
        )
        await self.netconf.start()

    def _vpp_state(self) -> dict[str, Any]:
        """Operational ``vpp-state`` per interface, including VPP objects the agent does not manage."""
        entries = []
        for name, st in self.southbound.interface_state().items():
            entries.append(
                {
                    "name": name,
                    "bng-interfaces:vpp-state": {"sw-if-index": st["sw-if-index"], "managed": st["managed"]},
                }
            )
        configured = {e["name"] for e in entries}
        for obj in self.southbound.unmanaged:
            if obj.get("kind") == "interface" and obj["name"] not in configured:
                entries.append(
                    {
                        "name": obj["name"],
                        "bng-interfaces:vpp-state": {"sw-if-index": obj["sw_if_index"], "managed": False},
                    }
                )
        return {"ietf-interfaces:interfaces": {"interface": entries}}

    def login_password(self) -> str | None:
        """The password to show in the banner: only the demo one (``admin``/``admin`` from
        ``examples/``), recognised by checking the configured hash -- a real password is never known."""
        from agent.access.users import verify_password

        server = self.netconf or self.gnmi
        if server is None:
            return None
        user = server.users.lookup(DEMO_USER)
        if user is not None and user.password_hash and verify_password(DEMO_PASSWORD, user.password_hash):
            return DEMO_PASSWORD
        return None

    def banner(self) -> str:
        """How to connect, as commands that work when pasted into a fresh shell: the client tools by
        their full path in this installation's virtualenv, files by absolute path, the gNMI server
        certificate actually in use and a client that verifies it (not only ``--skip-verify``)."""
        lines = ["bng-agent is running"]
        host = host_of(self.s.netconf_host)
        demo = self.login_password()
        password = demo or "PASSWORD"
        if demo is not None:
            lines.append(
                f"  login: user '{DEMO_USER}', password '{demo}' (the demo configuration's;"
                " change it before exposing the node)"
            )
        elif self.s.admin_password_file is not None:
            lines.append(f"  login: user '{DEMO_USER}' with the password in {self.s.admin_password_file}")
        bindir = tools_dir()
        if bindir is not None:
            lines.append(
                f"  client tools are in {bindir} (to use them by name: source {bindir / 'activate'})"
            )
        if self.netconf is not None:
            port = self.netconf.port
            lines.append(f"  NETCONF: ssh -p {port} {DEMO_USER}@{host} -s netconf")
            lines.append(
                f"           {tool('netconf-console2')} --host {host} --port {port} -u {DEMO_USER}"
                f" -p {password} --get-config"
            )
        if self.gnmi is not None:
            lines += self._gnmi_banner(host, password)
        exporter = getattr(self.telemetry, "exporter", None)
        if exporter is not None:
            port = getattr(exporter, "port", self.s.metrics_port)
            lines.append(f"  Prometheus: http://{host}:{port}/metrics")
        lines.append(f"  VPP API socket: {self.vpp_api_socket}" + (" (vppsim)" if self.sim else ""))
        lines.append(f"  VPP stats socket: {self.vpp_stats_socket}")
        if self.sim is not None:
            ctl = f"{tool('bng-vppsim')} ctl --control-socket {self.sim.control_socket}"
            lines.append(f"  vppsim control: {ctl} ping")
            lines.append(f"           {ctl} cli show interface      (--help lists the commands)")
        lines.append(f"  data directory: {self.s.data_dir.absolute()}")
        return "\n".join(lines)

    def _gnmi_banner(self, host: str, password: str) -> list[str]:
        port = self.gnmi.bound_port
        login = f"-u {DEMO_USER} -p {password}"
        if self.s.gnmi_insecure:
            return [
                f"  gNMI (plaintext): {host}:{port}",
                f"           {tool('pygnmicli')} -t {host}:{port} {login} --insecure -o capabilities",
                f"           gnmic -a {host}:{port} {login} --insecure capabilities",
            ]
        cert = Path(self.gnmi.tls_cert).absolute()
        origin = "self-signed, made at first start" if self.s.gnmi_tls_cert is None else "--gnmi-tls-cert"
        pyflags = f"-r {cert}"
        gnmic_flags = f"--tls-ca {cert}"
        if self.s.gnmi_client_ca is not None:
            pyflags += " -c CLIENT.pem -k CLIENT.key"
            gnmic_flags += " --tls-cert CLIENT.pem --tls-key CLIENT.key"
        return [
            f"  gNMI (TLS): {host}:{port}",
            f"           server certificate: {cert} ({origin}); clients below verify against it",
            f"           {tool('pygnmicli')} -t {host}:{port} {login} {pyflags} -o capabilities",
            f"           gnmic -a {host}:{port} {login} {gnmic_flags} capabilities",
        ]

    async def stop(self) -> None:
        if self.subscribers is not None:
            with contextlib.suppress(Exception):
                await self.subscribers.stop()
        if self._subscriber_wiring is not None:
            await self._subscriber_wiring.stop()
        if self.coa is not None:
            await self.coa.stop()
        for metrics in (
            getattr(self, "neighbor_metrics", None),
            getattr(self, "session_metrics", None),
            getattr(self, "qos_state", None),
        ):
            if metrics is not None:
                await metrics.stop()
        if self.gnmi is not None:
            with contextlib.suppress(Exception):
                await self.gnmi.stop()
        if self.netconf is not None:
            with contextlib.suppress(Exception):
                await self.netconf.stop()
        if self.natlog is not None:
            if self._natlog_handle is not None and self.datastores is not None:
                self.datastores.operational.unregister(self._natlog_handle)
            with contextlib.suppress(Exception):
                await self.natlog.stop()
        if self.telemetry is not None:
            with contextlib.suppress(Exception):
                await self.telemetry.stop()
        if self._op_handle is not None and self.datastores is not None:
            self.datastores.operational.unregister(self._op_handle)
        if self.nat is not None:
            await self.nat.stop()
            if self._nat_handle is not None:
                self.datastores.operational.unregister(self._nat_handle)
        if self._acl_task is not None:
            self._acl_task.cancel()
            with contextlib.suppress(BaseException):
                await self._acl_task
            self._acl_task = None
        if self._acl_op is not None and self.datastores is not None:
            self.datastores.operational.unregister(self._acl_op)
            self._acl_op = None
        if self._acl_stats is not None:
            self._acl_stats.close()
        if self.nd_guard is not None:
            await self.nd_guard.stop()
        if self.ra_metrics is not None:
            await self.ra_metrics.stop()
        if self.dhcp6 is not None:
            with contextlib.suppress(Exception):
                await self.dhcp6.stop()
        if self.txn is not None:
            with contextlib.suppress(Exception):
                await self.txn.stop()
        if self.drift is not None:
            await self.drift.stop()
        if self.link is not None:
            await self.link.stop()
        if self.sim is not None:
            await self.sim.stop()
            self.sim = None


def tools_dir() -> Path | None:
    """The directory of this installation's console scripts (a virtualenv's ``bin``), or None when the
    agent runs from the system Python (its tools are then on PATH already)."""
    if sys.prefix == sys.base_prefix:
        return None
    return Path(sys.prefix).absolute() / "bin"


def tool(name: str) -> str:
    """A client tool installed with the agent, by full path when it sits in the virtualenv, so the
    banner's commands work as printed from a shell that has not activated it."""
    bindir = tools_dir()
    if bindir is not None and (bindir / name).exists():
        return str(bindir / name)
    return name


def host_of(bind: str) -> str:
    """Where a client on this host connects for a server bound to ``bind``."""
    return "127.0.0.1" if bind in ("0.0.0.0", "::", "") else bind


async def serve(settings: Settings, *, stop: asyncio.Event | None = None) -> int:
    agent = Agent(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await agent.start()
    except AgentError as e:
        print(f"bng-agent: {e.message}", file=sys.stderr)
        await agent.stop()
        return 3
    except BaseException:
        await agent.stop()
        raise
    print(agent.banner(), flush=True)
    log.info("agent event=ready")
    await stop.wait()
    log.info("agent event=stopping")
    await agent.stop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.remove_signal_handler(sig)
    return 0


def run(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_args(args)
    except SettingsError as e:
        print(f"bng-agent: {e.message}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    try:
        return asyncio.run(serve(settings))
    except KeyboardInterrupt:
        return 130


__all__ = ["Agent", "Settings", "SettingsError", "run", "serve"]
