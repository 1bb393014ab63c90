"""REST canary releases end to end (spec §7.3): boto3 sets the canary up (CreateDeployment,
CreateStage, UpdateStage), httpx counts which release answers.

Each release's MOCK answers with its own message, the stage variable `testVar`, and
`$context.isCanaryRequest` / `$context.deploymentId`, so a response says who served it.
AWS's messages are from LocalStack's AWS-validated snapshots (test_apigateway_canary.py) and,
for the non-canary deployment, serverless/serverless#11518.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    Server,
    access_log_entries,
    aws_error,
    deploy,
    mock_method,
    new_api,
    shape,
)

TEMPLATE = (
    '{"message": "%s", "variable": "$stageVariables.testVar", '
    '"extra": "$stageVariables.extra", "isCanary": "$context.isCanaryRequest", '
    '"deploymentId": "$context.deploymentId"}'
)
_METHOD = "/{resourcePath}/{httpMethod}/"
_CACHING = ("enabled", "dataEncrypted", "requireAuthorizationForCacheControl",
            "unauthorizedCacheControlHeaderStrategy")  # fmt: skip
# AWS's list as recorded, its irregular separators included (three paths run together, two
# separated by a space only)
INVALID_PATH_LIST = "Must be one of: [" + ", ".join([
    "/deploymentId", "/description", "/cacheClusterEnabled", "/cacheClusterSize",
    "/clientCertificateId", "/accessLogSettings", "/accessLogSettings/destinationArn",
    "/accessLogSettings/format",
    *(_METHOD + p for p in ("metrics/enabled", "logging/dataTrace", "logging/loglevel")),
    "".join(_METHOD + p for p in ("throttling/burstLimit", "throttling/rateLimit",
                                  "caching/ttlInSeconds")),
    *(_METHOD + "caching/" + p for p in _CACHING),
    "/*/*/metrics/enabled", "/*/*/logging/dataTrace", "/*/*/logging/loglevel",
    "/*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds",
    *("/*/*/caching/" + p for p in _CACHING),
    "/variables/{variable_name}", "/tracingEnabled",
]) + "]"  # fmt: skip


def bad_request(message: str) -> tuple[int, str, str]:
    return (400, "BadRequestException", message)


class Releases:
    """An API whose `GET /` answers with the release's message; `release(msg)` changes it
    (for the next deployment)."""

    def __init__(self, apigw: Any) -> None:
        self.apigw = apigw
        self.api_id, self.root = new_api(apigw, "canary")
        mock_method(apigw, self.api_id, self.root, "GET", TEMPLATE % "v1")

    def release(self, message: str) -> None:
        self.apigw.update_integration_response(
            restApiId=self.api_id,
            resourceId=self.root,
            httpMethod="GET",
            statusCode="200",
            patchOperations=[
                {
                    "op": "replace",
                    "path": "/responseTemplates/application~1json",
                    "value": TEMPLATE % message,
                }
            ],
        )

    def stage(self, name: str = "prod") -> dict[str, Any]:
        return shape(self.apigw.get_stage(restApiId=self.api_id, stageName=name))

    def update(self, *operations: dict[str, str], stage: str = "prod") -> dict[str, Any]:
        return shape(
            self.apigw.update_stage(
                restApiId=self.api_id, stageName=stage, patchOperations=list(operations)
            )
        )

    def update_error(self, *operations: dict[str, str]) -> tuple[int, str, str]:
        return aws_error(
            self.apigw.update_stage,
            restApiId=self.api_id,
            stageName="prod",
            patchOperations=list(operations),
        )


@pytest.fixture
def releases(apigw: Any) -> Releases:
    return Releases(apigw)


def answers(server: Server, http: httpx.Client, api_id: str, count: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(count):
        response = http.get(server.url(api_id, "prod"))
        assert response.status_code == 200
        out.append(response.json())
    return out


def with_canary(releases: Releases, percent: float, **settings: Any) -> tuple[str, str]:
    """v1 deployed to `prod` (testVar=default), v2 created as its canary: (v1 id, v2 id)."""
    apigw = releases.apigw
    v1 = deploy(apigw, releases.api_id, "prod", variables={"testVar": "default"})
    releases.release("v2")
    canary = {"percentTraffic": percent, **settings}
    v2 = deploy(apigw, releases.api_id, "prod", canarySettings=canary)
    return v1, v2


def test_create_deployment_with_canary_settings_splits_traffic(
    server: Server, http: httpx.Client, releases: Releases
) -> None:
    v1, v2 = with_canary(
        releases, 25, stageVariableOverrides={"testVar": "canary", "extra": "only-canary"}
    )
    stage = releases.stage()
    assert stage["deploymentId"] == v1  # the stage keeps its deployment
    assert stage["canarySettings"] == {
        "deploymentId": v2,
        "percentTraffic": 25.0,
        "stageVariableOverrides": {"testVar": "canary", "extra": "only-canary"},
        "useStageCache": False,
    }
    assert stage["variables"] == {"testVar": "default"}
    production = {
        "message": "v1",
        "variable": "default",
        "extra": "",
        "isCanary": "false",
        "deploymentId": v1,
    }
    canary = {
        "message": "v2",
        "variable": "canary",
        "extra": "only-canary",
        "isCanary": "true",
        "deploymentId": v2,
    }
    seen = answers(server, http, releases.api_id, 400)
    assert all(answer in (production, canary) for answer in seen)
    # 25 % of 400 is 100; the band is over 6 standard deviations (8.7) wide on each side
    assert 60 <= seen.count(canary) <= 140


def test_canary_by_update_stage_at_0_and_100_percent(
    server: Server, http: httpx.Client, releases: Releases
) -> None:
    v1 = deploy(releases.apigw, releases.api_id, "prod", variables={"testVar": "default"})
    releases.release("v2")
    v2 = str(releases.apigw.create_deployment(restApiId=releases.api_id)["id"])
    stage = releases.update({"op": "replace", "path": "/canarySettings/deploymentId", "value": v2})
    assert stage["deploymentId"] == v1
    assert stage["canarySettings"] == {
        "deploymentId": v2,
        "percentTraffic": 0.0,
        "useStageCache": False,
    }
    assert {a["message"] for a in answers(server, http, releases.api_id, 30)} == {"v1"}

    stage = releases.update(
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "100.0"},
        {"op": "replace", "path": "/canarySettings/stageVariableOverrides/testVar", "value": "c"},
        {"op": "replace", "path": "/canarySettings/useStageCache", "value": "true"},
    )
    assert stage["canarySettings"] == {
        "deploymentId": v2,
        "percentTraffic": 100.0,
        "stageVariableOverrides": {"testVar": "c"},
        "useStageCache": True,
    }
    seen = answers(server, http, releases.api_id, 30)
    assert {(a["message"], a["variable"], a["isCanary"]) for a in seen} == {("v2", "c", "true")}

    stage = releases.update(
        {"op": "remove", "path": "/canarySettings/stageVariableOverrides/testVar"}
    )
    assert "stageVariableOverrides" not in stage["canarySettings"]
    seen = answers(server, http, releases.api_id, 5)
    assert {(a["message"], a["variable"]) for a in seen} == {("v2", "default")}


def test_a_replace_on_a_stage_without_canary_starts_from_awss_defaults(
    releases: Releases,
) -> None:
    v1 = deploy(releases.apigw, releases.api_id, "prod")
    stage = releases.update(
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "50"}
    )
    assert stage["canarySettings"] == {
        "deploymentId": v1,
        "percentTraffic": 50.0,
        "useStageCache": False,
    }
    assert "canarySettings" not in releases.update({"op": "remove", "path": "/canarySettings"})
    assert "canarySettings" not in releases.stage()


def test_promotion_then_removal(server: Server, http: httpx.Client, releases: Releases) -> None:
    v1, v2 = with_canary(releases, 10, stageVariableOverrides={"testVar": "canary", "extra": "x"})
    # AWS's documented promotion: traffic to 0, the canary's deployment and variables copied
    stage = releases.update(
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "0.0"},
        {"op": "copy", "from": "/canarySettings/deploymentId", "path": "/deploymentId"},
        {"op": "copy", "from": "/canarySettings/stageVariableOverrides", "path": "/variables"},
    )
    assert stage["deploymentId"] == v2
    assert stage["variables"] == {"testVar": "canary", "extra": "x"}
    # promotion does not disable the canary
    assert stage["canarySettings"] == {
        "deploymentId": v2,
        "percentTraffic": 0.0,
        "stageVariableOverrides": {"testVar": "canary", "extra": "x"},
        "useStageCache": False,
    }
    seen = answers(server, http, releases.api_id, 30)
    assert {(a["message"], a["variable"], a["isCanary"]) for a in seen} == {
        ("v2", "canary", "false")
    }
    # the old deployment is no longer served: it may go
    releases.apigw.delete_deployment(restApiId=releases.api_id, deploymentId=v1)
    stage = releases.update({"op": "remove", "path": "/canarySettings"})
    assert "canarySettings" not in stage
    # without a canary, a plain deployment repoints the stage again
    releases.release("v3")
    v3 = deploy(releases.apigw, releases.api_id, "prod")
    assert releases.stage()["deploymentId"] == v3
    assert {a["message"] for a in answers(server, http, releases.api_id, 5)} == {"v3"}


def test_create_stage_with_canary_settings(releases: Releases) -> None:
    apigw = releases.apigw
    v1 = str(apigw.create_deployment(restApiId=releases.api_id)["id"])
    releases.release("v2")
    v2 = str(apigw.create_deployment(restApiId=releases.api_id)["id"])
    created = shape(
        apigw.create_stage(
            restApiId=releases.api_id,
            stageName="prod",
            deploymentId=v1,
            description="prod stage",
            variables={"testVar": "default"},
            canarySettings={
                "deploymentId": v2,
                "percentTraffic": 50,
                "stageVariableOverrides": {"testVar": "canary"},
            },
        )
    )
    created.pop("createdDate"), created.pop("lastUpdatedDate")
    assert created == {
        "stageName": "prod",
        "deploymentId": v1,
        "description": "prod stage",
        "cacheClusterEnabled": False,
        "cacheClusterStatus": "NOT_AVAILABLE",
        "methodSettings": {},
        "tracingEnabled": False,
        "variables": {"testVar": "default"},
        "canarySettings": {
            "deploymentId": v2,
            "percentTraffic": 50.0,
            "stageVariableOverrides": {"testVar": "canary"},
            "useStageCache": False,
        },
    }
    stages = apigw.get_stages(restApiId=releases.api_id)["item"]
    assert [s["canarySettings"] for s in stages] == [created["canarySettings"]]
    # without a deployment of its own the canary serves the stage's
    other = apigw.create_stage(
        restApiId=releases.api_id,
        stageName="other",
        deploymentId=v1,
        canarySettings={"percentTraffic": 40},
    )
    assert other["canarySettings"] == {
        "deploymentId": v1,
        "percentTraffic": 40.0,
        "useStageCache": False,
    }
    assert aws_error(
        apigw.create_stage,
        restApiId=releases.api_id,
        stageName="dev3",
        deploymentId=v1,
        canarySettings={"deploymentId": "deploy"},
    ) == bad_request("Deployment id does not exist")


def test_isCanaryRequest_in_the_access_log(
    server: Server, http: httpx.Client, releases: Releases
) -> None:
    apigw = releases.apigw
    deploy(apigw, releases.api_id, "prod")
    marker = releases.api_id
    log_format = json.dumps(
        {"api": "$context.apiId", "canary": "$context.isCanaryRequest", "id": "$context.requestId"}
    )
    releases.update(
        {"op": "replace", "path": "/accessLogSettings/format", "value": log_format},
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "100"},
    )
    assert http.get(server.url(releases.api_id, "prod")).status_code == 200
    releases.update({"op": "replace", "path": "/canarySettings/percentTraffic", "value": "0"})
    assert http.get(server.url(releases.api_id, "prod")).status_code == 200
    entries = access_log_entries(server, marker, 2)
    assert [(e["api"], e["canary"]) for e in entries] == [(marker, "true"), (marker, "false")]


def test_canary_deployment_errors(releases: Releases) -> None:
    apigw, api_id = releases.apigw, releases.api_id
    canary = {"percentTraffic": 50, "stageVariableOverrides": {"testVar": "canary"}}
    assert aws_error(
        apigw.create_deployment, restApiId=api_id, canarySettings=canary
    ) == bad_request(
        "Invalid deployment content specified.Non null and non empty stageName must be provided "
        "for canary deployment. Provided value is null"
    )
    assert aws_error(
        apigw.create_deployment, restApiId=api_id, stageName="non-existing", canarySettings=canary
    ) == bad_request(
        "Invalid deployment content specified.Stage non-existing must already be created before "
        "making a canary release deployment"
    )
    assert apigw.get_deployments(restApiId=api_id)["items"] == []
    v1, v2 = with_canary(releases, 50)
    assert aws_error(apigw.create_deployment, restApiId=api_id, stageName="prod") == bad_request(
        "Invalid deployment content specified.Non canary deployment not supported on stage prod "
        "because Canary is enabled. Provide CanarySettings in deploymentInput."
    )
    for deployment_id in (v1, v2):
        assert aws_error(
            apigw.delete_deployment, restApiId=api_id, deploymentId=deployment_id
        ) == bad_request("Active stages pointing to this deployment must be moved or deleted")
    # another canary deployment replaces the canary; the stage still serves v1
    v3 = deploy(apigw, api_id, "prod", canarySettings={"percentTraffic": 5})
    stage = releases.stage()
    assert (stage["deploymentId"], stage["canarySettings"]["deploymentId"]) == (v1, v3)
    apigw.delete_deployment(restApiId=api_id, deploymentId=v2)


def test_update_stage_canary_errors(releases: Releases) -> None:
    deploy(releases.apigw, releases.api_id, "prod")
    # no canary yet: nothing to promote
    assert releases.update_error(
        {"op": "copy", "from": "/canarySettings/deploymentId", "path": "/deploymentId"}
    ) == bad_request("Promotion not available. Canary does not exist.")
    assert releases.update_error(
        {"op": "add", "path": "/canarySettings/deploymentId", "value": "x"}
    ) == bad_request("Invalid add operation with path: /canarySettings/deploymentId")
    assert releases.update_error(
        {"op": "replace", "path": "/canarySettings/deploymentId", "value": "deploy"}
    ) == bad_request("Deployment id does not exist")
    assert "canarySettings" not in releases.stage()
    releases.update({"op": "replace", "path": "/canarySettings/percentTraffic", "value": "5"})
    for path in ("stageVariableOverrides", "badPath"):
        assert releases.update_error(
            {"op": "remove", "path": f"/canarySettings/{path}"}
        ) == bad_request(
            f"Cannot remove method setting canarySettings/{path} because there is no method "
            "setting for this method "
        )
    for path in ("/canarySettings", "/canarySettings/badPath"):
        assert releases.update_error({"op": "replace", "path": path, "value": "x"}) == (
            bad_request(f"Invalid method setting path: {path}. {INVALID_PATH_LIST}")
        )
    assert releases.update_error(
        {"op": "copy", "path": "/canarySettings/stageVariableOverrides", "from": "/variables"}
    ) == bad_request(
        "Invalid copy operation with path: /canarySettings/stageVariableOverrides and from "
        "/variables. Valid copy:path are [/deploymentId, /variables] and valid copy:from are "
        "[/canarySettings/deploymentId, /canarySettings/stageVariableOverrides]"
    )
    # a failed update changes nothing
    assert releases.stage()["canarySettings"]["percentTraffic"] == 5.0


def test_openapi_export_is_the_stages_deployment(releases: Releases) -> None:
    v1, _ = with_canary(releases, 100)
    exported = releases.apigw.get_export(
        restApiId=releases.api_id, stageName="prod", exportType="oas30",
        parameters={"extensions": "integrations"}, accepts="application/json",
    )  # fmt: skip
    document = json.loads(exported["body"].read())
    responses = document["paths"]["/"]["get"]["x-amazon-apigateway-integration"]["responses"]
    assert responses["default"]["responseTemplates"] == {"application/json": TEMPLATE % "v1"}
    assert v1 == releases.stage()["deploymentId"]
