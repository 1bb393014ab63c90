"""ImportApi (`PUT /v2/apis`), ReimportApi (`PUT /v2/apis/{apiId}`) and ExportApi
(`GET /v2/apis/{apiId}/exports/{specification}`), spec §15.

ImportApi creates an HTTP API from an OpenAPI 3.0 document (openapi_import) and answers the
Api with `Warnings` and `ImportInfo` when there are any; a refused document stores nothing.
ReimportApi rebuilds an API's definition from a document in one commit guarded by the version
it read; auto-deploying stages deploy the result in the same commit. ExportApi writes the
API's current definition, or with `StageName` what that stage serves (its deployment), as JSON
or YAML (openapi_export).

Choices where AWS's documentation is silent (messages are Tollway's):
- ImportApi and ReimportApi do not create stages (as on AWS; `tollway serve` adds one).
- ExportApi of a stage that was never deployed is refused (BadRequestException).
"""

from __future__ import annotations

import copy
from typing import Any, cast

import orjson
import yaml

from tollway.control.apigatewayv2.apis import api_output, new_api
from tollway.control.apigatewayv2.documents import ApiDocument, load_api, load_stage
from tollway.control.apigatewayv2.openapi_export import export_document
from tollway.control.apigatewayv2.openapi_import import (
    EXPORT_VERSION,
    ImportOptions,
    build,
    read,
)
from tollway.control.errors import BadRequestException
from tollway.control.operations import Call, OperationTable
from tollway.model.http_api import HTTP, V2_API_KIND, V2_DEPLOYMENT_KIND, ApiDefinition
from tollway.store import Record

ops = OperationTable("apigatewayv2")

# What a document carries: ReimportApi clears them before building from the document.
_DOCUMENT_API_FIELDS = ("CorsConfiguration", "Description", "Version")


def _options(call: Call) -> ImportOptions:
    return ImportOptions(
        region=call.plane.settings.region,
        account_id=call.plane.settings.account_id,
        basepath=call.params.get("Basepath"),
        fail_on_warnings=bool(call.params.get("FailOnWarnings")),
    )


def _output(definition: ApiDefinition, warnings: list[str], info: list[str]) -> dict[str, Any]:
    out = api_output(definition)
    if warnings:
        out["Warnings"] = warnings
    if info:
        out["ImportInfo"] = info
    return out


@ops("ImportApi")
def import_api(call: Call) -> dict[str, Any]:
    options = _options(call)
    document = read(call.params["Body"], options)
    title = document.title if document.title and document.title.strip() else "untitled"
    definition = new_api(call, {"ProtocolType": HTTP, "Name": title})
    if title == "untitled":
        definition["Api"]["Name"] = ""  # build reports the missing title
    warnings, info = build(definition, document, fail_on_warnings=options.fail_on_warnings)
    api_id = definition["Api"]["ApiId"]
    record = Record(V2_API_KIND, api_id, cast(dict[str, Any], definition))
    ApiDocument(record, definition).save(call, deploy=False)
    call.plane.changes.api_changed(api_id)
    return _output(definition, warnings, info)


@ops("ReimportApi")
def reimport_api(call: Call) -> dict[str, Any]:
    options = _options(call)
    current = load_api(call)
    if not current.is_http:
        raise BadRequestException("ReimportApi is supported only for HTTP APIs")
    document = read(call.params["Body"], options)
    api = copy.deepcopy(cast(dict[str, Any], current.api))
    for key in _DOCUMENT_API_FIELDS:
        api.pop(key, None)
    fresh = new_api(call, {"ProtocolType": HTTP, "Name": api["Name"]}, api_id=current.api_id)
    fresh["Api"] = cast(Any, api)
    warnings, info = build(fresh, document, fail_on_warnings=options.fail_on_warnings)
    current.definition = fresh
    current.save(call)  # auto-deploying stages deploy the new definition in the same commit
    return _output(fresh, warnings, info)


@ops("ExportApi")
def export_api(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    # Specification (OAS30) and OutputType (JSON, YAML) are enums the protocol checks.
    output_type = p["OutputType"]
    version = p.get("ExportVersion")
    if version not in (None, EXPORT_VERSION):
        raise BadRequestException(f"Invalid exportVersion {version}. The only version is 1.0")
    if not document.is_http:
        raise BadRequestException("ExportApi is supported only for HTTP APIs")
    definition = document.definition
    stage_name = p.get("StageName")
    if stage_name:
        stage = load_stage(call, document.api_id, stage_name)
        deployment_id = stage.body.get("DeploymentId")
        deployment = call.plane.store.get(V2_DEPLOYMENT_KIND, deployment_id or "", document.api_id)
        if deployment is None:
            raise BadRequestException(
                f"Stage {stage_name} has no deployment to export: deploy the API to it first"
            )
        definition = cast(ApiDefinition, deployment.body["Definition"])
    include = p.get("IncludeExtensions")
    exported = export_document(
        definition,
        region=call.plane.settings.region,
        stage_name=stage_name,
        extensions=include is None or bool(include),
    )
    if output_type == "YAML":
        body = yaml.safe_dump(exported, sort_keys=False).encode()
    else:
        body = orjson.dumps(exported, option=orjson.OPT_INDENT_2)
    return {"body": body}
