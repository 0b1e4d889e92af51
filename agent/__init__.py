"""bng-agent: a model-driven management agent for an FD.io VPP broadband network gateway."""

__version__ = "0.1.0"
