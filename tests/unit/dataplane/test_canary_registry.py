"""The registry compiles a REST stage's canary as a stage of its own and picks it per request
for its share (dataplane/registry.py, spec §7.3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.unit.dataplane.conftest import definition, services

from tollway.dataplane.registry import DeploymentRegistry
from tollway.model.rest import plain_stage
from tollway.store import Record
from tollway.store.sqlite import SqliteStore

API = "abc1234567"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "store.db")
    yield opened
    opened.close()


def _load(store: SqliteStore, canary: dict[str, Any] | None) -> DeploymentRegistry:
    api = definition()
    records = [Record("restapi", API, dict(api))]
    for deployment in ("d1", "d2"):
        body = {"deployment": {"id": deployment, "createdDate": 0}, "definition": api}
        records.append(Record("deployment", deployment, body, API))
    stage: dict[str, Any] = dict(plain_stage("prod", "d1", {"a": "1", "b": "1"}))
    if canary is not None:
        stage["canarySettings"] = canary
    records.append(Record("stage", "prod", stage, API))
    store.commit(records)
    registry = DeploymentRegistry(store, services())
    registry.load_all()
    return registry


def test_a_stage_without_canary_is_served_as_compiled(store: SqliteStore) -> None:
    registry = _load(store, None)
    stage = registry.lookup(API, "prod")
    assert stage is not None
    assert (stage.canary, stage.is_canary, stage.deployment_id) == (None, False, "d1")


def test_the_canary_is_its_own_stage_with_overridden_variables(store: SqliteStore) -> None:
    canary = {"deploymentId": "d2", "percentTraffic": 100.0, "useStageCache": True,
              "stageVariableOverrides": {"b": "2", "c": "3"}}  # fmt: skip
    registry = _load(store, canary)
    picked = registry.lookup(API, "prod")
    assert picked is not None
    assert (picked.deployment_id, picked.is_canary, picked.use_stage_cache) == ("d2", True, True)
    assert picked.variables == {"a": "1", "b": "2", "c": "3"}
    assert picked.stage_name == "prod"


def test_zero_percent_never_picks_the_canary(store: SqliteStore) -> None:
    canary = {"deploymentId": "d2", "percentTraffic": 0.0, "useStageCache": False}
    registry = _load(store, canary)
    picked = {registry.lookup(API, "prod").deployment_id for _ in range(200)}  # type: ignore[union-attr]
    assert picked == {"d1"}


def test_a_canary_on_a_missing_deployment_leaves_the_stage_serving(
    store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    registry = _load(store, {"deploymentId": "gone", "percentTraffic": 50.0})
    stage = registry.lookup(API, "prod")
    assert stage is not None and (stage.deployment_id, stage.canary) == ("d1", None)
    assert "points at missing deployment gone" in caplog.text
