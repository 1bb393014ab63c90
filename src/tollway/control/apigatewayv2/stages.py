"""Stage operations (spec §7.4): `$default` and named stages, `AutoDeploy`, stage variables,
route settings (throttling and logging fields, stored: throttling is enforced by another
issue's work), access-log settings.

A stage created or updated with `AutoDeploy` is deployed at once, in the same commit; later
changes to the API deploy it again (documents.ApiDocument.save). Every change to a stage is
announced on the change feed, since it changes what the gateway serves.
"""

from __future__ import annotations

import copy
from typing import Any, cast

from tollway.control.apigateway.documents import commit
from tollway.control.apigatewayv2 import rules
from tollway.control.apigatewayv2.documents import (
    deploy_puts,
    given,
    load_api,
    load_stage,
    paginate,
    part_not_found,
    point_stage,
    stage_output,
)
from tollway.control.errors import BadRequestException, ConflictException, NotFoundException
from tollway.control.operations import Call, OperationTable
from tollway.model.http_api import V2_DEPLOYMENT_KIND, V2_STAGE_KIND, ApiDefinition
from tollway.store import Delete, Record

ops = OperationTable("apigatewayv2")

STAGE_MEMBERS = (
    "AccessLogSettings",
    "AutoDeploy",
    "ClientCertificateId",
    "DefaultRouteSettings",
    "DeploymentId",
    "Description",
    "RouteSettings",
    "StageVariables",
    "Tags",
)


def _check_stage(definition: ApiDefinition, stage: dict[str, Any]) -> None:
    rules.check_stage_name(stage["StageName"])
    rules.check_stage_variables(stage.get("StageVariables"))
    rules.check_throttling(stage.get("DefaultRouteSettings"))
    route_keys = [r["RouteKey"] for r in definition["Routes"].values()]
    rules.check_route_settings(stage.get("RouteSettings"), route_keys)
    log = stage.get("AccessLogSettings")
    if log is not None and "Format" in log and not log["Format"]:
        raise BadRequestException("Access Log value must not be empty")


def build_stage(
    call: Call, definition: ApiDefinition, fields: dict[str, Any], *, managed: bool = False
) -> dict[str, Any]:
    """A new stage with AWS's defaults, checked (not yet deployed)."""
    now = call.plane.now()
    stage: dict[str, Any] = {
        "AutoDeploy": False,
        "CreatedDate": now,
        "DefaultRouteSettings": {"DetailedMetricsEnabled": False},
        "LastUpdatedDate": now,
        "RouteSettings": {},
        "StageVariables": {},
        "Tags": {},
    }
    if managed:
        stage["ApiGatewayManaged"] = True
    stage.update(fields)
    stage["DefaultRouteSettings"] = {
        "DetailedMetricsEnabled": False,
        **(fields.get("DefaultRouteSettings") or {}),
    }
    _check_stage(definition, stage)
    return stage


def _check_deployment(call: Call, api_id: str, deployment_id: str) -> None:
    if call.plane.store.get(V2_DEPLOYMENT_KIND, deployment_id, api_id) is None:
        raise part_not_found("Deployment", deployment_id)


@ops("CreateStage")
def create_stage(call: Call) -> dict[str, Any]:
    document = load_api(call)
    fields = {"StageName": call.params["StageName"], **given(call, STAGE_MEMBERS)}
    if call.plane.store.get(V2_STAGE_KIND, fields["StageName"], document.api_id) is not None:
        raise ConflictException(f"Stage {fields['StageName']} already exists")
    if fields.get("DeploymentId"):
        if fields.get("AutoDeploy"):
            raise BadRequestException("DeploymentId cannot be set on a stage with AutoDeploy")
        _check_deployment(call, document.api_id, fields["DeploymentId"])
    stage = build_stage(call, document.definition, fields)
    record = Record(V2_STAGE_KIND, stage["StageName"], stage, document.api_id)
    if stage["AutoDeploy"]:
        puts = deploy_puts(call, document.api_id, document.definition, [record], auto=True)
    else:
        puts = [record]
    commit(call, puts)
    call.plane.changes.api_changed(document.api_id)
    return stage_output(puts[-1].body)


