"""Mutual TLS truststores of custom domain names (spec §14.1): fetched and checked when a
domain's `truststoreUri` or `truststoreVersion` is set, as AWS does at CreateDomainName /
UpdateDomainName.

- `s3://bucket/key` (AWS's only form) is read from S3 through the configured endpoint
  (`--aws-endpoint s3=URL`, else `*=URL`, else AWS's own), signed with the credentials
  AWS integrations use; `truststoreVersion` is sent as S3's `versionId`.
- `file:///path` reads a local file: a Tollway extension for local use.

The bundle is PEM: every `BEGIN CERTIFICATE` block is parsed; a block that is not a usable CA
certificate (unparseable, expired or not yet valid, an RSA key under 2048 bits, an EC key
under 256 bits, a signature hash weaker than SHA-256) is left out and named in
`truststoreWarnings`, and mTLS stays on (AWS's behaviour; its warning texts are UNCONFIRMED:
Tollway's say which certificate and why). A bundle with no usable certificate at all, or one
that cannot be read, is refused with BadRequestException.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import urllib.error
import urllib.request
from urllib.parse import quote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tollway.control.errors import BadRequestException
from tollway.settings import Settings

_PEM_BLOCK = re.compile(
    rb"-----BEGIN CERTIFICATE-----\s.*?-----END CERTIFICATE-----", re.DOTALL | re.ASCII
)
_WEAK_HASHES = (hashes.MD5, hashes.SHA1, hashes.SHA224)


async def fetch_truststore(settings: Settings, uri: str, version: str | None) -> bytes:
    return await asyncio.to_thread(_fetch, settings, uri, version)


def _fetch(settings: Settings, uri: str, version: str | None) -> bytes:
    split = urlsplit(uri)
    if split.scheme == "file":
        try:
            with open(split.path, "rb") as f:
                return f.read()
        except OSError as e:
            raise BadRequestException(
                f"Unable to read the truststore {uri}: {e.strerror}"
            ) from None
    if split.scheme != "s3" or not split.netloc or not split.path.strip("/"):
        raise BadRequestException(
            f"Invalid truststore URI {uri}: it must be s3://bucket/key "
            "(or, in Tollway, file:///path)"
        )
    return _s3_get(settings, split.netloc, split.path.lstrip("/"), version, uri)


def _s3_get(settings: Settings, bucket: str, key: str, version: str | None, uri: str) -> bytes:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest

    from tollway.dataplane.integrations.aws_service import AwsCredentials

    endpoints = settings.aws_endpoint_urls
    base = (
        endpoints.get("s3") or endpoints.get("*") or f"https://s3.{settings.region}.amazonaws.com"
    )
    url = f"{base.rstrip('/')}/{quote(bucket)}/{quote(key, safe='/')}"
    if version:
        url += f"?versionId={quote(version)}"
    request = AWSRequest(method="GET", url=url)
    credentials = AwsCredentials(settings.aws_profile).current()
    if credentials is not None:
        S3SigV4Auth(credentials, "s3", settings.region).add_auth(request)
    prepared = urllib.request.Request(url, headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(prepared, timeout=10) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as e:
        raise BadRequestException(
            f"Unable to read the truststore {uri}: S3 answered {e.code}"
        ) from None
    except OSError as e:
        raise BadRequestException(f"Unable to read the truststore {uri}: {e}") from None


def check_truststore(bundle: bytes, now: datetime.datetime | None = None) -> tuple[str, list[str]]:
    """The usable certificates of `bundle` (PEM) and the warnings for the others."""
    now = now or datetime.datetime.now(datetime.UTC)
    usable: list[str] = []
    warnings: list[str] = []
    for index, block in enumerate(_PEM_BLOCK.findall(bundle), start=1):
        try:
            cert = x509.load_pem_x509_certificate(block)
        except ValueError:
            warnings.append(f"Certificate {index} of the truststore could not be parsed")
            continue
        problem = _problem(cert, now)
        if problem:
            warnings.append(f"Certificate {index} ({cert.subject.rfc4514_string()}) {problem}")
            continue
        usable.append(cert.public_bytes(serialization.Encoding.PEM).decode())
    if not usable:
        raise BadRequestException(
            "The truststore contains no valid certificate: "
            + ("; ".join(warnings) if warnings else "no PEM certificate block found")
        )
    return "".join(usable), warnings


def _problem(cert: x509.Certificate, now: datetime.datetime) -> str | None:
    if cert.not_valid_after_utc < now:
        return "has expired"
    if cert.not_valid_before_utc > now:
        return "is not valid yet"
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        return f"has an RSA key of {key.key_size} bits (2048 at least)"
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < 256:
        return f"has an EC key of {key.curve.key_size} bits (256 at least)"
    if isinstance(cert.signature_hash_algorithm, _WEAK_HASHES):
        return "is signed with a hash weaker than SHA-256"
    return None
