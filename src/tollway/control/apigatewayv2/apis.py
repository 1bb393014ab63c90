"""Api operations: CreateApi (with quick create), GetApi(s), UpdateApi, DeleteApi,
DeleteCorsConfiguration.

Quick create (spec §1.5): CreateApi with `Target` makes, all `ApiGatewayManaged`, an
integration (AWS_PROXY with payload 2.0 for a Lambda function, HTTP_PROXY for a URL), a route
(`RouteKey`, default `$default`) and a `$default` stage that auto-deploys, deployed at once.
"""

from __future__ import annotations

import copy
from typing import Any, cast

from tollway.control.apigateway.documents import commit
from tollway.control.apigatewayv2 import rules, websocket
from tollway.control.apigatewayv2.documents import (
    ApiDocument,
    deploy_puts,
    load_api,
    paginate,
)
from tollway.control.apigatewayv2.integrations import build_integration
from tollway.control.apigatewayv2.routes import build_route
from tollway.control.apigatewayv2.stages import build_stage
from tollway.control.errors import BadRequestException
from tollway.control.operations import Call, OperationTable
from tollway.model import ids
from tollway.model.http_api import (
    DEFAULT_ROUTE,
    DEFAULT_STAGE,
    HTTP,
    V2_API_KIND,
    V2_STAGE_KIND,
    Api,
    ApiDefinition,
    empty_definition,
)
from tollway.store import Delete, Record

ops = OperationTable("apigatewayv2")

_API_MEMBERS = (
    "ApiKeySelectionExpression",
    "CorsConfiguration",
    "Description",
    "DisableSchemaValidation",
    "DisableExecuteApiEndpoint",
    "IpAddressType",
    "Name",
    "RouteSelectionExpression",
    "Version",
)
_QUICK_CREATE = ("Target", "RouteKey", "CredentialsArn")


def api_endpoint(api_id: str, protocol: str, region: str) -> str:
    """AWS's endpoint of the API; Tollway serves it on its own gateway listener instead (see
    the user guide)."""
    scheme = "https" if protocol == HTTP else "wss"
    return f"{scheme}://{api_id}.execute-api.{region}.amazonaws.com"


def api_output(definition: ApiDefinition) -> dict[str, Any]:
    return copy.deepcopy(cast(dict[str, Any], definition["Api"]))


def check_api(api: dict[str, Any]) -> None:
    http = api["ProtocolType"] == HTTP
    if not api.get("Name"):
        raise BadRequestException("Name is required and must be 1 to 128 characters")
    selection = api.get("RouteSelectionExpression")
    if http and selection != rules.HTTP_ROUTE_SELECTION:
        raise BadRequestException(
            f"Invalid route selection expression {selection}: HTTP APIs support only "
            f"{rules.HTTP_ROUTE_SELECTION}"
        )
    if not http and not selection:
        raise BadRequestException("RouteSelectionExpression is required for WEBSOCKET APIs")
    if api.get("CorsConfiguration") and not http:
        raise BadRequestException("CorsConfiguration is supported only for HTTP APIs")
    if not http:
        websocket.check_api(api)
    rules.check_cors(api.get("CorsConfiguration"))


def new_api(call: Call, params: dict[str, Any], api_id: str | None = None) -> ApiDefinition:
    protocol = params["ProtocolType"]
    api_id = api_id or ids.api_id()
    api: dict[str, Any] = {
        "ApiId": api_id,
        "ApiEndpoint": api_endpoint(api_id, protocol, call.plane.settings.region),
        "ApiKeySelectionExpression": rules.API_KEY_SELECTION,
        "CreatedDate": call.plane.now(),
        "DisableExecuteApiEndpoint": False,
        "IpAddressType": "ipv4",
        "ProtocolType": protocol,
        "Tags": dict(params.get("Tags") or {}),
    }
    if protocol == HTTP:
        api["RouteSelectionExpression"] = rules.HTTP_ROUTE_SELECTION
    api.update({k: copy.deepcopy(params[k]) for k in _API_MEMBERS if params.get(k) is not None})
    check_api(api)
    return empty_definition(cast(Api, api))


