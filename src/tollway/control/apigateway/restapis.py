"""RestApi operations: CreateRestApi, GetRestApi(s), UpdateRestApi, DeleteRestApi,
ImportRestApi and PutRestApi (OpenAPI import)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, cast

from tollway.control.apigateway import resource_policies, rules
from tollway.control.apigateway.definitions import add_default_models
from tollway.control.apigateway.documents import (
    API_KIND,
    ApiDocument,
    commit,
    load_api,
    paginate,
)
from tollway.control.apigateway.openapi_import import ImportOptions, import_into, import_new
from tollway.control.apigateway.patch import PatchRule, apply_patches, split, to_bool, to_str
from tollway.control.errors import BadRequestException, ValidationException
from tollway.control.operations import Call, OperationTable
from tollway.model import ids
from tollway.model.rest import RestApiDefinition
from tollway.store import Delete, Record

ops = OperationTable("apigateway")


def api_output(definition: RestApiDefinition) -> dict[str, Any]:
    return copy.deepcopy(cast(dict[str, Any], definition["api"]))


def _store_new(call: Call, definition: RestApiDefinition) -> None:
    record = Record(API_KIND, definition["api"]["id"], cast(dict[str, Any], definition))
    commit(call, [record])
    # The gateway now knows the API exists: its (missing) stages answer AWS's 403.
    call.plane.changes.api_changed(definition["api"]["id"])


@ops("CreateRestApi")
def create_rest_api(call: Call) -> dict[str, Any]:
    p = call.params
    definition = rules.new_definition(
        name=p["name"],
        created=call.plane.now(),
        description=p.get("description"),
        version=p.get("version"),
        binary_media_types=p.get("binaryMediaTypes"),
        minimum_compression_size=p.get("minimumCompressionSize"),
        api_key_source=p.get("apiKeySource"),
        endpoint_configuration=p.get("endpointConfiguration"),
        tags=p.get("tags"),
        disable_execute_api_endpoint=p.get("disableExecuteApiEndpoint"),
    )
    _set_policy(call, definition["api"], p.get("policy"))
    if p.get("cloneFrom"):
        definition = _clone(call, p["cloneFrom"], definition)
    else:
        add_default_models(definition)
    _store_new(call, definition)
    return api_output(definition)


def _set_policy(call: Call, api: Any, value: Any) -> None:
    """`policy` checked, its `execute-api:/` resources expanded, in AWS's stored form."""
    settings = call.plane.settings
    policy = resource_policies.normalize(
        value, region=settings.region, account_id=settings.account_id, api_id=api["id"]
    )
    if policy is None:
        api.pop("policy", None)
    else:
        api["policy"] = policy


def _clone(call: Call, source_id: str, fresh: RestApiDefinition) -> RestApiDefinition:
    """cloneFrom: the source API's resources, models, validators, authorizers and gateway
    responses under the new API's identity (new resource ids, parent links rewritten)."""
    source = load_api(call, source_id).definition
    id_map = {rid: ids.short_id() for rid in source["resources"]}
    id_map[source["api"]["rootResourceId"]] = fresh["api"]["rootResourceId"]
    resources = {}
    for rid, resource in source["resources"].items():
        clone = copy.deepcopy(resource)
        clone["id"] = id_map[rid]
        if "parentId" in clone:
            clone["parentId"] = id_map[clone["parentId"]]
        for method in clone.get("resourceMethods", {}).values():
            integration = method.get("methodIntegration")
            if integration is not None and integration.get("cacheNamespace") == rid:
                integration["cacheNamespace"] = id_map[rid]
        resources[id_map[rid]] = clone
    fresh["resources"] = resources
    for part in ("models", "requestValidators", "gatewayResponses", "extensions"):
        fresh[part] = copy.deepcopy(source[part])
    # Authorizers keep their ids: the cloned methods refer to them by id.
    fresh["authorizers"] = copy.deepcopy(source.get("authorizers", {}))
    for key in ("binaryMediaTypes", "minimumCompressionSize", "policy"):
        if key in source["api"] and key not in fresh["api"]:
            fresh["api"][key] = copy.deepcopy(source["api"][key])
    return fresh


@ops("GetRestApi")
def get_rest_api(call: Call) -> dict[str, Any]:
    return api_output(load_api(call).definition)


@ops("GetRestApis")
def get_rest_apis(call: Call) -> dict[str, Any]:
    records = call.plane.store.list(API_KIND)
    return paginate(call, [api_output(cast(RestApiDefinition, r.body)) for r in records])


