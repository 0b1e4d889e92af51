"""gNMI status errors: every failure a client sees is a gRPC status code plus a message.

:class:`GnmiError` carries the code explicitly (gNMI specification 3.2-3.5 names the code for each
situation); :func:`status_of` maps any :class:`~agent.errors.AgentError` from the layers below through
its ``grpc_code`` so NETCONF and gNMI report the same failure consistently.
"""

from __future__ import annotations

import grpc

from agent.errors import AgentError


class GnmiError(AgentError):
    """An error with an explicit gRPC status code."""

    def __init__(self, code: grpc.StatusCode, message: str, *, path: str | None = None) -> None:
        super().__init__(message, path=path)
        self.code = code

    @property
    def grpc_code(self) -> str:
        return str(self.code.name)


def status_of(exc: BaseException) -> tuple[grpc.StatusCode, str]:
    """The gRPC status code and a one-line message for ``exc``."""
    if isinstance(exc, GnmiError):
        return exc.code, exc.message if not exc.path else f"{exc.message} (path {exc.path})"
    if isinstance(exc, AgentError):
        code = getattr(grpc.StatusCode, exc.grpc_code, grpc.StatusCode.UNKNOWN)
        if exc.tag == "in-use" and "lock" in exc.message:
            code = grpc.StatusCode.FAILED_PRECONDITION
        return code, str(exc)
    return grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}"


def invalid(message: str, path: str | None = None) -> GnmiError:
    return GnmiError(grpc.StatusCode.INVALID_ARGUMENT, message, path=path)


def unimplemented(message: str) -> GnmiError:
    return GnmiError(grpc.StatusCode.UNIMPLEMENTED, message)
