"""The generated subscriber-API protobuf/gRPC modules (``make bindings`` from ``proto/subscribers.proto``),
imported in one place and typed as opaque (the generated code is not annotated)."""

from __future__ import annotations

import importlib
from typing import Any

pb: Any = importlib.import_module("bindings.proto.subscribers_pb2")
pb_grpc: Any = importlib.import_module("bindings.proto.subscribers_pb2_grpc")

__all__ = ["pb", "pb_grpc"]
