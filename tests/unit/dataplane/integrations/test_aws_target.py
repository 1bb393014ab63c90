"""AWS integration URIs, the service models and endpoints they resolve to (spec §3.1)."""

from __future__ import annotations

import pytest

from tollway.dataplane.integrations.aws_target import (
    Endpoint,
    ServiceModel,
    ServiceUri,
    TargetError,
    parse_service_uri,
    resolve_endpoint,
    service_model,
)
from tollway.settings import from_env, parse_endpoints


@pytest.mark.parametrize(
    ("uri", "parsed"),
    [
        (
            "arn:aws:apigateway:us-east-1:sqs:path/123456789012/myqueue",
            ServiceUri("us-east-1", "sqs", "", None, (), "/123456789012/myqueue"),
        ),
        (
            "arn:aws:apigateway:eu-west-1:dynamodb:action/PutItem",
            ServiceUri("eu-west-1", "dynamodb", "", "PutItem", (), "/"),
        ),
        (
            "arn:aws:apigateway:us-west-2:s3:action/GetObject&Bucket={bucket}&Key=a%2Fb",
            ServiceUri(
                "us-west-2", "s3", "", "GetObject", (("Bucket", "{bucket}"), ("Key", "a/b")), "/"
            ),
        ),
        (
            "arn:aws:apigateway:us-west-2:s3:path/{bucket}/{key}",
            ServiceUri("us-west-2", "s3", "", None, (), "/{bucket}/{key}"),
        ),
        (
            "arn:aws:apigateway:us-east-1:mybucket.s3:path/docs/a.txt",
            ServiceUri("us-east-1", "s3", "mybucket", None, (), "/docs/a.txt"),
        ),
        (
            "arn:aws:apigateway:us-east-1:streams.dynamodb:action/GetRecords",
            ServiceUri("us-east-1", "streams.dynamodb", "", "GetRecords", (), "/"),
        ),
        (  # the SNS documentation's path override `/`
            "arn:aws:apigateway:us-east-1:sns:path//",
            ServiceUri("us-east-1", "sns", "", None, (), "/"),
        ),
        (  # a path may hold colons (an ARN)
            "arn:aws-cn:apigateway::states:path/x/arn:aws:states:a:b",
            ServiceUri("cn-north-1", "states", "", None, (), "/x/arn:aws:states:a:b"),
        ),
    ],
)
def test_uris_are_parsed(uri: str, parsed: ServiceUri) -> None:
    assert parse_service_uri(uri, "cn-north-1") == parsed


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("https://example.com/", "not an AWS integration URI: https://example.com/"),
        (
            "arn:aws:apigateway:us-east-1:sqs:queue/x",
            "AWS ARN for integration must contain path or action: "
            "arn:aws:apigateway:us-east-1:sqs:queue/x",
        ),
        (
            "arn:aws:apigateway:us-east-1:sqs:action/",
            "AWS ARN for integration must name an action: arn:aws:apigateway:us-east-1:sqs:action/",
        ),
    ],
)
def test_uris_tollway_cannot_call(uri: str, message: str) -> None:
    with pytest.raises(TargetError) as error:
        parse_service_uri(uri, "us-east-1")
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("service", "model"),
    [
        ("sqs", ServiceModel("sqs", "query", "AmazonSQS", "1.0")),  # query compatible
        ("sns", ServiceModel("sns", "query")),
        ("dynamodb", ServiceModel("dynamodb", "json", "DynamoDB_20120810", "1.0")),
        ("kinesis", ServiceModel("kinesis", "json", "Kinesis_20131202", "1.1")),
        ("events", ServiceModel("events", "json", "AWSEvents", "1.1")),
        ("states", ServiceModel("states", "json", "AWSStepFunctions", "1.0")),
        ("s3", ServiceModel("s3", "rest-xml")),
        ("no-such-service", ServiceModel("no-such-service", "")),
    ],
)
def test_service_models_come_from_botocore(service: str, model: ServiceModel) -> None:
    assert service_model(service) == model


def test_json_content_type_follows_the_model_version() -> None:
    assert service_model("kinesis").content_type == "application/x-amz-json-1.1"
    assert service_model("dynamodb").content_type == "application/x-amz-json-1.0"


