"""Stage operations: what each stage serves (a deployment) and with which settings.

Stage variables are checked as AWS checks them (spec §7.2). Other settings are stored as
given and compiled by the data plane at deployment: method throttling (throttling.py), the
stage cache (dataplane/caching.py); canary settings are checked by canary.py.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any, cast

from tollway.control.apigateway.canary import copy_from_canary, new_canary, patch_canary
from tollway.control.apigateway.documents import (
    DEPLOYMENT_KIND,
    STAGE_KIND,
    commit,
    load_api,
)
from tollway.control.apigateway.patch import split, to_bool, to_float, to_int
from tollway.control.errors import BadRequestException, ConflictException, NotFoundException
from tollway.control.operations import Call, OperationTable
from tollway.model.rest import Stage
from tollway.store import Delete, Record

ops = OperationTable("apigateway")

_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_VARIABLE_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_VARIABLE_VALUE = re.compile(r"^[A-Za-z0-9\-._~:/?#&=,]{1,512}$")
CACHE_SIZES = ("0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237")

# A new method setting starts from AWS's defaults (as GetStage shows them).
METHOD_SETTING_DEFAULTS: dict[str, Any] = {
    "metricsEnabled": False,
    "loggingLevel": "OFF",
    "dataTraceEnabled": False,
    "throttlingBurstLimit": 5000,
    "throttlingRateLimit": 10000.0,
    "cachingEnabled": False,
    "cacheTtlInSeconds": 300,
    "cacheDataEncrypted": False,
    "requireAuthorizationForCacheControl": True,
    "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER",
}
_METHOD_SETTING_PATHS: dict[tuple[str, str], tuple[str, Callable[[Any], Any]]] = {
    ("metrics", "enabled"): ("metricsEnabled", to_bool),
    ("logging", "loglevel"): ("loggingLevel", str),
    ("logging", "dataTrace"): ("dataTraceEnabled", to_bool),
    ("throttling", "burstLimit"): ("throttlingBurstLimit", to_int),
    ("throttling", "rateLimit"): ("throttlingRateLimit", to_float),
    ("caching", "enabled"): ("cachingEnabled", to_bool),
    ("caching", "ttlInSeconds"): ("cacheTtlInSeconds", to_int),
    ("caching", "dataEncrypted"): ("cacheDataEncrypted", to_bool),
    ("caching", "requireAuthorizationForCacheControl"): (
        "requireAuthorizationForCacheControl",
        to_bool,
    ),
    ("caching", "unauthorizedCacheControlHeaderStrategy"): (
        "unauthorizedCacheControlHeaderStrategy",
        str,
    ),
}
_VALID_STAGE_PATHS = (
    "/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, "
    "/clientCertificateId, /accessLogSettings, /accessLogSettings/destinationArn, "
    "/accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, "
    "/{resourcePath}/{httpMethod}/logging/dataTrace, "
    "/{resourcePath}/{httpMethod}/logging/loglevel, "
    # AWS's own list runs these three together (LocalStack's AWS-validated snapshot)
    "/{resourcePath}/{httpMethod}/throttling/burstLimit"
    "/{resourcePath}/{httpMethod}/throttling/rateLimit"
    "/{resourcePath}/{httpMethod}/caching/ttlInSeconds, "
    "/{resourcePath}/{httpMethod}/caching/enabled, "
    "/{resourcePath}/{httpMethod}/caching/dataEncrypted, "
    "/{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, "
    "/{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, "
    "/*/*/metrics/enabled, /*/*/logging/dataTrace, /*/*/logging/loglevel, "
    "/*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds, "
    "/*/*/caching/enabled, /*/*/caching/dataEncrypted, "
    "/*/*/caching/requireAuthorizationForCacheControl, "
    "/*/*/caching/unauthorizedCacheControlHeaderStrategy, /variables/{variable_name}, "
    "/tracingEnabled]"
)


def check_stage_name(name: str) -> None:
    if not _STAGE_NAME.match(name or ""):
        raise BadRequestException("Stage name only allows a-zA-Z0-9_-")


def check_variables(
    variables: Mapping[str, str] | None,
    *,
    value_pattern: re.Pattern[str] = _VARIABLE_VALUE,
    value_length: str = "1 to 512",
) -> None:
    """Stage variables' names and values (REST's limits by default; HTTP APIs pass theirs)."""
    for name, value in (variables or {}).items():
        if not _VARIABLE_NAME.match(name):
            raise BadRequestException(
                f"Stage variable name {name} must be alphanumeric or underscore, "
                "up to 64 characters"
            )
        if not value_pattern.match(value or ""):
            raise BadRequestException(
                f"Stage variable value {value} for {name} must be {value_length} characters of "
                "A-Za-z0-9-._~:/?#&=,"
            )
    if len(variables or {}) > 100:
        raise BadRequestException("A stage may have at most 100 stage variables")


def check_cache_size(size: str | None) -> None:
    if size is not None and size not in CACHE_SIZES:
        raise BadRequestException(
            f"Invalid cache cluster size specified: {size}. Valid sizes are "
            + ", ".join(CACHE_SIZES)
        )


def new_stage(
    call: Call,
    stage_name: str,
    deployment_id: str,
    *,
    description: str | None = None,
    variables: dict[str, str] | None = None,
    cache_cluster_enabled: bool | None = None,
    cache_cluster_size: str | None = None,
    tracing_enabled: bool | None = None,
    documentation_version: str | None = None,
    tags: dict[str, str] | None = None,
) -> Stage:
    check_stage_name(stage_name)
    check_variables(variables)
    check_cache_size(cache_cluster_size)
    now = call.plane.now()
    stage: dict[str, Any] = {
        "stageName": stage_name,
        "deploymentId": deployment_id,
        "createdDate": now,
        "lastUpdatedDate": now,
        "cacheClusterEnabled": bool(cache_cluster_enabled),
        "cacheClusterStatus": "AVAILABLE" if cache_cluster_enabled else "NOT_AVAILABLE",
        "methodSettings": {},
        "tracingEnabled": bool(tracing_enabled),
    }
    optional = {
        "description": description,
        "variables": dict(variables) if variables else None,
        "cacheClusterSize": cache_cluster_size or ("0.5" if cache_cluster_enabled else None),
        "documentationVersion": documentation_version,
        "tags": dict(tags) if tags else None,
    }
    stage.update({k: v for k, v in optional.items() if v is not None})
    return cast(Stage, stage)


def stage_update(
    call: Call, record: Record, *, deployment_id: str, variables: dict[str, str] | None
) -> Stage:
    """The stage CreateDeployment leaves when it repoints an existing stage."""
    check_variables(variables)
    stage = cast(Stage, copy.deepcopy(record.body))
    stage["deploymentId"] = deployment_id
    if variables:
        stage["variables"] = {**stage.get("variables", {}), **variables}
    stage["lastUpdatedDate"] = call.plane.now()
    return stage


def load_stage(call: Call, api_id: str, stage_name: str) -> Record:
    record = call.plane.store.get(STAGE_KIND, stage_name, api_id)
    if record is None:
        raise NotFoundException("Invalid Stage identifier specified")
    return record


def _deployment_exists(call: Call, api_id: str, deployment_id: str | None) -> None:
    if not deployment_id or call.plane.store.get(DEPLOYMENT_KIND, deployment_id, api_id) is None:
        raise BadRequestException("Deployment id does not exist")


@ops("CreateStage")
def create_stage(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    check_stage_name(p["stageName"])
    _deployment_exists(call, document.api_id, p.get("deploymentId"))
    canary_settings = p.get("canarySettings")
    if canary_settings and canary_settings.get("deploymentId"):
        _deployment_exists(call, document.api_id, canary_settings["deploymentId"])
    if call.plane.store.get(STAGE_KIND, p["stageName"], document.api_id) is not None:
        raise ConflictException("Stage already exists")
    stage = new_stage(
        call,
        p["stageName"],
        p["deploymentId"],
        description=p.get("description"),
        variables=p.get("variables"),
        cache_cluster_enabled=p.get("cacheClusterEnabled"),
        cache_cluster_size=p.get("cacheClusterSize"),
        tracing_enabled=p.get("tracingEnabled"),
        documentation_version=p.get("documentationVersion"),
        tags=p.get("tags"),
    )
    if canary_settings:
        stage["canarySettings"] = new_canary(p["deploymentId"], canary_settings, check_variables)
    commit(
        call,
        [Record(STAGE_KIND, p["stageName"], cast(dict[str, Any], stage), parent=document.api_id)],
    )
    call.plane.changes.api_changed(document.api_id)
    return cast(dict[str, Any], stage)


@ops("GetStage")
def get_stage(call: Call) -> dict[str, Any]:
    document = load_api(call)
    return load_stage(call, document.api_id, call.params["stageName"]).body


@ops("GetStages")
def get_stages(call: Call) -> dict[str, Any]:
    document = load_api(call)
    deployment_id = call.params.get("deploymentId")
    stages = [
        r.body
        for r in call.plane.store.list(STAGE_KIND, document.api_id)
        if not deployment_id or r.body["deploymentId"] == deployment_id
    ]
    return {"item": stages}


def _invalid_stage_path(path: str) -> BadRequestException:
    return BadRequestException(
        f"Invalid method setting path: {path}. Must be one of: [{_VALID_STAGE_PATHS}"
    )


def _patch_stage(call: Call, api_id: str, stage: dict[str, Any], operation: dict[str, Any]) -> None:
    op, path, value = operation.get("op"), operation.get("path") or "", operation.get("value")
    parts = split(path)
    head = parts[0] if parts else ""
    if op == "copy":
        copy_from_canary(stage, operation)
        return
    if head == "canarySettings":
        patch_canary(
            stage,
            operation,
            _invalid_stage_path(path),
            lambda deployment_id: _deployment_exists(call, api_id, deployment_id),
            check_variables,
        )
        return
    if (
        len(parts) == 1
        and head
        in (
            "deploymentId",
            "description",
            "cacheClusterEnabled",
            "cacheClusterSize",
            "clientCertificateId",
            "tracingEnabled",
            "documentationVersion",
        )
        and op == "replace"
    ):
        if head == "deploymentId":
            _deployment_exists(call, api_id, value)
        elif head == "cacheClusterSize":
            check_cache_size(value)
        converted = to_bool(value) if head in ("cacheClusterEnabled", "tracingEnabled") else value
        stage[head] = converted
        if head == "cacheClusterEnabled":
            stage["cacheClusterStatus"] = "AVAILABLE" if converted else "NOT_AVAILABLE"
        return
    if head == "variables" and len(parts) == 2:
        variables = stage.setdefault("variables", {})
        if op == "remove":
            variables.pop(parts[1], None)
        elif op in ("add", "replace"):
            check_variables({parts[1]: str(value)})
            variables[parts[1]] = value
        else:
            raise _invalid_stage_path(path)
        if not variables:
            del stage["variables"]
        return
    if head == "accessLogSettings":
        _patch_access_log(stage, op, parts, value, path)
        return
    if len(parts) == 4 and (parts[2], parts[3]) in _METHOD_SETTING_PATHS:
        _patch_method_setting(stage, op, parts, value, path)
        return
    if len(parts) == 2 and parts == ["*", "*"] and op == "remove":
        if "*/*" not in stage["methodSettings"]:
            raise BadRequestException(
                "Cannot remove method setting */* because there is no method setting for "
                "this method "
            )
        del stage["methodSettings"]["*/*"]
        return
    raise _invalid_stage_path(path)


def _patch_access_log(
    stage: dict[str, Any], op: Any, parts: list[str], value: Any, path: str
) -> None:
    if op == "remove" and parts == ["accessLogSettings"]:
        stage.pop("accessLogSettings", None)
        return
    if op == "replace" and len(parts) == 2 and parts[1] in ("format", "destinationArn"):
        if not value:
            raise BadRequestException("Access Log value must not be empty")
        stage.setdefault("accessLogSettings", {})[parts[1]] = value
        return
    if op == "remove" and len(parts) == 2:
        raise BadRequestException(
            f"Cannot remove method setting accessLogSettings/{parts[1]} because there is no "
            "method setting for this method "
        )
    raise BadRequestException(
        "Invalid accessLogSettings path. Must be one of : "
        "[/accessLogSettings/destinationArn, /accessLogSettings/format]"
    )


def _patch_method_setting(
    stage: dict[str, Any], op: Any, parts: list[str], value: Any, path: str
) -> None:
    # `/~1pets/GET/logging/loglevel` is keyed `~1pets/GET`; `/*/*/...` is keyed `*/*`.
    resource_key = path.split("/")[1]
    key = f"{resource_key}/{parts[1]}"
    member, convert = _METHOD_SETTING_PATHS[(parts[2], parts[3])]
    if op != "replace":
        raise _invalid_stage_path(path)
    settings = stage["methodSettings"].setdefault(key, dict(METHOD_SETTING_DEFAULTS))
    settings[member] = convert(value)
    if member == "loggingLevel" and settings[member] not in ("OFF", "ERROR", "INFO"):
        raise BadRequestException(
            f"Invalid logging level specified: {value}. Valid options are OFF, ERROR, INFO"
        )
    if member == "cacheTtlInSeconds" and not 0 <= settings[member] <= 3600:
        raise BadRequestException("Cache ttl must be between 0 and 3600 seconds")


@ops("UpdateStage")
def update_stage(call: Call) -> dict[str, Any]:
    document = load_api(call)
    record = load_stage(call, document.api_id, call.params["stageName"])
    stage = copy.deepcopy(record.body)
    for operation in call.params.get("patchOperations") or []:
        _patch_stage(call, document.api_id, stage, operation)
    stage["lastUpdatedDate"] = call.plane.now()
    commit(call, [Record(STAGE_KIND, record.key, stage, record.parent, record.version)])
    call.plane.changes.api_changed(document.api_id)
    return stage


@ops("DeleteStage")
def delete_stage(call: Call) -> None:
    document = load_api(call)
    record = load_stage(call, document.api_id, call.params["stageName"])
    commit(call, [], [Delete(STAGE_KIND, record.key, document.api_id)])
    call.plane.changes.api_changed(document.api_id)
