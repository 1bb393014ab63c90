"""Identifiers in AWS's observed formats (spec §16.0). Clients must treat them as opaque."""

from __future__ import annotations

import base64
import os
import secrets
import string
import uuid

_ALPHANUMERIC = string.ascii_lowercase + string.digits


def _random_id(length: int) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def api_id() -> str:
    """REST/HTTP/WebSocket API ids: 10 characters of [a-z0-9], e.g. `ymy8tbxw7b`."""
    return _random_id(10)


def root_resource_id() -> str:
    return _random_id(10)


def short_id() -> str:
    """Resources, deployments, models and validators: 6 characters, e.g. `05c7jb`."""
    return _random_id(6)


def request_ids() -> tuple[str, str, str]:
    """A data-plane request's ids from one system call: the request id (a UUID), the
    extended request id (16 base64 characters) and 24 hex digits for its trace id."""
    raw = os.urandom(39)
    return (
        str(uuid.UUID(bytes=raw[:16], version=4)),
        base64.b64encode(raw[16:27]).decode(),
        raw[27:].hex(),
    )


def request_id() -> str:
    """`$context.requestId` / `x-amzn-RequestId`: a UUID."""
    return str(uuid.uuid4())


def extended_request_id() -> str:
    """`$context.extendedRequestId` / `x-amz-apigw-id`: 16 base64 characters
    (`R1koeHsUtjMFbRw=`)."""
    return base64.b64encode(os.urandom(11)).decode()
