"""The requests AWS service integrations send: URL, headers, body, SigV4 signature; and the
endpoint response they leave for the integration responses (spec §3.1, §3.3)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from botocore.credentials import ReadOnlyCredentials
from tests.unit.dataplane.conftest import RecordingUpstream, add, context, definition, stage

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import Response, RestContext
from tollway.dataplane.errors import ApiConfigurationError
from tollway.dataplane.handlers.integration_request import IntegrationRequest
from tollway.dataplane.handlers.route import ResourceRouter
from tollway.dataplane.integrations.aws_service import AwsCredentials, AwsServices

ARN = "arn:aws:apigateway:us-east-1"


class FixedCredentials(AwsCredentials):
    def __init__(self, token: str | None = None, *, none: bool = False) -> None:
        super().__init__()
        self._fixed = None if none else ReadOnlyCredentials("AKIDUNIT", "secret", token)

    def current(self) -> Any:
        return self._fixed


async def _send(
    integration: dict[str, Any],
    *,
    verb: str = "POST",
    path: str = "/svc",
    resource: str = "/svc",
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
    query: str = "",
    endpoints: dict[str, str] | None = None,
    credentials: AwsCredentials | None = None,
    response: Response | None = None,
) -> tuple[dict[str, Any], RestContext]:
    """Compiles a method with `integration`, runs a request through integration request and
    the integration; returns what the upstream was sent (header names lowered) and the
    context."""
    upstream = RecordingUpstream(response)
    d = definition()
    add(d, resource, verb, {"type": "AWS", "httpMethod": "POST", **integration})
    aws = AwsServices(endpoints or {}, credentials or FixedCredentials())
    compiled = stage(d, upstream=upstream, aws=aws)
    ctx = context(compiled, verb, path, headers, body, query)
    await ResourceRouter()(HandlerChain(), ctx)
    await IntegrationRequest()(HandlerChain(), ctx)
    assert ctx.method is not None
    await ctx.method.integration.invoke(ctx)
    [sent] = upstream.sent
    sent["headers"] = {name.lower(): value for name, value in sent["headers"]}
    return sent, ctx


async def test_a_json_protocol_action_gets_its_target_and_content_type_and_is_signed() -> None:
    sent, ctx = await _send(
        {
            "uri": f"{ARN}:dynamodb:action/PutItem",
            "requestTemplates": {"application/json": '{"TableName": "t"}'},
        },
        headers=[("Content-Type", "application/json"), ("Host", "x")],
        body=b'{"a": 1}',
        response=Response(200, [("Content-Type", "application/x-amz-json-1.0")], b"{}"),
    )
    assert sent["method"] == "POST"
    assert sent["url"] == "https://dynamodb.us-east-1.amazonaws.com/?Action=PutItem"
    assert sent["body"] == b'{"TableName": "t"}'
    headers = sent["headers"]
    assert headers["host"] == "dynamodb.us-east-1.amazonaws.com"
    assert headers["x-amz-target"] == "DynamoDB_20120810.PutItem"
    assert headers["content-type"] == "application/x-amz-json-1.0"
    assert headers["accept"] == "application/json"
    assert headers["user-agent"] == "AmazonAPIGateway_abc1234567"
    assert headers["x-amzn-trace-id"] == ctx.trace_id
    assert "x-amzn-apigateway-api-id" not in headers  # not for AWS integrations
    date = headers["x-amz-date"]
    assert headers["authorization"].startswith(
        f"AWS4-HMAC-SHA256 Credential=AKIDUNIT/{date[:8]}/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=accept;content-type;host;x-amz-date;x-amz-target, Signature="
    )
    assert "x-amz-security-token" not in headers
    assert sent["time_limit"] == 29.0
    assert ctx.integration_status == 200
    assert ctx.selection_value == "200"
    assert ctx.endpoint_response == Response(
        200, [("Content-Type", "application/x-amz-json-1.0")], b"{}"
    )


async def test_a_query_protocol_action_without_a_body_posts_its_parameters_as_a_form() -> None:
    sent, _ = await _send(
        {
            "uri": f"{ARN}:sqs:action/SendMessage&QueueUrl=https%3A%2F%2Fq%2F1%2Fq",
            "requestParameters": {
                "integration.request.querystring.MessageBody": "method.request.querystring.m"
            },
        },
        verb="GET",
        query="m=a%20b%26c",
    )
    assert sent["url"] == "https://sqs.us-east-1.amazonaws.com/"
    assert (
        sent["body"] == b"Action=SendMessage&QueueUrl=https%3A%2F%2Fq%2F1%2Fq&MessageBody=a%20b%26c"
    )
    assert sent["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert "x-amz-target" not in sent["headers"]


async def test_a_query_protocol_action_with_a_body_keeps_its_parameters_in_the_url() -> None:
    sent, _ = await _send(
        {
            "uri": f"{ARN}:sns:action/Publish",
            "requestParameters": {
                "integration.request.querystring.TopicArn": "'arn:aws:sns:us-east-1:1:t'",
                "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'",
            },
            "requestTemplates": {"application/json": "Message=$util.urlEncode($input.body)"},
        },
        body=b"hi there",
    )
    assert sent["url"] == (
        "https://sns.us-east-1.amazonaws.com/?Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At"
    )
    assert sent["body"] == b"Message=hi+there"
    assert sent["headers"]["content-type"] == "application/x-www-form-urlencoded"


async def test_a_path_uri_fills_placeholders_and_s3_signs_its_payload() -> None:
    sent, _ = await _send(
        {
            "uri": f"{ARN}:s3:path/{{bucket}}/{{key}}",
            "httpMethod": "PUT",
            "requestParameters": {
                "integration.request.path.bucket": "'my-bucket'",
                "integration.request.path.key": "method.request.path.name",
            },
        },
        verb="PUT",
        resource="/files/{name}",
        path="/files/a b.txt",
        body=b"content",
        headers=[("Content-Type", "text/plain")],
        endpoints={"*": "http://127.0.0.1:5000"},
    )
    assert sent["method"] == "PUT"
    assert sent["url"] == "http://127.0.0.1:5000/my-bucket/a%20b.txt"
    assert sent["body"] == b"content"
    headers = sent["headers"]
    assert headers["host"] == "127.0.0.1:5000"
    assert headers["content-type"] == "text/plain"
    assert headers["x-amz-content-sha256"] == hashlib.sha256(b"content").hexdigest()
    assert "/us-east-1/s3/aws4_request" in headers["authorization"]


async def test_get_sends_no_body_and_action_parameters_take_placeholders() -> None:
    sent, _ = await _send(
        {
            "uri": f"{ARN}:s3:action/GetObject&Bucket={{bucket}}&Key={{key}}",
            "httpMethod": "GET",
            "requestParameters": {
                "integration.request.path.bucket": "'b1'",
                "integration.request.path.key": "method.request.querystring.k",
            },
        },
        verb="GET",
        query="k=docs/x%20y",
    )
    assert sent["method"] == "GET"
    assert sent["body"] is None
    assert sent["url"] == (
        "https://s3.us-east-1.amazonaws.com/?Action=GetObject&Bucket=b1&Key=docs%2Fx%20y"
    )
    assert "content-type" not in sent["headers"]


async def test_mapped_headers_win_over_what_tollway_would_set() -> None:
    sent, _ = await _send(
        {
            "uri": f"{ARN}:events:action/PutEvents",
            "requestParameters": {
                "integration.request.header.X-Amz-Target": "'AWSEvents.PutRule'",
                "integration.request.header.Content-Type": "'application/json'",
                "integration.request.header.Accept": "'*/*'",
            },
        },
        body=b"{}",
    )
    headers = sent["headers"]
    assert headers["x-amz-target"] == "AWSEvents.PutRule"
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "*/*"


async def test_a_session_token_is_sent() -> None:
    sent, _ = await _send(
        {"uri": f"{ARN}:kinesis:action/ListStreams"},
        body=b"{}",
        credentials=FixedCredentials("session-token"),
    )
    assert sent["headers"]["x-amz-security-token"] == "session-token"
    assert sent["headers"]["content-type"] == "application/x-amz-json-1.1"


async def test_without_credentials_the_request_is_a_configuration_error() -> None:
    with pytest.raises(ApiConfigurationError) as error:
        await _send(
            {"uri": f"{ARN}:sqs:path/1/q"}, body=b"x", credentials=FixedCredentials(none=True)
        )
    assert error.value.log == (
        "Execution failed due to configuration error: no AWS credentials to sign the request "
        "to https://sqs.us-east-1.amazonaws.com with (set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, or --aws-profile)"
    )


async def test_a_uri_tollway_cannot_call_is_a_warning_and_a_configuration_error() -> None:
    d = definition()
    resource = add(
        d, "/bad", "POST", {"type": "AWS", "httpMethod": "POST", "uri": f"{ARN}:sqs:path/1"}
    )
    # The control plane refuses such a URI; a stored definition may still hold one.
    d["resources"][resource]["resourceMethods"]["POST"]["methodIntegration"]["uri"] = (
        f"{ARN}:sqs:queue/1"
    )
    compiled = stage(d, aws=AwsServices({}, FixedCredentials()))
    reason = (
        "AWS integration Tollway cannot call: AWS ARN for integration must contain path or "
        f"action: {ARN}:sqs:queue/1"
    )
    assert compiled.warnings == [f"{reason} on POST /bad"]
    ctx = context(compiled, "POST", "/bad")
    await ResourceRouter()(HandlerChain(), ctx)
    assert ctx.method is not None
    with pytest.raises(ApiConfigurationError) as error:
        await ctx.method.integration.invoke(ctx)
    assert error.value.log == f"Execution failed due to configuration error: {reason}"


def test_aws_proxy_with_another_service_stays_unsupported() -> None:
    d = definition()
    uri = f"{ARN}:firehose:action/PutRecord"
    add(d, "/p", "POST", {"type": "AWS_PROXY", "httpMethod": "POST", "uri": uri})
    compiled = stage(d, aws=AwsServices({}, FixedCredentials()))
    assert compiled.warnings == [
        f"AWS_PROXY integrations with services other than Lambda ({uri}) on POST /p"
    ]
