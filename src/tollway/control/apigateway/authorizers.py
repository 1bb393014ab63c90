"""Authorizer operations of REST APIs: CreateAuthorizer, GetAuthorizer(s), UpdateAuthorizer,
DeleteAuthorizer (spec §5.5, §5.6, §16.1).

AWS counterpart: `/restapis/{id}/authorizers`. `new_authorizer` holds AWS's checks and
defaults; the OpenAPI importer builds authorizers through it too, so both ways are refused
with the same messages:
- `type` is TOKEN, REQUEST or COGNITO_USER_POOLS;
- TOKEN and COGNITO_USER_POOLS read one header (`method.request.header.<name>`);
- REQUEST reads a comma-separated list of header / query string / stage variable / context
  expressions, required when results are cached (TTL > 0);
- TOKEN and REQUEST need an `authorizerUri` (a Lambda function's invocation URI),
  COGNITO_USER_POOLS needs `providerARNs`;
- `identityValidationExpression` (TOKEN) must be a regular expression;
- `authorizerResultTtlInSeconds` is 0..3600, default 300;
- at most 10 authorizers per API.

Messages AWS is not known to use (UNCONFIRMED; the spec records none) are Tollway's own,
worded like AWS's: the missing authorizerUri / providerARNs, the TTL range, the REQUEST
identity source syntax, the identity validation expression, the authorizer limit.
An authorizer a method uses cannot be deleted (ConflictException naming the method, as AWS
words it: `Cannot delete authorizer 'name', is referenced in method: GET//pets`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

from tollway.control.apigateway.documents import load_api, paginate
from tollway.control.apigateway.patch import PatchRule, apply_patches, must_be_one_of, to_int
from tollway.control.errors import (
    BadRequestException,
    ConflictException,
    LimitExceededException,
    NotFoundException,
    ValidationException,
)
from tollway.control.operations import Call, OperationTable
from tollway.model import ids
from tollway.model.arns import lambda_function_of
from tollway.model.authorizers import identity_sources
from tollway.model.rest import Authorizer, RestApiDefinition, resource_path

ops = OperationTable("apigateway")

AUTHORIZER_TYPES = ("TOKEN", "REQUEST", "COGNITO_USER_POOLS")
DEFAULT_TTL = 300
MAX_TTL = 3600
MAX_AUTHORIZERS = 10
MEMBERS = (
    "name",
    "type",
    "providerARNs",
    "authType",
    "authorizerUri",
    "authorizerCredentials",
    "identitySource",
    "identityValidationExpression",
    "authorizerResultTtlInSeconds",
)
_USER_POOL_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:cognito-idp:[^:]+:\d{12}:userpool/.+$")


def authorizers_of(definition: RestApiDefinition) -> dict[str, Authorizer]:
    """The API's authorizers, by id (documents stored before authorizers have none)."""
    return definition.setdefault("authorizers", {})


def check_authorizer(authorizer: Mapping[str, Any]) -> None:
    """AWS's checks on a whole authorizer (after CreateAuthorizer and after every update)."""
    kind = authorizer.get("type")
    if kind not in AUTHORIZER_TYPES:
        raise ValidationException(
            f"1 validation error detected: Value '{kind}' at 'createAuthorizerInput.type' "
            "failed to satisfy constraint: Member must satisfy enum value set: "
            "[TOKEN, REQUEST, COGNITO_USER_POOLS]"
        )
    if not (authorizer.get("name") or "").strip():
        raise BadRequestException("Authorizer name must be non-empty")
    ttl = authorizer.get("authorizerResultTtlInSeconds")
    if not isinstance(ttl, int) or not 0 <= ttl <= MAX_TTL:
        raise BadRequestException(
            f"Invalid authorizer TTL specified: {ttl}. It must be between 0 and {MAX_TTL} seconds"
        )
    try:
        sources = identity_sources(kind, authorizer.get("identitySource"))
    except ValueError as e:
        raise BadRequestException(str(e)) from None
    if kind == "REQUEST" and ttl > 0 and not sources:
        raise BadRequestException(
            "Identity source must be set if authorizer caching is enabled (TTL is greater than 0)"
        )
    if kind == "COGNITO_USER_POOLS":
        arns = authorizer.get("providerARNs") or []
        if not arns:
            raise BadRequestException(
                "providerARNs must be specified for COGNITO_USER_POOLS authorizers"
            )
        for arn in arns:
            if not _USER_POOL_ARN.match(arn):
                raise BadRequestException(f"Invalid ARN. ARN is not well formed {arn}")
    else:
        uri = authorizer.get("authorizerUri")
        if not uri:
            raise BadRequestException(f"authorizerUri must be specified for {kind} authorizers")
        if lambda_function_of(uri) is None:
            raise BadRequestException("Invalid authorizer URI specified")
    expression = authorizer.get("identityValidationExpression")
    if expression:
        try:
            re.compile(expression)
        except re.error:
            raise BadRequestException(
                f"Invalid identity validation expression specified: {expression}"
            ) from None


