"""The REST stage cache end to end (spec §8): a real gateway, stages configured with boto3
(`update_stage` patch operations, as the AWS CLI sends them), httpx requests, and a counting
HTTP upstream on loopback, so every test sees which requests reached the integration.

The Redis tests run two gateway processes on one data directory against a private
`redis-server` (stopped and started again for the outage): what one process stored the other
serves, and a Redis outage means the cache is bypassed, never a failed request."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import (
    Server,
    add_method,
    add_path,
    aws_error,
    deploy,
    new_api,
    serve_http,
    serve_with_identities,
    status_of,
)
from tests.signing import signed_request

STAR = "/*/*/caching"


class _Counting(BaseHTTPRequestHandler):
    """Answers `{"n": <how many requests it has had>, "path", "query"}`; `/status/<code>`
    answers that status."""

    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    count = 0

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        with _Counting.lock:
            _Counting.count += 1
            n = _Counting.count
        parts = urlsplit(self.path)
        status = int(parts.path.rsplit("/", 1)[1]) if parts.path.startswith("/status/") else 200
        body = json.dumps({"n": n, "path": parts.path, "query": parts.query}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Upstream", "counting")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def counting() -> Iterator[str]:
    yield from serve_http(_Counting)


def cached_api(
    apigw: Any,
    upstream: str,
    *,
    settings: dict[str, str] | None = None,
    key_parameters: list[str] | None = None,
    stage: str = "test",
) -> str:
    """GET and POST /items/{id} proxied to the counting upstream, deployed to a stage with
    the cache on and `*/*` caching enabled (plus `settings`, patch path -> value)."""
    api_id, root = new_api(apigw, "cached")
    resource = add_path(apigw, api_id, root, "/items/{id}")
    for verb in ("GET", "POST"):
        add_method(
            apigw,
            api_id,
            resource,
            verb,
            {
                "type": "HTTP_PROXY",
                "integrationHttpMethod": verb,
                "uri": f"{upstream}/items/{{id}}",
                "requestParameters": {"integration.request.path.id": "method.request.path.id"},
                "cacheKeyParameters": key_parameters or ["method.request.path.id"],
            },
            requestParameters={"method.request.path.id": True},
        )
    deploy(apigw, api_id, stage)
    patch = {
        "/cacheClusterEnabled": "true",
        "/cacheClusterSize": "0.5",
        f"{STAR}/enabled": "true",
        **(settings or {}),
    }
    apigw.update_stage(
        restApiId=api_id,
        stageName=stage,
        patchOperations=[{"op": "replace", "path": p, "value": v} for p, v in patch.items()],
    )
    return api_id


def cached_url(server: Server, apigw: Any, upstream: str, **kwargs: Any) -> tuple[str, str]:
    """`cached_api`'s id and the invoke URL of its `/items/1`."""
    api_id = cached_api(apigw, upstream, **kwargs)
    return api_id, server.url(api_id, "test", "/items/1")


def n(response: httpx.Response) -> int:
    assert response.status_code in (200, 404), response.text
    return int(response.json()["n"])


def wait_for_reload(http: httpx.Client, url: str, check: Any) -> None:
    """Until the gateway serves the stage's latest settings (it reloads on a change)."""
    for _ in range(100):
        if check(http.get(url)):
            return
        time.sleep(0.05)


def test_get_stage_shows_the_cache_cluster(apigw: Any, counting: str) -> None:
    api_id = cached_api(apigw, counting)
    stage = apigw.get_stage(restApiId=api_id, stageName="test")
    assert (stage["cacheClusterEnabled"], stage["cacheClusterSize"]) == (True, "0.5")
    assert stage["cacheClusterStatus"] == "AVAILABLE"
    assert stage["methodSettings"]["*/*"]["cachingEnabled"] is True
    assert stage["methodSettings"]["*/*"]["cacheTtlInSeconds"] == 300
    updated = apigw.update_stage(
        restApiId=api_id,
        stageName="test",
        patchOperations=[{"op": "replace", "path": "/cacheClusterEnabled", "value": "false"}],
    )
    assert (updated["cacheClusterEnabled"], updated["cacheClusterStatus"]) == (
        False,
        "NOT_AVAILABLE",
    )


