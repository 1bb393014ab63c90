"""Deployment operations and GetExport.

CreateDeployment freezes the API's current definition into an immutable Deployment record
(the deployment and its frozen copy are written in the same commit as the stage that points
at it), then tells the data plane the API changed so it compiles what the stage now serves.
"""

from __future__ import annotations

import copy
from typing import Any, cast

import orjson
import yaml

from tollway.control.apigateway.canary import (
    check_deployment_stage,
    new_canary,
    refuse_non_canary_deployment,
)
from tollway.control.apigateway.documents import (
    DEPLOYMENT_KIND,
    STAGE_KIND,
    commit,
    load_api,
    paginate,
)
from tollway.control.apigateway.openapi_export import export_document
from tollway.control.apigateway.patch import PatchRule, apply_patches
from tollway.control.apigateway.stages import check_variables, load_stage, new_stage, stage_update
from tollway.control.errors import BadRequestException, NotFoundException
from tollway.control.operations import Call, OperationTable
from tollway.model import ids
from tollway.model.rest import Deployment, DeploymentRecord, RestApiDefinition, resource_path
from tollway.store import Delete, Record

ops = OperationTable("apigateway")


def _api_summary(definition: RestApiDefinition) -> dict[str, dict[str, dict[str, Any]]]:
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    resources = definition["resources"]
    for resource in resources.values():
        methods = resource.get("resourceMethods") or {}
        if methods:
            summary[resource_path(resources, resource["id"])] = {
                verb: {
                    "authorizationType": m["authorizationType"],
                    "apiKeyRequired": m["apiKeyRequired"],
                }
                for verb, m in methods.items()
            }
    return summary


def _check_deployable(definition: RestApiDefinition) -> None:
    methods = [
        m
        for r in definition["resources"].values()
        for m in (r.get("resourceMethods") or {}).values()
    ]
    if not methods:
        raise BadRequestException("The REST API doesn't contain any methods")
    if any("methodIntegration" not in m for m in methods):
        raise BadRequestException("No integration defined for method")


def load_deployment(call: Call, api_id: str, deployment_id: str) -> Record:
    record = call.plane.store.get(DEPLOYMENT_KIND, deployment_id, api_id)
    if record is None:
        raise NotFoundException("Invalid Deployment identifier specified")
    return record


def deployment_output(record: Record, *, embed_summary: bool = False) -> dict[str, Any]:
    deployment = dict(record.body["deployment"])
    if not embed_summary:
        deployment.pop("apiSummary", None)
    return deployment