@ops("DeleteRestApi")
def delete_rest_api(call: Call) -> None:
    document = load_api(call)
    deletes = call.plane.store.delete_children(document.api_id)
    commit(call, [], [Delete(API_KIND, document.api_id), *deletes])
    call.plane.changes.api_changed(document.api_id)


def _replace_endpoint_type(api: dict[str, Any], operation: Mapping[str, Any]) -> bool:
    """`replace /endpointConfiguration/types/EDGE` with value `REGIONAL`, and the other
    endpointConfiguration paths."""
    parts = split(operation.get("path", ""))
    if not parts or parts[0] != "endpointConfiguration":
        return False
    config = api["endpointConfiguration"]
    op, value = operation.get("op"), operation.get("value")
    if len(parts) == 3 and parts[1] == "types" and op == "replace":
        if parts[2] not in config["types"]:
            raise BadRequestException(f"Invalid patch path {operation['path']}")
        config["types"] = [value]
    elif parts[1:] == ["ipAddressType"] and op == "replace":
        config["ipAddressType"] = value
    elif len(parts) == 3 and parts[1] == "vpcEndpointIds" and op in ("add", "remove"):
        endpoints = config.setdefault("vpcEndpointIds", [])
        if op == "add" and parts[2] not in endpoints:
            endpoints.append(parts[2])
        elif op == "remove" and parts[2] in endpoints:
            endpoints.remove(parts[2])
    else:
        return False
    api["endpointConfiguration"] = rules.check_endpoint_configuration(config)
    return True


def _compression_size(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        size = int(value)
    except ValueError:
        raise BadRequestException(
            "Invalid minimum compression size, must be between 0 and 10485760"
        ) from None
    rules.check_minimum_compression_size(size)
    return size


def _api_key_source(value: Any) -> str:
    if value not in ("HEADER", "AUTHORIZER"):
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at 'apiKeySource' failed to "
            "satisfy constraint: Member must satisfy enum value set: [HEADER, AUTHORIZER]"
        )
    return str(value)


REST_API_PATCH = [
    PatchRule.value("name"),
    PatchRule.value("description"),
    PatchRule.value("version"),
    PatchRule.value("policy"),
    PatchRule.value("apiKeySource", _api_key_source),
    PatchRule.value("minimumCompressionSize", _compression_size),
    PatchRule.value("disableExecuteApiEndpoint", to_bool),
    PatchRule.set("binaryMediaTypes", ops=("add", "remove")),
]


@ops("UpdateRestApi")
def update_rest_api(call: Call) -> dict[str, Any]:
    document = load_api(call)
    api = cast(dict[str, Any], document.definition["api"])
    policy_before = api.get("policy")
    apply_patches(
        api,
        call.params.get("patchOperations") or [],
        REST_API_PATCH,
        fallback=_replace_endpoint_type,
    )
    rules.check_name(api.get("name", ""))
    if api.get("policy") != policy_before:
        _set_policy(call, api, api.get("policy"))
    if api.get("description") == "":
        rules.check_description("")
    if api.get("minimumCompressionSize") is None:
        api.pop("minimumCompressionSize", None)
    document.save(call)
    return api_output(document.definition)


def _import_options(call: Call) -> ImportOptions:
    s = call.plane.settings
    return ImportOptions(
        region=s.region,
        account_id=s.account_id,
        fail_on_warnings=bool(call.params.get("failOnWarnings")),
        parameters=call.params.get("parameters") or {},
    )


def _with_warnings(definition: RestApiDefinition, warnings: list[str]) -> dict[str, Any]:
    out = api_output(definition)
    if warnings:
        out["warnings"] = warnings
    return out


@ops("ImportRestApi")
def import_rest_api(call: Call) -> dict[str, Any]:
    definition, warnings = import_new(
        call.params["body"], _import_options(call), created=call.plane.now()
    )
    _store_new(call, definition)
    return _with_warnings(definition, warnings)


@ops("PutRestApi")
def put_rest_api(call: Call) -> dict[str, Any]:
    document = load_api(call)
    mode = call.params.get("mode") or "merge"
    definition, warnings = import_into(
        document.definition, call.params["body"], _import_options(call), mode=to_str(mode)
    )
    ApiDocument(document.record, definition).save(call)
    return _with_warnings(definition, warnings)
