"""The cache lookup and cache store stages in the REST pipeline: a hit answers without the
integration (with its own request ids), a miss stores, key parameters separate entries,
API Gateway's own errors are not stored, `Cache-Control: max-age=0` under each
`unauthorizedCacheControlHeaderStrategy` and with `execute-api:InvalidateCache`."""

from __future__ import annotations

from typing import Any

import orjson
from tests.signing import sign
from tests.unit.dataplane.conftest import NoFunctions, RecordingUpstream, add, definition

from tollway.auth.identities import parse_identities
from tollway.dataplane.auth.services import AuthServices
from tollway.dataplane.caching import WARNING_HEADER
from tollway.dataplane.compile import compile_stage
from tollway.dataplane.compiled import CompiledStage
from tollway.dataplane.context import Request, Response, RestContext
from tollway.dataplane.errors import IntegrationTimeout
from tollway.dataplane.integrations import IntegrationServices
from tollway.dataplane.pipeline import rest_pipeline
from tollway.model.rest import plain_stage
from tollway.state.response_cache import MemoryResponseCache

HOST = "abc1234567.execute-api.localhost"
ARN = "arn:aws:execute-api:us-east-1:000000000000:abc1234567/test"
ON: dict[str, Any] = {"cachingEnabled": True, "cacheTtlInSeconds": 300}
IDENTITIES = {
    "users": [
        {
            "name": "ops",
            "accessKeys": [{"accessKeyId": "AKIAOPS", "secretAccessKey": "ops"}],
            "policies": {
                "invalidate": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "execute-api:InvalidateCache",
                            "Resource": f"{ARN}/GET/items",
                        }
                    ],
                }
            },
        },
        {"name": "dev", "accessKeys": [{"accessKeyId": "AKIADEV", "secretAccessKey": "dev"}]},
    ]
}


