"""`clientCert` as the gateway passes it on (dataplane/tls.py, spec §14.1)."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tollway.dataplane.tls import client_cert


def test_client_cert_fields() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example"),
            x509.NameAttribute(NameOID.COMMON_NAME, "client"),
        ]
    )
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(0x0A1B2C)
        .not_valid_before(datetime.datetime(2019, 5, 28, 12, 30, 2, tzinfo=datetime.UTC))
        .not_valid_after(datetime.datetime(2031, 1, 3, 4, 5, 6, tzinfo=datetime.UTC))
        .sign(key, hashes.SHA256())
    )
    fields = client_cert(cert.public_bytes(serialization.Encoding.DER))
    assert fields == {
        "clientCertPem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "subjectDN": "CN=client,O=Example",
        "issuerDN": "CN=Example CA",
        "serialNumber": "0a:1b:2c",
        "validity": {
            "notBefore": "May 28 12:30:02 2019 GMT",
            "notAfter": "Jan  3 04:05:06 2031 GMT",
        },
    }
