"""The root of the agent's exception tree.

Every layer raises subclasses of :class:`AgentError`. Each error carries what a NETCONF ``rpc-error``
needs (RFC 6241 Appendix A: error-type, error-tag, severity, error-path, message, info) so that both
protocol servers can encode it without knowing which layer raised it; :attr:`AgentError.grpc_code`
gives the gRPC status name the gNMI specification asks for in the same situation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# RFC 6241 Appendix A error-tag -> gRPC status code name (gNMI specification section 3.4 / 3.5 errors).
_GRPC_CODE_FOR_TAG: dict[str, str] = {
    "in-use": "ABORTED",
    "invalid-value": "INVALID_ARGUMENT",
    "too-big": "RESOURCE_EXHAUSTED",
    "missing-attribute": "INVALID_ARGUMENT",
    "bad-attribute": "INVALID_ARGUMENT",
    "unknown-attribute": "INVALID_ARGUMENT",
    "missing-element": "INVALID_ARGUMENT",
    "bad-element": "INVALID_ARGUMENT",
    "unknown-element": "INVALID_ARGUMENT",
    "unknown-namespace": "INVALID_ARGUMENT",
    "access-denied": "PERMISSION_DENIED",
    "lock-denied": "FAILED_PRECONDITION",
    "resource-denied": "RESOURCE_EXHAUSTED",
    "rollback-failed": "INTERNAL",
    "data-exists": "ALREADY_EXISTS",
    "data-missing": "NOT_FOUND",
    "operation-not-supported": "UNIMPLEMENTED",
    "operation-failed": "FAILED_PRECONDITION",
    "malformed-message": "INVALID_ARGUMENT",
}

# RFC 7950 section 15 error-app-tags: the data breaks a constraint of the model (must, min/max-elements,
# unique, leafref/instance-identifier targets, mandatory choice). NETCONF must report most of them as
# error-tag operation-failed, which on its own (a data-plane step that failed, say) means
# FAILED_PRECONDITION; but such a request is invalid whatever the state of the system, which gNMI
# (specification 3.4.7, gRPC status codes) reports as INVALID_ARGUMENT. The app-tag decides, the tag stays.
_INVALID_DATA_APP_TAGS = frozenset(
    {
        "data-not-unique",
        "too-many-elements",
        "too-few-elements",
        "must-violation",
        "instance-required",
        "missing-choice",
        "missing-instance",
    }
)


@dataclass
class ErrorDetail:
    """One error as a protocol reports it; an :class:`AgentError` may carry several."""

    tag: str
    message: str
    path: str | None = None
    error_type: str = "application"  # transport | rpc | protocol | application
    severity: str = "error"
    info: dict[str, str] = field(default_factory=dict)
    app_tag: str | None = None


class AgentError(Exception):
    """Base of every error the agent reports to a client."""

    default_tag = "operation-failed"
    default_type = "application"

    def __init__(
        self,
        message: str,
        *,
        tag: str | None = None,
        path: str | None = None,
        error_type: str | None = None,
        info: dict[str, str] | None = None,
        app_tag: str | None = None,
        details: list[ErrorDetail] | None = None,
    ) -> None:
        super().__init__(message)
        first = ErrorDetail(
            tag=tag or self.default_tag,
            message=message,
            path=path,
            error_type=error_type or self.default_type,
            info=dict(info or {}),
            app_tag=app_tag,
        )
        self.details: list[ErrorDetail] = details if details else [first]

    @property
    def tag(self) -> str:
        return self.details[0].tag

    @property
    def path(self) -> str | None:
        return self.details[0].path

    @property
    def message(self) -> str:
        return self.details[0].message

    @property
    def grpc_code(self) -> str:
        """The gRPC status code name (``grpc.StatusCode`` member name) for this error.

        An RFC 7950 section 15 app-tag on the first error makes it INVALID_ARGUMENT whatever its
        error-tag; otherwise the error-tag decides.
        """
        if self.details[0].app_tag in _INVALID_DATA_APP_TAGS:
            return "INVALID_ARGUMENT"
        return _GRPC_CODE_FOR_TAG.get(self.tag, "UNKNOWN")

    def __str__(self) -> str:
        d = self.details[0]
        where = f" at {d.path}" if d.path else ""
        more = f" (+{len(self.details) - 1} more)" if len(self.details) > 1 else ""
        return f"{d.tag}{where}: {d.message}{more}"


class ModelError(AgentError):
    """The schema layer could not load the model set or convert a path."""

    default_tag = "operation-failed"


class ValidationError(AgentError):
    """Data does not conform to the model (libyang validation or parse failure)."""

    default_tag = "invalid-value"

    @property
    def grpc_code(self) -> str:
        """As :attr:`AgentError.grpc_code`, except that data-missing is INVALID_ARGUMENT: from validation
        it means a mandatory node (or a referenced instance) is absent from the proposed configuration,
        not that a requested target does not exist (NOT_FOUND)."""
        if self.tag == "data-missing":
            return "INVALID_ARGUMENT"
        return super().grpc_code


class PathError(AgentError):
    """A path (XPath, gNMI path, instance-identifier) is malformed or names nothing in the schema."""

    default_tag = "invalid-value"
