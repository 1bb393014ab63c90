"""AWS's checks on v2 definitions: route keys and their conflicts (spec §1.5), stage names and
variables (§1.1, §7.4), integrations and timeouts (§3.1, §3.2), service-integration subtypes
(§3.5), parameter-mapping keys and reserved headers (§4.8), CORS (§9.2)."""

from __future__ import annotations

from typing import Any

import pytest

from tollway.control.apigatewayv2 import rules
from tollway.control.errors import BadRequestException, ConflictException, NotFoundException

LAMBDA_ARN = "arn:aws:lambda:us-east-1:000000000000:function:f"


@pytest.mark.parametrize(
    "key",
    ["$default", "GET /", "ANY /{proxy+}", "GET /pets/{id}", "POST /a/b.c/{x}/d", "PATCH /v1"],
)
def test_valid_http_route_keys(key: str) -> None:
    assert rules.check_route_key(key, http=True) == key


@pytest.mark.parametrize(
    "key",
    [
        "GET",
        "FETCH /pets",
        "get /pets",
        "GET pets",
        "GET /pets/",
        "GET //pets",
        "GET /{proxy+}/more",
        "GET /pets{id}",
        "GET /{id}/{id}",
        "$connect",
    ],
)
def test_invalid_http_route_keys(key: str) -> None:
    with pytest.raises(BadRequestException) as refused:
        rules.check_route_key(key, http=True)
    assert refused.value.message == (
        f"Invalid route key: {key}. A route key is $default or an HTTP method "
        "(ANY, GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS) and a path, such as GET /pets/{id}"
    )


def test_websocket_route_keys_are_selection_keys() -> None:
    assert rules.check_route_key("$connect", http=False) == "$connect"
    assert rules.check_route_key("sendMessage", http=False) == "sendMessage"
    with pytest.raises(BadRequestException) as refused:
        rules.check_route_key("", http=False)
    assert refused.value.message == "Route key is required"


def test_a_repeated_route_key_conflicts() -> None:
    with pytest.raises(ConflictException) as refused:
        rules.check_route_conflicts("ANY /{proxy+}", ["GET /a", "ANY /{proxy+}"])
    assert refused.value.message == "Route with key ANY /{proxy+} already exists for this API"


def test_a_variable_named_differently_at_the_same_level_conflicts() -> None:
    new = "GET /public/orgs/{orgId}/stages/{stageId}/questions"
    old = "GET /public/orgs/{orgId}/stages/{stage_id}/questions"
    with pytest.raises(ConflictException) as refused:
        rules.check_route_conflicts(new, [old])
    assert refused.value.message == (
        f'The provided route key "{new}" has a conflicting variable on the same hierarchical '
        f'level as "{old}"'
    )


@pytest.mark.parametrize(
    ("new", "old"),
    [
        ("GET /pets/{id}", "GET /owners/{name}"),
        ("GET /pets/{id}", "GET /pets/{id}/toys"),
        ("GET /pets/{proxy+}", "GET /pets/{id}"),
        ("GET /pets/dog", "GET /pets/{id}"),
        ("$default", "GET /pets/{id}"),
    ],
)
def test_routes_that_do_not_conflict(new: str, old: str) -> None:
    rules.check_route_conflicts(new, [old])


def test_stage_names() -> None:
    rules.check_stage_name("$default")
    rules.check_stage_name("prod_v-2")
    for bad in ("", "a b", "$prod", "x" * 129):
        with pytest.raises(BadRequestException) as refused:
            rules.check_stage_name(bad)
        assert refused.value.message == "Stage name only allows a-zA-Z0-9_-"


def test_stage_variables() -> None:
    rules.check_stage_variables({"host": "example.com:8080/x", "empty": "", "long": "a" * 2048})
    with pytest.raises(BadRequestException):
        rules.check_stage_variables({"bad-name": "x"})
    with pytest.raises(BadRequestException):
        rules.check_stage_variables({"v": "a" * 2049})
    with pytest.raises(BadRequestException):
        rules.check_stage_variables({f"v{i}": "x" for i in range(101)})


def test_route_settings_must_name_existing_routes() -> None:
    rules.check_route_settings({"GET /a": {"ThrottlingBurstLimit": 5}}, ["GET /a"])
    with pytest.raises(NotFoundException) as refused:
        rules.check_route_settings({"GET /some-route": {}}, ["GET /a"])
    assert refused.value.message == (
        "Unable to find Route by key GET /some-route within the provided RouteSettings"
    )


def _integration(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "IntegrationType": "AWS_PROXY",
        "IntegrationUri": LAMBDA_ARN,
        "PayloadFormatVersion": "2.0",
        "TimeoutInMillis": 30000,
    }
    base.update(fields)
    return base


def test_lambda_targets() -> None:
    assert rules.is_lambda_target(LAMBDA_ARN)
    assert rules.is_lambda_target(LAMBDA_ARN + ":live")
    assert rules.is_lambda_target(
        f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{LAMBDA_ARN}/invocations"
    )
    assert not rules.is_lambda_target("https://example.com")


def test_timeouts_per_protocol() -> None:
    rules.check_integration(_integration(TimeoutInMillis=50), http=True)
    rules.check_integration(_integration(TimeoutInMillis=30000), http=True)
    for value, http, ceiling in ((49, True, 30000), (30001, True, 30000), (29001, False, 29000)):
        with pytest.raises(BadRequestException) as refused:
            rules.check_integration(_integration(TimeoutInMillis=value), http=http)
        assert refused.value.message == f"Timeout should be between 50 ms and {ceiling} ms"


