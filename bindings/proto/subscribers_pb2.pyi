from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATE_UNSPECIFIED: _ClassVar[State]
    INIT: _ClassVar[State]
    AUTHENTICATING: _ClassVar[State]
    ACTIVE: _ClassVar[State]
    CLOSING: _ClassVar[State]

class Origin(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORIGIN_UNSPECIFIED: _ClassVar[Origin]
    TEMPLATE: _ClassVar[Origin]
    LOCAL: _ClassVar[Origin]
    RADIUS: _ClassVar[Origin]
    COA: _ClassVar[Origin]
    API: _ClassVar[Origin]
STATE_UNSPECIFIED: State
INIT: State
AUTHENTICATING: State
ACTIVE: State
CLOSING: State
ORIGIN_UNSPECIFIED: Origin
TEMPLATE: Origin
LOCAL: Origin
RADIUS: Origin
COA: Origin
API: Origin

class PolicyValue(_message.Message):
    __slots__ = ("value", "origin")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    value: str
    origin: Origin
    def __init__(self, value: _Optional[str] = ..., origin: _Optional[_Union[Origin, str]] = ...) -> None: ...

class Lease(_message.Message):
    __slots__ = ("address", "expires")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_FIELD_NUMBER: _ClassVar[int]
    address: str
    expires: float
    def __init__(self, address: _Optional[str] = ..., expires: _Optional[float] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("id", "access_interface", "outer_vlan", "inner_vlan", "mac", "type", "state", "template", "interface", "started", "updated", "last_seen", "ipv4", "ipv6", "prefixes", "policy", "username", "circuit_id", "remote_id", "pppoe_session_id")
    class PolicyEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: PolicyValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[PolicyValue, _Mapping]] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    ACCESS_INTERFACE_FIELD_NUMBER: _ClassVar[int]
    OUTER_VLAN_FIELD_NUMBER: _ClassVar[int]
    INNER_VLAN_FIELD_NUMBER: _ClassVar[int]
    MAC_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_FIELD_NUMBER: _ClassVar[int]
    IPV4_FIELD_NUMBER: _ClassVar[int]
    IPV6_FIELD_NUMBER: _ClassVar[int]
    PREFIXES_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    CIRCUIT_ID_FIELD_NUMBER: _ClassVar[int]
    REMOTE_ID_FIELD_NUMBER: _ClassVar[int]
    PPPOE_SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    access_interface: str
    outer_vlan: int
    inner_vlan: int
    mac: str
    type: str
    state: State
    template: str
    interface: str
    started: float
    updated: float
    last_seen: float
    ipv4: Lease
    ipv6: _containers.RepeatedCompositeFieldContainer[Lease]
    prefixes: _containers.RepeatedCompositeFieldContainer[Lease]
    policy: _containers.MessageMap[str, PolicyValue]
    username: str
    circuit_id: bytes
    remote_id: bytes
    pppoe_session_id: int
    def __init__(self, id: _Optional[int] = ..., access_interface: _Optional[str] = ..., outer_vlan: _Optional[int] = ..., inner_vlan: _Optional[int] = ..., mac: _Optional[str] = ..., type: _Optional[str] = ..., state: _Optional[_Union[State, str]] = ..., template: _Optional[str] = ..., interface: _Optional[str] = ..., started: _Optional[float] = ..., updated: _Optional[float] = ..., last_seen: _Optional[float] = ..., ipv4: _Optional[_Union[Lease, _Mapping]] = ..., ipv6: _Optional[_Iterable[_Union[Lease, _Mapping]]] = ..., prefixes: _Optional[_Iterable[_Union[Lease, _Mapping]]] = ..., policy: _Optional[_Mapping[str, PolicyValue]] = ..., username: _Optional[str] = ..., circuit_id: _Optional[bytes] = ..., remote_id: _Optional[bytes] = ..., pppoe_session_id: _Optional[int] = ...) -> None: ...

class Filter(_message.Message):
    __slots__ = ("ids", "access_interface", "username", "mac", "state", "vrf")
    IDS_FIELD_NUMBER: _ClassVar[int]
    ACCESS_INTERFACE_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    MAC_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    VRF_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[int]
    access_interface: str
    username: str
    mac: str
    state: State
    vrf: str
    def __init__(self, ids: _Optional[_Iterable[int]] = ..., access_interface: _Optional[str] = ..., username: _Optional[str] = ..., mac: _Optional[str] = ..., state: _Optional[_Union[State, str]] = ..., vrf: _Optional[str] = ...) -> None: ...

class ListRequest(_message.Message):
    __slots__ = ("filter", "page_size", "page_after")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_AFTER_FIELD_NUMBER: _ClassVar[int]
    filter: Filter
    page_size: int
    page_after: int
    def __init__(self, filter: _Optional[_Union[Filter, _Mapping]] = ..., page_size: _Optional[int] = ..., page_after: _Optional[int] = ...) -> None: ...

class ListResponse(_message.Message):
    __slots__ = ("sessions", "next_page_after")
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_AFTER_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[Session]
    next_page_after: int
    def __init__(self, sessions: _Optional[_Iterable[_Union[Session, _Mapping]]] = ..., next_page_after: _Optional[int] = ...) -> None: ...

class GetRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class WatchRequest(_message.Message):
    __slots__ = ("filter", "skip_snapshot")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    SKIP_SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    filter: Filter
    skip_snapshot: bool
    def __init__(self, filter: _Optional[_Union[Filter, _Mapping]] = ..., skip_snapshot: _Optional[bool] = ...) -> None: ...

class SessionEvent(_message.Message):
    __slots__ = ("kind", "seq", "session", "cause")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[SessionEvent.Kind]
        APPEARED: _ClassVar[SessionEvent.Kind]
        CHANGED: _ClassVar[SessionEvent.Kind]
        LEFT: _ClassVar[SessionEvent.Kind]
        SYNC: _ClassVar[SessionEvent.Kind]
    KIND_UNSPECIFIED: SessionEvent.Kind
    APPEARED: SessionEvent.Kind
    CHANGED: SessionEvent.Kind
    LEFT: SessionEvent.Kind
    SYNC: SessionEvent.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    kind: SessionEvent.Kind
    seq: int
    session: Session
    cause: str
    def __init__(self, kind: _Optional[_Union[SessionEvent.Kind, str]] = ..., seq: _Optional[int] = ..., session: _Optional[_Union[Session, _Mapping]] = ..., cause: _Optional[str] = ...) -> None: ...

class SetPolicyRequest(_message.Message):
    __slots__ = ("id", "set", "clear")
    class SetEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    SET_FIELD_NUMBER: _ClassVar[int]
    CLEAR_FIELD_NUMBER: _ClassVar[int]
    id: int
    set: _containers.ScalarMap[str, str]
    clear: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[int] = ..., set: _Optional[_Mapping[str, str]] = ..., clear: _Optional[_Iterable[str]] = ...) -> None: ...

class DisconnectRequest(_message.Message):
    __slots__ = ("id", "filter", "all")
    ID_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    id: int
    filter: Filter
    all: bool
    def __init__(self, id: _Optional[int] = ..., filter: _Optional[_Union[Filter, _Mapping]] = ..., all: _Optional[bool] = ...) -> None: ...

class DisconnectResponse(_message.Message):
    __slots__ = ("disconnected",)
    DISCONNECTED_FIELD_NUMBER: _ClassVar[int]
    disconnected: int
    def __init__(self, disconnected: _Optional[int] = ...) -> None: ...
