"""A REST API's resource policy as stored and returned (`RestApi.policy`, spec §5.4).

AWS keeps the policy document as text and hands it back in an odd form that clients depend
on: the document compacted (no whitespace, members in the order written) and then escaped as
the inside of a JSON string, `"` as `\\"` and `/` as `\\/`:

    {\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[{...\\"Resource\\":\\"arn:...:abc123\\/*\\"}]}

Terraform's provider reads `policy` by wrapping it in quotes and unquoting it, so the plain
JSON text would break `terraform plan`. Tollway stores this same form; `document()` reads it
back, and also reads plain JSON text (what older stores and hand-written files hold).

When a policy is saved AWS expands the `execute-api:/` shorthand of its resources into full
ARNs of the API (`execute-api:/prod/GET/pets` ->
`arn:aws:execute-api:{region}:{account}:{api-id}/prod/GET/pets`); `expand_resources` does it.

No I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

MAX_LENGTH = 8192
"""AWS's quota on a resource policy's length, in characters (spec §16.6)."""

SHORTHAND = "execute-api:/"


def stored_form(document: Mapping[str, Any]) -> str:
    """The document compacted and escaped as AWS stores and returns it."""
    compact = orjson.dumps(document).decode()
    return orjson.dumps(compact).decode()[1:-1].replace("/", "\\/")


def document(text: str) -> Any:
    """The policy document of `policy` text in AWS's stored form or as plain JSON.

    Raises ValueError when it is neither."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:
        unescaped = orjson.loads(f'"{text}"')
    except orjson.JSONDecodeError:
        raise ValueError("the policy is not JSON") from None
    try:
        return orjson.loads(unescaped)
    except orjson.JSONDecodeError:
        raise ValueError("the policy is not JSON") from None


def expand_resources(raw: Any, region: str, account_id: str, api_id: str) -> Any:
    """The document with `execute-api:/...` resources written as the API's full ARNs
    (Resource and NotResource, a string or a list). Anything that is not a policy document
    is returned as it is, for the validation to refuse."""
    if not isinstance(raw, dict):
        return raw
    prefix = f"arn:aws:execute-api:{region}:{account_id}:{api_id}/"
    statements = raw.get("Statement")
    listed = [statements] if isinstance(statements, dict) else statements
    if not isinstance(listed, list):
        return raw
    for statement in listed:
        if not isinstance(statement, dict):
            continue
        for key in ("Resource", "NotResource"):
            value = statement.get(key)
            if isinstance(value, str):
                statement[key] = _expand(value, prefix)
            elif isinstance(value, list):
                statement[key] = [_expand(v, prefix) if isinstance(v, str) else v for v in value]
    return raw


def _expand(resource: str, prefix: str) -> str:
    if resource.startswith(SHORTHAND):
        return prefix + resource[len(SHORTHAND) :]
    return resource
