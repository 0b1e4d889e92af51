"""scripts/sysdeps.sh: the Debian package tables, the version check and the constraints overlay.

The check runs for real against a fake ``dpkg-query`` (first on PATH) that reports the versions a test
chooses, so every outcome an operator can meet is exercised: the tested version, a point release, a
moved libyang minor (refused, with what to do), the override, a package that is not installed, and a
distribution with no table. The shipped tables are checked for what the Makefile relies on.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from agent.model import libyang_c

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "sysdeps.sh"

TABLE = """\
# test table
libyang2-dev       2.1.30-2                 match=2.1 runtime
prometheus         2.42.0+ds-5+deb12u1
"""


def fake_system(
    tmp: Path, versions: dict[str, str], os_release: str = "ID=debian\nVERSION_ID=12\n"
) -> dict[str, str]:
    """Environment for the script: a fake dpkg-query answering ``versions``, an os-release, a table dir."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(parents=True)
    cases = "".join(f'  {name}) printf %s "{v}" ;;\n' for name, v in versions.items())
    query = bin_dir / "dpkg-query"
    query.write_text(
        f'#!/bin/sh\n# dpkg-query -W -f=FORMAT PACKAGE\ncase "$3" in\n{cases}  *) exit 1 ;;\nesac\n'
    )
    query.chmod(0o755)
    (tmp / "os-release").write_text(os_release)
    tables = tmp / "sysdeps"
    tables.mkdir()
    (tables / "debian-12.txt").write_text(TABLE)
    env = dict(os.environ)
    env.pop("BNG_SYSDEPS_UNTESTED", None)
    env.update(
        PATH=f"{bin_dir}:{env['PATH']}",
        BNG_OS_RELEASE=str(tmp / "os-release"),
        BNG_SYSDEPS_DIR=str(tables),
    )
    return env


def check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *(args or ("check",))], capture_output=True, text=True, timeout=30, env=env, check=False
    )


def test_the_tested_versions_pass_silently(tmp_path: Path) -> None:
    env = fake_system(tmp_path, {"libyang2-dev": "2.1.30-2", "prometheus": "2.42.0+ds-5+deb12u1"})
    done = check(env)
    assert done.returncode == 0 and done.stderr == ""


def test_a_point_release_of_the_same_libyang_minor_is_accepted_and_reported(tmp_path: Path) -> None:
    env = fake_system(tmp_path, {"libyang2-dev": "2.1.30-2+deb12u1", "prometheus": "2.42.0+ds-5+deb12u1"})
    done = check(env)
    assert done.returncode == 0
    assert (
        "libyang2-dev 2.1.30-2+deb12u1 installed, tested with 2.1.30-2 (same 2.1.x: accepted)" in done.stderr
    )


def test_another_libyang_minor_stops_with_what_to_do(tmp_path: Path) -> None:
    env = fake_system(tmp_path, {"libyang2-dev": "2.2.5-1", "prometheus": "2.42.0+ds-5+deb12u1"})
    done = check(env)
    assert done.returncode == 1
    assert "libyang2-dev 2.2.5-1 is installed but bng-agent was tested on debian-12 with 2.1.x" in done.stderr
    assert "BNG_SYSDEPS_UNTESTED=1" in done.stderr and "docs/operations.md" in done.stderr
    # a version that merely starts with the same digits is another minor (2.10 is not 2.1)
    env = fake_system(tmp_path / "b", {"libyang2-dev": "2.10.0-1", "prometheus": "2.42.0+ds-5+deb12u1"})
    assert check(env).returncode == 1


def test_the_override_accepts_an_untested_libyang_with_a_warning(tmp_path: Path) -> None:
    env = fake_system(tmp_path, {"libyang2-dev": "2.2.5-1", "prometheus": "2.42.0+ds-5+deb12u1"})
    env["BNG_SYSDEPS_UNTESTED"] = "1"
    done = check(env)
    assert done.returncode == 0 and "WARNING: libyang2-dev 2.2.5-1 installed" in done.stderr


def test_other_packages_may_move(tmp_path: Path) -> None:
    env = fake_system(tmp_path, {"libyang2-dev": "2.1.30-2", "prometheus": "2.45.1+ds-1"})
    done = check(env)
    assert done.returncode == 0
    assert "note: prometheus 2.45.1+ds-1 installed, tested with 2.42.0+ds-5+deb12u1" in done.stderr


