"""The operator scripts in scripts/, run for real.

bind-nic.sh takes a NIC away from the kernel, so what matters is what it refuses: the tests build the
dangerous situations (an address, an up link, the default route) on veth pairs inside a network namespace
made for each test and run the script there with `ip netns exec`. The binding itself is exercised against
a fake sysfs tree (BIND_NIC_SYSFS) whose network device is a real, idle veth in the namespace, so the
safety checks still run against the kernel. hugepages.sh is run as a dry run against the real sysfs and
for real against a fake one (HUGEPAGES_ROOT).

These tests need root (network namespaces, setpriv); CI runs as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIND_NIC = REPO / "scripts" / "bind-nic.sh"
HUGEPAGES = REPO / "scripts" / "hugepages.sh"
TIMEOUT = 30
PCI = "0000:00:08.0"
REFUSED = 2


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=full_env, check=False)


def sh(*args: str) -> None:
    """Run a set-up command; a failure here is a broken test environment, so say which command failed."""
    done = run(list(args))
    assert done.returncode == 0, f"{' '.join(args)} failed: {done.stderr}"


@dataclass
class Netns:
    name: str

    def ip(self, *args: str) -> None:
        sh("ip", "-n", self.name, *args)

    def veth(self, a: str, b: str) -> None:
        self.ip("link", "add", a, "type", "veth", "peer", "name", b)

    def bind_nic(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run(["ip", "netns", "exec", self.name, "bash", str(BIND_NIC), *args], env)


@pytest.fixture
def netns() -> Iterator[Netns]:
    if os.geteuid() != 0:
        pytest.fail("tests/unit/test_scripts.py needs root (network namespaces); CI runs as root")
    name = f"bngt-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    sh("ip", "netns", "add", name)
    try:
        yield Netns(name)
    finally:
        run(["ip", "netns", "delete", name])


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "state" / "nic-drivers.state"


# --- bind-nic.sh: refusals on real interfaces ------------------------------------------------------------


def test_refuses_interface_with_an_address(netns: Netns, state_file: Path) -> None:
    netns.veth("acc0", "acc0p")
    netns.ip("addr", "add", "192.0.2.1/24", "dev", "acc0")

    done = netns.bind_nic("acc0", "--apply", "--state-file", str(state_file))

    assert done.returncode == REFUSED
    assert "refusing acc0: has IP address(es) configured: 192.0.2.1/24" in done.stderr
    assert "link is up" not in done.stderr
    assert not state_file.exists()


def test_refuses_interface_whose_link_is_up(netns: Netns, state_file: Path) -> None:
    netns.veth("acc1", "acc1p")
    netns.ip("link", "set", "acc1", "up")

    done = netns.bind_nic("acc1", "--state-file", str(state_file))

    assert done.returncode == REFUSED
    assert "refusing acc1: link is up" in done.stderr
    assert "has IP address" not in done.stderr, "an IPv6 link-local address is not configuration"


def test_refuses_interface_carrying_the_default_route(netns: Netns, state_file: Path) -> None:
    netns.veth("up0", "up0p")
    netns.ip("addr", "add", "198.51.100.2/30", "dev", "up0")
    netns.ip("link", "set", "up0", "up")
    netns.ip("link", "set", "up0p", "up")
    netns.ip("route", "add", "default", "via", "198.51.100.1", "dev", "up0")

    done = netns.bind_nic("up0", "--state-file", str(state_file))

    assert done.returncode == REFUSED
    assert "refusing up0: carries the default route: default via 198.51.100.1 dev up0" in done.stderr
    assert "Take the interface out of service first" in done.stderr


def test_refuses_a_non_pci_interface_even_when_forced(netns: Netns, state_file: Path) -> None:
    netns.veth("virt0", "virt0p")
    netns.ip("addr", "add", "192.0.2.9/24", "dev", "virt0")

    idle = netns.bind_nic("virt0p", "--state-file", str(state_file))
    forced = netns.bind_nic("virt0", "--force", "--apply", "--state-file", str(state_file))

    assert idle.returncode == REFUSED
    assert "refusing virt0p: not a PCI device" in idle.stderr
    assert forced.returncode == REFUSED
    assert "virt0 has IP address(es) configured: 192.0.2.9/24 (continuing: --force)" in forced.stderr
    assert "refusing virt0: not a PCI device" in forced.stderr


def test_checks_every_device_before_touching_any(netns: Netns, tmp_path: Path, state_file: Path) -> None:
    netns.veth("idle0", "busy0")
    netns.ip("addr", "add", "192.0.2.5/24", "dev", "busy0")
    sysfs = fake_sysfs(tmp_path / "sys", netdev="idle0")

    done = netns.bind_nic(
        PCI, "busy0", "--apply", "--state-file", str(state_file), env={"BIND_NIC_SYSFS": sysfs.root}
    )

    assert done.returncode == REFUSED
    assert "refusing busy0: has IP address(es)" in done.stderr
    assert sysfs.override.read_text() == "(null)\n"
    assert sysfs.unbind.read_text() == ""
    assert not state_file.exists()


def test_unknown_interface_and_pci_address_are_clear_errors(netns: Netns, state_file: Path) -> None:
    missing_if = netns.bind_nic("nosuch0", "--state-file", str(state_file))
    missing_pci = netns.bind_nic("ff:1f.7", "--state-file", str(state_file))

    assert missing_if.returncode == 1
    assert "nosuch0: no such network interface" in missing_if.stderr
    assert missing_pci.returncode == 1
    assert "no PCI device 0000:ff:1f.7" in missing_pci.stderr


# --- bind-nic.sh: binding against a fake PCI device whose netdev is a real idle veth ----------------------


@dataclass
class FakeSysfs:
    root: str
    device: Path
    override: Path
    unbind: Path
    probe: Path
    orig_bind: Path
    vfio_unbind: Path


def fake_sysfs(root: Path, *, netdev: str | None, driver: str = "e1000e") -> FakeSysfs:
    """A sysfs subset shaped like the kernel's: a PCI function bound to `driver`, with one netdev."""
    pci = root / "bus" / "pci"
    dev = pci / "devices" / PCI
    (dev / "net").mkdir(parents=True)
    for name in ("e1000e", "vfio-pci"):
        (pci / "drivers" / name).mkdir(parents=True)
        (pci / "drivers" / name / "bind").write_text("")
        (pci / "drivers" / name / "unbind").write_text("")
    (pci / "drivers_probe").write_text("")
    (dev / "subsystem").symlink_to(pci)
    (dev / "driver").symlink_to(pci / "drivers" / driver)
    (dev / "driver_override").write_text("(null)\n")
    (root / "kernel" / "iommu_groups" / "7").mkdir(parents=True)
    if netdev is not None:
        (dev / "net" / netdev).mkdir()
        (root / "class" / "net" / netdev).mkdir(parents=True)
        (root / "class" / "net" / netdev / "device").symlink_to(dev)
    return FakeSysfs(
        root=str(root),
        device=dev,
        override=dev / "driver_override",
        unbind=pci / "drivers" / driver / "unbind",
        probe=pci / "drivers_probe",
        orig_bind=pci / "drivers" / "e1000e" / "bind",
        vfio_unbind=pci / "drivers" / "vfio-pci" / "unbind",
    )