@ops("GetStage")
def get_stage(call: Call) -> dict[str, Any]:
    document = load_api(call)
    return stage_output(load_stage(call, document.api_id, call.params["StageName"]).body)


@ops("GetStages")
def get_stages(call: Call) -> dict[str, Any]:
    document = load_api(call)
    records = call.plane.store.list(V2_STAGE_KIND, document.api_id)
    return paginate(call, [stage_output(r.body) for r in records])


def _merge_settings(stage: dict[str, Any], changes: dict[str, Any]) -> None:
    """Route settings change per route key and per member, as AWS merges them."""
    default = changes.pop("DefaultRouteSettings", None)
    if default is not None:
        stage["DefaultRouteSettings"] = {**stage.get("DefaultRouteSettings", {}), **default}
    for key, settings in (changes.pop("RouteSettings", None) or {}).items():
        current = stage.setdefault("RouteSettings", {}).get(key, {})
        stage["RouteSettings"][key] = {**current, **settings}
    variables = changes.pop("StageVariables", None)
    if variables is not None:
        stage["StageVariables"] = {**stage.get("StageVariables", {}), **variables}


@ops("UpdateStage")
def update_stage(call: Call) -> dict[str, Any]:
    document = load_api(call)
    record = load_stage(call, document.api_id, call.params["StageName"])
    stage = copy.deepcopy(record.body)
    changes = given(call, STAGE_MEMBERS)
    deployment_id = changes.pop("DeploymentId", None)
    _merge_settings(stage, changes)
    stage.update(changes)
    _check_stage(document.definition, stage)
    stage["LastUpdatedDate"] = call.plane.now()
    if deployment_id is not None:
        if stage.get("AutoDeploy"):
            raise BadRequestException(
                "DeploymentId cannot be updated on a stage with AutoDeploy enabled"
            )
        _check_deployment(call, document.api_id, deployment_id)
        point_stage(call, stage, deployment_id)
    updated = Record(V2_STAGE_KIND, record.key, stage, record.parent, record.version)
    deploy_now = changes.get("AutoDeploy") and not record.body.get("AutoDeploy")
    if deploy_now:
        puts = deploy_puts(call, document.api_id, document.definition, [updated], auto=True)
    else:
        puts = [updated]
    commit(call, puts)
    call.plane.changes.api_changed(document.api_id)
    return stage_output(puts[-1].body)


@ops("DeleteStage")
def delete_stage(call: Call) -> None:
    document = load_api(call)
    record = load_stage(call, document.api_id, call.params["StageName"])
    commit(call, [], [Delete(V2_STAGE_KIND, record.key, document.api_id)])
    call.plane.changes.api_changed(document.api_id)


def _edit_stage(call: Call, edit: Any) -> None:
    document = load_api(call)
    record = load_stage(call, document.api_id, call.params["StageName"])
    stage = copy.deepcopy(record.body)
    edit(stage)
    stage["LastUpdatedDate"] = call.plane.now()
    commit(call, [Record(V2_STAGE_KIND, record.key, stage, record.parent, record.version)])
    call.plane.changes.api_changed(document.api_id)


@ops("DeleteRouteSettings")
def delete_route_settings(call: Call) -> None:
    key = call.params["RouteKey"]

    def edit(stage: dict[str, Any]) -> None:
        settings = stage.get("RouteSettings") or {}
        if key not in settings:
            raise NotFoundException(f"Unable to find Route by key {key} within the RouteSettings")
        del settings[key]

    _edit_stage(call, edit)


@ops("DeleteAccessLogSettings")
def delete_access_log_settings(call: Call) -> None:
    _edit_stage(call, lambda stage: cast(dict[str, Any], stage).pop("AccessLogSettings", None))
