"""Entry point ``agent.run.run(args)`` that ``bng-agent run`` calls (see :mod:`agent.app.main`)."""

from __future__ import annotations

from agent.app.main import run

__all__ = ["run"]
