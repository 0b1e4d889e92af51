"""``bng-agent validate`` as an operator runs it: the installed console script on real files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent.model.validate import ConfigInvalid, check_config, parse_config
from agent.model.xmlsafe import XmlSyntaxError, make_parser, parse_xml

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"
IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
IP_NS = "urn:ietf:params:xml:ns:yang:ietf-ip"
IANA_NS = "urn:ietf:params:xml:ns:yang:iana-if-type"


def script() -> str:
    found = shutil.which("bng-agent", path=str(Path(sys.executable).parent))
    assert found, "the bng-agent console script is not installed in this environment (pip install -e .)"
    return found


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [script(), *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def xml_config(interface_body: str, extra: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<config xmlns="{NC}">\n'
        f'  <interfaces xmlns="{IF_NS}">\n'
        f"    <interface>\n"
        f"      <name>eth0.100</name>\n"
        f'      <type xmlns:ianaift="{IANA_NS}">ianaift:ethernetCsmacd</type>\n'
        f"      {interface_body}\n"
        f"    </interface>\n"
        f"  </interfaces>\n"
        f"{extra}"
        f"</config>\n"
    )


GOOD_JSON = {
    "ietf-interfaces:interfaces": {
        "interface": [
            {
                "name": "eth0.100",
                "type": "iana-if-type:ethernetCsmacd",
                "ietf-ip:ipv4": {"mtu": 1500, "address": [{"ip": "192.0.2.1", "prefix-length": 24}]},
            }
        ]
    }
}

IF_PATH = "/ietf-interfaces:interfaces/interface[name='eth0.100']"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    cases = {
        "good.xml": xml_config(f'<ipv4 xmlns="{IP_NS}"><mtu>1500</mtu></ipv4>'),
        "good.json": json.dumps(GOOD_JSON, indent=2),
        "bare.xml": (
            f'<interfaces xmlns="{IF_NS}"/>\n'
            '<nacm xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-acm">'
            "<enable-nacm>true</enable-nacm></nacm>\n"
        ),
        "unknown-element.xml": xml_config("<colour>blue</colour>"),
        "wrong-namespace.xml": xml_config('<ipv4 xmlns="urn:example:not-ietf-ip"><mtu>1500</mtu></ipv4>'),
        "out-of-range.xml": xml_config(f'<ipv4 xmlns="{IP_NS}">\n        <mtu>10</mtu>\n      </ipv4>'),
        "broken.xml": xml_config("<enabled>true</enable>"),
        "broken.json": (
            '{\n  "ietf-interfaces:interfaces": {\n    "interface": [\n      {"name": "x",}\n    ]\n  }\n}\n'
        ),
        "missing-key.json": json.dumps(
            {"ietf-interfaces:interfaces": {"interface": [{"type": "iana-if-type:ethernetCsmacd"}]}}
        ),
        "state-data.xml": xml_config("<oper-status>up</oper-status>"),
        "deep.json": '{"ietf-interfaces:interfaces":' + '{"a":' * 50000 + "1" + "}" * 50000 + "}",
        "deep-array.json": "[" * 50000 + "]" * 50000,
        "deep.xml": f'<interfaces xmlns="{IF_NS}">' + "<a>" * 50000 + "</a>" * 50000 + "</interfaces>",
        "xxe.xml": '<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
        f'<interfaces xmlns="{IF_NS}"><interface><name>&e;</name></interface></interfaces>\n',
    }
    out = {}
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        out[name] = path
    return out


def test_valid_files_exit_zero(files: dict[str, Path]) -> None:
    result = run("validate", files["good.xml"], files["good.json"], files["bare.xml"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{files['good.xml']}: valid" in result.stdout
    assert "3 of 3 files valid" in result.stdout


@pytest.mark.parametrize(
    ("name", "line", "path", "reason"),
    [
        ("unknown-element.xml", 7, IF_PATH, 'Node "colour" not found'),
        ("wrong-namespace.xml", 7, IF_PATH, 'No module with namespace "urn:example:not-ietf-ip"'),
        ("out-of-range.xml", 8, f"{IF_PATH}/ietf-ip:ipv4/mtu", 'value "10" is out of the allowed range'),
        ("broken.xml", 7, None, "malformed XML: Opening and ending tag mismatch"),
        ("broken.json", 4, None, "malformed JSON"),
        ("missing-key.json", None, "/ietf-interfaces:interfaces/interface", 'missing its key "name"'),
        ("state-data.xml", 7, f"{IF_PATH}/oper-status", "state node"),
        ("xxe.xml", 1, None, "DOCTYPE is not accepted"),
        ("deep.json", None, "/ietf-interfaces:interfaces", 'Node "a" not found'),
        ("deep-array.json", None, None, "top-level JSON object"),
        ("deep.xml", 1, None, "Excessive depth"),
    ],
)
def test_bad_file_gives_one_clear_error(
    files: dict[str, Path], name: str, line: int | None, path: str | None, reason: str
) -> None:
    result = run("validate", files[name])
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, lines
    out = lines[0]
    prefix = f"{files[name]}:{line}:" if line is not None else f"{files[name]}:"
    assert out.startswith(prefix), out
    if path:
        assert f" {path}: " in out, out
    assert reason in out


def test_one_bad_file_among_good_ones_fails_the_run(files: dict[str, Path]) -> None:
    result = run("validate", files["good.xml"], files["out-of-range.xml"], files["good.json"])
    assert result.returncode == 1
    assert "2 of 3 files valid" in result.stdout


def test_missing_file_is_reported_not_crashed(tmp_path: Path) -> None:
    result = run("validate", tmp_path / "nope.xml")
    assert result.returncode == 1
    assert "cannot read file" in result.stdout
    assert "Traceback" not in result.stderr


def test_dangling_leafref_with_an_extra_module(tmp_path: Path) -> None:
    yang_dir = tmp_path / "yang"
    yang_dir.mkdir()
    (yang_dir / "test-bindings.yang").write_text(
        """
        module test-bindings {
          yang-version 1.1;
          namespace "urn:test:bindings";
          prefix tb;
          import ietf-interfaces { prefix if; }
          container bindings {
            list binding {
              key name;
              leaf name { type string; }
              leaf interface { type if:interface-ref; mandatory true; }
            }
          }
        }
        """
    )
    doc = dict(GOOD_JSON)
    doc["test-bindings:bindings"] = {"binding": [{"name": "b1", "interface": "eth9"}]}
    data = tmp_path / "dangling.json"
    data.write_text(json.dumps(doc))
    result = run("validate", "-p", yang_dir, "-m", "test-bindings", data)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, lines
    assert "/test-bindings:bindings/binding[name='b1']/interface" in lines[0]
    assert "eth9" in lines[0]
    doc["test-bindings:bindings"] = {"binding": [{"name": "b1", "interface": "eth0.100"}]}
    data.write_text(json.dumps(doc))
    assert run("validate", "-p", yang_dir, "-m", "test-bindings", data).returncode == 0


def test_unknown_extra_module_is_a_usage_error(tmp_path: Path, files: dict[str, Path]) -> None:
    result = run("validate", "-m", "no-such-module", files["good.xml"])
    assert result.returncode == 2
    assert "no-such-module" in result.stderr


def test_run_accepts_the_documented_flags() -> None:
    from agent.cli import build_parser

    args = build_parser().parse_args(
        [
            "run",
            "--sim",
            "--data-dir",
            "d",
            "--startup",
            "s.xml",
            "--config",
            "c.yaml",
            "--netconf-port",
            "8300",
            "--gnmi-port",
            "0",
            "--metrics-port",
            "9100",
            "--vpp-api-socket",
            "/run/vpp/api.sock",
            "--vpp-stats-socket",
            "/run/vpp/stats.sock",
        ]
    )
    assert (args.sim, args.netconf_port, args.gnmi_port, args.startup) == (True, 8300, 0, "s.xml")


def test_preflight_checks_model_examples_and_startup(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """The start-up checks `run` did before the agent process existed (still callable on their own)."""
    from agent.cli import build_parser, preflight

    ok = preflight(build_parser().parse_args(["run", "--startup", str(files["good.json"])]))
    out = capsys.readouterr().out
    assert "model set loaded" in out
    assert f"startup configuration {files['good.json']}: valid" in out
    assert ok == 0, out
    bad = preflight(build_parser().parse_args(["run", "--startup", str(files["out-of-range.xml"])]))
    captured = capsys.readouterr()
    assert bad == 1
    assert "not starting" in captured.err
    assert "out of the allowed range" in captured.out


# ------------------------------------------------------------------------------ library API used by the agent


def test_parse_config_returns_tree_and_raises_with_details() -> None:
    tree = parse_config(json.dumps(GOOD_JSON), "json")
    assert tree is not None
    try:
        assert tree.find_one(f"{IF_PATH}/ietf-ip:ipv4/mtu").value() == 1500  # type: ignore[union-attr]
    finally:
        tree.free()
    with pytest.raises(ConfigInvalid) as err:
        parse_config(xml_config("<enabled>perhaps</enabled>"))
    assert err.value.path == f"{IF_PATH}/enabled"
    assert err.value.tag == "invalid-value"
    assert err.value.grpc_code == "INVALID_ARGUMENT"


def test_empty_config_is_valid() -> None:
    assert check_config(f'<config xmlns="{NC}"/>') == []
    assert check_config("{}") == []


def test_restconf_data_wrapper_accepted() -> None:
    assert check_config(json.dumps({"ietf-restconf:data": GOOD_JSON})) == []


def test_config_without_netconf_namespace_rejected() -> None:
    problems = check_config("<config><interfaces/></config>")
    assert len(problems) == 1
    assert "NETCONF namespace" in problems[0].message


def test_xml_parser_refuses_entities_and_dtds(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    external = f'<!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]><a>&x;</a>'.encode()
    with pytest.raises(XmlSyntaxError, match="DOCTYPE"):
        parse_xml(external)
    # Even a caller using the parser directly gets neither the file nor entity expansion.
    from lxml import etree

    try:
        root = etree.fromstring(external, parser=make_parser())
    except etree.XMLSyntaxError:
        return
    assert "TOP-SECRET" not in etree.tostring(root).decode()
    laughs = b'<!DOCTYPE a [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;&l;&l;&l;&l;&l;">]><a>&l2;</a>'
    root = etree.fromstring(laughs, parser=make_parser())
    assert b"lollol" not in etree.tostring(root)


def test_validate_reads_standard_input() -> None:
    good = subprocess.run(
        [script(), "validate", "-"], input=json.dumps(GOOD_JSON), capture_output=True, text=True, timeout=60
    )
    assert good.returncode == 0 and "-: valid" in good.stdout
    bad = subprocess.run(
        [script(), "validate", "-"],
        input=xml_config("<colour>red</colour>"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    assert bad.stdout.startswith("-:7: ")
