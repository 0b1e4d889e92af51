"""The NETCONF server: SSH listener, authentication, session table, notification fan-out.

``NetconfServer(datastores, txn, model, host=..., port=..., data_dir=...)`` with ``await start()`` /
``await stop()`` is what the agent process runs. Port 0 picks a free port (see :attr:`port` after
start). The SSH host key is generated into the data directory on first start and reused after.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from pathlib import Path
from typing import Any

import asyncssh

from agent.access.nacm import AccessControl, Policy, policy_from_json
from agent.access.users import USERS_XPATH, UserDirectory, verify_password
from agent.datastore.store import Datastores
from agent.model import ModelSet
from agent.model.schema import namespace_modules
from agent.model.yanglib import yang_library
from agent.netconf import monitoring, notify
from agent.netconf.session import NetconfSession
from agent.netconf.txnapi import Transactions

log = logging.getLogger("agent.netconf")

HOST_KEY_FILE = "ssh_host_ed25519_key"
DEFAULT_MAX_MESSAGE = 64 << 20


def load_or_create_host_key(data_dir: Path) -> asyncssh.SSHKey:
    """The server's SSH host key: generated once (ed25519, mode 0600), then reused so clients' known
    hosts entries stay valid across restarts."""
    path = data_dir / HOST_KEY_FILE
    if path.exists():
        return asyncssh.read_private_key(str(path))
    key = asyncssh.generate_private_key("ssh-ed25519")
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.export_private_key())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    log.info("netconf event=host-key-generated path=%s", path)
    return key


class _SSHServer(asyncssh.SSHServer):
    """Password and public-key authentication against :class:`UserDirectory`."""

    def __init__(self, users: UserDirectory) -> None:
        self._users = users

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        user = self._users.lookup(username)
        ok = bool(user and user.password_hash and verify_password(password, user.password_hash))
        log.info("netconf event=auth method=password user=%s result=%s", username, "ok" if ok else "fail")
        return ok

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        user = self._users.lookup(username)
        if user is None:
            return False
        offered = key.export_public_key("openssh").decode().split()[:2]
        return any(line.split()[:2] == offered for line in user.authorized_keys)


class NetconfServer:
    """NETCONF over SSH (RFC 6241, RFC 6242) in front of the datastores and the transaction manager."""

    def __init__(
        self,
        datastores: Datastores,
        txn: Transactions,
        model: ModelSet,
        *,
        host: str = "127.0.0.1",
        port: int = 830,
        data_dir: Path,
        max_sessions: int = 64,
        idle_timeout: float | None = 3600.0,
        hello_timeout: float = 30.0,
        max_message_size: int = DEFAULT_MAX_MESSAGE,
        admin_password_file: Path | None = None,
        recovery_user: str | None = "admin",
    ) -> None:
        self.datastores = datastores
        self.txn = txn
        self.model = model
        self.host = host
        self.port = port
        self.data_dir = Path(data_dir)
        self.max_sessions = max_sessions
        self.idle_timeout = idle_timeout
        self.hello_timeout = hello_timeout
        self.max_message_size = max_message_size
        self.admin_password_file = admin_password_file
        self.recovery_user = recovery_user
        self.content_id = yang_library(model.ctx).content_id
        # the subscriber manager (agent.sessions.api.SessionManagerApi), set by bng-agent run: the
        # bng-subscribers RPCs ask it; None when no subscriber service runs
        self.subscribers: Any = None
        self.ns_modules = namespace_modules(model.ctx)
        self.module_ns = {m: ns for ns, m in self.ns_modules.items()}
        self.sessions: dict[int, NetconfSession] = {}
        self.lock_times: dict[tuple[str, int], float] = {}
        self.start_time = time.time()
        self.stats = dict.fromkeys(
            [
                "in-bad-hellos",
                "in-sessions",
                "dropped-sessions",
                "in-rpcs",
                "in-bad-rpcs",
                "out-rpc-errors",
                "out-notifications",
            ],
            0,
        )
        self.users = UserDirectory(self._users_json, self.data_dir)
        self.generated_admin_password: str | None = None
        self._listener: Any = None
        self._policy: tuple[int, Policy] | None = None
        self._events_task: asyncio.Task[None] | None = None
        self._provider_ids: list[int] = []
        self._tasks: set[asyncio.Task[None]] = set()

    # ---------------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = load_or_create_host_key(self.data_dir)
        generated = self.users.ensure_bootstrap(self.admin_password_file)
        if generated is not None:
            self.generated_admin_password = generated
            # Printed once, on first start only; the hash is kept in the data directory.
            print(f"bng-agent: NETCONF user 'admin' created with password: {generated}", flush=True)
        ops = self.datastores.operational
        self._provider_ids = [
            ops.register("/ietf-netconf-monitoring:netconf-state", lambda: monitoring.netconf_state(self)),
            ops.register("/ietf-yang-library:yang-library", self._yang_library_json),
            ops.register("/ietf-yang-library:modules-state", self._yang_library_json),
        ]
        self._listener = await asyncssh.create_server(
            lambda: _SSHServer(self.users),
            self.host,
            self.port,
            server_host_keys=[key],
            process_factory=self._process,
            encoding=None,
            allow_scp=False,
            allow_pty=False,
            agent_forwarding=False,
            x11_forwarding=False,
            line_editor=False,
            login_timeout=self.hello_timeout,
            keepalive_interval=60,
        )
        self.port = self._listener.sockets[0].getsockname()[1]
        self._events_task = asyncio.create_task(self._commit_events(), name="netconf-commit-events")
        log.info("netconf event=listening host=%s port=%d", self.host, self.port)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            await self._listener.wait_closed()
            self._listener = None
        for sess in list(self.sessions.values()):
            await sess.terminate("other")
        for task in list(self._tasks):
            task.cancel()
        if self._events_task is not None:
            self._events_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._events_task
        for handle in self._provider_ids:
            self.datastores.operational.unregister(handle)

    def _yang_library_json(self) -> str:
        return yang_library(self.model.ctx).print("json")

    def _users_json(self) -> str:
        return self.datastores.read("running", xpath=USERS_XPATH, fmt="json")

    # ----------------------------------------------------------------------------------- sessions

    async def _process(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        if process.subsystem != "netconf":
            process.stderr.write(b"only the netconf subsystem is served here\n")
            process.exit(1)
            return
        if len(self.sessions) >= self.max_sessions:
            log.warning("netconf event=session-refused reason=max-sessions limit=%d", self.max_sessions)
            process.exit(1)
            return
        peer = process.get_extra_info("peername")
        user = process.get_extra_info("username")
        sess = NetconfSession(self, process, str(user), peer[0] if peer else None)
        self.sessions[sess.id] = sess
        self.stats["in-sessions"] += 1
        await sess.run()

    def session_started(self, sess: NetconfSession) -> None:
        log.info(
            "netconf event=session-start session=%d user=%s host=%s",
            sess.id,
            sess.session.user,
            sess.peer_host,
        )
        self.publish(
            "ietf-netconf-notifications", "netconf-session-start", notify.session_start(sess.changed_by())
        )

    def session_finished(self, sess: NetconfSession, reason: str, killed_by: int | None) -> None:
        if self.sessions.pop(sess.id, None) is None:
            return
        if reason in ("dropped", "timeout", "other", "bad-hello"):
            self.stats["dropped-sessions"] += 1
        self.datastores.release_session(sess.session)
        self.lock_times = {k: v for k, v in self.lock_times.items() if k[1] != sess.id}
        with contextlib.suppress(Exception):
            self.txn.session_ended(sess.session)
        log.info("netconf event=session-end session=%d reason=%s", sess.id, reason)
        if not sess.started:
            return
        self.publish(
            "ietf-netconf-notifications",
            "netconf-session-end",
            notify.session_end(sess.changed_by(), reason, killed_by),
        )

    # --------------------------------------------------------------------------------------- NACM

    def access_control(self, user: str) -> AccessControl:
        gen = self.datastores.generation
        if self._policy is None or self._policy[0] != gen:
            text = self.datastores.read(
                "running", xpath="/ietf-netconf-acm:nacm", fmt="json", with_defaults="report-all"
            )
            self._policy = (gen, policy_from_json(text))
        return AccessControl(self._policy[1], user, recovery=user == self.recovery_user)

    # ------------------------------------------------------------------------------ notifications

    def publish(self, module: str, name: str, body: str, ts: float | None = None) -> None:
        """Send a notification to every subscribed session whose user may receive it."""
        message: bytes | None = None
        for sess in list(self.sessions.values()):
            if not sess.wants(name):
                continue
            if not self.access_control(sess.session.user).may_receive(module, name):
                continue
            message = message or notify.wrap(body, ts)
            task = asyncio.create_task(sess.notify(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def follow_telemetry(self, bus: Any) -> None:
        """Send the telemetry bus's VPP connection, interface status and drift events as ``bng-agent``
        notifications to subscribed sessions (until :meth:`stop`)."""
        sub = bus.subscribe(kinds={"vpp-connection", "interface-state", "vpp-drift"})

        async def relay() -> None:
            try:
                await notify.relay_telemetry(sub, self.publish)
            finally:
                sub.close()

        task = asyncio.create_task(relay(), name="netconf-telemetry-events")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _commit_events(self) -> None:
        sub = self.txn.subscribe()
        try:
            async for event in sub:
                self._on_commit(event)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("netconf event=commit-subscription-failed")

    def _on_commit(self, event: Any) -> None:
        record, changes = event.record, event.changes
        sid = getattr(record, "session_id", None)
        sess = self.sessions.get(sid) if sid else None
        if sid and record.origin != "system":
            by = notify.ChangedBy(record.user, sid, sess.peer_host if sess else None)
        else:
            by = notify.ChangedBy()
        if changes:
            self.publish(
                "ietf-netconf-notifications",
                "netconf-config-change",
                notify.config_change(changes, by, self.module_ns),
                record.time,
            )
        comment = record.comment or ""
        if record.kind == "revert" and comment.endswith("timeout"):
            self.publish(
                "ietf-netconf-notifications",
                "netconf-confirmed-commit",
                notify.confirmed_commit("timeout", notify.ChangedBy()),
                record.time,
            )

    def startup_published(self, by: notify.ChangedBy) -> None:
        """RFC 6470: startup changed as a whole (copy-config / delete-config); no per-node edits."""
        self.publish(
            "ietf-netconf-notifications",
            "netconf-config-change",
            notify.config_change([], by, self.module_ns, datastore="startup"),
        )

    async def startup_changed(self) -> None:
        """Make a changed startup datastore durable (the journal keeps it across restarts)."""
        journal = getattr(self.txn, "journal", None)
        if journal is not None:
            text = self.datastores.read("startup", fmt="json", with_defaults="explicit")
            await journal.save_startup_async(text)
