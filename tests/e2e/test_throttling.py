"""Throttling and quotas end to end, on the memory and the Redis runtime state (spec §6.3):
stage method throttles, usage plan and per-method plan throttles, quotas that reset at UTC
period boundaries (moved there with the `--limits-clock` aid), the customisable THROTTLED
response, HTTP API route throttling; two gateway processes sharing one limit and one quota
through Redis; a Redis outage (a private redis-server stopped and restarted)."""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.e2e.conftest import (
    Server,
    add_method,
    add_path,
    add_response,
    deploy,
    new_api,
    start_server,
)
from tests.redis_server import PrivateRedis, shared_redis_url, unique_prefix

pytestmark = pytest.mark.e2e

THROTTLED = (429, {"message": "Too Many Requests"}, "TooManyRequestsException")
QUOTA = (429, {"message": "Limit Exceeded"}, "LimitExceededException")
MOCK = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}
# One token per 1000 s: within a test, a spent bucket stays empty however slow the machine.
SLOW = "0.001"


@dataclass
class Gateway:
    server: Server
    apigw: Any
    redis_url: str | None = None
    prefix: str = ""

    def clock(self, http: httpx.Client, **change: float) -> float:
        response = http.post(f"{self.server.admin}/_tollway/clock", json=change)
        assert response.status_code == 200
        return float(response.json()["now"])


def outcome(response: httpx.Response) -> Any:
    if response.status_code == 200:
        return 200
    return response.status_code, response.json(), response.headers.get("x-amzn-ErrorType")


def _cleanup(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="module", params=["memory", "redis"])
def gateway(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Gateway]:  # fmt: skip
    args: tuple[str, ...] = ("--limits-clock", "on")
    url, prefix = None, ""
    if request.param == "redis":
        url, prefix = shared_redis_url(), unique_prefix()
        args += ("--state", url, "--state-prefix", prefix)
    server = start_server(tmp_path_factory.mktemp(f"limits-{request.param}") / "data", args=args)
    try:
        yield Gateway(server, server.client("apigateway"), url, prefix)
    finally:
        server.stop()
        if url:
            _cleanup(url, prefix)


def _api(apigw: Any, paths: dict[str, bool]) -> str:
    """A REST API of MOCK GET methods {path: apiKeyRequired}, not deployed yet."""
    api_id, root = new_api(apigw, f"limits-{uuid.uuid4().hex[:8]}")
    for path, keyed in paths.items():
        resource = add_path(apigw, api_id, root, path)
        add_method(apigw, api_id, resource, "GET", MOCK, apiKeyRequired=keyed)
        add_response(apigw, api_id, resource, "GET", "200", templates={"application/json": "{}"})
    return api_id


def _keyed_plan(apigw: Any, api_id: str, **plan: Any) -> tuple[str, str]:
    """A usage plan for the API's deployed test stage with one enabled key: (plan id, key
    value)."""
    created = apigw.create_usage_plan(
        name=f"plan-{uuid.uuid4().hex[:8]}", apiStages=[{"apiId": api_id, "stage": "test"}], **plan
    )  # fmt: skip
    value = f"limits-{uuid.uuid4().hex}"
    key_id = apigw.create_api_key(name="k", value=value, enabled=True)["id"]
    apigw.create_usage_plan_key(usagePlanId=created["id"], keyId=key_id, keyType="API_KEY")
    return created["id"], value


def test_stage_method_throttles_refuse_bursts_and_refill_at_their_rate(
    gateway: Gateway, http: httpx.Client
) -> None:
    apigw = gateway.apigw
    api_id = _api(apigw, {"/a": False, "/b": False, "/c": False})
    deploy(apigw, api_id, "test")
    apigw.update_stage(restApiId=api_id, stageName="test", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": SLOW},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"},
        {"op": "replace", "path": "/~1c/GET/throttling/rateLimit", "value": SLOW},
        {"op": "replace", "path": "/~1c/GET/throttling/burstLimit", "value": "1"},
    ])  # fmt: skip

    def get(path: str) -> Any:
        return outcome(http.get(gateway.server.url(api_id, "test", path)))

    assert [get("/a") for _ in range(3)] == [200, 200, THROTTLED]
    assert [get("/b") for _ in range(3)] == [200, 200, THROTTLED]  # a bucket per method
    assert [get("/c") for _ in range(2)] == [200, THROTTLED]  # its own setting wins
    gateway.clock(http, advance=1000)  # one token at 0.001 per second
    assert [get("/a") for _ in range(2)] == [200, THROTTLED]


