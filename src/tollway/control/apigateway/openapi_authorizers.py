"""REST authorizers in OpenAPI documents (spec §15.3): a security scheme with an
`x-amazon-apigateway-authorizer` is an Authorizer, and an operation's security requirement
naming it secures the method with it.

Import (`authorizer_from_scheme`): the scheme's name is the authorizer's name; `type` (`token`,
`request`, `cognito_user_pools`, any case; default `token`) its type; `authorizerUri`,
`authorizerCredentials`, `identitySource`, `identityValidationExpression`,
`authorizerResultTtlInSeconds` and `providerARNs` are copied; the scheme's
`x-amazon-apigateway-authtype` is its `authType`. A TOKEN or Cognito authorizer without an
`identitySource` reads the header the scheme names (`"in": "header", "name": "Authorization"`
-> `method.request.header.Authorization`), as AWS's examples rely on. The authorizer is
checked as CreateAuthorizer checks it, with the same messages. HTTP API-only members
(`authorizerPayloadFormatVersion`, `enableSimpleResponses`, `jwtConfiguration`) and the `jwt`
type are refused for REST APIs with a message naming them.

Export (`scheme_of`): the reverse, written as AWS's examples write it: `type: apiKey`,
`in: header`, `name` the TOKEN/Cognito header (REQUEST authorizers: `Unused`), the authtype
(`custom` for Lambda authorizers, `cognito_user_pools` for Cognito, unless one was given), and
the authorizer extension with the type in lower case.
"""

from __future__ import annotations

from typing import Any

from tollway.control.apigateway.authorizers import authorizers_of, new_authorizer
from tollway.control.apigateway.openapi_common import AUTHORIZER, AUTHTYPE, describe
from tollway.control.errors import ServiceError
from tollway.model.rest import Authorizer, RestApiDefinition

COPIED = (
    "authorizerUri",
    "authorizerCredentials",
    "identitySource",
    "identityValidationExpression",
    "authorizerResultTtlInSeconds",
    "providerARNs",
)
HTTP_ONLY = ("authorizerPayloadFormatVersion", "enableSimpleResponses", "jwtConfiguration")
TYPES = {"token": "TOKEN", "request": "REQUEST", "cognito_user_pools": "COGNITO_USER_POOLS"}


def authorizer_from_scheme(
    definition: RestApiDefinition,
    previous: RestApiDefinition | None,
    name: str,
    scheme: dict[str, Any],
) -> Authorizer:
    """The authorizer a security scheme defines, stored in `definition` (replacing the one
    of the same name, whose id it keeps; else keeping the id `previous` had for the name).
    Raises ValueError (the import's message) or a ServiceError (CreateAuthorizer's)."""
    config = scheme[AUTHORIZER]
    if not isinstance(config, dict):
        raise ValueError(f"{AUTHORIZER} must be an object, found {describe(config)}")
    http_only = [key for key in HTTP_ONLY if key in config]
    raw_type = config.get("type", "token")
    kind = TYPES.get(raw_type.lower()) if isinstance(raw_type, str) else None
    if http_only or kind is None:
        what = f"type {raw_type}" if kind is None else ", ".join(http_only)
        raise ValueError(
            f"{what} is not supported for REST API authorizers (types: token, request, "
            "cognito_user_pools)"
        )
    fields: dict[str, Any] = {"name": name, "type": kind}
    fields.update({key: config[key] for key in COPIED if config.get(key) is not None})
    if "identitySource" not in fields and kind != "REQUEST" and scheme.get("in") == "header":
        fields["identitySource"] = f"method.request.header.{scheme.get('name')}"
    if isinstance(scheme.get(AUTHTYPE), str):
        fields["authType"] = scheme[AUTHTYPE]
    authorizers = authorizers_of(definition)
    same_name = _by_name(authorizers, name)
    kept_id = same_name["id"] if same_name else None
    if kept_id is None and previous is not None:
        earlier = _by_name(authorizers_of(previous), name)
        kept_id = earlier["id"] if earlier else None
    if same_name is not None:
        del authorizers[same_name["id"]]
    try:
        authorizer = new_authorizer(definition, fields)
    except ServiceError:
        if same_name is not None:
            authorizers[same_name["id"]] = same_name
        raise
    if kept_id is not None:
        authorizer["id"] = kept_id
    authorizers[authorizer["id"]] = authorizer
    return authorizer


def _by_name(authorizers: dict[str, Authorizer], name: str) -> Authorizer | None:
    return next((a for a in authorizers.values() if a["name"] == name), None)


def scheme_of(authorizer: Authorizer) -> dict[str, Any]:
    """The security scheme that defines `authorizer`, extensions included."""
    kind = authorizer["type"]
    source = authorizer.get("identitySource", "")
    header = source.removeprefix("method.request.header.") if kind != "REQUEST" else "Unused"
    default_authtype = "cognito_user_pools" if kind == "COGNITO_USER_POOLS" else "custom"
    config: dict[str, Any] = {"type": kind.lower()}
    for key in COPIED:
        if key in authorizer and not (key == "identitySource" and kind != "REQUEST"):
            config[key] = authorizer[key]  # type: ignore[literal-required]
    return {
        "type": "apiKey",
        "name": header,
        "in": "header",
        AUTHTYPE: authorizer.get("authType", default_authtype),
        AUTHORIZER: config,
    }