class CountingUpstream(RecordingUpstream):
    """Answers `n=<call number>` so a test sees which call a response came from."""

    async def send(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        await super().send(method, url, *args, **kwargs)
        body = orjson.dumps({"n": len(self.sent), "url": url})
        return Response(200, [("Content-Type", "application/json")], body)


class TimingOutUpstream(RecordingUpstream):
    async def send(self, *args: Any, **kwargs: Any) -> Response:
        await super().send(*args, **kwargs)
        raise IntegrationTimeout()


def compiled(
    upstream: RecordingUpstream, key_parameters: list[str] | None = None, **setting: Any
) -> CompiledStage:
    d = definition()
    integration = {
        "type": "HTTP_PROXY",
        "httpMethod": "ANY",
        "uri": "http://backend.example/items",
        "cacheKeyParameters": key_parameters or [],
    }
    add(d, "/items", "GET", integration)
    add(d, "/items", "POST", integration)
    record = plain_stage("test", "dep123", None)
    record["cacheClusterEnabled"] = True
    record["methodSettings"] = {"*/*": {**ON, **setting}}  # type: ignore[typeddict-item]
    store, _ = parse_identities(IDENTITIES, "000000000000")
    services = IntegrationServices(
        upstream, NoFunctions(), "us-east-1", "000000000000",
        auth=AuthServices(identities=store), response_cache=MemoryResponseCache(),
    )  # fmt: skip
    return compile_stage(d, "dep123", record, services)


async def call(
    stage: CompiledStage,
    method: str = "GET",
    query: str = "",
    headers: list[tuple[str, str]] | None = None,
    signer: dict[str, str] | None = None,
) -> Response:
    sent = [("Host", HOST), *(headers or [])]
    path = "/items"
    if signer is not None:
        url = f"http://{HOST}/test/items" + (f"?{query}" if query else "")
        _, query, sent = sign(url, method, headers=dict(headers or []), **signer)
    request = Request(method, path, f"/test{path}", query, sent, b"", "10.0.0.1", HOST)
    ctx = RestContext(request, stage)
    await rest_pipeline([]).run(ctx)
    assert ctx.response is not None
    return ctx.response


def header(response: Response, name: str) -> str | None:
    return next((v for k, v in response.headers if k.lower() == name.lower()), None)


def served_by(response: Response) -> int:
    return int(orjson.loads(response.body)["n"])


async def test_a_hit_does_not_reach_the_integration_and_has_its_own_ids() -> None:
    upstream = CountingUpstream()
    stage = compiled(upstream)
    first, second = await call(stage), await call(stage)
    assert len(upstream.sent) == 1
    assert (second.status, second.body) == (first.status, first.body)
    assert header(second, "Content-Type") == "application/json"
    assert [k for k, _ in second.headers].count("x-amzn-RequestId") == 1
    assert header(second, "x-amzn-RequestId") != header(first, "x-amzn-RequestId")
    assert header(second, "x-amz-apigw-id") != header(first, "x-amz-apigw-id")
    handle = stage.router.match("GET", "/items")[0].cache.store  # type: ignore[index,union-attr]
    assert (handle.hits, handle.misses) == (1, 1)


async def test_post_is_not_cached_by_the_star_setting() -> None:
    upstream = CountingUpstream()
    stage = compiled(upstream)
    await call(stage, "POST")
    await call(stage, "POST")
    assert len(upstream.sent) == 2


async def test_key_parameters_separate_entries_and_others_share_them() -> None:
    upstream = CountingUpstream()
    stage = compiled(upstream, ["method.request.querystring.type"])
    admin = await call(stage, query="type=admin&department=A")
    assert served_by(await call(stage, query="type=admin&department=B")) == served_by(admin)
    assert served_by(await call(stage, query="type=regular&department=A")) == 2
    assert len(upstream.sent) == 2


async def test_gateway_errors_are_not_stored() -> None:
    upstream = TimingOutUpstream()
    stage = compiled(upstream)
    assert (await call(stage)).status == 504
    assert (await call(stage)).status == 504
    assert len(upstream.sent) == 2


async def test_cache_control_without_authorization_required_invalidates() -> None:
    upstream = CountingUpstream()
    stage = compiled(upstream, requireAuthorizationForCacheControl=False)
    await call(stage)
    fresh = await call(stage, headers=[("Cache-Control", "max-age=0")])
    assert served_by(fresh) == 2
    assert served_by(await call(stage)) == 2  # the fresh answer replaced the entry


async def test_unauthorized_invalidation_succeeds_with_a_warning_header_by_default() -> None:
    upstream = CountingUpstream()
    stage = compiled(upstream)
    await call(stage)
    ignored = await call(stage, headers=[("Cache-Control", "no-cache, max-age=0")])
    assert served_by(ignored) == 1
    assert header(ignored, "Warning") == WARNING_HEADER[1]
    assert header(await call(stage), "Warning") is None


async def test_unauthorized_invalidation_on_a_miss_stores_without_the_warning() -> None:
    upstream = CountingUpstream()
    stage = compiled(upstream)
    first = await call(stage, headers=[("Cache-Control", "max-age=0")])
    assert header(first, "Warning") == WARNING_HEADER[1]
    second = await call(stage)
    assert served_by(second) == 1 and header(second, "Warning") is None


async def test_unauthorized_invalidation_succeeds_silently() -> None:
    upstream = CountingUpstream()
    stage = compiled(
        upstream, unauthorizedCacheControlHeaderStrategy="SUCCEED_WITHOUT_RESPONSE_HEADER"
    )
    await call(stage)
    ignored = await call(stage, headers=[("Cache-Control", "max-age=0")])
    assert served_by(ignored) == 1 and header(ignored, "Warning") is None


async def test_unauthorized_invalidation_fails_with_403() -> None:
    upstream = CountingUpstream()
    stage = compiled(upstream, unauthorizedCacheControlHeaderStrategy="FAIL_WITH_403")
    await call(stage)
    refused = await call(stage, headers=[("Cache-Control", "max-age=0")])
    assert refused.status == 403
    assert orjson.loads(refused.body) == {
        "Message": "User: anonymous is not authorized to perform: execute-api:InvalidateCache "
        f"on resource: {ARN}/GET/items"
    }
    assert header(refused, "x-amzn-ErrorType") == "AccessDeniedException"
    assert len(upstream.sent) == 1


async def test_a_signed_caller_allowed_invalidate_cache_invalidates() -> None:
    upstream = CountingUpstream()
    stage = compiled(upstream, unauthorizedCacheControlHeaderStrategy="FAIL_WITH_403")
    await call(stage)
    control = [("Cache-Control", "max-age=0")]
    fresh = await call(stage, headers=control, signer={"key": "AKIAOPS", "secret": "ops"})
    assert served_by(fresh) == 2
    denied = await call(stage, headers=control, signer={"key": "AKIADEV", "secret": "dev"})
    assert denied.status == 403
    forged = await call(stage, headers=control, signer={"key": "AKIAOPS", "secret": "wrong"})
    assert forged.status == 403
    assert served_by(await call(stage)) == 2