def test_http_apis_take_only_proxy_integrations() -> None:
    with pytest.raises(BadRequestException) as refused:
        rules.check_integration(_integration(IntegrationType="MOCK"), http=True)
    assert refused.value.message == (
        "Integration type MOCK is not supported for HTTP APIs. Valid types are AWS_PROXY, "
        "HTTP_PROXY"
    )
    rules.check_integration(_integration(IntegrationType="MOCK", TimeoutInMillis=29000), http=False)


def test_proxy_integration_checks() -> None:
    with pytest.raises(BadRequestException):
        rules.check_integration(_integration(IntegrationUri="https://x"), http=True)
    with pytest.raises(BadRequestException):
        rules.check_integration(_integration(PayloadFormatVersion="3.0"), http=True)
    http_proxy = _integration(
        IntegrationType="HTTP_PROXY",
        IntegrationUri="https://example.com/{proxy}",
        IntegrationMethod="ANY",
        PayloadFormatVersion="1.0",
    )
    rules.check_integration(http_proxy, http=True)
    with pytest.raises(BadRequestException) as refused:
        rules.check_integration({**http_proxy, "PayloadFormatVersion": "2.0"}, http=True)
    assert "HTTP_PROXY integrations support only 1.0" in refused.value.message
    with pytest.raises(BadRequestException) as refused:
        rules.check_integration({**http_proxy, "IntegrationUri": "ftp://x"}, http=True)
    assert refused.value.message == "Invalid HTTP endpoint specified for URI: ftp://x"
    with pytest.raises(BadRequestException) as refused:
        rules.check_integration({**http_proxy, "IntegrationMethod": None}, http=True)
    assert refused.value.message == "IntegrationMethod is required for HTTP_PROXY integrations"


def test_request_parameter_keys() -> None:
    rules.check_request_parameters(
        {
            "append:header.x-a": "$request.header.b",
            "overwrite:querystring.q": "static",
            "remove:header.x-c": "",
            "overwrite:path": "$request.path",
        }
    )
    for key in ("overwrite:body", "set:header.a", "append:path", "overwrite:header."):
        with pytest.raises(BadRequestException) as refused:
            rules.check_request_parameters({key: "x"})
        assert refused.value.message == (
            "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
            f"[Invalid Request Actioned Parameter destination specified: {key}]"
        )
    # The checks are the data plane's compiler's (tests/unit/dataplane/http_api/test_parameters).


@pytest.mark.parametrize(
    "header",
    ["Authorization", "Content-Length", "Host-not", "x-amz-date", "X-Amzn-Trace-Id", "apigw-x"],
)
def test_reserved_headers_cannot_be_mapped(header: str) -> None:
    if header == "Host-not":
        rules.check_request_parameters({f"overwrite:header.{header}": "x"})
        return
    with pytest.raises(BadRequestException) as refused:
        rules.check_request_parameters({f"overwrite:header.{header}": "x"})
    assert refused.value.message == (
        "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
        f"[Operations on header {header} are restricted]"
    )


def test_response_parameter_keys() -> None:
    rules.check_response_parameters(
        {"200": {"overwrite:statuscode": "204", "append:header.x-a": "$response.header.b"}}
    )
    with pytest.raises(BadRequestException):
        rules.check_response_parameters({"199": {"overwrite:statuscode": "200"}})
    with pytest.raises(BadRequestException):
        rules.check_response_parameters({"500": {"overwrite:querystring.a": "x"}})
    with pytest.raises(BadRequestException):
        rules.check_response_parameters({"500": {"remove:header.Via": ""}})


def test_service_integration_subtypes() -> None:
    sqs = {
        "IntegrationType": "AWS_PROXY",
        "IntegrationSubtype": "SQS-SendMessage",
        "PayloadFormatVersion": "1.0",
        "TimeoutInMillis": 30000,
        "RequestParameters": {"QueueUrl": "https://q", "MessageBody": "$request.body"},
    }
    rules.check_integration(sqs, http=True)
    with pytest.raises(BadRequestException) as refused:
        rules.check_integration({**sqs, "RequestParameters": {"QueueUrl": "q"}}, http=True)
    assert refused.value.message == "Parameter MessageBody is required for SQS-SendMessage"
    with pytest.raises(BadRequestException) as refused:
        rules.check_integration(
            {**sqs, "RequestParameters": {**sqs["RequestParameters"], "Nope": "x"}}, http=True
        )
    assert refused.value.message == "Parameter Nope is not supported for SQS-SendMessage"
    with pytest.raises(BadRequestException):
        rules.check_integration({**sqs, "IntegrationSubtype": "SQS-Nothing"}, http=True)
    with pytest.raises(BadRequestException):
        rules.check_integration({**sqs, "PayloadFormatVersion": "2.0"}, http=True)


def test_cors() -> None:
    rules.check_cors({"AllowOrigins": ["https://a"], "AllowCredentials": True, "MaxAge": 86400})
    rules.check_cors({"AllowMethods": ["GET", "*", "options"]})
    with pytest.raises(BadRequestException):
        rules.check_cors({"MaxAge": 86401})
    with pytest.raises(BadRequestException):
        rules.check_cors({"AllowOrigins": ["*"], "AllowCredentials": True})
    with pytest.raises(BadRequestException):
        rules.check_cors({"AllowMethods": ["FETCH"]})