def test_plan_and_plan_method_throttles_are_per_key(gateway: Gateway, http: httpx.Client) -> None:
    apigw = gateway.apigw
    api_id = _api(apigw, {"/a": True, "/k": True})
    deploy(apigw, api_id, "test")
    method_throttle = {"/a/GET": {"rateLimit": float(SLOW), "burstLimit": 1}}
    throttle = {"rateLimit": float(SLOW), "burstLimit": 3}
    plan_id, value = _keyed_plan(apigw, api_id, throttle=throttle)
    apigw.update_usage_plan(usagePlanId=plan_id, patchOperations=[
        {"op": "replace", "path": f"/apiStages/{api_id}:test/throttle/~1a/GET/rateLimit",
         "value": SLOW},
        {"op": "replace", "path": f"/apiStages/{api_id}:test/throttle/~1a/GET/burstLimit",
         "value": "1"},
    ])  # fmt: skip
    assert apigw.get_usage_plan(usagePlanId=plan_id)["apiStages"][0]["throttle"] == method_throttle
    other_api = _api(apigw, {"/x": True})
    deploy(apigw, other_api, "test")
    _, other = _keyed_plan(apigw, other_api, throttle=throttle)

    def get(path: str, key: str) -> Any:
        url = gateway.server.url(api_id, "test", path)
        return outcome(http.get(url, headers={"x-api-key": key}))

    assert [get("/a", value) for _ in range(2)] == [200, THROTTLED]  # the method throttle
    assert [get("/k", value) for _ in range(3)] == [200, 200, THROTTLED]  # the plan's, 3 in all
    assert get("/k", other) == (403, {"message": "Forbidden"}, "ForbiddenException")


def _midnight_after(now: float, days: int = 1) -> float:
    day = datetime.datetime.fromtimestamp(now, datetime.UTC).date()
    start = datetime.datetime.combine(day, datetime.time(), datetime.UTC)
    return (start + datetime.timedelta(days=days)).timestamp()


def test_quotas_reset_at_the_utc_period_boundary(gateway: Gateway, http: httpx.Client) -> None:
    apigw = gateway.apigw
    api_id = _api(apigw, {"/q": True})
    deploy(apigw, api_id, "test")
    _, daily = _keyed_plan(apigw, api_id, quota={"limit": 2, "period": "DAY"})
    other_api = _api(apigw, {"/w": True})
    deploy(apigw, other_api, "test")
    _, weekly = _keyed_plan(apigw, other_api, quota={"limit": 1, "period": "WEEK"})

    def get(api: str, path: str, key: str) -> Any:
        url = gateway.server.url(api, "test", path)
        return outcome(http.get(url, headers={"x-api-key": key}))

    # Two days ahead, an hour before midnight: the clock only ever moves forward.
    midnight = _midnight_after(gateway.clock(http), 2)
    gateway.clock(http, now=midnight - 3600)
    assert [get(api_id, "/q", daily) for _ in range(3)] == [200, 200, QUOTA]
    gateway.clock(http, now=midnight + 1)
    assert [get(api_id, "/q", daily) for _ in range(3)] == [200, 200, QUOTA]
    assert [get(other_api, "/w", weekly) for _ in range(2)] == [200, QUOTA]
    day = datetime.datetime.fromtimestamp(midnight, datetime.UTC).date()
    monday = midnight + (7 - day.weekday()) * 86400
    gateway.clock(http, now=monday - 60)  # still the same ISO week
    assert get(other_api, "/w", weekly) == QUOTA
    gateway.clock(http, now=monday + 1)
    assert get(other_api, "/w", weekly) == 200


def test_the_throttled_gateway_response_is_customisable(
    gateway: Gateway, http: httpx.Client
) -> None:
    apigw = gateway.apigw
    api_id = _api(apigw, {"/a": False})
    apigw.put_gateway_response(restApiId=api_id, responseType="THROTTLED", statusCode="503",
                               responseTemplates={"application/json": '{"slow":"down"}'})  # fmt: skip
    deploy(apigw, api_id, "test")
    apigw.update_stage(restApiId=api_id, stageName="test", patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": SLOW},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1"},
    ])  # fmt: skip
    url = gateway.server.url(api_id, "test", "/a")
    assert http.get(url).status_code == 200
    refused = http.get(url)
    assert (refused.status_code, refused.json()) == (503, {"slow": "down"})
    assert refused.headers["x-amzn-ErrorType"] == "TooManyRequestsException"