def test_a_missing_package_fails_the_check(tmp_path: Path) -> None:
    env = fake_system(tmp_path, {"libyang2-dev": "2.1.30-2"})
    done = check(env)
    assert done.returncode == 1 and "prometheus is not installed" in done.stderr


def test_a_node_needs_only_the_runtime_packages(tmp_path: Path) -> None:
    env = fake_system(tmp_path, {"libyang2-dev": "2.1.30-2"})
    assert check(env, "check", "--runtime").returncode == 0  # prometheus is for the tests only
    env = fake_system(tmp_path / "b", {"libyang2-dev": "2.2.0-1"})
    assert check(env, "check", "--runtime").returncode == 1  # the libyang rule holds on a node too


def test_a_distribution_without_a_table_is_refused_unless_accepted(tmp_path: Path) -> None:
    env = fake_system(tmp_path, {}, os_release="ID=ubuntu\nVERSION_ID=24.04\n")
    done = check(env)
    assert done.returncode == 1
    assert "no package table for ubuntu-24.04 (tested: debian-12)" in done.stderr


def test_the_overlay_replaces_the_base_pin(tmp_path: Path) -> None:
    env = fake_system(tmp_path, {})
    (tmp_path / "sysdeps" / "debian-12.txt").write_text(
        TABLE + "python-constraints constraints-libyang3.txt\n"
    )
    out = tmp_path / "effective.txt"
    assert check(env, "constraints", str(out)).returncode == 0
    text = out.read_text()
    assert "libyang==3.3.0" in text and "libyang==2.7.1" not in text
    base = (REPO / "constraints.txt").read_text()
    others = [line for line in base.splitlines() if "==" in line and not line.startswith("libyang==")]
    assert all(line in text.splitlines() for line in others)
    before = out.stat().st_mtime_ns
    assert check(env, "constraints", str(out)).returncode == 0
    assert out.stat().st_mtime_ns == before  # unchanged content is not rewritten (make sees no change)


def _tables() -> dict[str, str]:
    return {p.stem: p.read_text() for p in sorted((REPO / "sysdeps").glob("*.txt"))}


def test_each_table_pins_a_libyang_minor_and_a_binding_built_for_it() -> None:
    tables = _tables()
    assert {"debian-12", "debian-13"} <= set(tables)
    base = re.search(r"^libyang==(\S+)$", (REPO / "constraints.txt").read_text(), re.M)
    assert base is not None
    for name, text in tables.items():
        match = re.search(r"^libyang\S*-dev\s+\S+\s+match=(\d+)\.(\d+)\b", text, re.M)
        assert match, f"{name}: the libyang -dev package needs a match=X.Y rule"
        overlay = re.search(r"^python-constraints\s+(\S+)$", text, re.M)
        pins = (REPO / overlay.group(1)).read_text() if overlay else ""
        binding = re.search(r"^libyang==(\d+)\.", pins, re.M) or base
        # binding 2.x compiles against libyang 2 only, 3.x against libyang 3 only (cffi/source.c #error)
        assert binding.group(1).split(".")[0] == match.group(1), name


def test_the_running_libyang_is_the_one_this_distribution_table_names() -> None:
    """What `make sysdeps` enforces, seen from inside: the binding in this process is loaded on the
    libyang major.minor the distribution's table requires."""
    dist = subprocess.run([str(SCRIPT), "check"], capture_output=True, text=True, timeout=30, check=False)
    assert dist.returncode == 0, dist.stderr
    name = Path(libyang_c.LIBRARY).name
    assert name.startswith(f"libyang.so.{libyang_c.MAJOR}.")
    os_release = dict(
        line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line
    )
    table = _tables()[f"{os_release['ID']}-{os_release['VERSION_ID'].strip(chr(34))}"]
    match = re.search(r"match=(\d+)\.", table)
    assert match and int(match.group(1)) == libyang_c.MAJOR


@pytest.mark.parametrize("name", ["debian-12", "debian-13"])
def test_tables_list_every_package_the_tests_use(name: str) -> None:
    packages = {line.split()[0] for line in _tables()[name].splitlines() if line and not line.startswith("#")}
    for needed in ("gcc", "python3-dev", "python3-venv", "shellcheck", "prometheus", "tshark", "freeradius"):
        assert needed in packages, f"{name}: {needed}"
    assert packages & {"libyang-tools", "libyang3-tools"}, f"{name}: yanglint"
