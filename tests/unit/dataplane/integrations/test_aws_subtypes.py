"""HTTP API subtype integrations (spec §3.5): the parameter checks of CreateIntegration and the
service requests built from a request's evaluated parameters."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.credentials import ReadOnlyCredentials

from tollway.dataplane.integrations.aws_service import AwsCredentials, AwsServices
from tollway.dataplane.integrations.aws_subtypes import (
    SUBTYPES,
    SubtypeCall,
    SubtypeError,
)

LOCAL = "http://127.0.0.1:4566"


class FixedCredentials(AwsCredentials):
    def current(self) -> Any:
        return ReadOnlyCredentials("AKIDUNIT", "secret", None)


def call(subtype: str, endpoints: dict[str, str] | None = None) -> SubtypeCall:
    services = AwsServices(endpoints if endpoints is not None else {"*": LOCAL}, FixedCredentials())
    return SubtypeCall(subtype, services=services, default_region="us-east-1")


def prepared(subtype: str, values: dict[str, str], **kwargs: Any) -> tuple[Any, dict[str, str]]:
    request = call(subtype, **kwargs).prepare(values, user_agent="AmazonAPIGateway_abc")
    return request, dict(request.headers)


# --- the table ------------------------------------------------------------------------------


def test_every_subtype_of_the_spec_is_known() -> None:
    assert sorted(SUBTYPES) == sorted(
        [
            "EventBridge-PutEvents",
            "SQS-SendMessage",
            "SQS-ReceiveMessage",
            "SQS-DeleteMessage",
            "SQS-PurgeQueue",
            "AppConfig-GetConfiguration",
            "Kinesis-PutRecord",
            "StepFunctions-StartExecution",
            "StepFunctions-StartSyncExecution",
            "StepFunctions-StopExecution",
        ]
    )


# --- the service requests --------------------------------------------------------------------


def test_sqs_send_message_is_an_aws_json_call_signed_for_sqs() -> None:
    request, headers = prepared(
        "SQS-SendMessage",
        {
            "QueueUrl": "http://127.0.0.1:4566/000000000000/q",
            "MessageBody": '{"a": 1}',
            "DelaySeconds": "5",
            "MessageAttributes": '{"k": {"DataType": "String", "StringValue": "v"}}',
        },
    )
    assert (request.method, request.url) == ("POST", f"{LOCAL}/")
    assert headers["X-Amz-Target"] == "AmazonSQS.SendMessage"
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDUNIT/")
    assert "/us-east-1/sqs/aws4_request" in headers["Authorization"]
    assert json.loads(request.body) == {
        "QueueUrl": "http://127.0.0.1:4566/000000000000/q",
        "MessageBody": '{"a": 1}',
        "DelaySeconds": 5,
        "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
    }


def test_sqs_receive_message_lists_from_json_or_commas() -> None:
    request, _ = prepared(
        "SQS-ReceiveMessage",
        {"QueueUrl": "q", "AttributeNames": "All", "MessageAttributeNames": '["a", "b"]',
         "MaxNumberOfMessages": "3"},
    )  # fmt: skip
    assert json.loads(request.body) == {
        "QueueUrl": "q",
        "AttributeNames": ["All"],
        "MessageAttributeNames": ["a", "b"],
        "MaxNumberOfMessages": 3,
    }


def test_eventbridge_parameters_make_one_entry() -> None:
    request, headers = prepared(
        "EventBridge-PutEvents",
        {"Detail": '{"x": 1}', "DetailType": "t", "Source": "s", "Resources": "r1, r2",
         "EventBusName": "bus"},
    )  # fmt: skip
    assert headers["X-Amz-Target"] == "AWSEvents.PutEvents"
    assert headers["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(request.body) == {
        "Entries": [
            {"Detail": '{"x": 1}', "DetailType": "t", "Source": "s",
             "Resources": ["r1", "r2"], "EventBusName": "bus"}
        ]
    }  # fmt: skip


def test_kinesis_data_is_sent_base64_as_an_sdk_sends_a_blob() -> None:
    request, headers = prepared(
        "Kinesis-PutRecord", {"StreamName": "s", "Data": "hello", "PartitionKey": "p"}
    )
    assert headers["X-Amz-Target"] == "Kinesis_20131202.PutRecord"
    assert json.loads(request.body) == {
        "StreamName": "s",
        "Data": base64.b64encode(b"hello").decode(),
        "PartitionKey": "p",
    }


def test_step_functions_members_take_the_models_names() -> None:
    request, headers = prepared(
        "StepFunctions-StartExecution",
        {"StateMachineArn": "arn:sm", "Name": "run-1", "Input": '{"a": 1}'},
    )
    assert headers["X-Amz-Target"] == "AWSStepFunctions.StartExecution"
    assert json.loads(request.body) == {
        "stateMachineArn": "arn:sm",
        "name": "run-1",
        "input": '{"a": 1}',
    }
    request, _ = prepared("StepFunctions-StopExecution", {"ExecutionArn": "arn:ex"})
    assert json.loads(request.body) == {"executionArn": "arn:ex"}


def test_start_sync_execution_goes_to_the_sync_endpoint_on_aws() -> None:
    request, headers = prepared(
        "StepFunctions-StartSyncExecution", {"StateMachineArn": "arn:sm"}, endpoints={}
    )
    assert request.url == "https://sync-states.us-east-1.amazonaws.com/"
    assert headers["Host"] == "sync-states.us-east-1.amazonaws.com"
    assert "/us-east-1/states/aws4_request" in headers["Authorization"]


def test_region_parameter_picks_the_endpoint_and_signing_region() -> None:
    request, headers = prepared(
        "SQS-PurgeQueue", {"QueueUrl": "q", "Region": "eu-west-1"}, endpoints={}
    )
    assert request.url == "https://sqs.eu-west-1.amazonaws.com/"
    assert "/eu-west-1/sqs/aws4_request" in headers["Authorization"]
    assert json.loads(request.body) == {"QueueUrl": "q"}


def test_appconfig_members_go_to_the_path_and_query_string() -> None:
    request, headers = prepared(
        "AppConfig-GetConfiguration",
        {"Application": "my app", "Environment": "prod", "Configuration": "c", "ClientId": "id1",
         "ClientConfigurationVersion": "3"},
    )  # fmt: skip
    assert request.method == "GET"
    assert request.url == (
        f"{LOCAL}/applications/my%20app/environments/prod/configurations/c"
        "?client_id=id1&client_configuration_version=3"
    )
    assert request.body == b""
    assert "X-Amz-Target" not in headers


def test_a_value_its_member_cannot_take_is_an_error() -> None:
    with pytest.raises(SubtypeError) as caught:
        prepared("SQS-SendMessage", {"QueueUrl": "q", "MessageBody": "m", "DelaySeconds": "soon"})
    assert str(caught.value).startswith("DelaySeconds: 'soon' is not a valid integer")
