"""Integration and IntegrationResponse operations.

HTTP APIs take AWS_PROXY (a Lambda function, payload format 1.0 or 2.0; or an AWS service
with `IntegrationSubtype`, spec §3.5) and HTTP_PROXY (a URL and a method); parameter mapping
keys are checked as spec §4.8 describes. WebSocket integrations (AWS, AWS_PROXY, HTTP,
HTTP_PROXY, MOCK) get AWS's defaults and checks from websocket.py. Integration responses are
registered by responses.py.
"""

from __future__ import annotations

from typing import Any, cast

from tollway.control.apigatewayv2 import rules, websocket
from tollway.control.apigatewayv2.documents import given, load_api, paginate, part_not_found
from tollway.control.apigatewayv2.responses import Children, register
from tollway.control.errors import BadRequestException, ConflictException, NotSupportedByTollway
from tollway.control.operations import Call, OperationTable
from tollway.model import ids
from tollway.model.http_api import HTTP, ApiDefinition, Integration, integration_id_of

ops = OperationTable("apigatewayv2")

INTEGRATION_MEMBERS = (
    "ConnectionId",
    "ConnectionType",
    "ContentHandlingStrategy",
    "CredentialsArn",
    "Description",
    "IntegrationMethod",
    "IntegrationSubtype",
    "IntegrationType",
    "IntegrationUri",
    "PassthroughBehavior",
    "PayloadFormatVersion",
    "RequestParameters",
    "RequestTemplates",
    "ResponseParameters",
    "TemplateSelectionExpression",
    "TimeoutInMillis",
    "TlsConfig",
)
INTEGRATION_RESPONSE_MEMBERS = (
    "ContentHandlingStrategy",
    "IntegrationResponseKey",
    "ResponseParameters",
    "ResponseTemplates",
    "TemplateSelectionExpression",
)


def build_integration(
    fields: dict[str, Any], *, http: bool, integration_id: str | None = None
) -> Integration:
    """An integration with AWS's defaults (connection INTERNET, the protocol's longest
    timeout, payload format 1.0 on HTTP APIs), checked."""
    if fields.get("ConnectionType") == "VPC_LINK":
        raise NotSupportedByTollway(
            "Tollway does not support private integrations (ConnectionType VPC_LINK) yet"
        )
    integration: dict[str, Any] = {
        "ConnectionType": "INTERNET",
        "TimeoutInMillis": rules.HTTP_MAX_TIMEOUT if http else rules.WEBSOCKET_MAX_TIMEOUT,
    }
    if http:
        integration["PayloadFormatVersion"] = "1.0"
    else:
        integration.update(websocket.integration_defaults(fields))
    integration.update(fields)
    integration["IntegrationId"] = integration_id or ids.part_id()
    rules.check_integration(integration, http=http)
    if not http:
        websocket.check_integration(integration)
    return cast(Integration, integration)


def _check_integration_response(
    definition: ApiDefinition, response: dict[str, Any], siblings: dict[str, dict[str, Any]]
) -> None:
    if definition["Api"]["ProtocolType"] != HTTP:
        websocket.check_integration_response(response, siblings.values())


def get_integration(definition: ApiDefinition, integration_id: str) -> Integration:
    integration = definition["Integrations"].get(integration_id)
    if integration is None:
        raise part_not_found("Integration", integration_id)
    return integration


@ops("CreateIntegration")
def create_integration(call: Call) -> dict[str, Any]:
    document = load_api(call)
    integration = build_integration(given(call, INTEGRATION_MEMBERS), http=document.is_http)
    document.definition["Integrations"][integration["IntegrationId"]] = integration
    document.save(call)
    return dict(integration)


@ops("GetIntegration")
def get_integration_op(call: Call) -> dict[str, Any]:
    return dict(get_integration(load_api(call).definition, call.params["IntegrationId"]))


@ops("GetIntegrations")
def get_integrations(call: Call) -> dict[str, Any]:
    definition = load_api(call).definition
    return paginate(call, [dict(i) for i in definition["Integrations"].values()])


@ops("UpdateIntegration")
def update_integration(call: Call) -> dict[str, Any]:
    document = load_api(call)
    current = get_integration(document.definition, call.params["IntegrationId"])
    # The response selection expression is AWS's, from the type and URI: worked out again.
    derived = ("IntegrationId", "IntegrationResponseSelectionExpression")
    fields = {k: v for k, v in current.items() if k not in derived}
    update = given(call, INTEGRATION_MEMBERS)
    if document.is_http:
        _merge_parameters(fields, update)
    fields.update(update)
    integration = build_integration(
        fields, http=document.is_http, integration_id=current["IntegrationId"]
    )
    document.definition["Integrations"][integration["IntegrationId"]] = integration
    document.save(call)
    return dict(integration)


def _merge_parameters(current: dict[str, Any], update: dict[str, Any]) -> None:
    """UpdateIntegration's parameter mappings, as AWS documents them for HTTP APIs: the given
    keys are merged into the current map, a key given "" is removed, and a status code given
    an empty map loses its response mappings."""
    if "RequestParameters" in update:
        merged = {**(current.get("RequestParameters") or {}), **update["RequestParameters"]}
        update["RequestParameters"] = {k: v for k, v in merged.items() if v != ""}
    if "ResponseParameters" in update:
        responses = {k: dict(v) for k, v in (current.get("ResponseParameters") or {}).items()}
        for status, mappings in update["ResponseParameters"].items():
            kept = {**responses.get(status, {}), **mappings} if mappings else {}
            kept = {k: v for k, v in kept.items() if v != ""}
            if kept:
                responses[status] = kept
            else:
                responses.pop(status, None)
        update["ResponseParameters"] = responses


@ops("DeleteIntegration")
def delete_integration(call: Call) -> None:
    document = load_api(call)
    integration_id = call.params["IntegrationId"]
    integration = get_integration(document.definition, integration_id)
    if integration.get("ApiGatewayManaged"):
        raise BadRequestException(
            f"Cannot delete the managed integration {integration_id}: quick create's "
            "integration can be updated but not deleted"
        )
    for route in document.definition["Routes"].values():
        if integration_id_of(route) == integration_id:
            raise ConflictException(
                f"Cannot delete integration {integration_id}: it is the target of route "
                f"{route['RouteKey']}"
            )
    del document.definition["Integrations"][integration_id]
    document.definition["IntegrationResponses"].pop(integration_id, None)
    document.save(call)


register(
    ops,
    Children(
        "IntegrationResponse",
        "IntegrationResponses",
        "IntegrationId",
        get_integration,
        INTEGRATION_RESPONSE_MEMBERS,
        _check_integration_response,
    ),
)
