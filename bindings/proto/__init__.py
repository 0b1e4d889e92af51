"""Protobuf/gRPC modules generated from proto/ (``make bindings``)."""
