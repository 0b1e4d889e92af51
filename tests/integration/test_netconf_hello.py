"""Hello exchange, capabilities, authentication and host key handling, with ncclient and a raw client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest
from _netconf_helpers import (
    HELLO_10,
    HELLO_11,
    NetconfFixture,
    RawSession,
    chunk,
    rpc,
    running_server,
)
from lxml import etree
from ncclient.transport.errors import AuthenticationError

from agent.model import load_model_set
from agent.model.yanglib import yang_library

NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetconfFixture]:
    with running_server(tmp_path_factory.mktemp("nc-hello")) as server:
        yield server


def test_capabilities_are_advertised_with_yang_library_content_id(fx: NetconfFixture) -> None:
    with fx.connect() as m:
        caps = list(m.server_capabilities)
        assert m.session_id is not None and int(m.session_id) > 0
    content_id = yang_library(load_model_set().ctx).content_id
    for wanted in (
        "urn:ietf:params:netconf:base:1.1",
        "urn:ietf:params:netconf:capability:candidate:1.0",
        "urn:ietf:params:netconf:capability:confirmed-commit:1.1",
        "urn:ietf:params:netconf:capability:rollback-on-error:1.0",
        "urn:ietf:params:netconf:capability:validate:1.1",
        "urn:ietf:params:netconf:capability:startup:1.0",
        "urn:ietf:params:netconf:capability:xpath:1.0",
        "urn:ietf:params:netconf:capability:notification:1.0",
        "urn:ietf:params:netconf:capability:interleave:1.0",
    ):
        assert wanted in caps
    assert any(
        c.startswith("urn:ietf:params:netconf:capability:with-defaults:1.0?basic-mode=explicit") for c in caps
    )
    ylib = [c for c in caps if c.startswith("urn:ietf:params:netconf:capability:yang-library:1.1")]
    assert ylib and f"content-id={content_id}" in ylib[0]
    assert "urn:ietf:params:netconf:capability:url:1.0" not in caps  # not implemented, not advertised


def test_session_ids_are_distinct(fx: NetconfFixture) -> None:
    with fx.connect() as a, fx.connect() as b:
        assert a.session_id != b.session_id


def test_wrong_password_is_refused(fx: NetconfFixture) -> None:
    with pytest.raises(AuthenticationError):
        fx.connect(password="wrong")
    with pytest.raises(AuthenticationError):
        fx.connect(username="nobody")


def test_base10_client_gets_end_of_message_framing(fx: NetconfFixture) -> None:
    async def go() -> bytes:
        s = RawSession(fx.port)
        hello = await s.open()
        assert b"<session-id>" in hello
        await s.send(HELLO_10)
        await s.send(rpc("<get-config><source><running/></source></get-config>", 7) + b"]]>]]>")
        reply = await s.read_until(b"]]>]]>")
        await s.close()
        return reply

    reply = asyncio.run(go())
    root = etree.fromstring(reply[: -len(b"]]>]]>")])
    assert root.get("message-id") == "7"
    assert root.find(f"{{{NC}}}data") is not None


def test_base11_client_gets_chunked_framing_and_pipelined_replies_in_order(fx: NetconfFixture) -> None:
    async def go() -> list[bytes]:
        s = RawSession(fx.port)
        await s.open()
        await s.send(HELLO_11)
        # several requests in one write, split across chunks
        msgs = b"".join(
            chunk(rpc("<get-config><source><running/></source></get-config>", i)) for i in range(5)
        )
        await s.send(msgs)
        replies = [await s.read_chunked() for _ in range(5)]
        await s.close()
        return replies

    replies = asyncio.run(go())
    assert [etree.fromstring(r).get("message-id") for r in replies] == [str(i) for i in range(5)]


def test_hello_with_session_id_from_client_ends_the_session(fx: NetconfFixture) -> None:
    async def go() -> bool:
        s = RawSession(fx.port)
        await s.open()
        await s.send(HELLO_10.replace(b"</hello>", b"<session-id>4</session-id></hello>"))
        closed = await s.closed()
        await s.close()
        return closed

    assert asyncio.run(go())


def test_host_key_is_generated_once_and_reused(tmp_path: Path) -> None:
    async def fingerprint(port: int) -> str:
        conn = await asyncssh.connect(
            "127.0.0.1",
            port,
            username="admin",
            password="s3cret-admin",
            known_hosts=None,
            client_keys=None,
            agent_path=None,
        )
        key = conn.get_server_host_key()
        assert key is not None
        conn.close()
        return str(key.get_fingerprint())

    with running_server(tmp_path) as first:
        fp1 = asyncio.run(fingerprint(first.port))
    key_file = tmp_path / "ssh_host_ed25519_key"
    assert key_file.exists() and (key_file.stat().st_mode & 0o077) == 0
    with running_server(tmp_path) as second:
        fp2 = asyncio.run(fingerprint(second.port))
    assert fp1 == fp2


def test_public_key_login_for_configured_user(fx: NetconfFixture, tmp_path: Path) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    alg, data = key.export_public_key("openssh").decode().split()[:2]
    cfg = (
        '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        '<system xmlns="urn:ietf:params:xml:ns:yang:ietf-system"><authentication>'
        "<user><name>admin</name><password>$0$s3cret-admin</password></user>"
        f"<user><name>ops</name><authorized-key><name>k1</name><algorithm>{alg}</algorithm>"
        f"<key-data>{data}</key-data></authorized-key></user>"
        "</authentication></system></config>"
    )
    with fx.connect() as m:
        m.edit_config(target="candidate", config=cfg)
        m.commit()
    key_path = tmp_path / "id_ed25519"
    key_path.write_bytes(key.export_private_key())
    key_path.chmod(0o600)
    from ncclient import manager

    with manager.connect(
        host="127.0.0.1",
        port=fx.port,
        username="ops",
        key_filename=str(key_path),
        hostkey_verify=False,
        look_for_keys=False,
        allow_agent=False,
        timeout=30,
    ) as m:
        assert m.connected
    # once users are configured, the bootstrap account is replaced by the configured admin entry
    with fx.connect() as m:
        m.edit_config(
            target="candidate",
            config='<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
            '<system xmlns="urn:ietf:params:xml:ns:yang:ietf-system" '
            'xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0" nc:operation="delete"/></config>',
        )
        m.commit()


def test_shell_and_other_subsystems_are_refused(fx: NetconfFixture) -> None:
    async def go() -> list[int | None]:
        conn = await asyncssh.connect(
            "127.0.0.1",
            fx.port,
            username="admin",
            password="s3cret-admin",
            known_hosts=None,
            client_keys=None,
            agent_path=None,
        )
        statuses: list[int | None] = []
        requests: list[dict[str, Any]] = [{"subsystem": "sftp"}, {"command": "id"}, {}]
        for kwargs in requests:
            try:
                result = await asyncio.wait_for(conn.run(check=False, **kwargs), 10)
                statuses.append(result.exit_status)
            except asyncssh.ChannelOpenError:
                statuses.append(-1)  # refused outright (e.g. the pty a shell asks for)
        conn.close()
        return statuses

    statuses = asyncio.run(go())
    assert all(s not in (0, None) for s in statuses), statuses


def test_ietf_netconf_features_in_the_yang_library_match_the_capabilities(fx: NetconfFixture) -> None:
    """RFC 6241 section 10 / RFC 7950 5.6.4: each ietf-netconf feature is one capability; the YANG
    library must not claim a feature (such as :url) the hello does not advertise, and vice versa."""
    yl = "urn:ietf:params:xml:ns:yang:ietf-yang-library"
    flt = f'<yang-library xmlns="{yl}"/>'
    with fx.connect() as m:
        caps = set(m.server_capabilities)
        data = etree.fromstring(m.get(filter=("subtree", flt)).data_xml.encode())
    module = next(e for e in data.iter(f"{{{yl}}}module") if e.findtext(f"{{{yl}}}name") == "ietf-netconf")
    features = {f.text for f in module.iterfind(f"{{{yl}}}feature")}
    mapped = (
        "writable-running",
        "candidate",
        "confirmed-commit",
        "rollback-on-error",
        "validate",
        "startup",
        "url",
        "xpath",
    )
    for feature in mapped:
        cap = f"urn:ietf:params:netconf:capability:{feature}:1.0"
        assert (feature in features) == (cap in caps), feature
    assert "url" not in features


def test_capability_parameters_match_the_served_data(fx: NetconfFixture) -> None:
    """with-defaults (RFC 6243 4.3) and with-operational-defaults (RFC 8526 3.1.1.2): basic-mode and the
    exact also-supported set; yang-library:1.1 (RFC 8526 2): revision 2019-01-04 and the content-id
    the served /yang-library reports."""
    from urllib.parse import parse_qs, urlsplit

    yl = "urn:ietf:params:xml:ns:yang:ietf-yang-library"
    with fx.connect() as m:
        caps = list(m.server_capabilities)
        served = etree.fromstring(
            m.get(filter=("subtree", f'<yang-library xmlns="{yl}"/>')).data_xml.encode()
        )
    params = {}
    for cap in caps:
        parts = urlsplit(cap)
        params[f"{parts.scheme}:{parts.path}"] = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for uri in (
        "urn:ietf:params:netconf:capability:with-defaults:1.0",
        "urn:ietf:params:netconf:capability:with-operational-defaults:1.0",
    ):
        assert params[uri]["basic-mode"] == "explicit", uri
        assert set(params[uri]["also-supported"].split(",")) == {"report-all", "report-all-tagged", "trim"}
    ylib = params["urn:ietf:params:netconf:capability:yang-library:1.1"]
    assert ylib["revision"] == "2019-01-04"
    assert ylib["content-id"] == served.findtext(f".//{{{yl}}}yang-library/{{{yl}}}content-id")
