"""Deployment operations (spec §7.4).

CreateDeployment freezes the API's current definition into a deployment record
(`DeploymentStatus` DEPLOYED, `AutoDeployed` false); with `StageName` the same commit points
that stage at it and the data plane is told. Deployments that auto-deploy made are listed
alike, with `AutoDeployed` true.
"""

from __future__ import annotations

import copy
from typing import Any

from tollway.control.apigateway.documents import commit
from tollway.control.apigatewayv2.documents import (
    NO_ROUTES,
    load_api,
    load_stage,
    new_deployment,
    paginate,
    part_not_found,
    point_stage,
)
from tollway.control.errors import BadRequestException
from tollway.control.operations import Call, OperationTable
from tollway.model.http_api import V2_DEPLOYMENT_KIND, V2_STAGE_KIND
from tollway.store import Delete, Record

ops = OperationTable("apigatewayv2")


def load_deployment(call: Call, api_id: str, deployment_id: str) -> Record:
    record = call.plane.store.get(V2_DEPLOYMENT_KIND, deployment_id, api_id)
    if record is None:
        raise part_not_found("Deployment", deployment_id)
    return record


def deployment_output(record: Record) -> dict[str, Any]:
    return dict(record.body["Deployment"])


@ops("CreateDeployment")
def create_deployment(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    if not document.definition["Routes"]:
        raise BadRequestException(NO_ROUTES)
    stage_record = None
    if p.get("StageName"):
        stage_record = load_stage(call, document.api_id, p["StageName"])
    deployment = new_deployment(
        call, document.api_id, document.definition, auto=False, description=p.get("Description")
    )
    puts = [deployment]
    if stage_record is not None:
        stage = copy.deepcopy(stage_record.body)
        point_stage(call, stage, deployment.key)
        puts.append(
            Record(V2_STAGE_KIND, stage_record.key, stage, document.api_id, stage_record.version)
        )
    commit(call, puts)
    if stage_record is not None:
        call.plane.changes.api_changed(document.api_id)
    return deployment_output(deployment)


@ops("GetDeployment")
def get_deployment(call: Call) -> dict[str, Any]:
    document = load_api(call)
    return deployment_output(load_deployment(call, document.api_id, call.params["DeploymentId"]))


@ops("GetDeployments")
def get_deployments(call: Call) -> dict[str, Any]:
    document = load_api(call)
    records = call.plane.store.list(V2_DEPLOYMENT_KIND, document.api_id)
    return paginate(call, [deployment_output(r) for r in records])


@ops("UpdateDeployment")
def update_deployment(call: Call) -> dict[str, Any]:
    document = load_api(call)
    record = load_deployment(call, document.api_id, call.params["DeploymentId"])
    body = copy.deepcopy(record.body)
    if call.params.get("Description") is not None:
        body["Deployment"]["Description"] = call.params["Description"]
    updated = Record(V2_DEPLOYMENT_KIND, record.key, body, record.parent, record.version)
    commit(call, [updated])
    return deployment_output(updated)


@ops("DeleteDeployment")
def delete_deployment(call: Call) -> None:
    document = load_api(call)
    record = load_deployment(call, document.api_id, call.params["DeploymentId"])
    for stage in call.plane.store.list(V2_STAGE_KIND, document.api_id):
        if stage.body.get("DeploymentId") == record.key:
            raise BadRequestException(
                "Active stages pointing to this deployment must be moved or deleted"
            )
    commit(call, [], [Delete(V2_DEPLOYMENT_KIND, record.key, document.api_id)])
