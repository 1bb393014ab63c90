"""Integration and IntegrationResponse operations: how a method reaches its backend."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, cast

from tollway.control.apigateway import rules
from tollway.control.apigateway.documents import (
    get_integration,
    get_integration_response,
    get_method_response,
    load_api,
    locate_method,
)
from tollway.control.apigateway.mapping_rules import check_request_mapping, check_response_mapping
from tollway.control.apigateway.patch import (
    PatchRule,
    apply_patches,
    split,
    to_bool,
    to_int,
)
from tollway.control.operations import Call, OperationTable

ops = OperationTable("apigateway")

_INTEGRATION_MEMBERS = (
    "type",
    "uri",
    "connectionType",
    "connectionId",
    "credentials",
    "requestParameters",
    "requestTemplates",
    "passthroughBehavior",
    "cacheNamespace",
    "cacheKeyParameters",
    "contentHandling",
    "timeoutInMillis",
    "tlsConfig",
)


def _output(value: Any) -> dict[str, Any]:
    return copy.deepcopy(cast(dict[str, Any], value))


@ops("PutIntegration")
def put_integration(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    resource, method = locate_method(call, document)
    fields = {k: p[k] for k in _INTEGRATION_MEMBERS if p.get(k) is not None}
    if p.get("integrationHttpMethod"):
        fields["httpMethod"] = p["integrationHttpMethod"]
    previous = method.get("methodIntegration")
    if previous and previous.get("integrationResponses"):
        # A new integration keeps the responses already mapped for the method.
        fields["integrationResponses"] = previous["integrationResponses"]
    integration = rules.new_integration(resource["id"], fields)
    check_request_mapping(method.get("requestParameters"), integration.get("requestParameters"))
    method["methodIntegration"] = integration
    document.save(call)
    return _output(integration)


@ops("GetIntegration")
def get_integration_op(call: Call) -> dict[str, Any]:
    _, method = locate_method(call, load_api(call))
    return _output(get_integration(method))


def _tls_config(target: dict[str, Any], operation: Mapping[str, Any]) -> bool:
    if split(operation.get("path", "")) != ["tlsConfig", "insecureSkipVerification"]:
        return False
    target.setdefault("tlsConfig", {})["insecureSkipVerification"] = to_bool(operation.get("value"))
    return True


INTEGRATION_PATCH = [
    PatchRule.value("uri"),
    PatchRule.value("httpMethod"),
    PatchRule.value("connectionType"),
    PatchRule.value("connectionId", ops=("replace", "remove")),
    PatchRule.value("credentials", ops=("replace", "remove")),
    PatchRule.value("passthroughBehavior"),
    PatchRule.value("timeoutInMillis", to_int),
    PatchRule.value("contentHandling", ops=("replace", "remove")),
    PatchRule.value("cacheNamespace"),
    PatchRule.set("cacheKeyParameters"),
    PatchRule.map("requestParameters"),
    PatchRule.map("requestTemplates"),
]


@ops("UpdateIntegration")
def update_integration(call: Call) -> dict[str, Any]:
    document = load_api(call)
    resource, method = locate_method(call, document)
    updated = _output(get_integration(method))
    apply_patches(
        updated, call.params.get("patchOperations") or [], INTEGRATION_PATCH, fallback=_tls_config
    )
    # Re-run PutIntegration's checks on the result, so an update cannot produce an
    # integration that PutIntegration would refuse.
    method["methodIntegration"] = rules.new_integration(resource["id"], updated)
    check_request_mapping(
        method.get("requestParameters"), method["methodIntegration"].get("requestParameters")
    )
    document.save(call)
    return _output(method["methodIntegration"])


@ops("DeleteIntegration")
def delete_integration(call: Call) -> None:
    document = load_api(call)
    _, method = locate_method(call, document)
    get_integration(method)
    del method["methodIntegration"]
    document.save(call)


@ops("PutIntegrationResponse")
def put_integration_response(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    _, method = locate_method(call, document)
    integration = get_integration(method)
    rules.check_status_code(p["statusCode"])
    method_response = get_method_response(method, p["statusCode"])
    response = rules.new_integration_response(
        p["statusCode"],
        selection_pattern=p.get("selectionPattern"),
        response_parameters=p.get("responseParameters"),
        response_templates=p.get("responseTemplates"),
        content_handling=p.get("contentHandling"),
    )
    check_response_mapping(
        method_response.get("responseParameters"), response.get("responseParameters")
    )
    integration.setdefault("integrationResponses", {})[response["statusCode"]] = response
    document.save(call)
    return _output(response)


@ops("GetIntegrationResponse")
def get_integration_response_op(call: Call) -> dict[str, Any]:
    _, method = locate_method(call, load_api(call))
    return _output(get_integration_response(get_integration(method), call.params["statusCode"]))


INTEGRATION_RESPONSE_PATCH = [
    PatchRule.value("selectionPattern", ops=("replace", "remove")),
    PatchRule.value("contentHandling", ops=("replace", "remove")),
    PatchRule.map("responseParameters"),
    PatchRule.map("responseTemplates"),
]


@ops("UpdateIntegrationResponse")
def update_integration_response(call: Call) -> dict[str, Any]:
    document = load_api(call)
    _, method = locate_method(call, document)
    response = get_integration_response(get_integration(method), call.params["statusCode"])
    apply_patches(
        cast(dict[str, Any], response),
        call.params.get("patchOperations") or [],
        INTEGRATION_RESPONSE_PATCH,
    )
    check_response_mapping(
        get_method_response(method, call.params["statusCode"]).get("responseParameters"),
        response.get("responseParameters"),
    )
    document.save(call)
    return _output(response)


@ops("DeleteIntegrationResponse")
def delete_integration_response(call: Call) -> None:
    document = load_api(call)
    _, method = locate_method(call, document)
    integration = get_integration(method)
    get_integration_response(integration, call.params["statusCode"])
    del integration["integrationResponses"][call.params["statusCode"]]
    document.save(call)
