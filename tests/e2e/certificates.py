"""Certificates made by the tests: CAs, server certificates for custom domains, client
certificates for mutual TLS; and an HTTPS client that sets SNI and Host to a name while
connecting to loopback (what `curl --resolve` does)."""

from __future__ import annotations

import datetime
import http.client
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = datetime.datetime.now(datetime.UTC)


@dataclass
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def files(self, directory: Path, name: str) -> tuple[str, str]:
        cert, key = directory / f"{name}.pem", directory / f"{name}.key"
        cert.write_bytes(self.pem)
        key.write_bytes(self.key_pem)
        return str(cert), str(key)


def issue(
    common_name: str,
    issuer: Issued | None = None,
    *,
    ca: bool = False,
    dns: str | None = None,
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
) -> Issued:
    """A certificate for `common_name`, signed by `issuer` (self-signed without one)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - datetime.timedelta(days=1))
        .not_valid_after(not_after or NOW + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(dns)]), critical=False
        )
    signer = issuer.key if issuer else key
    return Issued(builder.sign(signer, hashes.SHA256()), key)


def expired(common_name: str, issuer: Issued) -> Issued:
    return issue(
        common_name,
        issuer,
        not_before=NOW - datetime.timedelta(days=30),
        not_after=NOW - datetime.timedelta(days=1),
    )


class _Connection(http.client.HTTPSConnection):
    """Connects to 127.0.0.1 while SNI and Host name `host`."""

    def connect(self) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def client_context(ca_file: str | None, cert: tuple[str, str] | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    if ca_file is None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        context.load_cert_chain(*cert)
    return context


def https_get(
    port: int, name: str, path: str, context: ssl.SSLContext, host: str | None = None
) -> tuple[int, bytes, x509.Certificate]:
    """GET `path` from the HTTPS listener with SNI `name` (and Host `host` or `name`): status,
    body and the certificate the server presented."""
    connection = _Connection(name, port, context=context, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": host or name})
        response = connection.getresponse()
        body = response.read()
        assert connection.sock is not None
        der = connection.sock.getpeercert(binary_form=True)
        assert der is not None
        return response.status, body, x509.load_der_x509_certificate(der)
    finally:
        connection.close()


def common_name(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