def _quick_create(call: Call, definition: ApiDefinition) -> list[Record]:
    """The managed integration, route and auto-deploying `$default` stage, deployed."""
    p = call.params
    target = p["Target"]
    fields: dict[str, Any] = {"IntegrationUri": target, "ApiGatewayManaged": True}
    if rules.is_lambda_target(target):
        fields.update(IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0")
        fields["IntegrationMethod"] = "POST"
    elif rules.is_http_url(target):
        fields.update(IntegrationType="HTTP_PROXY", IntegrationMethod="ANY")
    else:
        raise BadRequestException(
            f"Invalid target specified: {target}. Quick create takes a Lambda function ARN "
            "or an http(s) URL"
        )
    if p.get("CredentialsArn"):
        fields["CredentialsArn"] = p["CredentialsArn"]
    integration = build_integration(fields, http=True)
    definition["Integrations"][integration["IntegrationId"]] = integration
    route = build_route(
        definition,
        {
            "RouteKey": p.get("RouteKey") or DEFAULT_ROUTE,
            "Target": f"integrations/{integration['IntegrationId']}",
            "ApiGatewayManaged": True,
        },
    )
    definition["Routes"][route["RouteId"]] = route
    stage = build_stage(
        call, definition, {"StageName": DEFAULT_STAGE, "AutoDeploy": True}, managed=True
    )
    api_id = definition["Api"]["ApiId"]
    return deploy_puts(
        call, api_id, definition, [Record(V2_STAGE_KIND, DEFAULT_STAGE, stage, api_id)], auto=True
    )


@ops("CreateApi")
def create_api(call: Call) -> dict[str, Any]:
    p = call.params
    quick = [k for k in _QUICK_CREATE if p.get(k) is not None]
    if quick and p["ProtocolType"] != HTTP:
        raise BadRequestException(f"{quick[0]} is supported only for HTTP APIs (quick create)")
    if quick and not p.get("Target"):
        raise BadRequestException(f"{quick[0]} requires Target (quick create)")
    definition = new_api(call, p)
    extra = _quick_create(call, definition) if p.get("Target") else []
    api_id = definition["Api"]["ApiId"]
    record = Record(V2_API_KIND, api_id, cast(dict[str, Any], definition))
    ApiDocument(record, definition).save(call, deploy=False, extra=extra)
    # The gateway learns the API exists even without stages.
    call.plane.changes.api_changed(api_id)
    return api_output(definition)


@ops("GetApi")
def get_api(call: Call) -> dict[str, Any]:
    return api_output(load_api(call).definition)


@ops("GetApis")
def get_apis(call: Call) -> dict[str, Any]:
    records = call.plane.store.list(V2_API_KIND)
    return paginate(call, [api_output(cast(ApiDefinition, r.body)) for r in records])


@ops("UpdateApi")
def update_api(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    for key in _QUICK_CREATE:
        if p.get(key) is not None:
            raise BadRequestException(
                f"Tollway does not support {key} on UpdateApi: it changes quick create's "
                "managed resources; update the route or integration instead"
            )
    api = cast(dict[str, Any], document.api)
    api.update({k: copy.deepcopy(p[k]) for k in _API_MEMBERS if p.get(k) is not None})
    check_api(api)
    document.save(call)
    return api_output(document.definition)


@ops("DeleteApi")
def delete_api(call: Call) -> None:
    document = load_api(call)
    children = call.plane.store.delete_children(document.api_id)
    commit(call, [], [Delete(V2_API_KIND, document.api_id), *children])
    call.plane.changes.api_changed(document.api_id)


@ops("DeleteCorsConfiguration")
def delete_cors_configuration(call: Call) -> None:
    document = load_api(call)
    cast(dict[str, Any], document.api).pop("CorsConfiguration", None)
    document.save(call)
