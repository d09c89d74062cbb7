"""TLS for tests/fake_graph.py: a fresh CA and a server certificate for 127.0.0.1, and the
self-signed certificates an app registration may sign in with (private_key_jwt)."""

from __future__ import annotations

import base64
import ssl
from datetime import UTC, datetime, timedelta
from hashlib import sha1, sha256
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _builder(subject: str, issuer: str, key: Any) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=7))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
    )


def _pem(key: Any, cert: x509.Certificate) -> bytes:
    return key.private_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ) + cert.public_bytes(serialization.Encoding.PEM)


def make_tls(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A new CA (its PEM written to folder/ca.pem) and the server's context, for 127.0.0.1."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        _builder("FakeGraph test CA", "FakeGraph test CA", ca_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    san = [x509.IPAddress(IPv4Address("127.0.0.1")), x509.DNSName("localhost")]
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    server = (
        _builder("127.0.0.1", "FakeGraph test CA", key.public_key())
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False)
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(_pem(key, server))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "server.pem")
    return folder / "ca.pem", context


def app_certificate(path: Path) -> tuple[Any, tuple[bytes, bytes]]:
    """A new self-signed RSA certificate, its key and certificate written to `path` as PEM:
    its public key and its SHA-1 and SHA-256 thumbprints."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _builder("FakeGraph app", "FakeGraph app", key.public_key()).sign(key, hashes.SHA256())
    path.write_bytes(_pem(key, cert))
    der = cert.public_bytes(serialization.Encoding.DER)
    return key.public_key(), (sha1(der).digest(), sha256(der).digest())


def x5t(thumbprint: bytes) -> str:
    """A thumbprint as a JWT header carries it (x5t, x5t#S256): base64url, without padding."""
    return base64.urlsafe_b64encode(thumbprint).decode().rstrip("=")
