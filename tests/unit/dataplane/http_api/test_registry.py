"""The deployment registry loads HTTP APIs from the store beside REST APIs: stages with a
deployment's snapshot, reloads on change; WebSocket APIs beside them (dataplane/websocket/)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from tests.unit.dataplane.http_api.conftest import (
    API_ID,
    FakeFunctions,
    Upstream,
    add_route,
    definition,
)

from tollway.dataplane.integrations import IntegrationServices
from tollway.dataplane.registry import DeploymentRegistry
from tollway.model import http_api
from tollway.store import Delete, Record
from tollway.store.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path: Path) -> Any:
    opened = SqliteStore(tmp_path / "store.db")
    yield opened
    opened.close()


def _registry(store: SqliteStore) -> DeploymentRegistry:
    services = IntegrationServices(Upstream(), FakeFunctions(), "us-east-1", "000000000000")
    return DeploymentRegistry(store, services)


def _put_api(store: SqliteStore, protocol: str = "HTTP") -> http_api.ApiDefinition:
    api = definition(ProtocolType=protocol)
    add_route(api, "GET /pets")
    store.commit([Record(http_api.V2_API_KIND, API_ID, dict(api))])
    return api


def _deploy(store: SqliteStore, api: http_api.ApiDefinition, deployment: str, *stages: str) -> None:
    record = {"Deployment": {"DeploymentId": deployment, "DeploymentStatus": "DEPLOYED",
                             "AutoDeployed": False, "CreatedDate": 0}, "Definition": api}  # fmt: skip
    puts = [Record(http_api.V2_DEPLOYMENT_KIND, deployment, record, API_ID)]
    for name in stages:
        existing = store.get(http_api.V2_STAGE_KIND, name, API_ID)
        body = {"StageName": name, "DeploymentId": deployment}
        puts.append(Record(http_api.V2_STAGE_KIND, name, body, API_ID,
                           existing.version if existing else 0))  # fmt: skip
    store.commit(puts)


def test_loads_named_and_default_stages_and_reloads(store: SqliteStore) -> None:
    api = _put_api(store)
    _deploy(store, api, "dep0001", "$default", "dev")
    store.commit([Record(http_api.V2_STAGE_KIND, "empty", {"StageName": "empty"}, API_ID)])
    registry = _registry(store)
    registry.load_all()
    assert registry.knows(API_ID)
    served = registry.http_api(API_ID)
    assert served is not None and served.default is not None
    assert set(served.named) == {"dev"}  # a stage without a deployment serves nothing
    assert served.default.routes.keys == ["GET /pets"]
    assert registry.lookup(API_ID, "dev") is None  # not a REST API

    add_route(api, "POST /pets")
    _deploy(store, api, "dep0002", "dev")
    registry.reload(API_ID)
    served = registry.http_api(API_ID)
    assert served is not None and served.default is not None
    assert served.named["dev"].routes.keys == ["GET /pets", "POST /pets"]
    assert served.default.routes.keys == ["GET /pets"]  # still the deployment it points at

    record = store.get(http_api.V2_API_KIND, API_ID)
    assert record is not None
    store.commit(deletes=[Delete(http_api.V2_API_KIND, API_ID)])
    registry.reload(API_ID)
    assert not registry.knows(API_ID)


def test_websocket_apis_are_served_and_warn_once(
    store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    api = _put_api(store, "WEBSOCKET")
    api["Api"]["RouteSelectionExpression"] = "$request.body.action"
    api["Routes"]["r000001"]["AuthorizationType"] = "AWS_IAM"
    api["Routes"]["r000001"]["RouteKey"] = "$connect"
    _deploy(store, api, "dep0001", "prod")
    registry = _registry(store)
    with caplog.at_level(logging.WARNING, "tollway.dataplane"):
        registry.load_all()
        registry.reload(API_ID)
    assert registry.knows(API_ID)
    assert registry.http_api(API_ID) is None
    stages = registry.websocket_api(API_ID)
    assert stages is not None and set(stages) == {"prod"}
    assert stages["prod"].connect is not None and stages["prod"].iam is not None
    assert [r.getMessage() for r in caplog.records] == [
        f"API {API_ID} stage prod (deployment dep0001): AWS_IAM authorization: no identities "
        "are configured (--identities FILE), so every request is refused"
    ]
    store.commit(deletes=[Delete(http_api.V2_API_KIND, API_ID)])
    registry.reload(API_ID)
    assert not registry.knows(API_ID) and registry.websocket_api(API_ID) is None


def test_stage_warnings_are_logged_when_loaded(
    store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    api = definition()
    add_route(api, "GET /a", ApiKeyRequired=True)
    store.commit([Record(http_api.V2_API_KIND, API_ID, dict(api))])
    _deploy(store, api, "dep0001", "$default")
    with caplog.at_level(logging.WARNING, "tollway.dataplane"):
        _registry(store).load_all()
    assert [r.getMessage() for r in caplog.records] == [
        f"API {API_ID} stage $default (deployment dep0001): ApiKeyRequired is for WebSocket "
        "routes only (HTTP APIs have no API keys on AWS): requests are let through without a "
        "key on route GET /a"
    ]
