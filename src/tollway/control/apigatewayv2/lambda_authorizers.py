"""HTTP API Lambda (REQUEST) authorizers in the control plane (spec §5.7, §16.2): the checks
CreateAuthorizer / UpdateAuthorizer / ImportApi apply to them, and ResetAuthorizersCache.

What AWS checks, with its words where they are known (quoted by users in public issues):
- `AuthorizerPayloadFormatVersion` is required ("AuthorizerPayloadFormatVersion is a required
  parameter for REQUEST authorizer") and is `1.0` or `2.0`;
- `EnableSimpleResponses` only with payload format 2.0;
- identity sources are `$request.header.<name>`, `$request.querystring.<name>`,
  `$context.<name>` or `$stageVariables.<name>`;
- a TTL above 0 (caching) needs at least one identity source ("Identity source must be set if
  authorizer caching is enabled (TTL is greater than 0)").
The other messages are Tollway's wording (AWS's are not on record).

`AuthorizerResultTtlInSeconds` left out is 0, no caching. The 2019 SDK documentation said 300
(inherited from REST), but AWS accepts a REQUEST authorizer with no identity source and no TTL
(what Terraform does since hashicorp/terraform-provider-aws#32629), which a default of 300
would refuse; so Tollway stores 0 and shows it.

ResetAuthorizersCache empties the authorizer cache of one stage (through
`ControlPlane.authorizers`, which holds the data plane's cache, as REST's
FlushStageAuthorizersCache does).
"""

from __future__ import annotations

import re
from typing import Any

from tollway.control.apigatewayv2.documents import load_api, load_stage
from tollway.control.errors import BadRequestException, ServiceUnavailableException
from tollway.control.operations import Call, OperationTable
from tollway.state.response_cache import CacheUnavailable

ops = OperationTable("apigatewayv2")

PAYLOAD_VERSIONS = ("1.0", "2.0")
IDENTITY_SOURCE = re.compile(
    r"\$(?:request\.(?:header|querystring)|context|stageVariables)\.[^\s,]+"
)
"""What an HTTP API Lambda authorizer's identity source may name (`$context.a.b` included)."""


def check_http_lambda_authorizer(authorizer: dict[str, Any]) -> None:
    """Raises BadRequestException as AWS does for an HTTP API's REQUEST authorizer; fills in
    the TTL when it is left out."""
    version = authorizer.get("AuthorizerPayloadFormatVersion")
    if not version:
        raise BadRequestException(
            "AuthorizerPayloadFormatVersion is a required parameter for REQUEST authorizer"
        )
    if version not in PAYLOAD_VERSIONS:
        raise BadRequestException(
            f"Invalid AuthorizerPayloadFormatVersion specified: {version}. "
            "Supported values are 1.0 and 2.0"
        )
    if authorizer.get("EnableSimpleResponses") and version != "2.0":
        raise BadRequestException(
            "EnableSimpleResponses is supported only for AuthorizerPayloadFormatVersion 2.0"
        )
    sources = authorizer.get("IdentitySource") or []
    for source in sources:
        if not IDENTITY_SOURCE.fullmatch(source):
            raise BadRequestException(
                f"Invalid identity source specified: {source}. An identity source must be "
                "$request.header.<name>, $request.querystring.<name>, $context.<name> or "
                "$stageVariables.<name>"
            )
    ttl = authorizer.setdefault("AuthorizerResultTtlInSeconds", 0)
    if isinstance(ttl, int) and ttl > 0 and not sources:
        raise BadRequestException(
            "Identity source must be set if authorizer caching is enabled (TTL is greater than 0)"
        )


@ops("ResetAuthorizersCache")
async def reset_authorizers_cache(call: Call) -> None:
    document = load_api(call)
    stage = load_stage(call, document.api_id, call.params["StageName"])
    authorizers = call.plane.authorizers
    if authorizers is not None:
        try:
            await authorizers.flush(document.api_id, stage.key)
        except CacheUnavailable as e:
            raise ServiceUnavailableException(str(e)) from None
