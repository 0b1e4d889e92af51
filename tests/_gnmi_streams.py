"""pygnmi STREAM subscriptions that a test can close without leaving a thread to die noisily.

pygnmi's ``StreamSubscriber.close()`` only ends its request iterator: gRPC half-closes the call, and
the agent, as the gNMI specification says (3.5.1.5.2), keeps a STREAM subscription running after the
client half-closes, until the client cancels. pygnmi never cancels: its reader thread stays blocked
until the channel is closed at the end of the test, then gets CANCELLED and re-raises it, and pytest
prints that thread's traceback as a ``PytestUnhandledThreadExceptionWarning`` -- noise that reads like a
failure. :func:`subscribe_stream` returns the same subscriber with the call kept, so ``close()``
cancels the RPC (what a collector does when it unsubscribes) and the reader thread ends quietly; an
error the server sends is still raised, in the test's thread, by the next read.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

import grpc
from pygnmi.client import StreamSubscriber, gNMIclient  # type: ignore[import-untyped]
from pygnmi.spec.v080.gnmi_pb2_grpc import gNMIStub  # type: ignore[import-untyped]

JOIN_TIMEOUT = 5.0


class CancellingStreamSubscriber(StreamSubscriber):  # type: ignore[misc]
    """pygnmi 0.8's StreamSubscriber (same reading API) whose ``close()`` cancels the call."""

    def __init__(self, channel: grpc.Channel, request: Any, metadata: Any) -> None:
        # the attributes pygnmi's _Subscriber.__init__ sets (pygnmi is pinned in constraints.txt)
        self._msgs: queue.Queue[str] = queue.Queue()
        self._updates: queue.Queue[Any] = queue.Queue()
        self.error: BaseException | None = None
        self._once = False
        self._once_end = False
        self._first_update_seen = False
        self._cancelled = False
        self._call = gNMIStub(channel).Subscribe(self._create_client_stream(request), metadata=metadata)
        self._subscribe_thread = threading.Thread(target=self._pump, name="gnmi-stream", daemon=True)
        self._subscribe_thread.start()

    def _pump(self) -> None:
        try:
            for update in self._call:
                self._updates.put(update)
        except grpc.RpcError as exc:
            if not (self._cancelled and exc.code() == grpc.StatusCode.CANCELLED):
                self.error = exc

    def _next_update(self, timeout: float | None = None) -> Any:
        if self.error is not None and self._updates.empty():
            raise self.error
        return super()._next_update(timeout=timeout)

    def close(self) -> None:
        self._cancelled = True
        self._msgs.put("STOP")
        self._call.cancel()
        self._subscribe_thread.join(JOIN_TIMEOUT)


def subscribe_stream(client: gNMIclient, subscribe: dict[str, Any]) -> CancellingStreamSubscriber:
    """``client.subscribe_stream(subscribe=...)`` with a ``close()`` that cancels the RPC."""
    request = dict(subscribe)
    request.setdefault("mode", "stream")
    message = client._build_subscriptionrequest(request, None, None)
    return CancellingStreamSubscriber(client._gNMIclient__channel, message, client._gNMIclient__metadata)


def subscribe_once(client: gNMIclient, subscribe: dict[str, Any]) -> list[dict[str, Any]]:
    """Every message of a ONCE subscription, returned after the RPC has ended.

    pygnmi's iterator stops at ``sync_response``; the server's final status arrives just after. A test
    that closes its channel in between makes pygnmi's reader thread die with CANCELLED (and pytest print
    its traceback), so wait for that thread: the call is over when it ends."""
    sub = client.subscribe_once(subscribe={**subscribe, "mode": "once"})
    messages = list(sub)
    sub._subscribe_thread.join(JOIN_TIMEOUT)
    if sub.error is not None:
        raise sub.error
    return messages
