"""ARNs API Gateway uses, parsed and built without I/O."""

from __future__ import annotations

import re

_LAMBDA_URI = re.compile(
    r"^arn:aws[a-zA-Z-]*:apigateway:[^:]+:lambda:path/2015-03-31/functions/(?P<function>.+)"
    r"/invocations$"
)


def lambda_function_of(uri: str) -> str | None:
    """The function ARN (or stage-variable expression) inside a Lambda integration URI
    `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function}/invocations`."""
    match = _LAMBDA_URI.match(uri)
    return match.group("function") if match else None


def execute_api_arn(
    region: str, account_id: str, api_id: str, stage: str, method: str, resource_path: str
) -> str:
    """`arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}` (spec §5.2)."""
    return f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/{method}{resource_path}"
