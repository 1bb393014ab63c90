"""Resource, Method and MethodResponse operations of a REST API's resource tree."""

from __future__ import annotations

import copy
from typing import Any, cast

from tollway.control.apigateway import rules
from tollway.control.apigateway.authorizers import authorizers_of
from tollway.control.apigateway.documents import (
    get_method_response,
    get_resource,
    load_api,
    locate_method,
    paginate,
    resource_output,
)
from tollway.control.apigateway.openapi_common import KEPT_METHODS
from tollway.control.apigateway.patch import PatchRule, apply_patches, must_be_one_of, to_bool
from tollway.control.errors import BadRequestException, ConflictException
from tollway.control.operations import Call, OperationTable
from tollway.model.rest import Method, Resource, RestApiDefinition, children_of

ops = OperationTable("apigateway")


def _embeds_methods(call: Call) -> bool:
    return "methods" in (call.params.get("embed") or [])


@ops("CreateResource")
def create_resource(call: Call) -> dict[str, Any]:
    document = load_api(call)
    resources = document.definition["resources"]
    get_resource(document.definition, call.params["parentId"])
    resource = rules.new_resource(resources, call.params["parentId"], call.params["pathPart"])
    resources[resource["id"]] = resource
    document.save(call)
    return resource_output(document.definition, resource)


@ops("GetResource")
def get_resource_op(call: Call) -> dict[str, Any]:
    definition = load_api(call).definition
    resource = get_resource(definition, call.params["resourceId"])
    return resource_output(definition, resource, embed_methods=_embeds_methods(call))


@ops("GetResources")
def get_resources(call: Call) -> dict[str, Any]:
    definition = load_api(call).definition
    embed = _embeds_methods(call)
    items = [
        resource_output(definition, r, embed_methods=embed)
        for r in definition["resources"].values()
    ]
    return paginate(call, items)


def _descendants(resources: dict[str, Resource], resource_id: str) -> set[str]:
    found = {resource_id}
    frontier = [resource_id]
    while frontier:
        parent = frontier.pop()
        for child in children_of(resources, parent):
            found.add(child["id"])
            frontier.append(child["id"])
    return found


@ops("UpdateResource")
def update_resource(call: Call) -> dict[str, Any]:
    document = load_api(call)
    definition = document.definition
    resources = definition["resources"]
    resource = get_resource(definition, call.params["resourceId"])
    is_root = resource["id"] == definition["api"]["rootResourceId"]
    for operation in call.params.get("patchOperations") or []:
        op, path, value = operation.get("op"), operation.get("path"), operation.get("value")
        if path not in ("/parentId", "/pathPart"):
            raise must_be_one_of(["/parentId", "/pathPart"])(op or "", path or "null")
        if op != "replace":
            raise must_be_one_of(["/parentId", "/pathPart"])(op or "", path)
        member = path[1:]
        if is_root:
            raise BadRequestException(f"Root resource cannot update its {member}.")
        moved = cast(Resource, {**resource, member: value})
        if member == "parentId":
            get_resource(definition, value)
            if value in _descendants(resources, resource["id"]):
                raise BadRequestException("Resources cannot be cyclical.")
        # Check the resource's new place as if it were being created there.
        others = {k: v for k, v in resources.items() if k != resource["id"]}
        rules.check_path_part(others, moved["parentId"], moved["pathPart"])
        resource.update(moved)
    document.save(call)
    return resource_output(definition, resource)


@ops("DeleteResource")
def delete_resource(call: Call) -> None:
    document = load_api(call)
    definition = document.definition
    resource = get_resource(definition, call.params["resourceId"])
    if resource["id"] == definition["api"]["rootResourceId"]:
        raise BadRequestException("Cannot delete the root resource of an API")
    kept = definition["extensions"].get(KEPT_METHODS, {})
    for rid in _descendants(definition["resources"], resource["id"]):
        del definition["resources"][rid]
        kept.pop(rid, None)
    document.save(call)


# --- methods --------------------------------------------------------------------------------


def _check_method_references(definition: RestApiDefinition, method: Method) -> None:
    validator = method.get("requestValidatorId")
    if validator and validator not in definition["requestValidators"]:
        raise BadRequestException("Invalid Request Validator identifier specified")
    for model in (method.get("requestModels") or {}).values():
        if model not in definition["models"]:
            raise BadRequestException(f"Invalid model identifier specified: {model}")
    kind = method["authorizationType"]
    authorizer_id = method.get("authorizerId")
    if kind in ("CUSTOM", "COGNITO_USER_POOLS") or authorizer_id:
        # The id must name one of the API's authorizers, of the family the type asks for
        # (CUSTOM: a Lambda TOKEN/REQUEST authorizer; COGNITO_USER_POOLS: a user pool one).
        authorizer = authorizers_of(definition).get(authorizer_id or "")
        cognito = authorizer is not None and authorizer["type"] == "COGNITO_USER_POOLS"
        if (
            authorizer is None
            or (kind == "CUSTOM" and cognito)
            or (kind == "COGNITO_USER_POOLS" and not cognito)
        ):
            raise BadRequestException(
                "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
                "COGNITO_USER_POOLS requires a valid authorizer."
            )