def _uri(service: str, region: str = "us-east-1", subdomain: str = "") -> ServiceUri:
    return ServiceUri(region, service, subdomain, "X", (), "/")


@pytest.mark.parametrize(
    ("uri", "endpoint"),
    [
        (
            _uri("sqs"),
            Endpoint(
                "https://sqs.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com", "", "sqs",
                "us-east-1",
            ),
        ),
        (
            _uri("states", "eu-west-1"),
            Endpoint(
                "https://states.eu-west-1.amazonaws.com", "states.eu-west-1.amazonaws.com", "",
                "states", "eu-west-1",
            ),
        ),
        (  # a global service: its own host name and signing region
            _uri("iam", "eu-west-1"),
            Endpoint("https://iam.amazonaws.com", "iam.amazonaws.com", "", "iam", "us-east-1"),
        ),
        (
            _uri("sqs", "cn-north-1"),
            Endpoint(
                "https://sqs.cn-north-1.amazonaws.com.cn", "sqs.cn-north-1.amazonaws.com.cn", "",
                "sqs", "cn-north-1",
            ),
        ),
        (
            _uri("s3", subdomain="mybucket"),
            Endpoint(
                "https://mybucket.s3.us-east-1.amazonaws.com",
                "mybucket.s3.us-east-1.amazonaws.com", "", "s3", "us-east-1",
            ),
        ),
    ],
)  # fmt: skip
def test_aws_endpoints_by_default(uri: ServiceUri, endpoint: Endpoint) -> None:
    assert resolve_endpoint(uri, {}) == endpoint


def test_configured_endpoints_by_uri_service_then_botocore_name_then_star() -> None:
    configured = {
        "sqs": "http://127.0.0.1:9324",
        "stepfunctions": "http://sfn.local:8083/base",
        "*": "https://aws.local",
    }
    sqs = resolve_endpoint(_uri("sqs", "eu-west-1"), configured)
    assert sqs == Endpoint("http://127.0.0.1:9324", "127.0.0.1:9324", "", "sqs", "eu-west-1")
    states = resolve_endpoint(_uri("states"), configured)
    assert states == Endpoint(
        "http://sfn.local:8083/base", "sfn.local:8083", "", "states", "us-east-1"
    )
    other = resolve_endpoint(_uri("kinesis"), configured)
    assert other == Endpoint("https://aws.local", "aws.local", "", "kinesis", "us-east-1")


def test_a_subdomain_on_a_configured_endpoint() -> None:
    configured = {"*": "http://[::1]:4566"}
    bucket = resolve_endpoint(_uri("s3", subdomain="mybucket"), configured)
    assert bucket == Endpoint("http://[::1]:4566", "[::1]:4566", "/mybucket", "s3", "us-east-1")
    other = resolve_endpoint(_uri("iot", subdomain="abc"), {"*": "http://aws.local:80"})
    assert other == Endpoint("http://abc.aws.local", "abc.aws.local", "", "iot", "us-east-1")


def test_an_invalid_configured_endpoint() -> None:
    with pytest.raises(TargetError) as error:
        resolve_endpoint(_uri("sqs"), {"sqs": "http://host:99999"})
    assert str(error.value).startswith("invalid endpoint 'http://host:99999' for sqs:")


def test_endpoint_settings() -> None:
    assert parse_endpoints("") == {}
    assert parse_endpoints("sqs=http://a:1/,*=https://b , http://c") == {
        "sqs": "http://a:1",
        "*": "http://c",
    }
    settings = from_env({"TOLLWAY_AWS_ENDPOINTS": "dynamodb=http://127.0.0.1:8000"})
    assert settings.aws_endpoint_urls == {"dynamodb": "http://127.0.0.1:8000"}
    with pytest.raises(ValueError) as error:
        from_env({"TOLLWAY_AWS_ENDPOINTS": "sqs=ftp://x"})
    assert (
        str(error.value) == "AWS endpoint must be SERVICE=http(s)://host[:port], not 'sqs=ftp://x'"
    )
