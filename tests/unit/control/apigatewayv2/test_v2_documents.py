"""Saving v2 definitions: auto-deploy in the same commit as the change, the change feed, the
version guard that refuses racing writers with nothing half-written, and paging."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tollway.control.apigatewayv2 import operations
from tollway.control.apigatewayv2.documents import load_api, paginate
from tollway.control.errors import BadRequestException, ConflictException
from tollway.control.operations import Call, ControlPlane
from tollway.model.http_api import V2_DEPLOYMENT_KIND, V2_STAGE_KIND
from tollway.settings import Settings
from tollway.store import Record
from tollway.store.sqlite import SqliteStore

TABLE = operations()


class RecordingFeed:
    def __init__(self) -> None:
        self.changed: list[str] = []

    def subscribe(self, listener: Any) -> None:
        pass

    def api_changed(self, api_id: str) -> None:
        self.changed.append(api_id)


@pytest.fixture
def plane(tmp_path: Path) -> ControlPlane:
    return ControlPlane(SqliteStore(tmp_path / "store.db"), Settings(), RecordingFeed())


def run(plane: ControlPlane, operation: str, **params: Any) -> Any:
    return TABLE.handlers[operation](Call(plane, operation, params, {}, "req"))


def _quick(plane: ControlPlane) -> str:
    api = run(plane, "CreateApi", Name="a", ProtocolType="HTTP", Target="https://example.com")
    return str(api["ApiId"])


def test_a_change_deploys_auto_deploy_stages_in_the_same_commit(plane: ControlPlane) -> None:
    api_id = _quick(plane)
    feed = plane.changes
    assert isinstance(feed, RecordingFeed)
    feed.changed.clear()
    integration_id = next(iter(load_api_for(plane, api_id).definition["Integrations"]))
    run(
        plane,
        "CreateRoute",
        ApiId=api_id,
        RouteKey="GET /x",
        Target=f"integrations/{integration_id}",
    )
    stage = plane.store.get(V2_STAGE_KIND, "$default", api_id)
    assert stage is not None
    deployment = plane.store.get(V2_DEPLOYMENT_KIND, stage.body["DeploymentId"], api_id)
    assert deployment is not None
    snapshot_keys = [r["RouteKey"] for r in deployment.body["Definition"]["Routes"].values()]
    assert sorted(snapshot_keys) == ["$default", "GET /x"]
    assert feed.changed == [api_id]


def load_api_for(plane: ControlPlane, api_id: str) -> Any:
    return load_api(Call(plane, "GetApi", {"ApiId": api_id}, {}, "req"))


def test_a_racing_write_refuses_the_change_and_leaves_nothing(plane: ControlPlane) -> None:
    api_id = _quick(plane)
    call = Call(plane, "CreateRoute", {"ApiId": api_id}, {}, "req")
    document = load_api(call)
    document.definition["Routes"]["r1"] = {"RouteId": "r1", "RouteKey": "GET /race"}
    # Someone else changes the API between our read and our save.
    record = document.record
    plane.store.commit([Record(record.kind, record.key, record.body, version=record.version)])
    with pytest.raises(ConflictException) as refused:
        document.save(call)
    assert refused.value.message == (
        "Unable to complete operation due to concurrent modification. Please try again later."
    )
    routes = load_api_for(plane, api_id).definition["Routes"]
    assert [r["RouteKey"] for r in routes.values()] == ["$default"]
    assert len(plane.store.list(V2_DEPLOYMENT_KIND, api_id)) == 1


def test_tags_do_not_deploy(plane: ControlPlane) -> None:
    api_id = _quick(plane)
    arn = f"arn:aws:apigateway:us-east-1::/apis/{api_id}"
    run(plane, "TagResource", ResourceArn=arn, Tags={"a": "b"})
    assert len(plane.store.list(V2_DEPLOYMENT_KIND, api_id)) == 1
    assert run(plane, "GetTags", ResourceArn=arn) == {"Tags": {"a": "b"}}


def test_paginate(plane: ControlPlane) -> None:
    call = Call(plane, "GetApis", {"MaxResults": "2", "NextToken": "2"}, {}, "req")
    assert paginate(call, [1, 2, 3, 4, 5]) == {"Items": [3, 4], "NextToken": "4"}
    call.params = {}
    assert paginate(call, list(range(30)))["NextToken"] == "25"
    for params, message in (
        ({"MaxResults": "0"}, "Invalid maxResults 0: must be between 1 and 500"),
        ({"MaxResults": "x"}, "Invalid maxResults x: must be a number"),
        ({"NextToken": "zz"}, "Invalid nextToken provided"),
    ):
        call.params = params
        with pytest.raises(BadRequestException) as refused:
            paginate(call, [1])
        assert refused.value.message == message


def test_quick_create_refuses_a_target_that_is_neither_lambda_nor_url(plane: ControlPlane) -> None:
    with pytest.raises(BadRequestException):
        run(plane, "CreateApi", Name="a", ProtocolType="HTTP", Target="nowhere")
    assert run(plane, "GetApis") == {"Items": []}