def method_output(method: Method) -> dict[str, Any]:
    return copy.deepcopy(cast(dict[str, Any], method))


@ops("PutMethod")
def put_method(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    resource = get_resource(document.definition, p["resourceId"])
    methods = resource.setdefault("resourceMethods", {})
    if p["httpMethod"] in methods:
        raise ConflictException("Method already exists for this resource")
    method = rules.new_method(
        p["httpMethod"],
        authorization_type=p.get("authorizationType"),
        authorizer_id=p.get("authorizerId"),
        api_key_required=p.get("apiKeyRequired"),
        operation_name=p.get("operationName"),
        request_parameters=p.get("requestParameters"),
        request_models=p.get("requestModels"),
        request_validator_id=p.get("requestValidatorId"),
        authorization_scopes=p.get("authorizationScopes"),
    )
    _check_method_references(document.definition, method)
    methods[method["httpMethod"]] = method
    document.save(call)
    return method_output(method)


@ops("GetMethod")
def get_method_op(call: Call) -> dict[str, Any]:
    return method_output(locate_method(call, load_api(call))[1])


METHOD_PATCH = [
    PatchRule.value("authorizationType"),
    PatchRule.value("authorizerId", ops=("replace", "remove")),
    PatchRule.value("apiKeyRequired", to_bool),
    PatchRule.value("requestValidatorId", ops=("replace", "remove")),
    PatchRule.value("operationName", ops=("replace", "remove")),
    PatchRule.map("requestParameters", to_bool),
    PatchRule.map("requestModels"),
    PatchRule.set("authorizationScopes"),
]


@ops("UpdateMethod")
def update_method(call: Call) -> dict[str, Any]:
    document = load_api(call)
    _, method = locate_method(call, document)
    target = cast(dict[str, Any], method)
    apply_patches(target, call.params.get("patchOperations") or [], METHOD_PATCH)
    rules.check_request_parameters(target.get("requestParameters"))
    rules.check_authorization_type(target["authorizationType"])
    if target.get("requestValidatorId") == "":
        target.pop("requestValidatorId")
    _check_method_references(document.definition, method)
    document.save(call)
    return method_output(method)


@ops("DeleteMethod")
def delete_method(call: Call) -> None:
    document = load_api(call)
    resource, method = locate_method(call, document)
    del resource["resourceMethods"][method["httpMethod"]]
    # What the OpenAPI import kept for the method (its authorizer security) goes with it.
    document.definition["extensions"].get(KEPT_METHODS, {}).get(resource["id"], {}).pop(
        method["httpMethod"], None
    )
    document.save(call)


# --- method responses -----------------------------------------------------------------------


@ops("PutMethodResponse")
def put_method_response(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    _, method = locate_method(call, document)
    response = rules.new_method_response(
        p["statusCode"],
        response_parameters=p.get("responseParameters"),
        response_models=p.get("responseModels"),
    )
    for model in (response.get("responseModels") or {}).values():
        if model not in document.definition["models"]:
            raise BadRequestException(f"Invalid model identifier specified: {model}")
    method.setdefault("methodResponses", {})[response["statusCode"]] = response
    document.save(call)
    return copy.deepcopy(cast(dict[str, Any], response))


@ops("GetMethodResponse")
def get_method_response_op(call: Call) -> dict[str, Any]:
    _, method = locate_method(call, load_api(call))
    response = get_method_response(method, call.params["statusCode"])
    return copy.deepcopy(cast(dict[str, Any], response))


METHOD_RESPONSE_PATCH = [
    PatchRule.map("responseParameters", to_bool),
    PatchRule.map("responseModels"),
]


@ops("UpdateMethodResponse")
def update_method_response(call: Call) -> dict[str, Any]:
    document = load_api(call)
    _, method = locate_method(call, document)
    response = get_method_response(method, call.params["statusCode"])
    apply_patches(
        cast(dict[str, Any], response),
        call.params.get("patchOperations") or [],
        METHOD_RESPONSE_PATCH,
    )
    document.save(call)
    return copy.deepcopy(cast(dict[str, Any], response))


@ops("DeleteMethodResponse")
def delete_method_response(call: Call) -> None:
    document = load_api(call)
    _, method = locate_method(call, document)
    get_method_response(method, call.params["statusCode"])
    del method["methodResponses"][call.params["statusCode"]]
    document.save(call)
