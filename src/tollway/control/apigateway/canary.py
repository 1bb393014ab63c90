"""A REST stage's canary (spec §7.3): `Stage.canarySettings` as CreateDeployment, CreateStage
and UpdateStage set it, with AWS's messages (LocalStack's AWS-validated snapshots of
`test_apigateway_canary.py`; the non-canary deployment refusal from serverless/serverless#11518).

A canary is `{deploymentId, percentTraffic, stageVariableOverrides?, useStageCache}`; whatever
creates one fills the members it was not given as AWS does: the stage's (or the new) deployment,
0.0 percent, no stage cache. The data plane compiles it as a second stage (registry.py).

Choices where AWS's behaviour is not known (UNCONFIRMED, written down in docs/canary.md):
- a percentTraffic outside 0.0-100.0 is refused (AWS's text unknown; Tollway's own message);
- UpdateStage `replace /deploymentId` is allowed while a canary is set (AWS's documented rollback
  operation); only CreateDeployment without canarySettings is refused, with AWS's observed text;
- `remove /canarySettings/stageVariableOverrides/{name}` removes that override;
- a copy operation's error names the operation's own path and from (AWS's recorded text names
  the one pair it was recorded with).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tollway.control.apigateway.patch import split, to_bool, to_float
from tollway.control.errors import BadRequestException

CheckVariables = Callable[[Mapping[str, str] | None], None]

_COPY_PATHS = ("/deploymentId", "/variables")
_COPY_FROMS = ("/canarySettings/deploymentId", "/canarySettings/stageVariableOverrides")


def new_canary(
    deployment_id: str, settings: Mapping[str, Any], check_variables: CheckVariables
) -> dict[str, Any]:
    """A canary from DeploymentCanarySettings / CanarySettings, AWS's defaults filled in."""
    canary: dict[str, Any] = {
        "deploymentId": settings.get("deploymentId") or deployment_id,
        "percentTraffic": _percent(settings.get("percentTraffic", 0.0)),
        "useStageCache": bool(settings.get("useStageCache", False)),
    }
    overrides = settings.get("stageVariableOverrides")
    if overrides:
        check_variables(overrides)
        canary["stageVariableOverrides"] = dict(overrides)
    return canary


def check_deployment_stage(stage_name: str | None, stage_exists: bool) -> None:
    """CreateDeployment with canarySettings needs an existing stage."""
    if not stage_name:
        provided = "null" if stage_name is None else stage_name
        raise BadRequestException(
            "Invalid deployment content specified.Non null and non empty stageName must be "
            f"provided for canary deployment. Provided value is {provided}"
        )
    if not stage_exists:
        raise BadRequestException(
            f"Invalid deployment content specified.Stage {stage_name} must already be created "
            "before making a canary release deployment"
        )


def refuse_non_canary_deployment(stage: dict[str, Any]) -> None:
    """CreateDeployment without canarySettings may not repoint a stage that has a canary."""
    if stage.get("canarySettings"):
        raise BadRequestException(
            "Invalid deployment content specified.Non canary deployment not supported on stage "
            f"{stage['stageName']} because Canary is enabled. Provide CanarySettings in "
            "deploymentInput."
        )


def _percent(value: Any) -> float:
    percent = to_float(value)
    if not 0.0 <= percent <= 100.0:
        raise BadRequestException(
            f"Invalid canary percentTraffic: {value}. Must be between 0.0 and 100.0"
        )
    return percent


def patch_canary(
    stage: dict[str, Any],
    operation: dict[str, Any],
    invalid_path: BadRequestException,
    deployment_exists: Callable[[Any], None],
    check_variables: CheckVariables,
) -> None:
    """One UpdateStage operation on `/canarySettings...`; a replace creates the canary."""
    op, path, value = operation.get("op"), operation.get("path") or "", operation.get("value")
    parts = split(path)[1:]
    if op == "remove":
        _remove(stage, parts)
        return
    if op != "replace":
        if op == "add":
            raise BadRequestException(f"Invalid add operation with path: {path}")
        raise invalid_path
    member = parts[0] if parts else ""
    if member == "percentTraffic" and len(parts) == 1:
        converted: Any = _percent(value)
    elif member == "useStageCache" and len(parts) == 1:
        converted = to_bool(value)
    elif member == "deploymentId" and len(parts) == 1:
        deployment_exists(value)
        converted = value
    elif member == "stageVariableOverrides" and len(parts) == 2:
        check_variables({parts[1]: str(value)})
        canary = _canary(stage)
        canary.setdefault("stageVariableOverrides", {})[parts[1]] = value
        return
    else:
        raise invalid_path
    _canary(stage)[member] = converted


def _canary(stage: dict[str, Any]) -> dict[str, Any]:
    canary: dict[str, Any] = stage.setdefault(
        "canarySettings",
        {"deploymentId": stage["deploymentId"], "percentTraffic": 0.0, "useStageCache": False},
    )
    return canary


def _remove(stage: dict[str, Any], parts: list[str]) -> None:
    canary: dict[str, Any] = stage.get("canarySettings") or {}
    if not parts:
        stage.pop("canarySettings", None)
        return
    overrides = canary.get("stageVariableOverrides") or {}
    if len(parts) == 2 and parts[0] == "stageVariableOverrides" and parts[1] in overrides:
        del overrides[parts[1]]
        if not overrides:
            del canary["stageVariableOverrides"]
        return
    raise BadRequestException(
        f"Cannot remove method setting canarySettings/{'/'.join(parts)} because there is no "
        "method setting for this method "
    )


def copy_from_canary(stage: dict[str, Any], operation: dict[str, Any]) -> None:
    """Promotion: `copy` the canary's deployment to `/deploymentId` or its overrides into
    `/variables` (merged: overrides replace and add, the stage's other variables stay). The
    canary itself stays as it was; AWS's promotion leaves it to be removed separately."""
    path, source = operation.get("path"), operation.get("from")
    if path not in _COPY_PATHS or source not in _COPY_FROMS:
        raise BadRequestException(
            f"Invalid copy operation with path: {path} and from {source}. Valid copy:path are "
            "[/deploymentId, /variables] and valid copy:from are [/canarySettings/deploymentId, "
            "/canarySettings/stageVariableOverrides]"
        )
    canary = stage.get("canarySettings")
    if not canary:
        raise BadRequestException("Promotion not available. Canary does not exist.")
    if path == "/deploymentId":
        # copy from overrides to /deploymentId (a mismatched pair) has nothing to copy
        if source == "/canarySettings/deploymentId":
            stage["deploymentId"] = canary["deploymentId"]
        return
    if source == "/canarySettings/stageVariableOverrides":
        overrides = canary.get("stageVariableOverrides") or {}
        if overrides:
            stage["variables"] = {**stage.get("variables", {}), **overrides}
