"""Model and Authorizer operations: API-wide parts that routes refer to.

Authorizers are records only: Tollway stores them and routes may name them, but the gateway
does not run them yet (the data plane warns about it; see docs/compatibility.md).
"""

from __future__ import annotations

from typing import Any

import orjson

from tollway.control.apigatewayv2.documents import given, load_api, paginate, part_not_found
from tollway.control.errors import BadRequestException, ConflictException
from tollway.control.operations import Call, OperationTable
from tollway.model import ids
from tollway.model.http_api import ApiDefinition

ops = OperationTable("apigatewayv2")

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


def get_model(definition: ApiDefinition, model_id: str) -> dict[str, Any]:
    model = definition["Models"].get(model_id)
    if model is None:
        raise part_not_found("Model", model_id)
    return model


@ops("CreateModel")
def create_model(call: Call) -> dict[str, Any]:
    document = load_api(call)
    model = {"ModelId": ids.part_id(), **given(call, MODEL_MEMBERS)}
    _check_model(document.definition, model)
    document.definition["Models"][model["ModelId"]] = model
    document.save(call)
    return dict(model)


@ops("GetModel")
def get_model_op(call: Call) -> dict[str, Any]:
    return dict(get_model(load_api(call).definition, call.params["ModelId"]))


@ops("GetModels")
def get_models(call: Call) -> dict[str, Any]:
    return paginate(call, [dict(m) for m in load_api(call).definition["Models"].values()])


@ops("UpdateModel")
def update_model(call: Call) -> dict[str, Any]:
    document = load_api(call)
    model = get_model(document.definition, call.params["ModelId"])
    model.update(given(call, MODEL_MEMBERS))
    _check_model(document.definition, model)
    document.save(call)
    return dict(model)


@ops("DeleteModel")
def delete_model(call: Call) -> None:
    document = load_api(call)
    get_model(document.definition, call.params["ModelId"])
    del document.definition["Models"][call.params["ModelId"]]
    document.save(call)


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
    model = get_model(load_api(call).definition, call.params["ModelId"])
    return {"Value": model_template(orjson.loads(model["Schema"]))}


# --- authorizers ----------------------------------------------------------------------------


def check_authorizer(document_http: bool, authorizer: dict[str, Any]) -> None:
    kind = authorizer.get("AuthorizerType")
    if kind == "JWT":
        if not document_http:
            raise BadRequestException("JWT authorizers are supported only for HTTP APIs")
        config = authorizer.get("JwtConfiguration") or {}
        if not config.get("Issuer"):
            raise BadRequestException("JwtConfiguration.Issuer is required for JWT authorizers")
    elif kind == "REQUEST":
        if not authorizer.get("AuthorizerUri"):
            raise BadRequestException("AuthorizerUri is required for REQUEST authorizers")
        version = authorizer.get("AuthorizerPayloadFormatVersion")
        if document_http and version not in ("1.0", "2.0"):
            raise BadRequestException(
                "AuthorizerPayloadFormatVersion is required for HTTP API REQUEST authorizers: "
                "1.0 or 2.0"
            )
        if authorizer.get("EnableSimpleResponses") and version != "2.0":
            raise BadRequestException("EnableSimpleResponses requires payload format version 2.0")
    ttl = authorizer.get("AuthorizerResultTtlInSeconds")
    if ttl is not None and not 0 <= ttl <= 3600:
        raise BadRequestException("AuthorizerResultTtlInSeconds must be between 0 and 3600")


def get_authorizer(definition: ApiDefinition, authorizer_id: str) -> dict[str, Any]:
    authorizer = definition["Authorizers"].get(authorizer_id)
    if authorizer is None:
        raise part_not_found("Authorizer", authorizer_id)
    return authorizer


@ops("CreateAuthorizer")
def create_authorizer(call: Call) -> dict[str, Any]:
    document = load_api(call)
    authorizer = {"AuthorizerId": ids.part_id(), **given(call, AUTHORIZER_MEMBERS)}
    check_authorizer(document.is_http, authorizer)
    document.definition["Authorizers"][authorizer["AuthorizerId"]] = authorizer
    document.save(call)
    return dict(authorizer)


@ops("GetAuthorizer")
def get_authorizer_op(call: Call) -> dict[str, Any]:
    return dict(get_authorizer(load_api(call).definition, call.params["AuthorizerId"]))


@ops("GetAuthorizers")
def get_authorizers(call: Call) -> dict[str, Any]:
    return paginate(call, [dict(a) for a in load_api(call).definition["Authorizers"].values()])


@ops("UpdateAuthorizer")
def update_authorizer(call: Call) -> dict[str, Any]:
    document = load_api(call)
    authorizer = get_authorizer(document.definition, call.params["AuthorizerId"])
    authorizer.update(given(call, AUTHORIZER_MEMBERS))
    check_authorizer(document.is_http, authorizer)
    document.save(call)
    return dict(authorizer)


@ops("DeleteAuthorizer")
def delete_authorizer(call: Call) -> None:
    document = load_api(call)
    authorizer_id = call.params["AuthorizerId"]
    get_authorizer(document.definition, authorizer_id)
    for route in document.definition["Routes"].values():
        if route.get("AuthorizerId") == authorizer_id:
            raise ConflictException(
                f"Cannot delete authorizer {authorizer_id}: route {route['RouteKey']} uses it"
            )
    del document.definition["Authorizers"][authorizer_id]
    document.save(call)
