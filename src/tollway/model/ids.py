"""Identifiers in AWS's observed formats (spec §16.0). Clients must treat them as opaque."""

from __future__ import annotations

import base64
import os
import secrets
import string

_ALPHANUMERIC = string.ascii_lowercase + string.digits


def _random_id(length: int) -> str:
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def api_id() -> str:
    """REST/HTTP/WebSocket API ids: 10 characters of [a-z0-9], e.g. `ymy8tbxw7b`."""
    return _random_id(10)


def root_resource_id() -> str:
    return _random_id(10)


def part_id() -> str:
    """Parts of v2 APIs (routes, integrations, deployments, ...): 7 characters, e.g.
    `a1b2c3d`."""
    return _random_id(7)


def short_id() -> str:
    """Resources, deployments, models and validators: 6 characters, e.g. `05c7jb`."""
    return _random_id(6)


def _uuid4(raw: bytes) -> str:
    """A version-4 UUID's text from 16 random bytes; str(uuid.UUID(...)) costs several times
    more, and these are made on every request."""
    h = raw.hex()
    # Version 4 in the 13th digit, the RFC 4122 variant (8, 9, a or b) in the 17th.
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def request_ids() -> tuple[str, str, str]:
    """A data-plane request's ids from one system call: the request id (a UUID), the
    extended request id (16 base64 characters) and 24 hex digits for its trace id."""
    raw = os.urandom(39)
    return (
        _uuid4(raw[:16]),
        base64.b64encode(raw[16:27]).decode(),
        raw[27:].hex(),
    )


def request_id() -> str:
    """`$context.requestId` / `x-amzn-RequestId`, a Lambda invocation's request id: a UUID."""
    return _uuid4(os.urandom(16))


def extended_request_id() -> str:
    """`$context.extendedRequestId` / `x-amz-apigw-id`: 16 base64 characters
    (`R1koeHsUtjMFbRw=`)."""
    return base64.b64encode(os.urandom(11)).decode()
