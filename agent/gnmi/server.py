"""The gNMI server process component: gRPC (grpc.aio) with TLS, authentication, health and reflection.

:class:`GnmiServer` is what ``bng-agent run`` starts. It holds no datastore logic: every RPC
authenticates the caller (gRPC metadata ``username``/``password``, the NETCONF user base), builds NACM
access control for that user, and calls :mod:`agent.gnmi.get`, :mod:`agent.gnmi.setop` or
:mod:`agent.gnmi.subscribe`, which use the shared datastores and transaction manager. Errors become
gRPC status codes (:func:`agent.gnmi.errors.status_of`).

One task listens to commit events and fans them out to the ON_CHANGE subscriptions of every stream;
:meth:`GnmiServer.publish_operational` is the entry point for operational events (telemetry layer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc  # type: ignore[import-untyped]
from grpc_reflection.v1alpha import reflection  # type: ignore[import-untyped]

from agent.access.users import ADMIN_HASH_FILE, USERS_XPATH, UserDirectory
from agent.datastore.changes import Change
from agent.datastore.session import Session
from agent.datastore.store import Datastores
from agent.gnmi import get as get_mod
from agent.gnmi import setop, subscribe
from agent.gnmi.auth import Authenticator
from agent.gnmi.capabilities import capability_response
from agent.gnmi.errors import GnmiError, status_of
from agent.gnmi.flatten import Flattener
from agent.gnmi.pb import gnmi, gnmi_grpc
from agent.gnmi.tls import ensure_self_signed, server_credentials
from agent.model import ModelSet
from agent.model.yanglib import module_entries

log = logging.getLogger("agent.gnmi")

SERVICE_NAME = "gnmi.gNMI"
DEFAULT_MAX_MESSAGE = 64 * 1024 * 1024


class Service(Protocol):
    """Another gRPC service served with gNMI (same port, TLS, users and NACM): the subscriber API."""

    name: str

    def close(self) -> None:
        """The server is stopping (end long-running streams)."""


#: Builds a service for a server: the service and its RPC handlers (:meth:`GnmiServer.add_service`).
ServiceFactory = Callable[["GnmiServer"], tuple[Service, grpc.GenericRpcHandler]]


def _shared_users_dir(data_dir: Path) -> Path:
    """Where the bootstrap ``admin`` hash lives: shared with NETCONF so one password works for both.

    ``bng-agent run`` gives each server its own folder (``<data>/gnmi``, ``<data>/netconf``); when a
    sibling ``netconf`` folder exists (or is about to be created by the NETCONF server) its hash is used,
    so the agent never holds two different bootstrap passwords.
    """
    sibling = data_dir.parent / "netconf"
    if data_dir.name == "gnmi" and (sibling / ADMIN_HASH_FILE).exists():
        return sibling
    return data_dir


class GnmiServer:
    """gNMI on ``host:port``; TLS unless ``insecure``.

    ``users_dir`` is the folder holding the bootstrap ``admin`` password hash (default: shared with a
    sibling ``netconf`` data folder, else ``data_dir``).
    """

    def __init__(
        self,
        datastores: Datastores,
        txn: Any,
        model: ModelSet,
        *,
        host: str = "127.0.0.1",
        port: int = 9339,
        data_dir: Path,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
        client_ca: Path | None = None,
        insecure: bool = False,
        recovery_user: str | None = "admin",
        admin_password_file: Path | None = None,
        queue_limit: int = 4096,
        min_sample_interval: float = 0.1,
        max_message_size: int = DEFAULT_MAX_MESSAGE,
        max_streams: int = 512,
        first_request_timeout: float = 30.0,
        users_dir: Path | None = None,
        state_change_interval: float = 5.0,
    ) -> None:
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("the gNMI TLS certificate and key must be given together")
        self.datastores = datastores
        self.txn = txn
        self.model = model
        self.host = host
        self.port = port
        self.data_dir = Path(data_dir)
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.client_ca = client_ca
        self.insecure = insecure
        self.admin_password_file = admin_password_file
        self.queue_limit = queue_limit
        self.min_sample_interval = min_sample_interval
        self.max_message_size = max_message_size
        self.max_streams = max_streams
        self.first_request_timeout = first_request_timeout
        self.state_change_interval = state_change_interval
        self.users = UserDirectory(self._users_json, users_dir or _shared_users_dir(self.data_dir))
        self.auth = Authenticator(
            self.users, self._nacm_json, lambda: datastores.generation, recovery_user=recovery_user
        )
        self.model_names = {e.name for e in module_entries(model.ctx) if e.implemented}
        self.streams: set[subscribe.StreamSession] = set()
        self.stats: dict[str, float] = {"rpcs": 0, "errors": 0, "auth-failures": 0, "streams-dropped-slow": 0}
        self._server: grpc.aio.Server | None = None
        self._bound_port: int | None = None
        self._events: asyncio.Task[None] | None = None
        self._capabilities = capability_response(model.ctx)
        self.flattener = Flattener(model.ctx)
        self._factories: list[ServiceFactory] = []
        self.services: list[Service] = []

    def add_service(self, factory: ServiceFactory) -> None:
        """Serve another gRPC service next to gNMI (call before :meth:`start`); its RPCs authenticate
        with :attr:`auth` like gNMI's."""
        self._factories.append(factory)

    # ----------------------------------------------------------------------------------- lifecycle

    @property
    def bound_port(self) -> int:
        if self._bound_port is None:
            raise RuntimeError("the gNMI server is not started")
        return self._bound_port

    @property
    def tls(self) -> bool:
        return not self.insecure

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        generated = self.users.ensure_bootstrap(self.admin_password_file)
        if generated is not None:
            print(f"bng-agent: user 'admin' created with password: {generated}", flush=True)
        options = [
            ("grpc.max_receive_message_length", self.max_message_size),
            ("grpc.max_send_message_length", self.max_message_size),
            ("grpc.max_concurrent_streams", self.max_streams),
            ("grpc.keepalive_time_ms", 60_000),
            ("grpc.http2.max_pings_without_data", 0),
            ("grpc.keepalive_permit_without_calls", 1),
        ]
        server = grpc.aio.server(options=options)
        server.add_generic_rpc_handlers((_handlers(_Servicer(self)),))
        self.services = []
        for factory in self._factories:
            service, handler = factory(self)
            server.add_generic_rpc_handlers((handler,))
            self.services.append(service)
        health_servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        extra = tuple(s.name for s in self.services)
        names = (SERVICE_NAME, *extra, health.SERVICE_NAME, reflection.SERVICE_NAME)
        reflection.enable_server_reflection(names, server)
        address = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        if self.insecure:
            port = server.add_insecure_port(address)
        else:
            if self.tls_cert is None or self.tls_key is None:
                self.tls_cert, self.tls_key = ensure_self_signed(self.data_dir)
            port = server.add_secure_port(
                address, server_credentials(self.tls_cert, self.tls_key, self.client_ca)
            )
        if port == 0:
            raise OSError(f"gNMI: cannot listen on {address}")
        await server.start()
        for name in (SERVICE_NAME, *extra):
            await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        self._server = server
        self._bound_port = port
        self._events = asyncio.create_task(self._commit_events(), name="gnmi-commit-events")
        log.info(
            "gnmi event=listening host=%s port=%d tls=%s mtls=%s",
            self.host,
            port,
            not self.insecure,
            self.client_ca is not None,
        )

    async def stop(self, grace: float = 1.0) -> None:
        for s in list(self.streams):
            s.fail(GnmiError(grpc.StatusCode.UNAVAILABLE, "the agent is shutting down"))
        for service in self.services:
            service.close()
        if self._events is not None:
            self._events.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._events
            self._events = None
        if self._server is not None:
            await self._server.stop(grace)
            self._server = None

    # ----------------------------------------------------------------------------------- helpers

    def _users_json(self) -> str:
        return self.datastores.read("running", xpath=USERS_XPATH, fmt="json")

    def _nacm_json(self) -> str:
        return self.datastores.read(
            "running", xpath="/ietf-netconf-acm:nacm", fmt="json", with_defaults="report-all"
        )

    def stream_started(self, s: subscribe.StreamSession) -> None:
        self.streams.add(s)

    def stream_ended(self, s: subscribe.StreamSession) -> None:
        self.streams.discard(s)
        if s.failed is not None and s.failed.code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            self.stats["streams-dropped-slow"] += 1
            log.warning("gnmi event=stream-dropped reason=slow-client user=%s", s.user)

    def publish_operational(self, changes: list[Change], timestamp_ns: int | None = None) -> None:
        """Operational events (oper-status, sessions): delivered to matching ON_CHANGE subscriptions."""
        ts = timestamp_ns or time.time_ns()
        for s in list(self.streams):
            s.on_changes(changes, ts, operational=True)

    async def _commit_events(self) -> None:
        while True:
            sub = self.txn.subscribe()
            try:
                async for event in sub:
                    ts = (
                        int(event.record.time * 1e9)
                        if getattr(event.record, "time", None)
                        else time.time_ns()
                    )
                    for s in list(self.streams):
                        try:
                            s.on_changes(event.changes, ts, operational=False)
                        except Exception:
                            log.exception("gnmi event=on-change-failed")
                return
            except asyncio.CancelledError:
                sub.close()
                raise
            except Exception as exc:  # fell behind: resubscribe, the streams see later commits
                log.warning("gnmi event=commit-subscription-lost reason=%s", exc)
                await asyncio.sleep(0.1)


