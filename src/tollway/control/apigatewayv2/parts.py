"""Model and Authorizer operations: API-wide parts that routes refer to.

JWT authorizers are checked as AWS checks them (an issuer, at most 50 audiences, exactly one
`$request.header.*` / `$request.querystring.*` identity source, no result TTL) and run by the
gateway (dataplane/auth/jwt.py, docs/authorization-jwt.md). HTTP APIs' Lambda (REQUEST)
authorizers are checked by lambda_authorizers.py and run by the gateway
(dataplane/auth/lambda_http.py). At most 10 authorizers per API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

import orjson
from jsonschema import Draft4Validator
from jsonschema.exceptions import SchemaError

from tollway.control.apigatewayv2 import websocket
from tollway.control.apigatewayv2.documents import (
    ApiDocument,
    given,
    load_api,
    paginate,
    part_not_found,
)
from tollway.control.apigatewayv2.lambda_authorizers import check_http_lambda_authorizer
from tollway.control.errors import (
    BadRequestException,
    ConflictException,
    TooManyRequestsException,
)
from tollway.control.operations import Call, OperationTable
from tollway.dataplane.auth.jwt import identity_source_problem
from tollway.model import ids
from tollway.model.http_api import ApiDefinition

ops = OperationTable("apigatewayv2")

MAX_AUDIENCES = 50  # per JWT authorizer (spec §5.1)

MODEL_MEMBERS = ("ContentType", "Description", "Name", "Schema")
AUTHORIZER_MEMBERS = (
    "AuthorizerCredentialsArn",
    "AuthorizerPayloadFormatVersion",
    "AuthorizerResultTtlInSeconds",
    "AuthorizerType",
    "AuthorizerUri",
    "EnableSimpleResponses",
    "IdentitySource",
    "IdentityValidationExpression",
    "JwtConfiguration",
    "Name",
)


# --- models ---------------------------------------------------------------------------------


def _check_model(definition: ApiDefinition, model: dict[str, Any]) -> None:
    for other in definition["Models"].values():
        if other["ModelId"] != model["ModelId"] and other["Name"] == model["Name"]:
            raise ConflictException(f"Model name {model['Name']} already exists for this API")
    try:
        schema = orjson.loads(model.get("Schema") or "")
    except orjson.JSONDecodeError:
        raise BadRequestException("Invalid model schema specified: it must be JSON") from None
    if not isinstance(schema, dict):
        raise BadRequestException("Invalid model schema specified: it must be a JSON object")
    if not str(model.get("Name", "")).isalnum():
        raise BadRequestException(
            f"Invalid model name specified: {model.get('Name')}. It must be alphanumeric"
        )
    try:
        Draft4Validator.check_schema(schema)
    except SchemaError as e:
        raise BadRequestException(
            f"Invalid model schema specified: {e.message} (models are JSON schema draft 4)"
        ) from None


def model_template(schema: dict[str, Any]) -> str:
    """A mapping template that reproduces a body of the model's shape from `$input`, the way
    API Gateway's generated templates do: one line per top-level property."""
    properties = schema.get("properties") or {}
    lines = ["#set($inputRoot = $input.path('$'))", "{"]
    entries = []
    for name, spec in properties.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        value = f"$inputRoot.{name}"
        entries.append(f'  "{name}" : "{value}"' if kind == "string" else f'  "{name}" : {value}')
    lines.append(",\n".join(entries))
    lines.append("}")
    return "\n".join(line for line in lines if line)


@ops("GetModelTemplate")
def get_model_template(call: Call) -> dict[str, Any]:
    model = MODELS.get(load_api(call).definition, call.params["ModelId"])
    return {"Value": model_template(orjson.loads(model["Schema"]))}


# --- authorizers ----------------------------------------------------------------------------


def check_authorizer(document_http: bool, authorizer: dict[str, Any]) -> None:
    kind = authorizer.get("AuthorizerType")
    if kind == "JWT":
        if not document_http:
            raise BadRequestException("JWT authorizers are supported only for HTTP APIs")
        _check_jwt_authorizer(authorizer)
    elif kind == "REQUEST":
        if not authorizer.get("AuthorizerUri"):
            raise BadRequestException("AuthorizerUri is required for REQUEST authorizers")
        if document_http:
            check_http_lambda_authorizer(authorizer)
        else:
            websocket.check_authorizer(authorizer)
    ttl = authorizer.get("AuthorizerResultTtlInSeconds")
    if ttl is not None and not 0 <= ttl <= 3600:
        raise BadRequestException("AuthorizerResultTtlInSeconds must be between 0 and 3600")


