"""gNMI transport security: operator certificates, client-certificate verification (mTLS), plaintext only
when asked for."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path
from typing import Any

import grpc
import pytest
from _gnmi_helpers import running_agent
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pygnmi.spec.v080 import gnmi_pb2
from pygnmi.spec.v080.gnmi_pb2_grpc import gNMIStub

MD = [("username", "admin"), ("password", "admin-pw")]


def _pem_key(key: Any) -> bytes:
    return key.private_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert(subject: str, key: Any, issuer: str, issuer_key: Any, *, ca: bool, server: bool = False) -> bytes:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        sans = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    files: dict[str, bytes] = {"ca.pem": _cert("test-ca", ca_key, "test-ca", ca_key, ca=True)}
    for name, server in (("server", True), ("client", False)):
        key = ec.generate_private_key(ec.SECP256R1())
        files[f"{name}.pem"] = _cert(name, key, "test-ca", ca_key, ca=False, server=server)
        files[f"{name}-key.pem"] = _pem_key(key)
    rogue_key = ec.generate_private_key(ec.SECP256R1())
    files["rogue.pem"] = _cert("rogue", rogue_key, "rogue", rogue_key, ca=True)
    files["rogue-key.pem"] = _pem_key(rogue_key)
    out = {}
    for name, data in files.items():
        (d / name).write_bytes(data)
        out[name] = d / name
    return out


def _caps(port: int, creds: grpc.ChannelCredentials) -> Any:
    with grpc.secure_channel(f"localhost:{port}", creds) as channel:
        return gNMIStub(channel).Capabilities(gnmi_pb2.CapabilityRequest(), metadata=MD, timeout=10)


def test_mtls_accepts_only_clients_with_a_certificate_from_the_ca(
    tmp_path: Path, pki: dict[str, Path]
) -> None:
    args = ["--tls-cert", str(pki["server.pem"]), "--tls-key", str(pki["server-key.pem"])]
    with running_agent(tmp_path, *args, "--client-ca", str(pki["ca.pem"])) as agent:
        ca = pki["ca.pem"].read_bytes()
        good = grpc.ssl_channel_credentials(
            ca, pki["client-key.pem"].read_bytes(), pki["client.pem"].read_bytes()
        )
        assert _caps(agent.gnmi_port, good).gNMI_version == "0.10.0"
        for creds in (
            grpc.ssl_channel_credentials(ca),  # no client certificate
            grpc.ssl_channel_credentials(
                ca, pki["rogue-key.pem"].read_bytes(), pki["rogue.pem"].read_bytes()
            ),
        ):
            with pytest.raises(grpc.RpcError) as info:
                _caps(agent.gnmi_port, creds)
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        assert not (tmp_path / "gnmi-cert.pem").exists()  # the operator's certificate is used, none generated


def test_plaintext_only_when_asked_for(tmp_path: Path) -> None:
    with (
        running_agent(tmp_path / "tls") as agent,
        grpc.insecure_channel(f"127.0.0.1:{agent.gnmi_port}") as channel,
        pytest.raises(grpc.RpcError),
    ):
        gNMIStub(channel).Capabilities(gnmi_pb2.CapabilityRequest(), metadata=MD, timeout=10)
    with running_agent(tmp_path / "plain", "--insecure") as agent:
        with grpc.insecure_channel(f"127.0.0.1:{agent.gnmi_port}") as channel:
            caps = gNMIStub(channel).Capabilities(gnmi_pb2.CapabilityRequest(), metadata=MD, timeout=10)
        assert caps.gNMI_version == "0.10.0"