def test_binding_is_a_dry_run_by_default(netns: Netns, tmp_path: Path, state_file: Path) -> None:
    netns.veth("port0", "port0p")
    sysfs = fake_sysfs(tmp_path / "sys", netdev="port0")

    by_name = netns.bind_nic("port0", "--state-file", str(state_file), env={"BIND_NIC_SYSFS": sysfs.root})
    by_pci = netns.bind_nic("00:08.0", "--state-file", str(state_file), env={"BIND_NIC_SYSFS": sysfs.root})

    for done in (by_name, by_pci):
        assert done.returncode == 0, done.stderr
        assert "dry run: nothing will be changed" in done.stdout
        assert f"{PCI} (port0): e1000e -> vfio-pci" in done.stdout
        assert f"would write 'vfio-pci' to {sysfs.override}" in done.stdout
        assert f"would write '{PCI}' to {sysfs.device}/driver/unbind" in done.stdout
        assert f"would write '{PCI}' to {sysfs.probe}" in done.stdout
    assert sysfs.override.read_text() == "(null)\n"
    assert sysfs.unbind.read_text() == ""
    assert sysfs.probe.read_text() == ""
    assert not state_file.exists()


def test_refuses_pci_address_whose_interface_is_in_use(
    netns: Netns, tmp_path: Path, state_file: Path
) -> None:
    netns.veth("port1", "port1p")
    netns.ip("link", "set", "port1", "up")
    sysfs = fake_sysfs(tmp_path / "sys", netdev="port1")

    done = netns.bind_nic(PCI, "--apply", "--state-file", str(state_file), env={"BIND_NIC_SYSFS": sysfs.root})

    assert done.returncode == REFUSED
    assert "refusing port1: link is up" in done.stderr
    assert sysfs.override.read_text() == "(null)\n"


