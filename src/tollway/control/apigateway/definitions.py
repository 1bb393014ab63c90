"""Model, RequestValidator and GatewayResponse operations: the API-wide parts of a REST API
definition that methods refer to."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, cast

import orjson

from tollway.control.apigateway import rules
from tollway.control.apigateway.documents import load_api, paginate
from tollway.control.apigateway.patch import (
    PatchRule,
    apply_patches,
    invalid_patch_path,
    must_be_one_of,
    split,
    to_bool,
)
from tollway.control.errors import (
    BadRequestException,
    ConflictException,
    NotFoundException,
)
from tollway.control.operations import Call, OperationTable
from tollway.model import ids
from tollway.model.gateway_responses import LISTING_ORDER, effective_response
from tollway.model.rest import GatewayResponse, Model, RequestValidator, RestApiDefinition
from tollway.model.rest import resource_path as path_of

ops = OperationTable("apigateway")


# --- models ---------------------------------------------------------------------------------

DEFAULT_MODELS = {
    "Empty": '{"$schema": "http://json-schema.org/draft-04/schema#", "title" : "Empty Schema", '
    '"type" : "object"}',
    "Error": '{\n  "$schema" : "http://json-schema.org/draft-04/schema#",\n  "title" : '
    '"Error Schema",\n  "type" : "object",\n  "properties" : {\n    "message" : { "type" : '
    '"string" }\n  }\n}',
}


def add_default_models(definition: RestApiDefinition) -> None:
    """The `Empty` and `Error` models AWS gives every API created by CreateRestApi."""
    for name, schema in DEFAULT_MODELS.items():
        definition["models"][name] = {
            "id": ids.short_id(),
            "name": name,
            "contentType": "application/json",
            "schema": schema,
            "description": f"This is a default {name.lower()} schema model",
        }


def check_model_schema(schema: str | None) -> None:
    if schema is None:
        return
    try:
        document = orjson.loads(schema)
    except orjson.JSONDecodeError as e:
        raise BadRequestException(
            f"Invalid model specified: Validation Result: warnings : [], errors : "
            f"[Invalid model schema specified. Unsupported keyword(s): {e}]"
        ) from None
    if not isinstance(document, dict) or not (
        document.get("properties")
        or document.get("items")
        or document.get("$ref")
        or document.get("type") not in (None, "object", "array")
    ):
        raise BadRequestException(
            "Model schema must have at least 1 property or array items defined"
        )


def get_model(definition: RestApiDefinition, name: str) -> Model:
    model = definition["models"].get(name)
    if model is None:
        raise NotFoundException(f"Invalid model name specified: {name}")
    return model


@ops("CreateModel")
def create_model(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    name = p.get("name") or ""
    rules.check_model_name(name)
    if name in document.definition["models"]:
        raise ConflictException("Model name already exists for this REST API")
    check_model_schema(p.get("schema"))
    if not p.get("contentType"):
        raise BadRequestException("Content-Type specified was not found")
    model: dict[str, Any] = {"id": ids.short_id(), "name": name, "contentType": p["contentType"]}
    for key in ("schema", "description"):
        if p.get(key) is not None:
            model[key] = p[key]
    document.definition["models"][name] = cast(Model, model)
    document.save(call)
    return dict(model)


@ops("GetModel")
def get_model_op(call: Call) -> dict[str, Any]:
    definition = load_api(call).definition
    return dict(get_model(definition, call.params["modelName"]))


@ops("GetModels")
def get_models(call: Call) -> dict[str, Any]:
    definition = load_api(call).definition
    return paginate(call, [dict(m) for m in definition["models"].values()])


@ops("UpdateModel")
def update_model(call: Call) -> dict[str, Any]:
    document = load_api(call)
    model = get_model(document.definition, call.params["modelName"])
    apply_patches(
        cast(dict[str, Any], model),
        call.params.get("patchOperations") or [],
        [PatchRule.value("description"), PatchRule.value("schema")],
        invalid=must_be_one_of(["/description", "/schema"]),
    )
    check_model_schema(model.get("schema"))
    document.save(call)
    return dict(model)


def _method_references(definition: RestApiDefinition, model_name: str) -> str | None:
    for resource in definition["resources"].values():
        for verb, method in (resource.get("resourceMethods") or {}).items():
            if model_name in (method.get("requestModels") or {}).values():
                path = path_of(definition["resources"], resource["id"])
                return f"/{path.lstrip('/')}/{verb}" if path != "/" else f"//{verb}"
    return None


@ops("DeleteModel")
def delete_model(call: Call) -> None:
    document = load_api(call)
    name = call.params["modelName"]
    get_model(document.definition, name)
    where = _method_references(document.definition, name)
    if where:
        raise ConflictException(
            f"Cannot delete model '{name}', is referenced in method request: {where}"
        )
    del document.definition["models"][name]
    document.save(call)


# --- request validators ---------------------------------------------------------------------


def get_validator(definition: RestApiDefinition, validator_id: str) -> RequestValidator:
    validator = definition["requestValidators"].get(validator_id)
    if validator is None:
        raise NotFoundException("Invalid Request Validator identifier specified")
    return validator


@ops("CreateRequestValidator")
def create_request_validator(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    validator = rules.new_request_validator(
        ids.short_id(),
        p.get("name"),
        p.get("validateRequestBody"),
        p.get("validateRequestParameters"),
    )
    document.definition["requestValidators"][validator["id"]] = validator
    document.save(call)
    return dict(validator)


@ops("GetRequestValidator")
def get_request_validator(call: Call) -> dict[str, Any]:
    definition = load_api(call).definition
    return dict(get_validator(definition, call.params["requestValidatorId"]))


@ops("GetRequestValidators")
def get_request_validators(call: Call) -> dict[str, Any]:
    definition = load_api(call).definition
    return paginate(call, [dict(v) for v in definition["requestValidators"].values()])


@ops("UpdateRequestValidator")
def update_request_validator(call: Call) -> dict[str, Any]:
    document = load_api(call)
    validator = get_validator(document.definition, call.params["requestValidatorId"])
    apply_patches(
        cast(dict[str, Any], validator),
        call.params.get("patchOperations") or [],
        [
            PatchRule.value("name"),
            PatchRule.value("validateRequestBody", to_bool),
            PatchRule.value("validateRequestParameters", to_bool),
        ],
        invalid=must_be_one_of(["/name", "/validateRequestParameters", "/validateRequestBody"]),
    )
    rules.new_request_validator(validator["id"], validator["name"], None, None)  # name rule
    document.save(call)
    return dict(validator)


@ops("DeleteRequestValidator")
def delete_request_validator(call: Call) -> None:
    document = load_api(call)
    validator_id = call.params["requestValidatorId"]
    get_validator(document.definition, validator_id)
    for resource in document.definition["resources"].values():
        for method in (resource.get("resourceMethods") or {}).values():
            if method.get("requestValidatorId") == validator_id:
                del method["requestValidatorId"]
    del document.definition["requestValidators"][validator_id]
    document.save(call)


# --- gateway responses ----------------------------------------------------------------------


@ops("GetGatewayResponses")
def get_gateway_responses(call: Call) -> dict[str, Any]:
    customised = load_api(call).definition["gatewayResponses"]
    items = [effective_response(customised, t) for t in LISTING_ORDER]
    return paginate(call, items)


@ops("GetGatewayResponse")
def get_gateway_response(call: Call) -> dict[str, Any]:
    customised = load_api(call).definition["gatewayResponses"]
    return effective_response(customised, call.params["responseType"])


@ops("PutGatewayResponse")
def put_gateway_response(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    customised = document.definition["gatewayResponses"]
    customised[p["responseType"]] = rules.new_gateway_response(
        p["responseType"],
        status_code=p.get("statusCode"),
        response_parameters=p.get("responseParameters"),
        response_templates=p.get("responseTemplates"),
    )
    document.save(call)
    return effective_response(customised, p["responseType"])


def _patch_gateway_response(response: dict[str, Any], operation: Mapping[str, Any]) -> bool:
    op, path, value = operation.get("op"), operation.get("path") or "", operation.get("value")
    parts = split(path)
    if parts == ["statusCode"]:
        if op != "replace":
            raise BadRequestException(f"Invalid patch path {path}")
        rules.check_status_code(str(value))
        response["statusCode"] = str(value)
        return True
    if len(parts) != 2 or parts[0] not in ("responseParameters", "responseTemplates"):
        return False
    entries = response.setdefault(parts[0], {})
    if op == "remove":
        entries.pop(parts[1], None)
    elif op in ("add", "replace"):
        if value in (None, ""):
            raise BadRequestException(f"Invalid null or empty value in {parts[0]}")
        if op == "replace" and parts[1] not in entries:
            raise NotFoundException("Invalid parameter name specified")
        entries[parts[1]] = value
    else:
        return False
    return True


@ops("UpdateGatewayResponse")
def update_gateway_response(call: Call) -> dict[str, Any]:
    document = load_api(call)
    response_type = call.params["responseType"]
    customised = document.definition["gatewayResponses"]
    # Updating a type starts from what it currently is, inherited values included.
    current = copy.deepcopy(cast(dict[str, Any], customised.get(response_type))) or {
        k: v
        for k, v in effective_response(customised, response_type).items()
        if k != "defaultResponse"
    }
    apply_patches(
        current,
        call.params.get("patchOperations") or [],
        [],
        invalid=invalid_patch_path,
        fallback=_patch_gateway_response,
    )
    customised[response_type] = cast(GatewayResponse, current)
    document.save(call)
    return effective_response(customised, response_type)


@ops("DeleteGatewayResponse")
def delete_gateway_response(call: Call) -> None:
    document = load_api(call)
    customised = document.definition["gatewayResponses"]
    if call.params["responseType"] not in customised:
        raise NotFoundException("Gateway response type not defined on api")
    del customised[call.params["responseType"]]
    document.save(call)