@ops("CreateDeployment")
def create_deployment(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    canary_settings = p.get("canarySettings")
    stage_name = p.get("stageName")
    existing = call.plane.store.get(STAGE_KIND, stage_name, document.api_id) if stage_name else None
    if canary_settings is not None:
        check_deployment_stage(stage_name, existing is not None)
    elif existing is not None:
        refuse_non_canary_deployment(existing.body)
    definition = document.definition
    _check_deployable(definition)
    deployment: Deployment = {
        "id": ids.short_id(),
        "createdDate": call.plane.now(),
        "apiSummary": _api_summary(definition),
    }
    if p.get("description") is not None:
        deployment["description"] = p["description"]
    body: DeploymentRecord = {"deployment": deployment, "definition": definition}
    puts = [
        Record(
            DEPLOYMENT_KIND, deployment["id"], cast(dict[str, Any], body), parent=document.api_id
        )
    ]
    if stage_name:
        if existing is None:
            stage = new_stage(
                call,
                stage_name,
                deployment["id"],
                description=p.get("stageDescription"),
                variables=p.get("variables"),
                cache_cluster_enabled=p.get("cacheClusterEnabled"),
                cache_cluster_size=p.get("cacheClusterSize"),
                tracing_enabled=p.get("tracingEnabled"),
            )
            puts.append(
                Record(STAGE_KIND, stage_name, cast(dict[str, Any], stage), parent=document.api_id)
            )
        elif canary_settings is not None:
            # the new deployment is the canary's; the stage keeps serving its own
            stage = stage_update(
                call,
                existing,
                deployment_id=existing.body["deploymentId"],
                variables=p.get("variables"),
            )
            stage["canarySettings"] = new_canary(deployment["id"], canary_settings, check_variables)
        else:
            stage = stage_update(
                call, existing, deployment_id=deployment["id"], variables=p.get("variables")
            )
        if existing is not None:
            puts.append(
                Record(
                    STAGE_KIND,
                    stage_name,
                    cast(dict[str, Any], stage),
                    parent=document.api_id,
                    version=existing.version,
                )
            )
    commit(call, puts)
    if stage_name:
        call.plane.changes.api_changed(document.api_id)
    return deployment_output(puts[0])


def _embeds_summary(call: Call) -> bool:
    return "apisummary" in (call.params.get("embed") or [])


@ops("GetDeployment")
def get_deployment(call: Call) -> dict[str, Any]:
    load_api(call)
    record = load_deployment(call, call.params["restApiId"], call.params["deploymentId"])
    return deployment_output(record, embed_summary=_embeds_summary(call))


@ops("GetDeployments")
def get_deployments(call: Call) -> dict[str, Any]:
    document = load_api(call)
    records = call.plane.store.list(DEPLOYMENT_KIND, document.api_id)
    return paginate(call, [deployment_output(r) for r in records])


@ops("UpdateDeployment")
def update_deployment(call: Call) -> dict[str, Any]:
    document = load_api(call)
    record = load_deployment(call, document.api_id, call.params["deploymentId"])
    body = copy.deepcopy(record.body)
    apply_patches(
        body["deployment"],
        call.params.get("patchOperations") or [],
        [PatchRule.value("description")],
    )
    commit(call, [Record(DEPLOYMENT_KIND, record.key, body, record.parent, record.version)])
    return deployment_output(Record(DEPLOYMENT_KIND, record.key, body, record.parent))


@ops("DeleteDeployment")
def delete_deployment(call: Call) -> None:
    document = load_api(call)
    record = load_deployment(call, document.api_id, call.params["deploymentId"])
    for stage in call.plane.store.list(STAGE_KIND, document.api_id):
        canary = stage.body.get("canarySettings") or {}
        # a canary's deployment is served as much as the stage's (UNCONFIRMED: same message)
        if record.key in (stage.body["deploymentId"], canary.get("deploymentId")):
            raise BadRequestException(
                "Active stages pointing to this deployment must be moved or deleted"
            )
    commit(call, [], [Delete(DEPLOYMENT_KIND, record.key, document.api_id)])


@ops("GetExport")
def get_export(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    stage = load_stage(call, document.api_id, p["stageName"])
    deployment = load_deployment(call, document.api_id, stage.body["deploymentId"])
    export_type = p["exportType"]
    if export_type not in ("oas30", "swagger"):
        raise BadRequestException(
            f"Invalid export type specified: {export_type}. Valid types are oas30, swagger"
        )
    extensions = [
        e.strip() for e in (p.get("parameters") or {}).get("extensions", "").split(",") if e.strip()
    ]
    exported = export_document(
        cast(RestApiDefinition, deployment.body["definition"]),
        stage_name=p["stageName"],
        export_type=export_type,
        extensions=extensions,
        region=call.plane.settings.region,
    )
    accepts = p.get("accepts") or ""
    if "yaml" in accepts:
        body = yaml.safe_dump(exported, sort_keys=False).encode()
        content_type, suffix = "application/yaml", "yaml"
    else:
        body = orjson.dumps(exported, option=orjson.OPT_INDENT_2)
        json_asked = "application/json" in accepts
        content_type = "application/json" if json_asked else "application/octet-stream"
        suffix = "json"
    name = f"{document.api_id}-{p['stageName']}-{export_type}.{suffix}"
    return {
        "contentType": content_type,
        "contentDisposition": f'attachment; filename="{name}"',
        "body": body,
    }
