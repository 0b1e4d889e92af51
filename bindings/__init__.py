"""Generated bindings for bng-agent (``make bindings``; do not edit).

``bindings.bng_yang``: pyangbind classes for the YANG model set, a typed Python SDK for orchestrators.
``bindings.proto``: protobuf/gRPC modules generated from ``proto/``.
"""