def test_hits_do_not_reach_the_integration(
    server: Server, apigw: Any, counting: str, http: httpx.Client
) -> None:
    api_id, url = cached_url(server, apigw, counting)
    first = http.get(url)
    second = http.get(url)
    assert n(second) == n(first)
    assert second.headers["X-Upstream"] == "counting"
    assert second.headers["x-amzn-RequestId"] != first.headers["x-amzn-RequestId"]
    assert n(http.get(server.url(api_id, "test", "/items/2"))) > n(first)  # a key parameter
    assert n(http.post(url)) != n(http.post(url))  # POST: not cached by */*


def test_non_key_parameters_share_an_entry(
    server: Server, apigw: Any, counting: str, http: httpx.Client
) -> None:
    _, url = cached_url(
        server,
        apigw,
        counting,
        key_parameters=["method.request.path.id", "method.request.querystring.type"],
    )
    admin = n(http.get(url, params={"type": "admin", "department": "A"}))
    assert n(http.get(url, params={"type": "admin", "department": "B"})) == admin
    regular = n(http.get(url, params={"type": "regular", "department": "A"}))
    assert regular != admin
    assert n(http.get(url, params={"type": "regular"})) == regular


def test_a_method_setting_caches_post(
    server: Server, apigw: Any, counting: str, http: httpx.Client
) -> None:
    _, url = cached_url(
        server, apigw, counting, settings={"/~1items~1{id}/POST/caching/enabled": "true"}
    )
    assert n(http.post(url)) == n(http.post(url))


def test_an_integration_error_status_is_cached_too(
    server: Server, apigw: Any, counting: str, http: httpx.Client
) -> None:
    api_id, url = cached_url(server, apigw, counting)
    apigw.update_integration(
        restApiId=api_id,
        resourceId=add_path(apigw, api_id, "", "/items/{id}"),
        httpMethod="GET",
        patchOperations=[{"op": "replace", "path": "/uri", "value": f"{counting}/status/404"}],
    )
    deploy(apigw, api_id, "test")
    wait_for_reload(http, url, lambda r: r.status_code == 404)
    missing = http.get(url)
    assert missing.status_code == 404
    assert n(http.get(url)) == n(missing)


def test_entries_expire_after_their_ttl(
    server: Server, apigw: Any, counting: str, http: httpx.Client
) -> None:
    _, url = cached_url(server, apigw, counting, settings={f"{STAR}/ttlInSeconds": "1"})
    first = n(http.get(url))
    later = first
    for _ in range(100):  # the entry lives a second; wait up to 10
        time.sleep(0.1)
        later = n(http.get(url))
        if later != first:
            break
    assert later > first


def test_flush_stage_cache(server: Server, apigw: Any, counting: str, http: httpx.Client) -> None:
    api_id, url = cached_url(server, apigw, counting)
    first = n(http.get(url))
    assert n(http.get(url)) == first
    response = apigw.flush_stage_cache(restApiId=api_id, stageName="test")
    assert status_of(response) == 202
    flushed = n(http.get(url))
    assert flushed > first
    assert n(http.get(url)) == flushed
    assert aws_error(apigw.flush_stage_cache, restApiId=api_id, stageName="nope")[:2] == (
        404,
        "NotFoundException",
    )