class _Servicer(gnmi_grpc.gNMIServicer):  # type: ignore[misc]
    """The four gNMI RPCs; each authenticates, then delegates."""

    def __init__(self, server: GnmiServer) -> None:
        self.s = server

    def _user(self, context: Any) -> str:
        try:
            return self.s.auth.authenticate(context.invocation_metadata())
        except GnmiError:
            self.s.stats["auth-failures"] += 1
            peer = context.peer() if hasattr(context, "peer") else "?"
            log.warning("gnmi event=auth-failed peer=%s", peer)
            raise

    async def _fail(self, context: Any, exc: BaseException, rpc: str) -> None:
        code, message = status_of(exc)
        self.s.stats["errors"] += 1
        if code == grpc.StatusCode.INTERNAL:
            log.exception("gnmi event=rpc-failed rpc=%s", rpc, exc_info=exc)
        await context.abort(code, message)

    async def Capabilities(self, request: Any, context: Any) -> Any:
        self.s.stats["rpcs"] += 1
        try:
            self._user(context)
            get_mod.check_extensions(request)
            return self.s._capabilities
        except Exception as exc:
            await self._fail(context, exc, "Capabilities")

    async def Get(self, request: Any, context: Any) -> Any:
        self.s.stats["rpcs"] += 1
        try:
            user = self._user(context)
            return get_mod.get(self.s, request, self.s.auth.access(user))
        except Exception as exc:
            await self._fail(context, exc, "Get")

    async def Set(self, request: Any, context: Any) -> Any:
        self.s.stats["rpcs"] += 1
        try:
            user = self._user(context)
            session = Session.create(user, "gnmi")
            started = time.perf_counter()
            response = await setop.set_(self.s, request, session, self.s.auth.access(user))
            log.info(
                "gnmi event=set user=%s ops=%d ms=%.1f",
                user,
                len(response.response),
                (time.perf_counter() - started) * 1000,
            )
            return response
        except Exception as exc:
            await self._fail(context, exc, "Set")

    async def Subscribe(self, request_iterator: AsyncIterator[Any], context: Any) -> None:
        self.s.stats["rpcs"] += 1
        try:
            user = self._user(context)
            await subscribe.serve(self.s, request_iterator, context, user, self.s.auth.access(user))
        except Exception as exc:
            await self._fail(context, exc, "Subscribe")


def _serialize(message: Any) -> bytes:
    """Subscribe responses may be pre-encoded bytes (:mod:`agent.gnmi.wire`) or protobuf messages."""
    return message if isinstance(message, bytes) else message.SerializeToString()


def _handlers(servicer: _Servicer) -> grpc.GenericRpcHandler:
    """The gNMI service, registered by hand so that Subscribe can stream pre-encoded responses."""
    unary = grpc.unary_unary_rpc_method_handler
    handlers = {
        "Capabilities": unary(
            servicer.Capabilities,
            request_deserializer=gnmi.CapabilityRequest.FromString,
            response_serializer=_serialize,
        ),
        "Get": unary(
            servicer.Get, request_deserializer=gnmi.GetRequest.FromString, response_serializer=_serialize
        ),
        "Set": unary(
            servicer.Set, request_deserializer=gnmi.SetRequest.FromString, response_serializer=_serialize
        ),
        "Subscribe": grpc.stream_stream_rpc_method_handler(
            servicer.Subscribe,
            request_deserializer=gnmi.SubscribeRequest.FromString,
            response_serializer=_serialize,
        ),
    }
    return grpc.method_handlers_generic_handler(SERVICE_NAME, handlers)