def test_apply_writes_sysfs_and_reports_when_the_kernel_did_not_rebind(
    netns: Netns, tmp_path: Path, state_file: Path
) -> None:
    netns.veth("port2", "port2p")
    sysfs = fake_sysfs(tmp_path / "sys", netdev="port2")

    done = netns.bind_nic(
        "port2", "--apply", "--state-file", str(state_file), env={"BIND_NIC_SYSFS": sysfs.root}
    )

    # The fake tree has no kernel behind it, so the device stays on e1000e: the script must notice.
    assert done.returncode == 3
    assert f"{PCI} is bound to 'e1000e', not vfio-pci, after the bind" in done.stderr
    assert sysfs.unbind.read_text() == f"{PCI}\n"
    assert sysfs.probe.read_text() == f"{PCI}\n"
    assert sysfs.override.read_text() == "\n", "a failed bind must not leave driver_override behind"
    assert state_file.read_text() == f"{PCI} e1000e port2\n"


def test_already_bound_device_is_left_alone(netns: Netns, tmp_path: Path, state_file: Path) -> None:
    sysfs = fake_sysfs(tmp_path / "sys", netdev=None, driver="vfio-pci")

    done = netns.bind_nic(PCI, "--apply", "--state-file", str(state_file), env={"BIND_NIC_SYSFS": sysfs.root})

    assert done.returncode == 0, done.stderr
    assert f"{PCI} is already bound to vfio-pci; nothing to do" in done.stdout
    assert sysfs.override.read_text() == "(null)\n"


def test_unbind_restores_the_recorded_driver(netns: Netns, tmp_path: Path, state_file: Path) -> None:
    sysfs = fake_sysfs(tmp_path / "sys", netdev=None, driver="vfio-pci")
    state_file.parent.mkdir(parents=True)
    state_file.write_text(f"{PCI} e1000e port3\n")

    done = netns.bind_nic(
        "--unbind", "port3", "--state-file", str(state_file), env={"BIND_NIC_SYSFS": sysfs.root}
    )

    assert done.returncode == 0, done.stderr
    assert f"{PCI}: vfio-pci -> e1000e" in done.stdout
    assert f"would write '' to {sysfs.override}" in done.stdout
    assert f"would write '{PCI}' to {sysfs.device}/driver/unbind" in done.stdout
    assert f"would write '{PCI}' to {sysfs.orig_bind}" in done.stdout
    assert sysfs.vfio_unbind.read_text() == ""
    assert state_file.read_text() == f"{PCI} e1000e port3\n"


def test_unbind_without_a_record_asks_for_the_driver(netns: Netns, tmp_path: Path, state_file: Path) -> None:
    sysfs = fake_sysfs(tmp_path / "sys", netdev=None, driver="vfio-pci")

    done = netns.bind_nic(
        "--unbind", PCI, "--state-file", str(state_file), env={"BIND_NIC_SYSFS": sysfs.root}
    )
    told = netns.bind_nic(
        "--unbind", PCI, "--to", "e1000e", "--state-file", str(state_file), env={"BIND_NIC_SYSFS": sysfs.root}
    )

    assert done.returncode == 1
    assert "no record of its original driver" in done.stderr
    assert "--to DRIVER" in done.stderr
    assert told.returncode == 0, told.stderr
    assert f"would write '{PCI}' to {sysfs.orig_bind}" in told.stdout


