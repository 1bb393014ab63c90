"""AWS service integrations (REST `type: AWS` with services other than Lambda), end to end:
the real server pointed at moto's server mode on loopback (`--aws-endpoint *=...`), APIs built
with boto3 and by OpenAPI import, called over HTTP; what each call did is then checked with
boto3 against moto (the message in the queue, the item in the table, the object in the
bucket...). A capturing server checks the SigV4 signature itself, which moto does not."""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.e2e.conftest import REGION, Server, add_path, aws, deploy, new_api, start_server

pytestmark = pytest.mark.e2e

ACCESS_KEY = "AKIDTOLLWAYTEST"
SECRET_KEY = "tollway-secret-key"
MOTO_ACCOUNT = "123456789012"  # moto's default account
ARN = f"arn:aws:apigateway:{REGION}"
FORM = "'application/x-www-form-urlencoded'"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Capture(BaseHTTPRequestHandler):
    """Records each request and answers like Firehose's PutRecord."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )
        payload = b'{"RecordId":"r-1","Encrypted":false}'
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def capture() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, moto: str, capture: str) -> Iterator[Server]:
    """Tollway with every service on moto, but Firehose on the capturing server and SSM on
    a closed port; signing with a known key."""
    endpoints = [f"*={moto}", f"firehose={capture}", f"ssm=http://127.0.0.1:{_closed_port()}"]
    running = start_server(
        tmp_path_factory.mktemp("aws-services") / "data",
        args=tuple(arg for endpoint in endpoints for arg in ("--aws-endpoint", endpoint)),
        env={"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY},
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def apigw(gateway: Server) -> Any:
    return gateway.client("apigateway")


def aws_method(
    apigw: Any,
    api_id: str,
    resource_id: str,
    verb: str,
    uri: str,
    *,
    http_method: str = "POST",
    templates: dict[str, str] | None = None,
    parameters: dict[str, str] | None = None,
    responses: tuple[tuple[str | None, str, str | None], ...] = ((None, "200", None),),
    **method: Any,
) -> None:
    """A method with an AWS integration; `responses` are (selectionPattern, status, JSON
    response template) triples."""
    apigw.put_method(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=verb,
        authorizationType="NONE",
        **method,
    )
    apigw.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=verb,
        type="AWS",
        integrationHttpMethod=http_method,
        uri=uri,
        credentials=f"arn:aws:iam::{MOTO_ACCOUNT}:role/apigateway",
        requestTemplates=templates or {},
        requestParameters=parameters or {},
    )
    for pattern, status, template in responses:
        apigw.put_method_response(
            restApiId=api_id, resourceId=resource_id, httpMethod=verb, statusCode=status
        )
        extra: dict[str, Any] = {}
        if pattern is not None:
            extra["selectionPattern"] = pattern
        if template is not None:
            extra["responseTemplates"] = {"application/json": template}
        apigw.put_integration_response(
            restApiId=api_id, resourceId=resource_id, httpMethod=verb, statusCode=status, **extra
        )


def action_api(apigw: Any, path: str, uri: str, template: str | None, response: str) -> str:
    """A deployed API whose `POST {path}` calls an action with a JSON request template (or
    passes the body through) and maps the service's answer with `response`; its id."""
    api_id, root = new_api(apigw, _name())
    resource = add_path(apigw, api_id, root, path)
    templates = {"application/json": template} if template is not None else None
    aws_method(
        apigw, api_id, resource, "POST", uri,
        templates=templates, responses=((None, "200", response),),
    )  # fmt: skip
    deploy(apigw, api_id)
    return api_id


def _name() -> str:
    return "aws-" + uuid.uuid4().hex[:8]


# --- SQS ------------------------------------------------------------------------------------


def test_sqs_path_uri_sends_the_mapped_form_and_the_message_lands(
    gateway: Server, apigw: Any, moto: str
) -> None:
    sqs = aws(moto, "sqs")
    queue = _name()
    queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    api_id, root = new_api(apigw, _name())
    resource = add_path(apigw, api_id, root, "/queues/{queue}")
    aws_method(
        apigw, api_id, resource, "POST",
        f"{ARN}:sqs:path/{MOTO_ACCOUNT}/{{queue}}",
        templates={"application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"},
        parameters={
            "integration.request.header.Content-Type": FORM,
            "integration.request.path.queue": "method.request.path.queue",
        },
        requestParameters={"method.request.path.queue": True},
    )  # fmt: skip
    deploy(apigw, api_id)
    message = '{"order": 42, "note": "a & b = c"}'
    response = httpx.post(gateway.url(api_id, "test", f"/queues/{queue}"), content=message)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.text.startswith("<SendMessageResponse")  # SQS's answer, passed through
    assert "<MessageId>" in response.text
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in received] == [message]


