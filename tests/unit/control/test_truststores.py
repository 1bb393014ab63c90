"""Truststore checks (control/truststores.py): usable CA certificates kept, others named in
warnings, nothing usable refused."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tollway.control.errors import BadRequestException
from tollway.control.truststores import check_truststore

NOW = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)


def _ca(name: str, key: object, *, days: int = 30, start: int = -1,
        digest: hashes.HashAlgorithm | None = None) -> bytes:  # fmt: skip
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(1)
        .not_valid_before(NOW + datetime.timedelta(days=start))
        .not_valid_after(NOW + datetime.timedelta(days=days))
        .sign(key, digest or hashes.SHA256())  # type: ignore[arg-type]
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def test_usable_certificates_are_kept_and_the_others_named() -> None:
    good = _ca("Good", ec.generate_private_key(ec.SECP256R1()))
    bundle = b"".join(
        [
            good,
            _ca("Old", ec.generate_private_key(ec.SECP256R1()), days=-2, start=-10),
            _ca("Future", ec.generate_private_key(ec.SECP256R1()), start=5),
            _ca("Small", rsa.generate_private_key(65537, 1024)),
            _ca("Weak", ec.generate_private_key(ec.SECP256R1()), digest=hashes.SHA224()),
            b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
        ]
    )
    pem, warnings = check_truststore(bundle, NOW)
    assert pem == good.decode()
    assert warnings == [
        "Certificate 2 (CN=Old) has expired",
        "Certificate 3 (CN=Future) is not valid yet",
        "Certificate 4 (CN=Small) has an RSA key of 1024 bits (2048 at least)",
        "Certificate 5 (CN=Weak) is signed with a hash weaker than SHA-256",
        "Certificate 6 of the truststore could not be parsed",
    ]


def test_a_bundle_with_nothing_usable_is_refused() -> None:
    with pytest.raises(BadRequestException) as refused:
        check_truststore(b"hello", NOW)
    assert refused.value.message == (
        "The truststore contains no valid certificate: no PEM certificate block found"
    )
