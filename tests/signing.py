"""Requests signed by botocore's own signer (SigV4 header or presigned URL), for the tests of
Tollway's verification."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def signed_request(
    url: str,
    method: str = "GET",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    key: str = "AKID",
    secret: str = "SECRET",
    token: str | None = None,
    presign: int | None = None,
    service: str = "execute-api",
    region: str = "us-east-1",
    at: datetime | None = None,
) -> AWSRequest:
    """A request to `url` signed by botocore at `at` (now), presigned if `presign` (its
    X-Amz-Expires) is given."""
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    credentials = Credentials(key, secret, token)
    if presign is not None:
        signer: SigV4Auth = SigV4QueryAuth(credentials, service, region, expires=presign)
    else:
        signer = SigV4Auth(credentials, service, region)
    when = (at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        signer.add_auth(request)
    return request


def sign(url: str, *args: Any, **kwargs: Any) -> tuple[str, str, list[tuple[str, str]]]:
    """(path, query string, headers with Host) of `url` signed as `signed_request` signs, as
    a server receives them."""
    request = signed_request(url, *args, **kwargs)
    parts = urlsplit(request.url)
    host = [] if "Host" in request.headers else [("Host", parts.netloc)]
    return parts.path, parts.query, [*host, *request.headers.items()]


MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)
"""The start of AWS's message for a signature that does not match."""