def new_authorizer(definition: RestApiDefinition, fields: Mapping[str, Any]) -> Authorizer:
    """A checked new authorizer of `definition` (not yet added), from CreateAuthorizer's
    members. AWS's default TTL (300) is filled in."""
    if len(authorizers_of(definition)) >= MAX_AUTHORIZERS:
        raise LimitExceededException(
            "Maximum number of authorizers for this API has been reached. Please contact AWS "
            "if you need additional authorizers."
        )
    authorizer: dict[str, Any] = {"id": ids.short_id()}
    for member in MEMBERS:
        if fields.get(member) is not None:
            authorizer[member] = fields[member]
    authorizer.setdefault("authorizerResultTtlInSeconds", DEFAULT_TTL)
    if "providerARNs" in authorizer:
        authorizer["providerARNs"] = list(authorizer["providerARNs"])
    check_authorizer(authorizer)
    return cast(Authorizer, authorizer)


def get_authorizer(definition: RestApiDefinition, authorizer_id: str) -> Authorizer:
    authorizer = authorizers_of(definition).get(authorizer_id)
    if authorizer is None:
        raise NotFoundException("Invalid Authorizer identifier specified")
    return authorizer


def method_using(definition: RestApiDefinition, authorizer_id: str) -> str | None:
    """The first method using the authorizer, as AWS names it (`GET//pets`), or None."""
    resources = definition["resources"]
    for resource in resources.values():
        for verb, method in (resource.get("resourceMethods") or {}).items():
            if method.get("authorizerId") == authorizer_id:
                return f"{verb}/{resource_path(resources, resource['id'])}"
    return None


@ops("CreateAuthorizer")
def create_authorizer(call: Call) -> dict[str, Any]:
    document = load_api(call)
    authorizer = new_authorizer(document.definition, call.params)
    authorizers_of(document.definition)[authorizer["id"]] = authorizer
    document.save(call)
    return dict(authorizer)


@ops("GetAuthorizer")
def get_authorizer_op(call: Call) -> dict[str, Any]:
    definition = load_api(call).definition
    return dict(get_authorizer(definition, call.params["authorizerId"]))


@ops("GetAuthorizers")
def get_authorizers(call: Call) -> dict[str, Any]:
    definition = load_api(call).definition
    return paginate(call, [dict(a) for a in authorizers_of(definition).values()])


def _type(value: Any) -> str:
    if value not in AUTHORIZER_TYPES:
        raise BadRequestException(
            "Invalid authorizer type specified. Valid options are " + ",".join(AUTHORIZER_TYPES)
        )
    return str(value)


AUTHORIZER_PATCH = [
    PatchRule.value("name"),
    PatchRule.value("type", _type),
    PatchRule.value("authType", ops=("replace", "remove")),
    PatchRule.value("authorizerUri", ops=("replace", "remove")),
    PatchRule.value("authorizerCredentials", ops=("replace", "remove")),
    PatchRule.value("identitySource", ops=("replace", "remove")),
    PatchRule.value("identityValidationExpression", ops=("replace", "remove")),
    PatchRule.value("authorizerResultTtlInSeconds", to_int),
    PatchRule.set("providerARNs", ops=("add", "remove")),
]
_PATCH_PATHS = [f"/{rule.member}" for rule in AUTHORIZER_PATCH]


@ops("UpdateAuthorizer")
def update_authorizer(call: Call) -> dict[str, Any]:
    document = load_api(call)
    authorizer = get_authorizer(document.definition, call.params["authorizerId"])
    target = dict(authorizer)
    apply_patches(
        target,
        call.params.get("patchOperations") or [],
        AUTHORIZER_PATCH,
        invalid=must_be_one_of(_PATCH_PATHS),
    )
    for member in ("identityValidationExpression", "authorizerCredentials", "authType"):
        if target.get(member) == "":
            del target[member]
    check_authorizer(target)
    authorizers_of(document.definition)[authorizer["id"]] = cast(Authorizer, target)
    document.save(call)
    return target


@ops("DeleteAuthorizer")
def delete_authorizer(call: Call) -> None:
    document = load_api(call)
    authorizer = get_authorizer(document.definition, call.params["authorizerId"])
    where = method_using(document.definition, authorizer["id"])
    if where is not None:
        raise ConflictException(
            f"Cannot delete authorizer '{authorizer['name']}', is referenced in method: {where}"
        )
    del authorizers_of(document.definition)[authorizer["id"]]
    document.save(call)
