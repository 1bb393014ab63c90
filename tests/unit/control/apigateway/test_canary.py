"""A stage's canary settings (control/apigateway/canary.py): AWS's defaults, UpdateStage's
`/canarySettings` paths, promotion by copy, and AWS's messages (spec §7.3)."""

from __future__ import annotations

from typing import Any

import pytest

from tollway.control.apigateway.canary import (
    check_deployment_stage,
    copy_from_canary,
    new_canary,
    patch_canary,
    refuse_non_canary_deployment,
)
from tollway.control.apigateway.stages import check_variables
from tollway.control.errors import BadRequestException

INVALID = BadRequestException("Invalid method setting path")


def _stage(**extra: Any) -> dict[str, Any]:
    return {"stageName": "prod", "deploymentId": "d1", "variables": {"a": "1"}, **extra}


def _exists(deployment_id: Any) -> None:
    if deployment_id != "d2":
        raise BadRequestException("Deployment id does not exist")


def _patch(stage: dict[str, Any], **operation: Any) -> None:
    patch_canary(stage, operation, INVALID, _exists, check_variables)


def _message(call: Any, *args: Any) -> str:
    with pytest.raises(BadRequestException) as info:
        call(*args)
    return info.value.message


def test_new_canary_fills_awss_defaults() -> None:
    assert new_canary("d2", {}, check_variables) == {
        "deploymentId": "d2",
        "percentTraffic": 0.0,
        "useStageCache": False,
    }
    given = {"deploymentId": "d3", "percentTraffic": 12, "useStageCache": True,
             "stageVariableOverrides": {"a": "2"}}  # fmt: skip
    assert new_canary("d2", given, check_variables) == {
        "deploymentId": "d3",
        "percentTraffic": 12.0,
        "useStageCache": True,
        "stageVariableOverrides": {"a": "2"},
    }


def test_new_canary_checks_percent_and_overrides() -> None:
    assert _message(new_canary, "d2", {"percentTraffic": 100.5}, check_variables) == (
        "Invalid canary percentTraffic: 100.5. Must be between 0.0 and 100.0"
    )
    assert "must be alphanumeric" in _message(
        new_canary, "d2", {"stageVariableOverrides": {"a-b": "1"}}, check_variables
    )


def test_create_deployment_needs_an_existing_stage() -> None:
    assert _message(check_deployment_stage, None, False) == (
        "Invalid deployment content specified.Non null and non empty stageName must be provided "
        "for canary deployment. Provided value is null"
    )
    assert _message(check_deployment_stage, "dev", False) == (
        "Invalid deployment content specified.Stage dev must already be created before making a "
        "canary release deployment"
    )
    check_deployment_stage("dev", True)
    refuse_non_canary_deployment(_stage())
    assert _message(refuse_non_canary_deployment, _stage(canarySettings={"x": 1})) == (
        "Invalid deployment content specified.Non canary deployment not supported on stage prod "
        "because Canary is enabled. Provide CanarySettings in deploymentInput."
    )


def test_a_replace_creates_the_canary_on_the_stages_deployment() -> None:
    stage = _stage()
    _patch(stage, op="replace", path="/canarySettings/stageVariableOverrides/a", value="9")
    assert stage["canarySettings"] == {"deploymentId": "d1", "percentTraffic": 0.0,
                                       "useStageCache": False,
                                       "stageVariableOverrides": {"a": "9"}}  # fmt: skip
    _patch(stage, op="replace", path="/canarySettings/deploymentId", value="d2")
    _patch(stage, op="replace", path="/canarySettings/percentTraffic", value="33.5")
    _patch(stage, op="replace", path="/canarySettings/useStageCache", value="true")
    assert stage["canarySettings"] == {"deploymentId": "d2", "percentTraffic": 33.5,
                                       "useStageCache": True,
                                       "stageVariableOverrides": {"a": "9"}}  # fmt: skip
    _patch(stage, op="remove", path="/canarySettings/stageVariableOverrides/a")
    assert "stageVariableOverrides" not in stage["canarySettings"]
    _patch(stage, op="remove", path="/canarySettings")
    assert "canarySettings" not in stage


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ({"op": "add", "path": "/canarySettings/deploymentId", "value": "d2"},
         "Invalid add operation with path: /canarySettings/deploymentId"),
        ({"op": "remove", "path": "/canarySettings/badPath"},
         "Cannot remove method setting canarySettings/badPath because there is no method "
         "setting for this method "),
        ({"op": "remove", "path": "/canarySettings/stageVariableOverrides"},
         "Cannot remove method setting canarySettings/stageVariableOverrides because there is "
         "no method setting for this method "),
        ({"op": "replace", "path": "/canarySettings", "value": "x"},
         "Invalid method setting path"),
        ({"op": "replace", "path": "/canarySettings/badPath", "value": "x"},
         "Invalid method setting path"),
        ({"op": "move", "path": "/canarySettings/percentTraffic", "from": "/x"},
         "Invalid method setting path"),
        ({"op": "replace", "path": "/canarySettings/deploymentId", "value": "nope"},
         "Deployment id does not exist"),
        ({"op": "replace", "path": "/canarySettings/useStageCache", "value": "yes"},
         "Invalid boolean value: yes"),
    ],
)  # fmt: skip
def test_refused_canary_operations(operation: dict[str, Any], message: str) -> None:
    stage = _stage(canarySettings={"deploymentId": "d1", "percentTraffic": 5.0})
    with pytest.raises(BadRequestException) as info:
        patch_canary(stage, operation, INVALID, _exists, check_variables)
    assert info.value.message == message


def test_promotion_copies_the_deployment_and_merges_the_overrides() -> None:
    canary = {"deploymentId": "d2", "percentTraffic": 0.0, "useStageCache": False,
              "stageVariableOverrides": {"a": "2", "b": "3"}}  # fmt: skip
    stage = _stage(canarySettings=dict(canary), variables={"a": "1", "c": "4"})
    copy_from_canary(stage, {"op": "copy", "from": "/canarySettings/deploymentId",
                             "path": "/deploymentId"})  # fmt: skip
    copy_from_canary(stage, {"op": "copy", "from": "/canarySettings/stageVariableOverrides",
                             "path": "/variables"})  # fmt: skip
    assert stage["deploymentId"] == "d2"
    assert stage["variables"] == {"a": "2", "b": "3", "c": "4"}
    assert stage["canarySettings"] == canary  # promotion leaves the canary as it was


def test_copy_errors() -> None:
    assert _message(
        copy_from_canary, _stage(), {"op": "copy", "from": "/canarySettings/deploymentId",
                                     "path": "/deploymentId"}
    ) == "Promotion not available. Canary does not exist."  # fmt: skip
    assert _message(
        copy_from_canary, _stage(), {"op": "copy", "from": "/deploymentId",
                                     "path": "/canarySettings/deploymentId"}
    ) == (
        "Invalid copy operation with path: /canarySettings/deploymentId and from /deploymentId. "
        "Valid copy:path are [/deploymentId, /variables] and valid copy:from are "
        "[/canarySettings/deploymentId, /canarySettings/stageVariableOverrides]"
    )  # fmt: skip