def test_http_api_route_settings_throttle_routes(
    gateway: Gateway, http: httpx.Client, upstream: str
) -> None:
    v2 = gateway.server.client("apigatewayv2")
    api_id = v2.create_api(Name="throttled", ProtocolType="HTTP", Target=upstream)["ApiId"]
    v2.update_stage(ApiId=api_id, StageName="$default", RouteSettings={
        "$default": {"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": float(SLOW)}})  # fmt: skip
    url = f"{gateway.server.gateway}/_aws/execute-api/{api_id}/any"
    assert http.get(url).status_code == 200
    refused = http.get(url)
    assert (refused.status_code, refused.json()) == (429, {"message": "Too Many Requests"})
    assert "x-amzn-ErrorType" not in refused.headers


# --- several gateway processes, one Redis ---------------------------------------------------


def test_two_gateways_on_one_redis_share_one_limit_and_one_quota(
    tmp_path: Path, http: httpx.Client
) -> None:
    url, prefix = shared_redis_url(), unique_prefix()
    args = ("--state", url, "--state-prefix", prefix)
    data = tmp_path / "data"
    first = start_server(data, args=args)
    second: Server | None = None
    try:
        apigw = first.client("apigateway")
        api_id = _api(apigw, {"/limited": False, "/counted": True})
        deploy(apigw, api_id, "test")
        apigw.update_stage(restApiId=api_id, stageName="test", patchOperations=[
            {"op": "replace", "path": "/~1limited/GET/throttling/rateLimit", "value": SLOW},
            {"op": "replace", "path": "/~1limited/GET/throttling/burstLimit", "value": "3"},
        ])  # fmt: skip
        plan_id, value = _keyed_plan(apigw, api_id, quota={"limit": 4, "period": "MONTH"})
        # The second process reads the same store (it loads keys and stages at start).
        second = start_server(data, args=(*args, "--access-log", "off"))
        a, b = first, second

        def get(server: Server, path: str) -> Any:
            target = server.url(api_id, "test", path)
            return outcome(http.get(target, headers={"x-api-key": value}))

        assert [get(a, "/limited"), get(b, "/limited"), get(a, "/limited")] == [200] * 3
        assert [get(b, "/limited"), get(a, "/limited")] == [THROTTLED] * 2
        assert [get(a, "/counted"), get(b, "/counted")] == [200] * 2
        assert [get(b, "/counted"), get(a, "/counted")] == [200] * 2
        assert [get(a, "/counted"), get(b, "/counted")] == [QUOTA] * 2

        # A key added through the first process's control plane reaches the second through
        # Redis (state/key_changes.py), without a restart.
        late = f"late-{uuid.uuid4().hex}"
        late_id = apigw.create_api_key(name="late", value=late, enabled=True)["id"]
        apigw.create_usage_plan_key(usagePlanId=plan_id, keyId=late_id, keyType="API_KEY")
        assert get(a, "/counted") == QUOTA  # the first key's quota, not the new key's
        late_url = b.url(api_id, "test", "/counted")
        deadline = time.monotonic() + 30
        while http.get(late_url, headers={"x-api-key": late}).status_code != 200:
            assert time.monotonic() < deadline, "the second gateway never saw the new key"
            time.sleep(0.2)
    finally:
        if second is not None:
            second.stop()
        first.stop()
        _cleanup(url, prefix)


def test_a_redis_outage_falls_back_to_local_limits_and_recovers(
    tmp_path: Path, http: httpx.Client
) -> None:
    private = PrivateRedis()
    private.start()
    server = start_server(tmp_path / "data", args=("--state", private.url))
    try:
        apigw = server.client("apigateway")
        api_id = _api(apigw, {"/a": False})
        deploy(apigw, api_id, "test")
        apigw.update_stage(restApiId=api_id, stageName="test", patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": SLOW},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2"},
        ])  # fmt: skip
        url = server.url(api_id, "test", "/a")
        key = f"tollway:{{limits}}:m:{api_id}:test:GET:/a"
        assert [outcome(http.get(url)) for _ in range(3)] == [200, 200, THROTTLED]
        client = redis.Redis.from_url(private.url)
        assert client.exists(key) == 1  # counted in Redis
        client.close()

        private.stop()
        # Requests are still answered, limited by this process's own (full) bucket.
        assert [outcome(http.get(url)) for _ in range(3)] == [200, 200, THROTTLED]
        assert "Redis runtime state is unreachable" in server.log()

        private.start()  # empty: the bucket in Redis is full again
        deadline = time.monotonic() + 30
        while outcome(http.get(url)) != 200:  # the guard retries Redis about once a second
            assert time.monotonic() < deadline, "the gateway never went back to Redis"
            time.sleep(0.2)
        client = redis.Redis.from_url(private.url)
        assert client.exists(key) == 1  # shared limits again
        client.close()
        assert "Redis runtime state is reachable again" in server.log()
    finally:
        server.stop()
        private.stop()
