"""Schema layer: the one libyang context, the YANG library it generates, and path conversions."""

from agent.model.context import ModelSet, load_model_set

__all__ = ["ModelSet", "load_model_set"]
