"""A minimal AWS Certificate Manager (service `acm`): the certificates custom domain names
serve on the gateway's HTTPS listener.

ImportCertificate (certificate, private key, optional chain; a re-import with
`CertificateArn` replaces one), DescribeCertificate, GetCertificate, ListCertificates and
DeleteCertificate, so `aws acm import-certificate --certificate fileb://cert.pem
--private-key fileb://key.pem` works against the control plane and a domain's
`regionalCertificateArn` / `certificateArn` / `CertificateArn` names what it returns.
Certificates are stored with their private keys in the config store (kind
`CERTIFICATE_KIND`), which must be protected as the keys are. Tollway issues no
certificates: RequestCertificate and the other operations answer NotImplementedException.

UNCONFIRMED wording, chosen: "Could not find certificate {arn}." (ResourceNotFoundException),
ValidationException for a certificate or key that cannot be read or do not match, and
ResourceInUseException "Certificate {arn} is in use." when a domain name still uses it.
"""

from __future__ import annotations

import uuid
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from tollway.control.domain_records import save
from tollway.control.errors import ServiceError
from tollway.control.operations import Call, OperationTable
from tollway.model.domains import CERTIFICATE_KIND, DOMAIN_NAME_KIND, certificate_arn, serial_text
from tollway.store import Delete, Record

ops = OperationTable("acm")

_CURVES = {"secp256r1": "prime256v1"}  # ACM's names: EC_prime256v1, EC_secp384r1, ...


class AcmError(ServiceError):
    status = 400


class ResourceNotFound(AcmError):
    code = "ResourceNotFoundException"


class ResourceInUse(AcmError):
    code = "ResourceInUseException"


class AcmValidation(AcmError):
    code = "ValidationException"


def _load(call: Call) -> Record:
    arn = call.params["CertificateArn"]
    record = call.plane.store.get(CERTIFICATE_KIND, arn)
    if record is None:
        raise ResourceNotFound(f"Could not find certificate {arn}.")
    return record


def _parse(certificate: bytes, key: bytes) -> tuple[x509.Certificate, str]:
    try:
        cert = x509.load_pem_x509_certificate(certificate)
    except ValueError:
        raise AcmValidation(
            "Unable to parse certificate. Please ensure the certificate is in PEM format."
        ) from None
    try:
        private = serialization.load_pem_private_key(key, password=None)
    except (ValueError, TypeError):
        raise AcmValidation(
            "Unable to parse key. Please ensure the key is an unencrypted PEM private key."
        ) from None
    mine = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    theirs = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if mine != theirs:
        raise AcmValidation("The private key does not match the public key in the certificate.")
    public = cert.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        algorithm = f"RSA_{public.key_size}"
    elif isinstance(public, ec.EllipticCurvePublicKey):
        algorithm = "EC_" + _CURVES.get(public.curve.name, public.curve.name)
    else:
        algorithm = "UNKNOWN"
    return cert, algorithm


def _signature(cert: x509.Certificate, key_algorithm: str) -> str:
    digest = cert.signature_hash_algorithm
    return f"{digest.name.upper()}WITH{key_algorithm.split('_')[0]}" if digest else "UNKNOWN"


def _names(cert: x509.Certificate) -> tuple[str, list[str]]:
    common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    try:
        extension = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        sans = list(extension.value.get_values_for_type(x509.DNSName))  # type: ignore[attr-defined]
    except x509.ExtensionNotFound:
        sans = []
    name = str(common[0].value) if common else (sans[0] if sans else "")
    return name, sans or ([name] if name else [])


@ops("ImportCertificate")
def import_certificate(call: Call) -> dict[str, Any]:
    p = call.params
    cert, algorithm = _parse(p["Certificate"], p["PrivateKey"])
    previous = _load(call) if p.get("CertificateArn") else None
    s = call.plane.settings
    arn = p.get("CertificateArn") or (
        f"arn:aws:acm:{s.region}:{s.account_id}:certificate/{uuid.uuid4()}"
    )
    domain, sans = _names(cert)
    now = call.plane.now()
    detail = {
        "CertificateArn": arn,
        "DomainName": domain,
        "SubjectAlternativeNames": sans,
        "Serial": serial_text(cert.serial_number),
        "Subject": cert.subject.rfc4514_string(),
        "Issuer": cert.issuer.rfc4514_string(),
        "CreatedAt": previous.body["detail"]["CreatedAt"] if previous else now,
        "ImportedAt": now,
        "Status": "ISSUED",
        "NotBefore": int(cert.not_valid_before_utc.timestamp()),
        "NotAfter": int(cert.not_valid_after_utc.timestamp()),
        "KeyAlgorithm": algorithm,
        "SignatureAlgorithm": _signature(cert, algorithm),
        "Type": "IMPORTED",
        "InUseBy": [],
        "RenewalEligibility": "INELIGIBLE",
    }
    body = {
        "detail": detail,
        "certificate": p["Certificate"].decode(),
        "chain": (p.get("CertificateChain") or b"").decode(),
        "privateKey": p["PrivateKey"].decode(),
        "tags": p.get("Tags") or [],
    }
    version = previous.version if previous else 0
    save(call, [Record(CERTIFICATE_KIND, arn, body, version=version)])
    return {"CertificateArn": arn}


def _in_use_by(call: Call, arn: str) -> list[str]:
    region = call.plane.settings.region
    return [
        f"arn:aws:apigateway:{region}::/domainnames/{r.key}"
        for r in call.plane.store.list(DOMAIN_NAME_KIND)
        if certificate_arn(r.body) == arn
    ]


@ops("DescribeCertificate")
def describe_certificate(call: Call) -> dict[str, Any]:
    record = _load(call)
    detail = dict(record.body["detail"])
    detail["InUseBy"] = _in_use_by(call, record.key)
    return {"Certificate": detail}


@ops("GetCertificate")
def get_certificate(call: Call) -> dict[str, Any]:
    body = _load(call).body
    out = {"Certificate": body["certificate"]}
    if body["chain"]:
        out["CertificateChain"] = body["chain"]
    return out


@ops("ListCertificates")
def list_certificates(call: Call) -> dict[str, Any]:
    statuses = call.params.get("CertificateStatuses")
    summaries = []
    for record in call.plane.store.list(CERTIFICATE_KIND):
        detail = record.body["detail"]
        if statuses and detail["Status"] not in statuses:
            continue
        summaries.append(
            {
                "CertificateArn": detail["CertificateArn"],
                "DomainName": detail["DomainName"],
                "SubjectAlternativeNameSummaries": detail["SubjectAlternativeNames"],
                "HasAdditionalSubjectAlternativeNames": False,
                "Status": detail["Status"],
                "Type": detail["Type"],
                "KeyAlgorithm": detail["KeyAlgorithm"],
                "InUse": bool(_in_use_by(call, record.key)),
                "NotBefore": detail["NotBefore"],
                "NotAfter": detail["NotAfter"],
                "CreatedAt": detail["CreatedAt"],
                "ImportedAt": detail["ImportedAt"],
            }
        )
    return {"CertificateSummaryList": summaries}


@ops("DeleteCertificate")
def delete_certificate(call: Call) -> None:
    record = _load(call)
    if _in_use_by(call, record.key):
        raise ResourceInUse(f"Certificate {record.key} is in use.")
    save(call, [], [Delete(CERTIFICATE_KIND, record.key)])
