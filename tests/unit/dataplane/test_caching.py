"""The stage cache compiled (dataplane/caching.py): which methods are cached and for how long,
the methodSettings keys, the cache key and its parameters, and the stage's warnings."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.dataplane.conftest import add, context, definition, stage

from tollway.dataplane.caching import (
    FAIL_WITH_403,
    SUCCEED_WITH_RESPONSE_HEADER,
    CacheSetting,
    cache_warnings,
    resolve,
    setting_key,
)
from tollway.model.rest import Stage, plain_stage

ON: dict[str, Any] = {"cachingEnabled": True, "cacheTtlInSeconds": 300}


def stage_record(cluster: bool = True, **settings: dict[str, Any]) -> Stage:
    record = plain_stage("test", "dep123", None)
    record["cacheClusterEnabled"] = cluster
    record["methodSettings"] = settings  # type: ignore[typeddict-item]
    return record


def test_method_setting_keys_escape_the_resource_path() -> None:
    assert setting_key("/pets", "GET") == "~1pets/GET"
    assert setting_key("/pets/{id}", "POST") == "~1pets~1{id}/POST"
    assert setting_key("/", "GET") == "~1/GET"


def test_nothing_is_cached_while_the_stage_cache_is_off() -> None:
    assert resolve(stage_record(False, **{"*/*": ON}), "/pets", "GET") is None


def test_the_star_setting_caches_get_methods_only() -> None:
    record = stage_record(**{"*/*": ON})
    assert resolve(record, "/pets", "GET") == CacheSetting(300, True, SUCCEED_WITH_RESPONSE_HEADER)
    assert resolve(record, "/pets", "POST") is None
    assert resolve(record, "/pets", "PUT") is None


def test_a_method_setting_overrides_the_star_setting() -> None:
    record = stage_record(
        **{
            "*/*": ON,
            "~1pets/POST": {**ON, "cacheTtlInSeconds": 60},
            "~1pets/GET": {**ON, "cachingEnabled": False},
            "~1toys/GET": {
                **ON,
                "requireAuthorizationForCacheControl": False,
                "unauthorizedCacheControlHeaderStrategy": FAIL_WITH_403,
            },
        }
    )
    assert resolve(record, "/pets", "POST") == CacheSetting(60, True, SUCCEED_WITH_RESPONSE_HEADER)
    assert resolve(record, "/pets", "GET") is None
    assert resolve(record, "/toys", "GET") == CacheSetting(300, False, FAIL_WITH_403)
    assert resolve(record, "/other", "GET") == CacheSetting(300, True, SUCCEED_WITH_RESPONSE_HEADER)


@pytest.mark.parametrize(("ttl", "expected"), [(0, None), (1, 1), (3600, 3600)])
def test_ttl_zero_disables_caching(ttl: int, expected: int | None) -> None:
    found = resolve(stage_record(**{"*/*": {**ON, "cacheTtlInSeconds": ttl}}), "/a", "GET")
    assert (found.ttl if found else None) == expected


def test_a_missing_ttl_is_the_default_300() -> None:
    found = resolve(stage_record(**{"*/*": {"cachingEnabled": True}}), "/a", "GET")
    assert found is not None and found.ttl == 300


def test_the_key_is_deployment_namespace_method_and_the_key_parameters() -> None:
    d = definition()
    add(
        d,
        "/users/{id}",
        "GET",
        {
            "type": "MOCK",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "cacheNamespace": "users",
            "cacheKeyParameters": [
                "method.request.path.id",
                "method.request.querystring.type",
                "method.request.header.X-Tenant",
            ],
        },
    )
    compiled = stage(d, cacheClusterEnabled=True, methodSettings={"*/*": ON})
    method = compiled.router.match("GET", "/users/7")
    assert method is not None
    cache = method[0].cache
    assert cache is not None and cache.ttl == 300
    ctx = context(compiled, path="/users/7", query="type=admin&department=A",
                  headers=[("X-Tenant", "t1")])  # fmt: skip
    ctx.path_parameters = {"id": "7"}
    key = cache.key(ctx)
    assert key == (
        "dep123\nusers\nGET\nmethod.request.path.id=1:7\n"
        "method.request.querystring.type=5:admin\nmethod.request.header.X-Tenant=2:t1"
    )
    other_department = context(compiled, path="/users/7", query="type=admin&department=B",
                               headers=[("x-tenant", "t1")])  # fmt: skip
    other_department.path_parameters = {"id": "7"}
    assert cache.key(other_department) == key  # not a key parameter: shared
    missing = context(compiled, path="/users/7", query="department=B")
    missing.path_parameters = {"id": "7"}
    assert "querystring.type=-" in cache.key(missing)  # absent, not empty
    empty = context(compiled, path="/users/7", query="type=")
    empty.path_parameters = {"id": "7"}
    assert "querystring.type=0:" in cache.key(empty)


def test_a_method_without_key_parameters_uses_its_resource_as_namespace() -> None:
    d = definition()
    resource = add(d, "/pets", "GET")
    compiled = stage(d, cacheClusterEnabled=True, methodSettings={"*/*": ON})
    found = compiled.router.match("GET", "/pets")
    assert found is not None and found[0].cache is not None
    assert found[0].cache.key(context(compiled, path="/pets")) == f"dep123\n{resource}\nGET"


def test_uncached_methods_have_no_cache() -> None:
    d = definition()
    add(d, "/pets", "GET")
    add(d, "/pets", "POST")
    for settings in ({}, {"methodSettings": {"*/*": ON}}):
        compiled = stage(d, **settings)
        assert compiled.router.match("GET", "/pets")[0].cache is None  # type: ignore[index]
    compiled = stage(d, cacheClusterEnabled=True, methodSettings={"*/*": ON})
    assert compiled.router.match("POST", "/pets")[0].cache is None  # type: ignore[index]


def test_unsupported_key_parameters_and_unkeyed_path_parameters_are_warned() -> None:
    d = definition()
    mock = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}
    add(d, "/a/{id}", "GET", {**mock, "cacheKeyParameters": ["integration.request.path.id"]})
    add(d, "/b/{id}", "GET", mock)
    compiled = stage(d, cacheClusterEnabled=True, methodSettings={"*/*": ON})
    warnings = "\n".join(compiled.warnings)
    assert (
        "the cache key parameter integration.request.path.id is not supported "
        "(method.request.path, querystring, multivaluequerystring, header, multivalueheader "
        "are): the method is not cached on GET /a/{id}"
    ) in warnings
    assert compiled.router.match("GET", "/a/1")[0].cache is None  # type: ignore[index]
    assert (
        "the cache key leaves out the path parameter id (cacheKeyParameters "
        "method.request.path.id): every id shares one cached response, as on AWS on GET /b/{id}"
    ) in warnings


def test_stage_warnings_for_settings_that_do_nothing() -> None:
    assert cache_warnings(stage_record(True)) == [
        "the stage cache (cacheClusterEnabled) is on but no method setting enables caching: "
        "nothing is cached (patch /*/*/caching/enabled or /{resourcePath}/{httpMethod}/"
        "caching/enabled to true)"
    ]
    assert cache_warnings(stage_record(False, **{"*/*": ON})) == [
        "method caching (*/*) has no effect: the stage cache (cacheClusterEnabled) is off"
    ]
    encrypted = stage_record(True, **{"*/*": {**ON, "cacheDataEncrypted": True}})
    assert cache_warnings(encrypted) == [
        "cacheDataEncrypted (*/*): Tollway keeps cached responses unencrypted"
    ]
    assert cache_warnings(stage_record(True, **{"*/*": ON})) == []


def test_an_any_method_keeps_each_http_methods_responses_apart() -> None:
    d = definition()
    resource = add(d, "/any", "ANY")
    compiled = stage(d, cacheClusterEnabled=True, methodSettings={"*/*": ON})
    assert compiled.router.match("GET", "/any")[0].cache is None  # type: ignore[index]
    compiled = stage(d, cacheClusterEnabled=True, methodSettings={"~1any/ANY": ON})
    cache = compiled.router.match("GET", "/any")[0].cache  # type: ignore[index]
    assert cache is not None
    get, post = context(compiled, "GET", "/any"), context(compiled, "POST", "/any")
    assert cache.key(get) == f"dep123\n{resource}\nGET"
    assert cache.key(post) == f"dep123\n{resource}\nPOST"


def test_multi_value_parameters_are_keyed_by_every_value() -> None:
    d = definition()
    mock = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}
    add(d, "/m", "GET", {**mock, "cacheKeyParameters": ["method.request.multivaluequerystring.v"]})
    compiled = stage(d, cacheClusterEnabled=True, methodSettings={"*/*": ON})
    cache = compiled.router.match("GET", "/m")[0].cache  # type: ignore[index]
    assert cache is not None
    joined = cache.key(context(compiled, path="/m", query="v=a%2Cb"))
    separate = cache.key(context(compiled, path="/m", query="v=a&v=b"))
    assert joined != separate
    assert separate.endswith('method.request.multivaluequerystring.v=9:["a","b"]')
