"""ExportApi: an HTTP API as the OpenAPI 3.0.1 document AWS exports (spec §15.2; AWS's
"Export HTTP APIs from API Gateway").

The document, as AWS writes it:
- `info`: title (Name), description, version (Version; without one, the API's creation time
  as `2020-04-21 19:10:32UTC`, as AWS writes it);
- `servers`: `https://{api-id}.execute-api.{region}.amazonaws.com/{basePath}` whose `basePath`
  variable defaults to the stage's name ("" for `$default` or without a stage), with
  `x-amazon-apigateway-endpoint-configuration` when the default endpoint is disabled;
- `paths`: one operation per route: `responses` with AWS's `Default response for GET /pets`,
  `operationId` (OperationName), the route's authorization (openapi_auth) and its
  `x-amazon-apigateway-integration` (openapi_integrations); `ANY` as
  `x-amazon-apigateway-any-method`; `$default` as the path `/$default` with
  `isDefaultRoute: true`; path variables as path-level parameters
  (`Generated path parameter for id`);
- `components.securitySchemes` for authorizers; `tags` with `x-amazon-apigateway-tag-value`;
  `x-amazon-apigateway-cors`; `x-amazon-apigateway-importexport-version: "1.0"`.
Without extensions (`IncludeExtensions` false) no `x-amazon-apigateway-*` field is written
except `x-amazon-apigateway-any-method` (OpenAPI has no other way to say ANY) and API tags are
left out.

Choices where AWS's documentation is silent: paths in sorted order, methods in the order
GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH, ANY; `timeoutInMillis` always written.
"""

from __future__ import annotations

import datetime
from typing import Any, cast

from tollway.control.apigateway.openapi_common import ANY_METHOD, ENDPOINT_CONFIGURATION
from tollway.control.apigatewayv2.openapi_auth import export_route_security, export_schemes
from tollway.control.apigatewayv2.openapi_import import (
    CORS,
    DEFAULT_PATH,
    EXPORT_VERSION,
    IMPORTEXPORT_VERSION,
    TAG_VALUE,
)
from tollway.control.apigatewayv2.openapi_integrations import export_integration
from tollway.model.http_api import DEFAULT_ROUTE, DEFAULT_STAGE, ApiDefinition, integration_id_of

_VERBS = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "ANY")
_CORS_ORDER = ("AllowMethods", "AllowHeaders", "ExposeHeaders", "MaxAge", "AllowCredentials",
               "AllowOrigins")  # fmt: skip


def export_document(
    definition: ApiDefinition, *, region: str, stage_name: str | None, extensions: bool
) -> dict[str, Any]:
    api = cast(dict[str, Any], definition["Api"])
    info: dict[str, Any] = {"title": api["Name"]}
    if api.get("Description"):
        info["description"] = api["Description"]
    info["version"] = api.get("Version") or _created(api.get("CreatedDate"))
    base = "" if stage_name in (None, DEFAULT_STAGE) else stage_name
    server: dict[str, Any] = {
        "url": f"https://{api['ApiId']}.execute-api.{region}.amazonaws.com/{{basePath}}",
        "variables": {"basePath": {"default": base}},
    }
    if extensions and api.get("DisableExecuteApiEndpoint"):
        server[ENDPOINT_CONFIGURATION] = {"disableExecuteApiEndpoint": True}
    doc: dict[str, Any] = {"openapi": "3.0.1", "info": info, "servers": [server]}
    if extensions and api.get("Tags"):
        doc["tags"] = [{"name": k, TAG_VALUE: v} for k, v in sorted(api["Tags"].items())]
    doc["paths"] = _paths(definition, extensions)
    schemes = export_schemes(definition, extensions)
    if schemes:
        doc["components"] = {"securitySchemes": schemes}
    if extensions:
        cors = api.get("CorsConfiguration")
        if cors:
            doc[CORS] = {k[0].lower() + k[1:]: cors[k] for k in _CORS_ORDER if k in cors}
        doc[IMPORTEXPORT_VERSION] = EXPORT_VERSION
    return doc


def _created(created: Any) -> str:
    if isinstance(created, int | float):
        moment = datetime.datetime.fromtimestamp(created, datetime.UTC)
    elif isinstance(created, datetime.datetime):
        moment = created
    else:
        moment = datetime.datetime.now(datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%SUTC")


def _paths(definition: ApiDefinition, extensions: bool) -> dict[str, Any]:
    by_path: dict[str, dict[str, Any]] = {}
    for stored in definition["Routes"].values():
        route = cast(dict[str, Any], stored)
        key = route["RouteKey"]
        verb, _, path = key.partition(" ")
        if key == DEFAULT_ROUTE:
            verb, path = "ANY", DEFAULT_PATH
        operation: dict[str, Any] = {}
        if key == DEFAULT_ROUTE:
            operation["isDefaultRoute"] = True
        if route.get("OperationName"):
            operation["operationId"] = route["OperationName"]
        operation["responses"] = {"default": {"description": f"Default response for {key}"}}
        export_route_security(definition, route, operation)
        integration = definition["Integrations"].get(integration_id_of(stored) or "")
        if extensions and integration is not None:
            operation["x-amazon-apigateway-integration"] = export_integration(integration)
        if not extensions:
            operation.pop("x-amazon-apigateway-auth", None)
        by_path.setdefault(path, {})[verb] = operation
    out: dict[str, Any] = {}
    for path in sorted(by_path):
        item = {
            ANY_METHOD if verb == "ANY" else verb.lower(): by_path[path][verb]
            for verb in _VERBS
            if verb in by_path[path]
        }
        names = [s.strip("{}") for s in path.split("/") if s.startswith("{")]
        if names:
            item["parameters"] = [
                {
                    "name": name,
                    "in": "path",
                    "description": f"Generated path parameter for {name}",
                    "required": True,
                    "schema": {"type": "string"},
                }
                for name in names
            ]
        out[path] = item
    return out