def test_metrics_count_hits_and_misses(
    server: Server, apigw: Any, counting: str, http: httpx.Client
) -> None:
    api_id = cached_api(apigw, counting)
    for path in ("/items/1", "/items/1", "/items/1", "/items/2"):
        http.get(server.url(api_id, "test", path))
    metrics = http.get(f"{server.admin}/_tollway/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    labels = f'{{api_id="{api_id}",stage="test"}}'
    assert f"tollway_cache_hit_count_total{labels} 2\n" in metrics.text
    assert f"tollway_cache_miss_count_total{labels} 2\n" in metrics.text


# --- Cache-Control: max-age=0 ---------------------------------------------------------------


def test_anyone_invalidates_without_required_authorization(
    server: Server, apigw: Any, counting: str, http: httpx.Client
) -> None:
    _, url = cached_url(
        server, apigw, counting, settings={f"{STAR}/requireAuthorizationForCacheControl": "false"}
    )
    first = n(http.get(url))
    fresh = n(http.get(url, headers={"Cache-Control": "max-age=0"}))
    assert fresh > first
    assert n(http.get(url)) == fresh


def test_unauthorized_invalidation_fails_with_403(
    server: Server, apigw: Any, counting: str, http: httpx.Client
) -> None:
    api_id, url = cached_url(
        server,
        apigw,
        counting,
        settings={f"{STAR}/unauthorizedCacheControlHeaderStrategy": "FAIL_WITH_403"},
    )
    first = n(http.get(url))
    refused = http.get(url, headers={"Cache-Control": "max-age=0"})
    assert refused.status_code == 403
    assert refused.json() == {
        "Message": "User: anonymous is not authorized to perform: execute-api:InvalidateCache "
        f"on resource: arn:aws:execute-api:us-east-1:000000000000:{api_id}/test/GET/items/1"
    }
    assert refused.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert n(http.get(url)) == first


def test_unauthorized_invalidation_is_ignored_with_a_warning_header(
    server: Server, apigw: Any, counting: str, http: httpx.Client
) -> None:
    api_id = cached_api(apigw, counting)  # the default strategy
    url = server.url(api_id, "test", "/items/1")
    first = http.get(url)
    assert "Warning" not in first.headers
    ignored = http.get(url, headers={"Cache-Control": "max-age=0"})
    assert n(ignored) == n(first)
    assert ignored.headers["Warning"] == (
        '199 - "Cache-Control header ignored: the caller is not authorized to invalidate the cache"'
    )


def test_unauthorized_invalidation_is_ignored_silently(
    server: Server, apigw: Any, counting: str, http: httpx.Client
) -> None:
    strategy = {f"{STAR}/unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITHOUT_RESPONSE_HEADER"}
    _, url = cached_url(server, apigw, counting, settings=strategy)
    first = n(http.get(url))
    ignored = http.get(url, headers={"Cache-Control": "max-age=0"})
    assert n(ignored) == first
    assert "Warning" not in ignored.headers


# --- Cache-Control with execute-api:InvalidateCache (IAM) -------------------------------------

IDENTITIES = """
users:
  - name: ops
    accessKeys: [{accessKeyId: AKIAOPS, secretAccessKey: ops-secret}]
    policies:
      invalidate:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: "execute-api:InvalidateCache", Resource: "arn:aws:execute-api:*:*:*/*/GET/items/*"}
  - name: dev
    accessKeys: [{accessKeyId: AKIADEV, secretAccessKey: dev-secret}]
    policies:
      invoke:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: "execute-api:Invoke", Resource: "*"}
"""


@pytest.fixture(scope="module")
def iam_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve_with_identities(tmp_path_factory, "cache-iam", IDENTITIES)


def signed_get(http: httpx.Client, url: str, key: str, secret: str) -> httpx.Response:
    request = signed_request(url, "GET", b"", {"Cache-Control": "max-age=0"}, key=key,
                             secret=secret)  # fmt: skip
    return http.get(request.url, headers=dict(request.headers.items()))


def test_a_caller_allowed_invalidate_cache_invalidates(
    iam_server: Server, counting: str, http: httpx.Client
) -> None:
    apigw = iam_server.client("apigateway")
    strategy = {f"{STAR}/unauthorizedCacheControlHeaderStrategy": "FAIL_WITH_403"}
    api_id, url = cached_url(iam_server, apigw, counting, settings=strategy)
    first = n(http.get(url))
    fresh = n(signed_get(http, url, "AKIAOPS", "ops-secret"))
    assert fresh > first
    assert n(http.get(url)) == fresh
    refused = signed_get(http, url, "AKIADEV", "dev-secret")  # may invoke, not invalidate
    assert refused.status_code == 403
    assert refused.json()["Message"].endswith(
        f"is not authorized to perform: execute-api:InvalidateCache on resource: "
        f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/test/GET/items/1"
    )
    assert signed_get(http, url, "AKIAOPS", "wrong-secret").status_code == 403
    assert n(http.get(url)) == fresh
