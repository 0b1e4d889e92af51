"""The ``bng.subscribers.v1.Subscribers`` gRPC service: authenticate, authorise, decode, call the
subscriber manager, encode. No session logic lives here (the manager owns validation, durability, VPP
programming and events); errors become gRPC status codes through the layers' own
:class:`~agent.errors.AgentError` codes (:func:`agent.gnmi.errors.status_of`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import grpc

from agent.access.nacm import AccessControl
from agent.gnmi.errors import GnmiError, status_of
from agent.sessions.api import InvalidRequest, PolicyOrigin, SessionFilter, SessionManagerApi, UnknownSession
from agent.subapi import access, convert
from agent.subapi.pb import pb

if TYPE_CHECKING:
    from agent.gnmi.server import GnmiServer

log = logging.getLogger("agent.subapi")

SERVICE_NAME = "bng.subscribers.v1.Subscribers"
ManagerRef = Callable[[], SessionManagerApi | None]


class SubscriberService:
    """One instance per gRPC server; ``manager`` returns the running subscriber manager (or ``None``)."""

    name = SERVICE_NAME

    def __init__(self, server: GnmiServer, manager: ManagerRef) -> None:
        self.server = server
        self._manager_ref = manager
        self._closed = asyncio.Event()
        self.watches = 0

    # ------------------------------------------------------------------ plumbing

    def close(self) -> None:
        """The agent is stopping: Watch streams end with UNAVAILABLE."""
        self._closed.set()

    def _manager(self) -> SessionManagerApi:
        mgr = self._manager_ref()
        if mgr is None:
            raise GnmiError(grpc.StatusCode.UNAVAILABLE, "no subscriber manager is running on this node")
        return mgr

    def _caller(self, context: Any) -> tuple[str, AccessControl]:
        try:
            user = self.server.auth.authenticate(context.invocation_metadata())
        except GnmiError:
            self.server.stats["auth-failures"] += 1
            log.warning("subapi event=auth-failed peer=%s", context.peer())
            raise
        return user, self.server.auth.access(user)

    async def _fail(self, context: Any, exc: BaseException, rpc: str) -> None:
        code, message = status_of(exc)
        self.server.stats["errors"] += 1
        if code == grpc.StatusCode.INTERNAL:
            log.error("subapi event=rpc-failed rpc=%s", rpc, exc_info=exc)
        await context.abort(code, message)

    # ------------------------------------------------------------------ RPCs

    async def List(self, request: Any, context: Any) -> Any:
        self.server.stats["rpcs"] += 1
        try:
            _, acl = self._caller(context)
            access.require_some_read(acl)
            sessions = self._manager().list(convert.selector(request.filter))
            out = pb.ListResponse()
            after, size = int(request.page_after), int(request.page_size)
            for s in sessions:
                if s.id <= after or not access.may_read(acl, s.id):
                    continue
                if size and len(out.sessions) == size:
                    out.next_page_after = out.sessions[-1].id
                    break
                out.sessions.append(convert.session(s))
            return out
        except Exception as exc:
            await self._fail(context, exc, "List")

    async def Get(self, request: Any, context: Any) -> Any:
        self.server.stats["rpcs"] += 1
        try:
            _, acl = self._caller(context)
            sid = _session_id(request.id)
            access.require_read(acl, sid)
            s = self._manager().get(sid)
            if s is None:
                raise UnknownSession(f"no session {sid}")
            return convert.session(s)
        except Exception as exc:
            await self._fail(context, exc, "Get")

    async def Watch(self, request: Any, context: Any) -> AsyncIterator[Any]:
        self.server.stats["rpcs"] += 1
        try:
            user, acl = self._caller(context)
            access.require_some_read(acl)
            mgr = self._manager()
            selector = convert.selector(request.filter)
            # list and attach with no await in between: nothing can happen between snapshot and stream
            snapshot = [] if request.skip_snapshot else mgr.list(selector)
            events = aiter(mgr.watch(replay=False, selector=selector))
        except Exception as exc:
            await self._fail(context, exc, "Watch")
            return
        self.watches += 1
        log.info("subapi event=watch-start user=%s snapshot=%d", user, len(snapshot))
        try:
            for s in snapshot:
                if access.may_read(acl, s.id):
                    yield convert.snapshot_event(s)
            yield convert.sync_event()
            while True:
                ev = await self._next(events)
                if ev is None:
                    raise GnmiError(grpc.StatusCode.UNAVAILABLE, "the subscriber manager stopped")
                if access.may_read(acl, ev.session.id):
                    yield convert.event(ev)
        except Exception as exc:
            await self._fail(context, exc, "Watch")
        finally:
            self.watches -= 1
            with contextlib.suppress(Exception):
                await events.aclose()  # type: ignore[attr-defined]

    async def _next(self, events: AsyncIterator[Any]) -> Any:
        """The next event, or UNAVAILABLE as soon as the service closes (``None``: the stream ended)."""
        nxt: asyncio.Future[Any] = asyncio.ensure_future(anext(events))
        closed = asyncio.ensure_future(self._closed.wait())
        try:
            await asyncio.wait({nxt, closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            # also when the client went away (this task cancelled): the watcher detaches either way
            closed.cancel()
            if not nxt.done():
                nxt.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await nxt
        if nxt.cancelled():
            raise GnmiError(grpc.StatusCode.UNAVAILABLE, "the agent is shutting down")
        try:
            return nxt.result()
        except StopAsyncIteration:
            return None

    async def SetPolicy(self, request: Any, context: Any) -> Any:
        self.server.stats["rpcs"] += 1
        try:
            user, acl = self._caller(context)
            access.require_exec(acl, access.SET_POLICY_RPC)
            sid = _session_id(request.id)
            changes = convert.policy_changes(request)
            s = await self._manager().set_policy(sid, changes, PolicyOrigin.API)
            log.info(
                "subapi event=set-policy user=%s session=%d %s",
                user,
                sid,
                " ".join(f"{a.value}={v if v is not None else '-'}" for a, v in changes.items()),
            )
            return convert.session(s)
        except Exception as exc:
            await self._fail(context, exc, "SetPolicy")

    async def Disconnect(self, request: Any, context: Any) -> Any:
        self.server.stats["rpcs"] += 1
        try:
            user, acl = self._caller(context)
            access.require_exec(acl, access.DISCONNECT_RPC)
            mgr = self._manager()
            which = request.WhichOneof("which")
            if which == "id":
                sid = _session_id(request.id)
                if mgr.get(sid) is None:
                    raise UnknownSession(f"no session {sid}")
                selector = SessionFilter(ids=frozenset({sid}))
            elif which == "filter":
                if convert.is_empty(request.filter):
                    raise InvalidRequest(
                        "an empty filter selects every session: set all to disconnect them all"
                    )
                selector = convert.selector(request.filter)
            elif which == "all" and request.all:
                selector = SessionFilter()
            else:
                raise InvalidRequest("say which sessions to disconnect: id, filter or all")
            n = await mgr.disconnect(selector)
            log.info("subapi event=disconnect user=%s by=%s sessions=%d", user, which, n)
            return pb.DisconnectResponse(disconnected=n)
        except Exception as exc:
            await self._fail(context, exc, "Disconnect")


def _session_id(value: int) -> int:
    if not value:
        raise InvalidRequest("id: a session id is required (ids start at 1)")
    return int(value)


def _serialize(message: Any) -> bytes:
    data: bytes = message.SerializeToString()
    return data


def subscriber_service(
    manager: ManagerRef,
) -> Callable[[GnmiServer], tuple[SubscriberService, grpc.GenericRpcHandler]]:
    """For :meth:`GnmiServer.add_service`: the service bound to a server, and its RPC handlers."""

    def make(server: GnmiServer) -> tuple[SubscriberService, grpc.GenericRpcHandler]:
        svc = SubscriberService(server, manager)
        unary = grpc.unary_unary_rpc_method_handler
        handlers = {
            "List": unary(
                svc.List, request_deserializer=pb.ListRequest.FromString, response_serializer=_serialize
            ),
            "Get": unary(
                svc.Get, request_deserializer=pb.GetRequest.FromString, response_serializer=_serialize
            ),
            "Watch": grpc.unary_stream_rpc_method_handler(
                svc.Watch, request_deserializer=pb.WatchRequest.FromString, response_serializer=_serialize
            ),
            "SetPolicy": unary(
                svc.SetPolicy,
                request_deserializer=pb.SetPolicyRequest.FromString,
                response_serializer=_serialize,
            ),
            "Disconnect": unary(
                svc.Disconnect,
                request_deserializer=pb.DisconnectRequest.FromString,
                response_serializer=_serialize,
            ),
        }
        return svc, grpc.method_handlers_generic_handler(SERVICE_NAME, handlers)

    return make
