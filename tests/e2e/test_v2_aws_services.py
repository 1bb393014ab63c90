"""HTTP API first-class AWS service integrations (spec §3.5) end to end: routes whose
integration is `AWS_PROXY` with an `IntegrationSubtype`, built with boto3 `apigatewayv2`,
called over HTTP, with Tollway's service calls going to moto's server mode on loopback; what
each call did is then checked with boto3 against moto (the message in the queue, the event on
the bus, the record in the stream, the execution started)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, aws, start_server

ROLE = "arn:aws:iam::123456789012:role/apigateway-sqs"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, moto: str) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("v2-aws-services") / "data",
        args=("--aws-endpoint", f"*={moto}"),
        env={"AWS_ACCESS_KEY_ID": "AKIDTOLLWAY", "AWS_SECRET_ACCESS_KEY": "secret"},
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def apigw(gateway: Server) -> Any:
    return gateway.client("apigatewayv2")


def service_route(apigw: Any, route_key: str, subtype: str, parameters: dict[str, str]) -> str:
    """An HTTP API (auto-deploying `$default` stage) whose route calls the service; its id."""
    api_id = apigw.create_api(Name=f"svc-{uuid.uuid4().hex[:6]}", ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationSubtype=subtype,
        PayloadFormatVersion="1.0",
        CredentialsArn=ROLE,
        RequestParameters=parameters,
    )
    apigw.create_route(
        ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration['IntegrationId']}"
    )
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return str(api_id)


def url(gateway: Server, api_id: str, path: str) -> str:
    return f"{gateway.gateway}/_aws/execute-api/{api_id}{path}"


def test_sqs_send_message_puts_the_body_in_the_queue(
    gateway: Server, apigw: Any, moto: str, http: httpx.Client
) -> None:
    sqs = aws(moto, "sqs")
    queue = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    api_id = service_route(apigw, "POST /orders", "SQS-SendMessage", {
        "QueueUrl": queue,
        "MessageBody": "$request.body",
        "MessageGroupId": "$request.header.x-group",  # absent: left out
    })  # fmt: skip
    response = http.post(url(gateway, api_id, "/orders"), json={"order": 7})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-amz-json-1.0")
    sent = response.json()
    assert set(sent) >= {"MessageId", "MD5OfMessageBody"}
    received = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    assert [(m["MessageId"], json.loads(m["Body"])) for m in received] == [
        (sent["MessageId"], {"order": 7})
    ]
    assert "apigw-requestid" in response.headers


def test_sqs_receive_and_delete_through_the_gateway(
    gateway: Server, apigw: Any, moto: str, http: httpx.Client
) -> None:
    sqs = aws(moto, "sqs")
    queue = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="first")
    receive = service_route(apigw, "GET /next", "SQS-ReceiveMessage", {
        "QueueUrl": queue, "MaxNumberOfMessages": "$request.querystring.max",
    })  # fmt: skip
    delete = service_route(apigw, "DELETE /done", "SQS-DeleteMessage", {
        "QueueUrl": queue, "ReceiptHandle": "$request.querystring.handle",
    })  # fmt: skip
    got = http.get(url(gateway, receive, "/next"), params={"max": "1"})
    assert got.status_code == 200, got.text
    (message,) = got.json()["Messages"]
    assert message["Body"] == "first"
    done = http.delete(url(gateway, delete, "/done"), params={"handle": message["ReceiptHandle"]})
    assert done.status_code == 200, done.text
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"],
            attributes["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")  # fmt: skip


def test_eventbridge_put_events_puts_the_event_on_the_bus(
    gateway: Server, apigw: Any, moto: str, http: httpx.Client
) -> None:
    events, sqs = aws(moto, "events"), aws(moto, "sqs")
    bus = events.create_event_bus(Name=f"bus-{uuid.uuid4().hex[:6]}")["EventBusArn"]
    name = bus.rsplit("/", 1)[1]
    queue = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="all", EventBusName=name, EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="all", EventBusName=name, Targets=[{"Id": "q", "Arn": queue_arn}])
    api_id = service_route(apigw, "POST /events", "EventBridge-PutEvents", {
        "Source": "shop",
        "DetailType": "$request.header.x-kind",
        "Detail": "$request.body",
        "EventBusName": name,
    })  # fmt: skip
    response = http.post(
        url(gateway, api_id, "/events"), json={"sku": "a1"}, headers={"X-Kind": "ordered"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["FailedEntryCount"] == 0
    (delivered,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    event = json.loads(delivered["Body"])
    assert (event["source"], event["detail-type"], event["detail"]) == (
        "shop",
        "ordered",
        {"sku": "a1"},
    )


def test_kinesis_put_record_writes_the_record(
    gateway: Server, apigw: Any, moto: str, http: httpx.Client
) -> None:
    kinesis = aws(moto, "kinesis")
    stream = f"s-{uuid.uuid4().hex[:6]}"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    api_id = service_route(apigw, "POST /records", "Kinesis-PutRecord", {
        "StreamName": stream, "Data": "$request.body", "PartitionKey": "$request.body.user",
    })  # fmt: skip
    response = http.post(url(gateway, api_id, "/records"), json={"user": "ann"})
    assert response.status_code == 200, response.text
    shard = response.json()["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    (record,) = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert (json.loads(record["Data"]), record["PartitionKey"]) == ({"user": "ann"}, "ann")


def test_step_functions_start_execution_starts_it_with_the_input(
    gateway: Server, apigw: Any, moto: str, http: httpx.Client
) -> None:
    sfn = aws(moto, "stepfunctions")
    machine = sfn.create_state_machine(
        name=f"m-{uuid.uuid4().hex[:6]}",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn=ROLE,
    )["stateMachineArn"]
    api_id = service_route(apigw, "POST /runs", "StepFunctions-StartExecution", {
        "StateMachineArn": machine, "Input": "$request.body", "Name": "$context.requestId",
    })  # fmt: skip
    response = http.post(url(gateway, api_id, "/runs"), json={"n": 1})
    assert response.status_code == 200, response.text
    execution = sfn.describe_execution(executionArn=response.json()["executionArn"])
    assert json.loads(execution["input"]) == {"n": 1}
    assert execution["name"] == response.headers["apigw-requestid"]


def test_a_value_the_service_cannot_take_is_a_500_and_the_log_says_why(
    gateway: Server, apigw: Any, moto: str, http: httpx.Client
) -> None:
    queue = aws(moto, "sqs").create_queue(QueueName=f"q-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    api_id = service_route(apigw, "POST /later", "SQS-SendMessage", {
        "QueueUrl": queue, "MessageBody": "x", "DelaySeconds": "$request.querystring.delay",
    })  # fmt: skip
    response = http.post(url(gateway, api_id, "/later"), params={"delay": "soon"})
    assert (response.status_code, response.json()) == (
        500,
        {"message": "Internal Server Error"},
    )
    assert "SQS-SendMessage: DelaySeconds: 'soon' is not a valid integer" in gateway.log()


def test_the_services_own_refusal_reaches_the_client(
    gateway: Server, apigw: Any, http: httpx.Client
) -> None:
    missing = f"http://127.0.0.1/123456789012/no-such-queue-{uuid.uuid4().hex[:6]}"
    api_id = service_route(apigw, "POST /lost", "SQS-SendMessage", {
        "QueueUrl": missing, "MessageBody": "$request.body",
    })  # fmt: skip
    response = http.post(url(gateway, api_id, "/lost"), content=b"hello")
    # The service's own answer, status, type and body as the service (here moto) sent them.
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/x-amz-json-1.0"
    refusal = response.json()
    assert (refusal["__type"], refusal["message"]) == (
        "com.amazonaws.sqs#QueueDoesNotExist",
        "The specified queue does not exist.",
    )


def test_subtype_parameters_are_checked_at_creation(apigw: Any) -> None:
    api_id = apigw.create_api(Name="svc-check", ProtocolType="HTTP")["ApiId"]
    with pytest.raises(apigw.exceptions.BadRequestException) as refused:
        apigw.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationSubtype="SQS-SendMessage",
            PayloadFormatVersion="1.0",
            CredentialsArn=ROLE,
            RequestParameters={"QueueUrl": "q"},
        )
    assert refused.value.response["Error"]["Message"] == (
        "Parameter MessageBody is required for SQS-SendMessage"
    )
    assert apigw.get_integrations(ApiId=api_id)["Items"] == []