def test_sqs_action_uri_posts_action_and_mapped_query_strings_as_a_form(
    gateway: Server, apigw: Any, moto: str
) -> None:
    sqs = aws(moto, "sqs")
    queue_url = sqs.create_queue(QueueName=_name())["QueueUrl"]
    api_id, root = new_api(apigw, _name())
    resource = add_path(apigw, api_id, root, "/send")
    aws_method(
        apigw, api_id, resource, "GET", f"{ARN}:sqs:action/SendMessage",
        parameters={
            "integration.request.querystring.QueueUrl": f"'{queue_url}'",
            "integration.request.querystring.MessageBody": "method.request.querystring.text",
        },
        requestParameters={"method.request.querystring.text": True},
        responses=((None, "200", '{"sent": true}'),),
    )  # fmt: skip
    deploy(apigw, api_id)
    response = httpx.get(gateway.url(api_id, "test", "/send"), params={"text": "hello + bye"})
    assert response.status_code == 200
    assert response.json() == {"sent": True}
    received = sqs.receive_message(QueueUrl=queue_url)["Messages"]
    assert [m["Body"] for m in received] == ["hello + bye"]


# --- SNS ------------------------------------------------------------------------------------


def test_sns_publish_action_reaches_a_subscribed_queue(
    gateway: Server, apigw: Any, moto: str
) -> None:
    sns, sqs = aws(moto, "sns"), aws(moto, "sqs")
    topic = sns.create_topic(Name=_name())["TopicArn"]
    queue_url = sqs.create_queue(QueueName=_name())["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
    api_id, root = new_api(apigw, _name())
    resource = add_path(apigw, api_id, root, "/publish")
    aws_method(
        apigw, api_id, resource, "POST", f"{ARN}:sns:action/Publish",
        templates={"application/json": "Message=$util.urlEncode($input.body)"},
        parameters={
            "integration.request.querystring.TopicArn": f"'{topic}'",
            "integration.request.header.Content-Type": FORM,
        },
    )  # fmt: skip
    deploy(apigw, api_id)
    response = httpx.post(gateway.url(api_id, "test", "/publish"), json={"event": "signup"})
    assert response.status_code == 200
    assert "<PublishResponse" in response.text and "<MessageId>" in response.text
    received = sqs.receive_message(QueueUrl=queue_url)["Messages"]
    envelope = json.loads(received[0]["Body"])
    assert envelope["TopicArn"] == topic
    assert json.loads(envelope["Message"]) == {"event": "signup"}


# --- DynamoDB (built by OpenAPI import) -----------------------------------------------------


def _dynamodb_openapi(table: str) -> dict[str, Any]:
    def integration(action: str, template: str, ok: str) -> dict[str, Any]:
        return {
            "type": "aws",
            "httpMethod": "POST",
            "uri": f"{ARN}:dynamodb:action/{action}",
            "credentials": f"arn:aws:iam::{MOTO_ACCOUNT}:role/apigateway",
            "passthroughBehavior": "when_no_templates",
            "requestParameters": {"integration.request.path.id": "method.request.path.id"},
            "requestTemplates": {"application/json": template},
            "responses": {
                "4\\d{2}": {
                    "statusCode": "400",
                    "responseTemplates": {
                        "application/json": "{\"error\": \"$input.path('$.__type').split('#')[1]\"}"
                    },
                },
                "default": {"statusCode": "200", "responseTemplates": {"application/json": ok}},
            },
        }

    responses = {"200": {"description": "ok"}, "400": {"description": "bad"}}
    parameters = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    put = (
        f'{{"TableName": "{table}", "Item": {{"id": {{"S": "$input.params(\'id\')"}}, '
        '"name": {"S": "$input.path(\'$.name\')"}}}'
    )
    get = f'{{"TableName": "{table}", "Key": {{"id": {{"S": "$input.params(\'id\')"}}}}}}'
    found = '{"id": "$input.path(\'$.Item.id.S\')", "name": "$input.path(\'$.Item.name.S\')"}'
    return {
        "openapi": "3.0.1",
        "info": {"title": _name(), "version": "1"},
        "paths": {
            "/items/{id}": {
                "parameters": parameters,
                "put": {
                    "parameters": parameters,
                    "responses": responses,
                    "x-amazon-apigateway-integration": integration(
                        "PutItem", put, '{"saved": true}'
                    ),
                },
                "get": {
                    "parameters": parameters,
                    "responses": responses,
                    "x-amazon-apigateway-integration": integration("GetItem", get, found),
                },
            }
        },
    }


@pytest.fixture(scope="module")
def dynamodb_api(apigw: Any, moto: str) -> tuple[str, str]:
    table = _name()
    aws(moto, "dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    document = json.dumps(_dynamodb_openapi(table)).encode()
    api_id = apigw.import_rest_api(body=document)["id"]
    deploy(apigw, api_id)
    missing = json.dumps(_dynamodb_openapi("no-such-table")).encode()
    missing_id = apigw.import_rest_api(body=missing)["id"]
    deploy(apigw, missing_id)
    return api_id, missing_id


def test_dynamodb_put_item_then_get_item_through_the_gateway(
    gateway: Server, dynamodb_api: tuple[str, str], moto: str
) -> None:
    api_id, _ = dynamodb_api
    url = gateway.url(api_id, "test", "/items/a1")
    saved = httpx.put(url, json={"name": "Ada"})
    assert (saved.status_code, saved.json()) == (200, {"saved": True})
    table = aws(moto, "dynamodb").list_tables()["TableNames"]
    item = aws(moto, "dynamodb").get_item(
        TableName=next(t for t in table if t != "no-such-table"), Key={"id": {"S": "a1"}}
    )
    assert item["Item"] == {"id": {"S": "a1"}, "name": {"S": "Ada"}}
    found = httpx.get(url)
    assert (found.status_code, found.json()) == (200, {"id": "a1", "name": "Ada"})


def test_a_service_error_is_selected_by_its_status(
    gateway: Server, dynamodb_api: tuple[str, str]
) -> None:
    _, missing_id = dynamodb_api
    response = httpx.get(gateway.url(missing_id, "test", "/items/a1"))
    assert response.status_code == 400
    assert response.json() == {"error": "ResourceNotFoundException"}


# --- Kinesis, EventBridge, Step Functions ----------------------------------------------------


def test_kinesis_put_record_maps_the_response_and_the_record_is_readable(
    gateway: Server, apigw: Any, moto: str
) -> None:
    kinesis = aws(moto, "kinesis")
    stream = _name()
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    template = (
        f'{{"StreamName": "{stream}", "Data": "$util.base64Encode($input.body)", '
        '"PartitionKey": "$input.path(\'$.user\')"}'
    )
    api_id = action_api(
        apigw,
        "/records",
        f"{ARN}:kinesis:action/PutRecord",
        template,
        '{"shard": "$input.path(\'$.ShardId\')"}',
    )
    record = '{"user": "u1", "clicks": 3}'
    response = httpx.post(gateway.url(api_id, "test", "/records"), content=record)
    assert response.status_code == 200
    assert response.json() == {"shard": "shardId-000000000000"}
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert [(r["Data"], r["PartitionKey"]) for r in records] == [(record.encode(), "u1")]


def test_eventbridge_put_events_reaches_the_rule_target(
    gateway: Server, apigw: Any, moto: str
) -> None:
    events, sqs = aws(moto, "events"), aws(moto, "sqs")
    queue_url = sqs.create_queue(QueueName=_name())["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    rule = _name()
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["tollway.orders"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn["Attributes"]["QueueArn"]}])
    template = (
        '{"Entries": [{"Source": "tollway.orders", "DetailType": "order placed", '
        '"Detail": "$util.escapeJavaScript($input.body)", "EventBusName": "default"}]}'
    )
    api_id = action_api(
        apigw,
        "/events",
        f"{ARN}:events:action/PutEvents",
        template,
        "{\"failed\": $input.path('$.FailedEntryCount')}",
    )
    response = httpx.post(gateway.url(api_id, "test", "/events"), json={"order": 7})
    assert (response.status_code, response.json()) == (200, {"failed": 0})
    received = sqs.receive_message(QueueUrl=queue_url)["Messages"]
    event = json.loads(received[0]["Body"])
    assert (event["source"], event["detail-type"], event["detail"]) == (
        "tollway.orders",
        "order placed",
        {"order": 7},
    )


def test_step_functions_start_execution(gateway: Server, apigw: Any, moto: str) -> None:
    sfn = aws(moto, "stepfunctions")
    machine = sfn.create_state_machine(
        name=_name(),
        definition=json.dumps(
            {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
        ),
        roleArn=f"arn:aws:iam::{MOTO_ACCOUNT}:role/sfn",
    )["stateMachineArn"]
    template = (
        f'{{"stateMachineArn": "{machine}", "name": "run-1", '
        '"input": "$util.escapeJavaScript($input.body)"}'
    )
    api_id = action_api(
        apigw,
        "/executions",
        f"{ARN}:states:action/StartExecution",
        template,
        '{"execution": "$input.path(\'$.executionArn\')"}',
    )
    response = httpx.post(gateway.url(api_id, "test", "/executions"), json={"job": "x"})
    assert response.status_code == 200
    execution = response.json()["execution"]
    assert execution.endswith(":run-1")
    described = sfn.describe_execution(executionArn=execution)
    assert (described["stateMachineArn"], json.loads(described["input"])) == (
        machine,
        {"job": "x"},
    )


# --- S3 -------------------------------------------------------------------------------------


def test_s3_path_uri_puts_an_object_and_gets_it_back(
    gateway: Server, apigw: Any, moto: str
) -> None:
    s3 = aws(moto, "s3")
    bucket = _name()
    s3.create_bucket(Bucket=bucket)
    api_id, root = new_api(apigw, _name())
    resource = add_path(apigw, api_id, root, "/files/{name}")
    for verb in ("PUT", "GET"):
        aws_method(
            apigw, api_id, resource, verb, f"{ARN}:s3:path/{{bucket}}/docs/{{key}}",
            http_method=verb,
            parameters={
                "integration.request.path.bucket": f"'{bucket}'",
                "integration.request.path.key": "method.request.path.name",
            },
            requestParameters={"method.request.path.name": True},
            responses=((None, "200", None), ("404", "404", '{"message": "no such file"}')),
        )  # fmt: skip
    deploy(apigw, api_id)
    url = gateway.url(api_id, "test", "/files/notes%20one.txt")
    put = httpx.put(url, content=b"first line\n", headers={"Content-Type": "text/plain"})
    assert (put.status_code, put.content) == (200, b"")
    stored = s3.get_object(Bucket=bucket, Key="docs/notes one.txt")
    assert stored["Body"].read() == b"first line\n"
    assert stored["ContentType"] == "text/plain"
    got = httpx.get(url)
    assert (got.status_code, got.content) == (200, b"first line\n")
    missing = httpx.get(gateway.url(api_id, "test", "/files/nothing.txt"))
    assert (missing.status_code, missing.json()) == (404, {"message": "no such file"})


# --- signing, failures ----------------------------------------------------------------------


def test_requests_are_sigv4_signed_with_the_configured_key(
    gateway: Server, apigw: Any, capture: str
) -> None:
    _Capture.seen.clear()
    api_id = action_api(
        apigw,
        "/firehose",
        f"{ARN}:firehose:action/PutRecord",
        None,
        '{"record": "$input.path(\'$.RecordId\')"}',
    )
    body = '{"DeliveryStreamName": "s", "Record": {"Data": "eA=="}}'
    response = httpx.post(gateway.url(api_id, "test", "/firehose"), content=body)
    assert (response.status_code, response.json()) == (200, {"record": "r-1"})
    [seen] = _Capture.seen
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    assert seen["path"] == "/?Action=PutRecord"
    assert seen["body"] == body.encode()
    assert headers["x-amz-target"] == "Firehose_20150804.PutRecord"
    assert headers["content-type"] == "application/x-amz-json-1.1"
    assert headers["host"] == urlsplit(capture).netloc
    # Recompute the signature from what arrived, with the secret key Tollway was given.
    authorization = headers["authorization"]
    date = headers["x-amz-date"]
    scope, signed, signature = (part.split("=", 1)[1] for part in authorization[17:].split(", "))
    assert authorization.startswith("AWS4-HMAC-SHA256 ")
    assert scope == f"{ACCESS_KEY}/{date[:8]}/{REGION}/firehose/aws4_request"
    request = AWSRequest(
        method="POST",
        url=capture + seen["path"],
        data=seen["body"],
        headers={name: headers[name] for name in signed.split(";")},
    )
    request.context["timestamp"] = date
    signer = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "firehose", REGION)
    string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
    assert signer.signature(string_to_sign, request) == signature


def test_an_unreachable_endpoint_fails_as_for_http(gateway: Server, apigw: Any) -> None:
    api_id, root = new_api(apigw, _name())
    resource = add_path(apigw, api_id, root, "/param")
    aws_method(apigw, api_id, resource, "POST", f"{ARN}:ssm:action/GetParameter")
    deploy(apigw, api_id)
    response = httpx.post(gateway.url(api_id, "test", "/param"), json={"Name": "x"})
    assert response.status_code == 504
    assert response.json() == {"message": "Network error communicating with endpoint"}


def test_without_credentials_the_request_fails_with_500_and_the_log_says_why(
    tmp_path: Path, moto: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    missing = str(tmp_path / "none")
    server = start_server(
        tmp_path / "data",
        args=("--aws-endpoint", f"*={moto}"),
        env={
            "AWS_SHARED_CREDENTIALS_FILE": missing,
            "AWS_CONFIG_FILE": missing,
            "AWS_EC2_METADATA_DISABLED": "true",
        },
    )
    try:
        apigw = server.client("apigateway")
        api_id, root = new_api(apigw, _name())
        aws_method(apigw, api_id, root, "POST", f"{ARN}:sqs:action/ListQueues")
        deploy(apigw, api_id)
        response = httpx.post(server.url(api_id, "test", "/"))
        assert response.status_code == 500
        assert response.json() == {"message": "Internal server error"}
        assert "no AWS credentials to sign the request" in server.log()
    finally:
        server.stop()
