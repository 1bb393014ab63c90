"""The stage cache and the authorizer cache on Redis (`--state redis://...`), end to end: two
gateway processes on one data directory and one private `redis-server` (this test's own, on a
free port, nothing persisted; the machine's shared Redis is never touched). What one process
stored the other serves; FlushStageCache through one empties it for both; a Redis outage means
requests are still answered, bypassing the cache (and calling authorizers again), and caching
resumes once Redis is back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_path,
    add_response,
    create_function,
    deploy,
    lambda_uri,
    new_api,
    serve_http,
    start_server,
)
from tests.e2e.test_stage_cache import _Counting, cached_api, n
from tests.redis_server import PrivateRedis

AUTHORIZER = """\
import os


def handler(event, context):
    with open(os.environ["RECORD"], "a") as f:
        f.write(event["authorizationToken"] + "\\n")
    return {"principalId": "user", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]}}
"""


@dataclass
class Pair:
    redis: PrivateRedis
    first: Server
    second: Server
    upstream: str
    cached_api: str  # GET /items/{id} cached, keyed by id
    secured_api: str  # GET /secure behind a TOKEN authorizer cached for 300 s
    record: Path  # the authorizer's calls, one token a line

    def authorizer_calls(self, token: str) -> int:
        text = self.record.read_text() if self.record.exists() else ""
        return text.splitlines().count(token)


@pytest.fixture(scope="module")
def counting() -> Iterator[str]:
    yield from serve_http(_Counting)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, counting: str) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("redis-cache")
    redis = PrivateRedis(root)
    redis.start()
    state = ("--state", redis.url)
    first = start_server(root / "data", args=state)
    try:
        apigw, lam = first.client("apigateway"), first.client("lambda")
        cached = cached_api(apigw, counting)
        record = root / "authorizer-calls.txt"
        function = f"redis-authorizer-{uuid.uuid4().hex[:8]}"
        create_function(lam, function, AUTHORIZER, environment={"RECORD": str(record)},
                        source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*/authorizers/*")  # fmt: skip
        secured, api_root = new_api(apigw, "secured")
        authorizer = apigw.create_authorizer(
            restApiId=secured, name="tok", type="TOKEN", authorizerUri=lambda_uri(function),
            identitySource="method.request.header.Authorization", authorizerResultTtlInSeconds=300,
        )["id"]  # fmt: skip
        resource = add_path(apigw, secured, api_root, "/secure")
        apigw.put_method(restApiId=secured, resourceId=resource, httpMethod="GET",
                         authorizationType="CUSTOM", authorizerId=authorizer)  # fmt: skip
        apigw.put_integration(restApiId=secured, resourceId=resource, httpMethod="GET",
                              type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})  # fmt: skip
        add_response(apigw, secured, resource, "GET", "200",
                     templates={"application/json": '{"ok": true}'})  # fmt: skip
        deploy(apigw, secured, "test")
        # The second process loads what the first created from the shared data directory.
        second = start_server(root / "data", args=state)
    except BaseException:
        first.stop()
        redis.stop()
        raise
    yield Pair(redis, first, second, counting, cached, secured, record)
    second.stop()
    first.stop()
    redis.stop()


def get(
    http: httpx.Client, server: Server, api_id: str, path: str, **kwargs: Any
) -> httpx.Response:
    return http.get(server.url(api_id, "test", path), **kwargs)


def test_a_second_process_serves_what_the_first_stored(pair: Pair, http: httpx.Client) -> None:
    stored = n(get(http, pair.first, pair.cached_api, "/items/shared"))
    assert n(get(http, pair.second, pair.cached_api, "/items/shared")) == stored
    assert n(get(http, pair.first, pair.cached_api, "/items/shared")) == stored


def test_flush_through_one_process_empties_the_cache_of_both(
    pair: Pair, http: httpx.Client
) -> None:
    stored = n(get(http, pair.first, pair.cached_api, "/items/flushed"))
    assert n(get(http, pair.second, pair.cached_api, "/items/flushed")) == stored
    pair.first.client("apigateway").flush_stage_cache(restApiId=pair.cached_api, stageName="test")
    fresh = n(get(http, pair.second, pair.cached_api, "/items/flushed"))
    assert fresh > stored
    assert n(get(http, pair.first, pair.cached_api, "/items/flushed")) == fresh


def test_an_authorizer_answer_cached_by_one_process_serves_the_other(
    pair: Pair, http: httpx.Client
) -> None:
    token = f"token-{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": token}
    assert get(http, pair.first, pair.secured_api, "/secure", headers=headers).json() == {
        "ok": True
    }
    response = get(http, pair.second, pair.secured_api, "/secure", headers=headers)
    assert (response.status_code, response.json()) == (200, {"ok": True})
    assert pair.authorizer_calls(token) == 1
    pair.second.client("apigateway").flush_stage_authorizers_cache(
        restApiId=pair.secured_api, stageName="test"
    )
    assert get(http, pair.first, pair.secured_api, "/secure", headers=headers).status_code == 200
    assert pair.authorizer_calls(token) == 2


def test_metrics_of_each_process_count_what_it_served(pair: Pair, http: httpx.Client) -> None:
    get(http, pair.first, pair.cached_api, "/items/metrics")
    get(http, pair.second, pair.cached_api, "/items/metrics")
    text = http.get(f"{pair.second.admin}/_tollway/metrics").text
    assert f'tollway_cache_hit_count_total{{api_id="{pair.cached_api}",stage="test"}}' in text


def test_an_outage_bypasses_both_caches_and_caching_resumes(pair: Pair, http: httpx.Client) -> None:
    warm = n(get(http, pair.first, pair.cached_api, "/items/outage"))
    assert n(get(http, pair.first, pair.cached_api, "/items/outage")) == warm
    token = f"token-{uuid.uuid4().hex[:8]}"
    headers = {"Authorization": token}
    pair.redis.stop()
    try:
        during = [n(get(http, pair.first, pair.cached_api, "/items/outage")) for _ in range(3)]
        assert during[0] > warm and during[0] < during[1] < during[2]  # each one a miss
        for _ in range(2):
            assert get(http, pair.first, pair.secured_api, "/secure", headers=headers).json() == {
                "ok": True
            }
        assert pair.authorizer_calls(token) == 2  # nothing cached: asked every time
        flush = pair.first.client("apigateway").flush_stage_cache
        with pytest.raises(ClientError) as refused:
            flush(restApiId=pair.cached_api, stageName="test")
        error = refused.value.response["Error"]
        assert error["Code"] == "ServiceUnavailableException"
        assert error["Message"].startswith("Redis cannot be reached: ")
    finally:
        pair.redis.start()
    # Back: the guard lets a request through every second; then entries are stored again.
    repeated = False
    for _ in range(100):
        first = n(get(http, pair.first, pair.cached_api, "/items/outage"))
        if n(get(http, pair.first, pair.cached_api, "/items/outage")) == first:
            repeated = True
            break
        time.sleep(0.1)
    assert repeated
    log = pair.first.log()
    assert "Redis runtime state is unreachable" in log
    assert "Redis runtime state is reachable again" in log
