"""RADIUS dictionaries: the bundled one (RFC attributes) plus the operator's own files.

An operator maps their vendor's attributes without code: they give a file in FreeRADIUS dictionary
format (``VENDOR``, ``BEGIN-VENDOR``, ``ATTRIBUTE``, ``VALUE``), which pyrad parses after ours; the
attribute mapping (``bng-aaa:aaa/attribute-mapping``) then names attributes by vendor id and type.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pyrad.dictionary import Dictionary, ParseError

from agent.aaa.errors import AaaConfigError

BUNDLED = Path(__file__).with_name("dictionary")


def load(extra: Iterable[str | Path] = ()) -> Dictionary:
    """The bundled dictionary followed by ``extra`` files; a file that does not parse is a config error."""
    paths = [str(BUNDLED), *(str(p) for p in extra)]
    try:
        return Dictionary(*paths)
    except (ParseError, OSError) as exc:
        raise AaaConfigError(f"RADIUS dictionary: {exc}") from exc
