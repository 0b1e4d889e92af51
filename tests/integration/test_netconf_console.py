"""netconf-console2 (the command-line client operators use) driving get-config, edit-config and commit."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _netconf_helpers import ADMIN_PASSWORD, IANAIFT, IF_NS, NetconfFixture, running_server

CONSOLE = str(Path(sys.executable).with_name("netconf-console2"))


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-console")) as server:
        yield server


def _console(fx: NetconfFixture, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [CONSOLE, "--host", "127.0.0.1", "--port", str(fx.port), "-u", "admin", "-p", ADMIN_PASSWORD, *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60, check=False)


def test_edit_config_commit_and_get_config_from_the_command_line(fx: NetconfFixture, tmp_path: Path) -> None:
    data = tmp_path / "if.xml"
    data.write_text(
        f'<interfaces xmlns="{IF_NS}"><interface><name>console0</name>'
        f'<type xmlns:ianaift="{IANAIFT}">ianaift:ethernetCsmacd</type>'
        "<description>from netconf-console2</description></interface></interfaces>"
    )
    edit = _console(fx, "--db", "candidate", "--edit-config", str(data))
    assert edit.returncode == 0, edit.stdout + edit.stderr
    before = _console(fx, "--get-config")
    assert "console0" not in before.stdout
    commit = _console(fx, "--commit")
    assert commit.returncode == 0, commit.stdout + commit.stderr
    after = _console(fx, "--get-config", "-x", "/interfaces/interface/description")
    assert after.returncode == 0, after.stderr
    assert "from netconf-console2" in after.stdout


def test_error_reply_is_shown(fx: NetconfFixture) -> None:
    out = _console(
        fx,
        "--db",
        "candidate",
        "--edit-config",
        "-",
        stdin=f'<interfaces xmlns="{IF_NS}"><bogus/></interfaces>',
    )
    assert "rpc-error" in out.stdout + out.stderr
