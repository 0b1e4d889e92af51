"""The generated gNMI protobuf/gRPC modules, imported in one place.

The modules are generated from ``proto/`` into ``bindings/proto`` (``make bindings``). They register
``gnmi.proto`` / ``gnmi_ext.proto`` in protobuf's default descriptor pool, so a process can hold either
these or another copy of the gNMI protos (pygnmi ships its own) but not both: tests run the server and
pygnmi in separate processes, as in production.
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported by name so that type checking treats the generated code as opaque (it is not annotated).
gnmi_ext: Any = importlib.import_module("bindings.proto.gnmi_ext_pb2")
gnmi: Any = importlib.import_module("bindings.proto.gnmi_pb2")
gnmi_grpc: Any = importlib.import_module("bindings.proto.gnmi_pb2_grpc")

GNMI_VERSION = "0.10.0"

__all__ = ["GNMI_VERSION", "gnmi", "gnmi_ext", "gnmi_grpc"]
