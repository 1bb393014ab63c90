"""WebSocket API keys on `$connect`, route and account throttling and the new-connection rate
(spec §5.9, §6.3, §13.6): compiled from a stage's settings, applied with process-memory
limits and a key index built from store records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tollway.dataplane.usage_plans import RequestLimits
from tollway.dataplane.websocket.authorize import Refused
from tollway.dataplane.websocket.compile import compile_stage
from tollway.dataplane.websocket.compiled import CompiledWsStage
from tollway.dataplane.websocket.metering import WsMetering, connection_bucket
from tollway.state.limits import Bucket
from tollway.state.limits_memory import MemoryLimits

from ..handlers.test_api_key import ACCOUNT, VALUE, Clock, _index
from .test_compile_and_events import API_ID, add_route, connection, definition, services


def _stage(api: dict[str, Any] | None = None, **stage: Any) -> CompiledWsStage:
    d = definition()
    d["Api"].update(api or {})  # type: ignore[typeddict-item]
    add_route(d, "$connect", ApiKeyRequired=True)
    add_route(d, "send")
    add_route(d, "$default")
    return compile_stage(d, "dep1", {"StageName": "dev", **stage}, services())  # type: ignore[typeddict-item]


def _metering(
    tmp_path: Path, plan: dict[str, Any] | None = None, connections: Bucket | None = None
) -> tuple[WsMetering, Clock]:
    stages = {"apiStages": [{"apiId": API_ID, "stage": "dev"}]}
    index = _index(tmp_path, plan={**stages, **(plan or {})})
    clock = Clock()
    return WsMetering(RequestLimits(index, MemoryLimits(clock), ACCOUNT), connections), clock


def test_route_settings_compile_to_buckets_per_route() -> None:
    stage = _stage(
        DefaultRouteSettings={"ThrottlingRateLimit": 5.0, "ThrottlingBurstLimit": 2},
        RouteSettings={"send": {"ThrottlingBurstLimit": 1}},
    )
    assert stage.connect is not None and stage.default is not None
    assert stage.routes["send"].throttle == Bucket(f"r:{API_ID}:dev:send", 5.0, 1)
    assert stage.default.throttle == Bucket(f"r:{API_ID}:dev:$default", 5.0, 2)
    assert stage.connect.throttle == Bucket(f"r:{API_ID}:dev:$connect", 5.0, 2)
    assert stage.warnings == []
    assert _stage().routes["send"].throttle is None


@pytest.mark.parametrize(
    ("expression", "source"),
    [
        (None, "$request.header.x-api-key"),
        ("$context.authorizer.usageIdentifierKey", "$context.authorizer.usageIdentifierKey"),
    ],
)
def test_connect_api_key_source(expression: str | None, source: str) -> None:
    api = {"ApiKeySelectionExpression": expression} if expression else {}
    assert _stage(api).api_key_source == source


async def test_a_key_in_a_plan_connects_and_joins_the_identity(tmp_path: Path) -> None:
    metering, _ = _metering(tmp_path)
    conn = connection(headers=[("X-API-Key", VALUE)])
    await metering.connect(_stage(), conn)
    assert conn.identity == {"apiKey": VALUE, "apiKeyId": "key1"}


async def test_the_authorizer_usage_identifier_key(tmp_path: Path) -> None:
    metering, _ = _metering(tmp_path)
    stage = _stage({"ApiKeySelectionExpression": "$context.authorizer.usageIdentifierKey"})
    with pytest.raises(Refused):  # the header does not count with this expression
        await metering.connect(stage, connection(headers=[("x-api-key", VALUE)]))
    await metering.connect(stage, connection(usage_identifier_key=VALUE))


@pytest.mark.parametrize(("headers", "plan"), [
    ([], None),
    ([("x-api-key", "w" * 30)], None),
    ([("x-api-key", VALUE)], {"apiStages": [{"apiId": API_ID, "stage": "prod"}]}),
])  # fmt: skip
async def test_keys_that_may_not_connect_are_403(
    tmp_path: Path, headers: list[tuple[str, str]], plan: dict[str, Any] | None
) -> None:
    metering, _ = _metering(tmp_path, plan)
    with pytest.raises(Refused) as refused:
        await metering.connect(_stage(), connection(headers=headers))
    assert (refused.value.status, refused.value.message) == (403, "Forbidden")


async def test_the_plan_quota_counts_connections_not_messages(tmp_path: Path) -> None:
    metering, _ = _metering(tmp_path, {"quota": {"limit": 1, "period": "DAY"}})
    stage = _stage()
    await metering.connect(stage, connection(headers=[("x-api-key", VALUE)]))
    for _ in range(3):
        assert await metering.message(stage.routes["send"])
    with pytest.raises(Refused) as refused:
        await metering.connect(stage, connection(headers=[("x-api-key", VALUE)]))
    assert (refused.value.status, refused.value.message) == (429, "Limit Exceeded")


async def test_a_route_bucket_throttles_its_messages(tmp_path: Path) -> None:
    metering, clock = _metering(tmp_path)
    stage = _stage(RouteSettings={"send": {"ThrottlingRateLimit": 1.0, "ThrottlingBurstLimit": 2}})
    send, default = stage.routes["send"], stage.default
    assert default is not None
    assert [await metering.message(send) for _ in range(3)] == [True, True, False]
    assert await metering.message(default)  # other routes keep their own budget
    clock.now += 1.0
    assert await metering.message(send)


async def test_the_new_connection_rate(tmp_path: Path) -> None:
    metering, clock = _metering(tmp_path, connections=connection_bucket(2.0))
    stage = _stage()
    conn = connection(headers=[("x-api-key", VALUE)])
    await metering.connect(stage, conn)
    await metering.connect(stage, conn)
    with pytest.raises(Refused) as refused:
        await metering.connect(stage, conn)
    assert (refused.value.status, refused.value.message) == (429, "Too Many Requests")
    clock.now += 0.5
    await metering.connect(stage, conn)


def test_connection_bucket_settings() -> None:
    assert connection_bucket(500.0) == Bucket("wsconn", 500.0, 500)
    assert connection_bucket(-1) is None
    assert connection_bucket(0) == Bucket("wsconn", 0, 0)
