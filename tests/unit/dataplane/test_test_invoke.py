"""TestInvokeMethod's runner: the one method compiled from the current definition, run through
the pipeline in the test-invoke stage, with the request's stage variables."""

from __future__ import annotations

from tests.unit.dataplane.conftest import add, definition, services

from tollway.dataplane.test_invoke import MethodTester

TEMPLATE = '{"id": "$input.params(\'id\')", "v": "$stageVariables.v", "stage": "$context.stage"}'


async def test_runs_the_named_method_even_where_another_resource_routes_first() -> None:
    d = definition()
    wanted = add(
        d,
        "/pets/{id}",
        "GET",
        responses={
            "200": {"statusCode": "200", "responseTemplates": {"application/json": TEMPLATE}}
        },
    )
    add(
        d,
        "/pets/static",
        "GET",
        responses={
            "200": {"statusCode": "200", "responseTemplates": {"application/json": "static"}}
        },
    )
    result = await MethodTester(services()).test_invoke(
        d,
        wanted,
        "GET",
        path_with_query="/pets/static?x=1",
        body=b"",
        headers=[("Accept", "application/json")],
        stage_variables={"v": "blue"},
    )
    assert result.status == 200
    assert result.body == b'{"id": "static", "v": "blue", "stage": "test-invoke-stage"}'
    assert result.headers == [("Content-Type", "application/json")]
    assert result.latency_ms >= 0
    assert "Method request query string: {x=1}" in result.log


async def test_without_a_path_the_resource_path_is_used() -> None:
    d = definition()
    resource = add(d, "/a/{b}", "POST", responses={"200": {"statusCode": "200"}})
    result = await MethodTester(services()).test_invoke(
        d, resource, "POST", path_with_query=None, body=b"", headers=[], stage_variables={}
    )
    assert result.status == 200
    assert "HTTP Method: POST, Resource Path: /a/{b}" in result.log
    assert "Method request path: {b={b}}" in result.log


async def test_a_path_the_resource_does_not_match_is_missing_authentication_token() -> None:
    d = definition()
    resource = add(d, "/pets/{id}", "GET", responses={"200": {"statusCode": "200"}})
    result = await MethodTester(services()).test_invoke(
        d, resource, "GET", path_with_query="/cats", body=b"", headers=[], stage_variables={}
    )
    assert (result.status, result.body) == (403, b'{"message":"Missing Authentication Token"}')
    assert result.log.endswith(": Method completed with status: 403\n")


async def test_authorization_is_skipped_as_aws_skips_it_for_test_invocations() -> None:
    d = definition()
    resource = add(d, "/private", "GET", responses={"200": {"statusCode": "200"}})
    d["resources"][resource]["resourceMethods"]["GET"]["authorizationType"] = "AWS_IAM"
    result = await MethodTester(services()).test_invoke(
        d, resource, "GET", path_with_query=None, body=b"", headers=[], stage_variables={}
    )
    assert result.status == 200
