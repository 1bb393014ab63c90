"""The API key & usage plan stage and the throttle stage (REST), over the key index built from
store records (spec §5.9, §6.3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tollway.dataplane.auth.outcome import AuthorizerResult
from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import RestContext
from tollway.dataplane.errors import InvalidApiKey, QuotaExceeded, Throttled
from tollway.dataplane.handlers.api_key import ApiKeyAndUsagePlan
from tollway.dataplane.handlers.route import ResourceRouter
from tollway.dataplane.handlers.throttle import Throttle
from tollway.dataplane.usage_plans import KeyIndex
from tollway.state.limits import Bucket
from tollway.state.limits_memory import MemoryLimits
from tollway.store import Delete, Record
from tollway.store.sqlite import SqliteStore

from ..conftest import add, context, definition, stage

VALUE = "k" * 30
ACCOUNT = Bucket("account", 10000.0, 5000)


class Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _index(tmp_path: Path, *, enabled: bool = True, plan: dict[str, Any] | None = None,
           stage_name: str = "test") -> KeyIndex:  # fmt: skip
    store = SqliteStore(tmp_path / "store.db")
    body = {"id": "plan1", "name": "p", "apiStages": [{"apiId": "abc1234567", "stage": stage_name}]}
    store.commit([
        Record("apikey", "key1", {"id": "key1", "value": VALUE, "enabled": enabled}),
        Record("usageplan", "plan1", {**body, **(plan or {})}),
        Record("usageplankey", "key1", {"id": "key1", "type": "API_KEY"}, "plan1"),
    ])  # fmt: skip
    index = KeyIndex(store, ACCOUNT)
    index.reload()
    store.close()
    return index


async def _routed(headers: list[tuple[str, str]], **settings: Any) -> RestContext:
    d = definition()
    resource = add(d, "/pets", "GET")
    d["resources"][resource]["resourceMethods"]["GET"]["apiKeyRequired"] = True
    api_key_source = settings.pop("api_key_source", None)
    if api_key_source:
        d["api"]["apiKeySource"] = api_key_source
    ctx = context(stage(d, **settings), path="/pets", headers=headers)
    await ResourceRouter()(HandlerChain(), ctx)
    return ctx


async def test_a_valid_key_in_a_plan_for_the_stage_is_accepted(tmp_path: Path) -> None:
    ctx = await _routed([("X-Api-KEY", VALUE)])
    await ApiKeyAndUsagePlan(_index(tmp_path))(HandlerChain(), ctx)
    assert ctx.api_key is not None and (ctx.api_key.id, ctx.api_key.value) == ("key1", VALUE)
    assert ctx.usage_plan is not None and ctx.usage_plan.plan_id == "plan1"


@pytest.mark.parametrize(
    ("headers", "index_args"),
    [
        ([], {}),  # missing
        ([("x-api-key", "w" * 30)], {}),  # unknown
        ([("x-api-key", VALUE)], {"enabled": False}),  # disabled
        ([("x-api-key", VALUE)], {"stage_name": "prod"}),  # its plan is for another stage
    ],
)
async def test_keys_that_may_not_call_the_stage_are_invalid(
    tmp_path: Path, headers: list[tuple[str, str]], index_args: dict[str, Any]
) -> None:
    ctx = await _routed(headers)
    with pytest.raises(InvalidApiKey) as raised:
        await ApiKeyAndUsagePlan(_index(tmp_path, **index_args))(HandlerChain(), ctx)
    assert (raised.value.response_type, raised.value.message) == ("INVALID_API_KEY", "Forbidden")


async def test_the_authorizer_source_reads_the_usage_identifier_key(tmp_path: Path) -> None:
    ctx = await _routed([("x-api-key", "w" * 30)], api_key_source="AUTHORIZER")
    ctx.authorizer = AuthorizerResult(usage_identifier_key=VALUE)
    await ApiKeyAndUsagePlan(_index(tmp_path))(HandlerChain(), ctx)
    assert ctx.api_key is not None and ctx.api_key.id == "key1"


async def test_a_method_without_api_key_required_returns_at_once(tmp_path: Path) -> None:
    d = definition()
    add(d, "/open", "GET")
    ctx = context(stage(d), path="/open")
    await ResourceRouter()(HandlerChain(), ctx)
    await ApiKeyAndUsagePlan(_index(tmp_path))(HandlerChain(), ctx)
    assert ctx.api_key is None and ctx.usage_plan is None


async def test_the_plan_quota_then_the_plan_throttle_refuse(tmp_path: Path) -> None:
    plan = {"quota": {"limit": 3, "period": "DAY"}, "throttle": {"rateLimit": 0.0, "burstLimit": 2}}
    index = _index(tmp_path, plan=plan)
    limits = MemoryLimits(Clock())
    throttle = Throttle(limits, ACCOUNT)

    async def call() -> str:
        ctx = await _routed([("x-api-key", VALUE)])
        await ApiKeyAndUsagePlan(index)(HandlerChain(), ctx)
        try:
            await throttle(HandlerChain(), ctx)
        except (Throttled, QuotaExceeded) as error:
            return f"{error.response_type} {error.message}"
        return "ok"

    assert [await call() for _ in range(3)] == ["ok", "ok", "THROTTLED Too Many Requests"]
    # Throttled requests did not count against the quota: one more once the bucket allows.
    limits._buckets["p:plan1:key1"][0] = 2.0
    assert [await call() for _ in range(2)] == ["ok", "QUOTA_EXCEEDED Limit Exceeded"]


async def test_stage_method_settings_and_plan_method_throttles_apply(tmp_path: Path) -> None:
    plan = {"apiStages": [{"apiId": "abc1234567", "stage": "test",
                           "throttle": {"/pets/GET": {"rateLimit": 0.0, "burstLimit": 1}}}]}  # fmt: skip
    index = _index(tmp_path, plan=plan)
    throttle = Throttle(MemoryLimits(Clock()), ACCOUNT)
    ctx = await _routed([("x-api-key", VALUE)])
    await ApiKeyAndUsagePlan(index)(HandlerChain(), ctx)
    await throttle(HandlerChain(), ctx)
    with pytest.raises(Throttled):
        await throttle(HandlerChain(), ctx)  # the plan's method throttle: burst 1
    settings = {"~1pets/GET": {"throttlingRateLimit": 0.0, "throttlingBurstLimit": 2}}
    ctx = await _routed([], methodSettings=settings)
    assert ctx.method is not None and ctx.method.throttle == Bucket(
        "m:abc1234567:test:GET:/pets", 0.0, 2
    )
    ctx.method.api_key_required = False
    await throttle(HandlerChain(), ctx)
    await throttle(HandlerChain(), ctx)
    with pytest.raises(Throttled):
        await throttle(HandlerChain(), ctx)


async def test_the_account_bucket_counts_every_request(tmp_path: Path) -> None:
    throttle = Throttle(MemoryLimits(Clock()), Bucket("account", 0.0, 1))
    d = definition()
    add(d, "/open", "GET")
    ctx = context(stage(d), path="/open")
    await ResourceRouter()(HandlerChain(), ctx)
    await throttle(HandlerChain(), ctx)
    with pytest.raises(Throttled):
        await throttle(HandlerChain(), ctx)


def test_the_index_is_rebuilt_on_the_lookup_after_a_change(tmp_path: Path) -> None:
    _index(tmp_path)  # writes the records
    store = SqliteStore(tmp_path / "store.db")
    index = KeyIndex(store, ACCOUNT)
    index.reload()
    assert index.plan("abc1234567", "test", "key1") is not None
    store.commit([], [Delete("usageplankey", "key1", "plan1")])
    assert index.key(VALUE) is not None
    assert index.plan("abc1234567", "test", "key1") is not None  # until told
    index.changed()
    assert index.key(VALUE) is not None  # rebuilds
    assert index.plan("abc1234567", "test", "key1") is None
    store.close()
