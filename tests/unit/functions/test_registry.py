"""FunctionRegistry: resolving what a caller named to a function version."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import pytest

from tollway.functions.errors import FunctionNotFound
from tollway.functions.host import FunctionHost
from tollway.functions.registry import (
    FUNCTION_KIND,
    FunctionRegistry,
    parse_function_ref,
    permits,
    pick_version,
)
from tollway.settings import Settings
from tollway.store import Record
from tollway.store.sqlite import SqliteStore

ARN = "arn:aws:lambda:us-east-1:000000000000:function:fn"


def _config(version: str, handler: str = "app.handler") -> dict[str, Any]:
    return {
        "FunctionName": "fn",
        "FunctionArn": ARN if version == "$LATEST" else f"{ARN}:{version}",
        "Runtime": "python3.11",
        "Handler": handler,
        "Timeout": 3,
        "MemorySize": 128,
        "RevisionId": f"rev-{version}",
        "Version": version,
    }


@pytest.fixture
def registry(tmp_path: Path) -> FunctionRegistry:
    store = SqliteStore(tmp_path / "db")
    code = tmp_path / "code"
    code.mkdir()
    body = {
        "configuration": _config("$LATEST"),
        "code": {"localPath": str(code)},
        "policy": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "a"}}]},
        "versions": {
            "1": {"configuration": _config("1", "old.handler"), "code": {"localPath": str(code)}}
        },
        "aliases": {
            "live": {
                "configuration": {"Name": "live", "FunctionVersion": "1"},
                "policy": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "b"}}]},
            }
        },
        "eventInvokeConfig": {"live": {"MaximumRetryAttempts": 0}},
    }
    store.commit([Record(FUNCTION_KIND, "fn", body)])
    return FunctionRegistry(store, FunctionHost(), Settings(data_dir=tmp_path))


def test_parse_function_ref() -> None:
    assert parse_function_ref("fn") == parse_function_ref(ARN)
    assert parse_function_ref(f"{ARN}:live").qualifier == "live"  # type: ignore[union-attr]
    assert parse_function_ref("000000000000:function:fn:1").qualifier == "1"  # type: ignore[union-attr]
    assert parse_function_ref("not a name") is None


async def test_unqualified_latest_version_and_alias(registry: FunctionRegistry) -> None:
    latest = registry.target("fn")
    assert (latest.version, latest.qualifier, latest.invoked_arn) == ("$LATEST", None, ARN)
    assert latest.spec is not None and latest.spec.handler == "app.handler"
    assert registry.target(f"{ARN}:$LATEST").version == "$LATEST"
    one = registry.target("fn:1")
    assert (one.version, one.invoked_arn, one.policy) == ("1", f"{ARN}:1", None)
    assert one.spec is not None and one.spec.handler == "old.handler"
    live = registry.target("fn", "live")
    assert (live.version, live.invoked_arn) == ("1", f"{ARN}:live")
    assert live.policy == {"Statement": [{"Effect": "Allow", "Principal": {"Service": "b"}}]}
    assert live.event_config == {"MaximumRetryAttempts": 0}
    assert latest.event_config is None


async def test_missing_functions_and_qualifiers(registry: FunctionRegistry) -> None:
    with pytest.raises(FunctionNotFound, match=f"^Function not found: {ARN}:9$"):
        registry.target("fn:9")
    with pytest.raises(FunctionNotFound, match=f"^Function not found: {ARN}x:live$"):
        registry.target("fnx", "live")


async def test_policies_are_per_qualifier(registry: FunctionRegistry) -> None:
    assert permits(registry.target("fn").policy, "a", "any")
    assert not permits(registry.target("fn:live").policy, "a", "any")
    assert permits(registry.target("fn:live").policy, "b", "any")


def test_permits_matches_the_source_arn_with_wildcards() -> None:
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "apigateway.amazonaws.com"},
                "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:execute-api:*:*:api/*/GET/*"}},
            }
        ]
    }
    assert permits(policy, "apigateway.amazonaws.com", "arn:aws:execute-api:r:1:api/dev/GET/x")
    assert not permits(policy, "apigateway.amazonaws.com", "arn:aws:execute-api:r:1:api/dev/PUT/x")
    assert not permits(policy, "s3.amazonaws.com", "arn:aws:execute-api:r:1:api/dev/GET/x")


def test_pick_version_by_weight() -> None:
    alias = {"FunctionVersion": "1", "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.25}}}
    assert pick_version(alias, lambda: 0.1) == "2"
    assert pick_version(alias, lambda: 0.3) == "1"
    assert pick_version({"FunctionVersion": "4"}, lambda: 0.0) == "4"


async def test_a_new_permission_keeps_the_workers_a_new_handler_does_not(
    registry: FunctionRegistry, tmp_path: Path
) -> None:
    before = registry.target("fn").spec
    store = registry._store
    record = store.get(FUNCTION_KIND, "fn")
    assert record is not None and before is not None
    body = copy.deepcopy(record.body)
    body["configuration"]["RevisionId"] = "after-add-permission"
    store.commit([Record(FUNCTION_KIND, "fn", body, version=record.version)])
    registry.forget("fn")
    same = registry.target("fn").spec
    assert same is not None and same.revision == before.revision
    record = store.get(FUNCTION_KIND, "fn")
    assert record is not None
    body = copy.deepcopy(record.body)
    body["configuration"]["Handler"] = "other.handler"
    store.commit([Record(FUNCTION_KIND, "fn", body, version=record.version)])
    registry.forget("fn")
    changed = registry.target("fn").spec
    assert changed is not None and changed.revision != before.revision


async def test_a_changed_directory_means_a_new_revision(
    registry: FunctionRegistry, tmp_path: Path
) -> None:
    first = registry.target("fn").spec
    (tmp_path / "code" / "app.py").write_text("x = 1\n")
    # The loop's reader takes the change in, as it does before any request sent after it.
    await asyncio.sleep(0.01)
    second = registry.target("fn").spec
    assert first is not None and second is not None
    assert first.revision != second.revision
    assert registry.target("fn").spec is second  # nothing changed since: cached
    registry.close()