def _check_jwt_authorizer(authorizer: dict[str, Any]) -> None:
    """AWS's rules for JWT authorizers (spec §5.1, §5.8)."""
    config = authorizer.get("JwtConfiguration") or {}
    if not config.get("Issuer"):
        raise BadRequestException("JwtConfiguration.Issuer is required for JWT authorizers")
    if len(config.get("Audience") or []) > MAX_AUDIENCES:
        raise BadRequestException(
            f"JwtConfiguration.Audience can have at most {MAX_AUDIENCES} entries"
        )
    problem = identity_source_problem(authorizer.get("IdentitySource"))
    if problem is not None:
        raise BadRequestException(problem)
    if authorizer.get("AuthorizerResultTtlInSeconds") is not None:
        raise BadRequestException(
            "AuthorizerResultTtlInSeconds is not supported for JWT authorizers"
        )


MAX_AUTHORIZERS = 10  # per API (spec §5.1)


def _check_authorizer_part(document: ApiDocument, authorizer: dict[str, Any]) -> None:
    others = [a for a in document.definition["Authorizers"] if a != authorizer["AuthorizerId"]]
    if len(others) >= MAX_AUTHORIZERS:
        raise TooManyRequestsException(
            "Maximum number of Authorizers for this API has been reached. Please contact AWS "
            "if you need additional Authorizers.",
            LimitType="Authorizers",
        )
    check_authorizer(document.is_http, authorizer)


# --- the five operations of each kind -------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    name: str  # "Model": CreateModel, GetModel, GetModels, UpdateModel, DeleteModel
    bucket: Literal["Models", "Authorizers"]  # the ApiDefinition member
    members: tuple[str, ...]
    check: Callable[[ApiDocument, dict[str, Any]], None]  # after create and update
    in_use: Callable[[ApiDefinition, str], str | None] = lambda definition, part_id: None

    @property
    def id_member(self) -> str:
        return f"{self.name}Id"

    def get(self, definition: ApiDefinition, part_id: str) -> dict[str, Any]:
        part = definition[self.bucket].get(part_id)
        if part is None:
            raise part_not_found(self.name, part_id)
        return part


def _register(kind: _Kind) -> None:
    @ops(f"Create{kind.name}")
    def create(call: Call) -> dict[str, Any]:
        document = load_api(call)
        part = {kind.id_member: ids.part_id(), **given(call, kind.members)}
        kind.check(document, part)
        document.definition[kind.bucket][part[kind.id_member]] = part
        document.save(call)
        return dict(part)

    @ops(f"Get{kind.name}")
    def get(call: Call) -> dict[str, Any]:
        return dict(kind.get(load_api(call).definition, call.params[kind.id_member]))

    @ops(f"Get{kind.name}s")
    def get_all(call: Call) -> dict[str, Any]:
        parts = load_api(call).definition[kind.bucket].values()
        return paginate(call, [dict(part) for part in parts])

    @ops(f"Update{kind.name}")
    def update(call: Call) -> dict[str, Any]:
        document = load_api(call)
        part = kind.get(document.definition, call.params[kind.id_member])
        part.update(given(call, kind.members))
        kind.check(document, part)
        document.save(call)
        return dict(part)

    @ops(f"Delete{kind.name}")
    def delete(call: Call) -> None:
        document = load_api(call)
        part_id = call.params[kind.id_member]
        kind.get(document.definition, part_id)
        conflict = kind.in_use(document.definition, part_id)
        if conflict is not None:
            raise ConflictException(conflict)
        del document.definition[kind.bucket][part_id]
        document.save(call)


def _authorizer_in_use(definition: ApiDefinition, authorizer_id: str) -> str | None:
    for route in definition["Routes"].values():
        if route.get("AuthorizerId") == authorizer_id:
            return f"Cannot delete authorizer {authorizer_id}: route {route['RouteKey']} uses it"
    return None


def _model_in_use(definition: ApiDefinition, model_id: str) -> str | None:
    name = definition["Models"][model_id]["Name"]
    for route in definition["Routes"].values():
        responses = definition["RouteResponses"].get(route["RouteId"], {}).values()
        used = [cast(dict[str, Any], route).get("RequestModels") or {}]
        used += [r.get("ResponseModels") or {} for r in responses]
        if any(name in models.values() for models in used):
            return f"Cannot delete model {name}: route {route['RouteKey']} uses it"
    return None


MODELS = _Kind(
    "Model",
    "Models",
    MODEL_MEMBERS,
    lambda d, m: _check_model(d.definition, m),
    in_use=_model_in_use,
)
_register(MODELS)
_register(
    _Kind(
        "Authorizer",
        "Authorizers",
        AUTHORIZER_MEMBERS,
        _check_authorizer_part,
        in_use=_authorizer_in_use,
    )
)