def test_unbind_rejects_a_driver_name_that_is_not_a_name(
    netns: Netns, tmp_path: Path, state_file: Path
) -> None:
    sysfs = fake_sysfs(tmp_path / "sys", netdev=None, driver="vfio-pci")
    state_file.parent.mkdir(parents=True)
    state_file.write_text(f"{PCI} ../../../kernel/evil port3\n")

    done = netns.bind_nic(
        "--unbind", PCI, "--state-file", str(state_file), env={"BIND_NIC_SYSFS": sysfs.root}
    )

    assert done.returncode == 1
    assert "'../../../kernel/evil' is not a valid driver name" in done.stderr
    assert "would write" not in done.stdout


def as_nobody(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a script as user nobody. The checkout may sit in a directory nobody cannot read (/root), so
    the script runs from a world-readable copy, from /."""
    workdir = Path(tempfile.mkdtemp(prefix="bng-scripts-", dir="/tmp"))
    try:
        workdir.chmod(0o755)
        copy = workdir / script.name
        shutil.copy(script, copy)
        copy.chmod(0o755)
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash", str(copy), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd="/", check=False)
    finally:
        shutil.rmtree(workdir)


def test_apply_needs_root() -> None:
    done = as_nobody(BIND_NIC, "--apply", "eth0")

    assert done.returncode == 1
    assert "--apply changes driver bindings and needs root" in done.stderr


# --- hugepages.sh ----------------------------------------------------------------------------------------


def node_hugepages(root: str, node: int, size: str) -> Path:
    return Path(f"{root}/sys/devices/system/node/node{node}/hugepages/hugepages-{size}/nr_hugepages")


def test_hugepages_dry_run_prints_the_sysfs_writes_and_changes_nothing() -> None:
    online = Path("/sys/devices/system/node/node0/hugepages")
    if not online.is_dir():
        pytest.fail("this kernel exposes no per-node hugepages in sysfs; hugepages.sh cannot work here")
    files = {size: node_hugepages("", 0, size) for size in ("2048kB", "1048576kB")}
    before = {size: int(path.read_text()) for size, path in files.items()}
    want_2m, want_1g = before["2048kB"] + 7, before["1048576kB"] + 1

    done = run(
        ["bash", str(HUGEPAGES), "--dry-run", "--nodes", "0", "--2m", str(want_2m), "--1g", str(want_1g)]
    )

    assert done.returncode == 0, done.stderr
    assert "dry run: nothing will be changed" in done.stdout
    assert f"would write {want_2m} to {files['2048kB']} (currently {before['2048kB']})" in done.stdout
    assert f"would write {want_1g} to {files['1048576kB']} (currently {before['1048576kB']})" in done.stdout
    assert {size: int(path.read_text()) for size, path in files.items()} == before


def fake_hugepage_root(root: Path, nodes: int) -> str:
    for n in range(nodes):
        for size in ("2048kB", "1048576kB"):
            path = node_hugepages(str(root), n, size)
            path.parent.mkdir(parents=True)
            path.write_text("0\n")
    (root / "sys/devices/system/node/online").write_text(f"0-{nodes - 1}\n" if nodes > 1 else "0\n")
    (root / "proc/sys/vm").mkdir(parents=True)
    (root / "proc/sys/vm/max_map_count").write_text("100\n")
    (root / "proc/mounts").write_text("")
    return str(root)


def test_hugepages_reserves_per_node_and_is_idempotent(tmp_path: Path) -> None:
    root = fake_hugepage_root(tmp_path, nodes=2)
    env = {"HUGEPAGES_ROOT": root, "HUGEPAGES_2M": "512", "HUGEPAGES_1G": "2"}

    first = run(["bash", str(HUGEPAGES), "--no-mount"], env)
    second = run(["bash", str(HUGEPAGES), "--no-mount"], env)

    assert first.returncode == 0, first.stderr
    for n in (0, 1):
        assert node_hugepages(root, n, "2048kB").read_text() == "512\n"
        assert node_hugepages(root, n, "1048576kB").read_text() == "2\n"
        assert f"writing 512 to {node_hugepages(root, n, '2048kB')} (was 0)" in first.stdout
    assert (tmp_path / "proc/sys/vm/max_map_count").read_text() == str(2 * (512 + 2) * 2) + "\n"
    assert second.returncode == 0, second.stderr
    assert "writing" not in second.stdout
    assert f"{node_hugepages(root, 1, '1048576kB')} is already 2" in second.stdout


def test_hugepages_only_touches_the_nodes_asked_for(tmp_path: Path) -> None:
    root = fake_hugepage_root(tmp_path, nodes=2)

    done = run(
        ["bash", str(HUGEPAGES), "--no-mount", "--nodes", "1", "--2m", "64", "--1g", "0"],
        {"HUGEPAGES_ROOT": root},
    )
    bad = run(["bash", str(HUGEPAGES), "--no-mount", "--nodes", "3"], {"HUGEPAGES_ROOT": root})

    assert done.returncode == 0, done.stderr
    assert node_hugepages(root, 1, "2048kB").read_text() == "64\n"
    assert node_hugepages(root, 0, "2048kB").read_text() == "0\n"
    assert bad.returncode == 1
    assert "NUMA node 3 does not exist" in bad.stderr


def test_hugepages_dry_run_names_the_mounts_it_would_make(tmp_path: Path) -> None:
    root = fake_hugepage_root(tmp_path, nodes=1)
    mnt = tmp_path / "hp1g"

    done = run(["bash", str(HUGEPAGES), "--dry-run", "--mount-1g", str(mnt)], {"HUGEPAGES_ROOT": root})

    assert done.returncode == 0, done.stderr
    assert f"mount -t hugetlbfs -o pagesize=1G nodev {mnt}" in done.stdout
    assert not mnt.exists()


def test_hugepages_rejects_bad_counts_and_needs_root_to_act() -> None:
    bad = run(["bash", str(HUGEPAGES), "--dry-run", "--2m", "lots"])
    unprivileged = as_nobody(HUGEPAGES)

    assert bad.returncode == 1
    assert "2M page count must be a non-negative integer, got 'lots'" in bad.stderr
    assert unprivileged.returncode == 1
    assert "needs root" in unprivileged.stderr
    assert "--dry-run" in unprivileged.stderr


def test_scripts_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is missing: apt-get install shellcheck (make sysdeps does it as root)"

    done = run([shellcheck, *(str(p) for p in sorted((REPO / "scripts").glob("*.sh")))])

    assert done.returncode == 0, done.stdout


# --- startup.conf and the systemd units agree with each other ----------------------------------------------

STARTUP_CONF = REPO / "startup.conf"
UNITS = REPO / "deploy" / "systemd"
Stanzas = dict[str, list[str]]


def vpp_stanzas(text: str) -> Stanzas:
    """Top-level `name { ... }` blocks of a VPP startup.conf, with their words, comments removed.

    VPP joins the file into one line after dropping `#` comments, then each stanza's parser reads words
    (src/vpp/vnet/main.c); nested braces (dev ... { ... }) stay inside their stanza's word list.
    """
    words = (
        " ".join(line.split("#", 1)[0] for line in text.splitlines()).replace("{", " { ").replace("}", " } ")
    )
    tokens = words.split()
    stanzas: Stanzas = {}
    i = 0
    while i < len(tokens):
        name = tokens[i]
        assert i + 1 < len(tokens) and tokens[i + 1] == "{", f"stanza {name!r} has no opening brace"
        depth, j, body = 1, i + 2, []
        while depth:
            assert j < len(tokens), f"stanza {name!r} is not closed"
            depth += {"{": 1, "}": -1}.get(tokens[j], 0)
            if depth:
                body.append(tokens[j])
            j += 1
        assert name not in stanzas, f"stanza {name!r} appears twice"
        stanzas[name] = body
        i = j
    return stanzas


def value_after(words: list[str], key: str) -> str:
    assert key in words, f"{key} is not set"
    return words[words.index(key) + 1]


def cpu_list(spec: str) -> list[int]:
    cpus: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


def unit_entries(path: Path) -> dict[str, list[str]]:
    """Key -> values of a systemd unit file (sections merged; continuation lines joined)."""
    entries: dict[str, list[str]] = {}
    logical = path.read_text().replace("\\\n", " ")
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        entries.setdefault(key.strip(), []).append(" ".join(value.split()))
    return entries


def test_startup_conf_enables_the_sockets_workers_and_plugins_a_bng_needs() -> None:
    conf = vpp_stanzas(STARTUP_CONF.read_text())

    assert value_after(conf["socksvr"], "socket-name") == "/run/vpp/api.sock"
    assert value_after(conf["statseg"], "socket-name") == "/run/vpp/stats.sock"
    assert value_after(conf["statseg"], "per-node-counters") == "on"
    assert value_after(conf["unix"], "cli-listen") == "/run/vpp/cli.sock"
    # the packet path: VPP's punt socket, made group-writable for the agent once VPP has bound it
    punt = value_after(conf["punt"], "socket")
    assert punt == "/run/vpp/punt.sock"
    post = " ".join(unit_entries(UNITS / "vpp.service")["ExecStartPost"])
    assert f"chgrp {value_after(conf['unix'], 'gid')} {punt}" in post and f"chmod g+w {punt}" in post
    workers = cpu_list(value_after(conf["cpu"], "corelist-workers"))
    assert len(workers) == 4
    assert int(value_after(conf["cpu"], "main-core")) not in workers
    assert value_after(conf["memory"], "main-heap-page-size") == "1G"
    assert value_after(conf["buffers"], "page-size") == "2M"
    assert value_after(conf["dpdk"], "uio-driver") == "vfio-pci"
    assert "uio-bind-force" not in conf["dpdk"]
    plugins = " ".join(conf["plugins"])
    assert "plugin default { disable }" in plugins
    for wanted in ("dpdk", "nat", "acl", "dhcp", "vrrp", "pppoe", "lacp", "flowprobe", "ping"):
        assert f"plugin {wanted}_plugin.so {{ enable }}" in plugins


def test_agent_unit_points_at_the_sockets_startup_conf_creates() -> None:
    conf = vpp_stanzas(STARTUP_CONF.read_text())
    agent = unit_entries(UNITS / "bng-agent.service")
    command = agent["ExecStart"][0].split()

    assert command[:2] == ["/opt/bng-agent/.venv/bin/bng-agent", "run"]
    flags = dict(zip(command[2::2], command[3::2], strict=True))
    assert flags == {
        "--vpp-api-socket": value_after(conf["socksvr"], "socket-name"),
        "--vpp-stats-socket": value_after(conf["statseg"], "socket-name"),
        "--data-dir": "/var/lib/bng-agent",
        "--netconf-port": "830",
        "--gnmi-port": "9339",
        "--metrics-port": "9464",
    }
    assert agent["StateDirectory"] == ["bng-agent"]
    assert agent["SupplementaryGroups"] == [value_after(conf["unix"], "gid")]
    assert agent["AmbientCapabilities"] == ["CAP_NET_BIND_SERVICE"]


def test_units_start_hugepages_then_vpp_then_the_agent() -> None:
    agent = unit_entries(UNITS / "bng-agent.service")
    vpp = unit_entries(UNITS / "vpp.service")
    hugepages = unit_entries(UNITS / "bng-hugepages.service")

    assert "vpp.service" in " ".join(agent["Requires"]).split()
    assert "vpp.service" in " ".join(agent["After"]).split()
    assert "bng-hugepages.service" in " ".join(vpp["Requires"]).split()
    assert "bng-hugepages.service" in " ".join(vpp["After"]).split()
    assert vpp["ExecStart"] == ["/usr/bin/vpp -c /etc/vpp/startup.conf"]
    assert vpp["Restart"] == ["always"]
    assert agent["Restart"] == ["on-failure"]
    assert hugepages["Type"] == ["oneshot"]
    assert hugepages["ExecStart"] == ["/opt/bng-agent/scripts/hugepages.sh"]


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: apt-get install systemd (make sysdeps does it as root)"
    # verify also checks that executables exist; point them at /bin/true so only the unit syntax is judged.
    for unit in UNITS.glob("*.service"):
        text = unit.read_text()
        for exe in (
            "/opt/bng-agent/.venv/bin/bng-agent",
            "/opt/bng-agent/scripts/hugepages.sh",
            "/usr/bin/vpp",
        ):
            text = text.replace(exe, "/bin/true")
        (tmp_path / unit.name).write_text(text)

    done = run([analyze, "verify", *sorted(str(p) for p in tmp_path.glob("*.service"))])

    ours = [line for line in done.stderr.splitlines() if str(tmp_path) in line]
    assert done.returncode == 0, done.stderr
    assert ours == [], "\n".join(ours)


# --- preflight.sh: the machine against startup.conf ------------------------------------------------------

PREFLIGHT = REPO / "scripts" / "preflight.sh"
SHIPPED_DEVS = ("0000:3b:00.0", "0000:3b:00.1", "0000:5e:00.0", "0000:5e:00.1")


def fake_machine(
    root: Path, *, free_1g: int = 4, free_2m: int = 1024, nic_node: int = 0, nic_driver: str = "vfio-pci"
) -> str:
    """Two NUMA nodes (CPUs 0-5 on node 0, 6-7 on node 1), workers isolated, the shipped NICs present."""
    cpu = root / "devices/system/cpu"
    for n in range(8):
        (cpu / f"cpu{n}").mkdir(parents=True)
        (cpu / f"cpu{n}" / f"node{0 if n < 6 else 1}").mkdir()
    (cpu / "online").write_text("0-7\n")
    (cpu / "isolated").write_text("2-5\n")
    for node, (g1, m2) in enumerate([(free_1g, free_2m), (0, 0)]):
        for size, free in (("1048576kB", g1), ("2048kB", m2)):
            d = root / f"devices/system/node/node{node}/hugepages/hugepages-{size}"
            d.mkdir(parents=True)
            (d / "free_hugepages").write_text(f"{free}\n")
    (root / "kernel/iommu_groups/12").mkdir(parents=True)
    drivers = root / "bus/pci/drivers"
    for addr in SHIPPED_DEVS:
        dev = root / "bus/pci/devices" / addr
        dev.mkdir(parents=True)
        (dev / "numa_node").write_text(f"{nic_node}\n")
        (drivers / nic_driver).mkdir(parents=True, exist_ok=True)
        (dev / "driver").symlink_to(drivers / nic_driver)
    return str(root)


def preflight(sysfs: str, conf: Path) -> subprocess.CompletedProcess[str]:
    return run(["bash", str(PREFLIGHT), str(conf)], {"PREFLIGHT_SYSFS": sysfs})


def test_preflight_passes_a_machine_that_fits_the_shipped_startup_conf(tmp_path: Path) -> None:
    done = preflight(fake_machine(tmp_path / "sys"), STARTUP_CONF)

    assert done.returncode == 0, done.stdout
    assert "FAIL" not in done.stdout
    assert "OK    cpu: workers 2-5 on NUMA node 0" in done.stdout
    assert "OK    hugepages: 4 free 1G pages on node 0 for the 4G main heap" in done.stdout
    for addr in SHIPPED_DEVS:
        assert f"OK    dpdk: dev {addr} driver vfio-pci" in done.stdout


def test_preflight_fails_workers_across_numa_nodes_and_short_hugepages(tmp_path: Path) -> None:
    conf = tmp_path / "startup.conf"
    conf.write_text(STARTUP_CONF.read_text().replace("corelist-workers 2-5", "corelist-workers 4-7"))

    done = preflight(fake_machine(tmp_path / "sys", free_1g=2, free_2m=100), conf)

    assert done.returncode == 2
    assert "FAIL  cpu: workers 4-7 span NUMA nodes 0 1" in done.stdout
    assert "WARN  cpu: worker CPU(s) 6 7 not isolated" in done.stdout
    assert "FAIL  hugepages: main heap needs 4 free 1G pages on node 0, 2 free" in done.stdout
    assert "FAIL  hugepages: 128000 buffers need ~157 free 2M pages on node 0, 100 free" in done.stdout


def test_preflight_warns_about_far_or_kernel_owned_nics_and_missing_ones(tmp_path: Path) -> None:
    conf = tmp_path / "startup.conf"
    conf.write_text(STARTUP_CONF.read_text().replace("dev 0000:3b:00.1", "dev 0000:af:00.0"))

    done = preflight(fake_machine(tmp_path / "sys", nic_node=1, nic_driver="ixgbe"), conf)

    assert done.returncode == 2
    assert "WARN  dpdk: dev 0000:3b:00.0 is on NUMA node 1 but the workers are on node 0" in done.stdout
    assert "WARN  dpdk: dev 0000:3b:00.0 is on kernel driver ixgbe; run scripts/bind-nic.sh" in done.stdout
    assert "FAIL  dpdk: dev 0000:af:00.0 does not exist on this machine" in done.stdout
    assert "preflight.sh: 1 failed" in done.stdout
