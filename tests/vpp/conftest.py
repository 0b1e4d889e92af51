"""The real-VPP lane (`make test-vpp`): the integration tests' bodies against real VPP 26.06.

Plain ``pytest`` never collects this directory (``--ignore=tests/vpp`` in pyproject's ``addopts``; CI has
no VPP); it runs only when named, as ``make test-vpp`` does. Without a built VPP the run stops at once with
a message saying how to build one -- a failure, never a skip.

``vppsim_factory`` / ``vppsim`` here have the names of the integration fixtures (tests/integration/
conftest.py) but start real VPP instances (:class:`_realvpp.RealVpp`), each in its own run directory
under /tmp, so a test body imported from tests/integration runs unchanged on real VPP.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# the integration tests' modules and helpers (_southbound_helpers ...), imported by the lane's modules
sys.path.insert(0, str(HERE.parent / "e2e"))
sys.path.insert(0, str(HERE.parent / "integration"))
sys.path.insert(0, str(HERE))

from _realvpp import RealVpp, missing_vpp, remove_tree  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    why = missing_vpp()
    if why is not None:
        raise pytest.UsageError(f"real-VPP lane cannot run: {why}")


@pytest.fixture
def vppsim_factory() -> Iterator[Callable[..., RealVpp]]:
    """Start real VPP instances on demand (``vppsim_factory(ports=4)``); all are removed after the test."""
    started: list[tuple[RealVpp, str]] = []

    def make(ports: int = 2, extra_args: tuple[str, ...] = ()) -> RealVpp:
        if extra_args:
            raise ValueError(f"vppsim options {extra_args} have no meaning for real VPP")
        directory = tempfile.mkdtemp(prefix="vl-", dir="/tmp")  # unix socket paths are short
        try:
            vpp = RealVpp(directory, ports=ports)
        except BaseException:
            remove_tree(directory)
            raise
        started.append((vpp, directory))
        return vpp

    yield make
    for vpp, directory in started:
        vpp.destroy()
        remove_tree(directory)


@pytest.fixture
def vppsim(vppsim_factory: Callable[..., RealVpp]) -> RealVpp:
    """One real VPP with local0 and two af_packet ports (GigabitEthernet0/8/0, GigabitEthernet0/9/0)."""
    return vppsim_factory()
