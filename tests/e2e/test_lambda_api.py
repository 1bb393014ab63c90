"""The Lambda API subset Tollway hosts, through boto3's `lambda` client: the function
lifecycle (create, get, list, update code and configuration, delete), Invoke with Lambda's
payloads, errors, logs and invocation types, the handler's `context` and environment, warm
reuse, and the resource policy (AddPermission, GetPolicy, RemovePermission)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    aws_error,
    create_function,
    shape,
    zip_code,
)
from tests.e2e.conftest import (
    function_arn as arn,
)

ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"

ECHO = """
def handler(event, context):
    return {"echo": event}
"""

# Reports what the handler sees; counts invocations in a module-level (warm) variable.
INTROSPECT = """
import os
count = 0
def handler(event, context):
    global count
    count += 1
    print("introspecting", event.get("tag"))
    return {
        "count": count,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "remaining": context.get_remaining_time_in_millis(),
        "env": {k: os.environ.get(k) for k in (
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            "AWS_LAMBDA_FUNCTION_VERSION", "GREETING")},
    }
"""

FAILING = """
def handler(event, context):
    print("about to fail")
    raise ValueError("boom: " + str(event.get("why")))
"""


def unique() -> str:
    return f"fn-{uuid.uuid4().hex[:10]}"


def all_functions(lam: Any) -> list[dict[str, Any]]:
    pages = lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 50})
    return [function for page in pages for function in page["Functions"]]


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def make(lam: Any, source: str, *, name: str | None = None, **options: Any) -> str:
    name = name or unique()
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_code({"app.py": source})},
        **options,
    )
    return name


def invoke(lam: Any, name: str, event: Any, **options: Any) -> tuple[dict[str, Any], Any]:
    """Invokes `name` with `event`: (the response, the decoded payload)."""
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode(), **options)
    return response, json.loads(response["Payload"].read())


@pytest.fixture(scope="module")
def echo(lam: Any) -> str:
    return make(lam, ECHO)


# --- lifecycle ------------------------------------------------------------------------------


def test_create_function_returns_its_configuration(lam: Any) -> None:
    name = unique()
    code = zip_code({"app.py": ECHO})
    response = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": code},
        Description="echoes",
        Timeout=7,
        MemorySize=256,
        Environment={"Variables": {"A": "1"}},
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 201
    config = shape(response)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", config.pop("LastModified"))
    assert re.fullmatch(r"[0-9a-f-]{36}", config.pop("RevisionId"))
    assert config == {
        "FunctionName": name,
        "FunctionArn": arn(name),
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": "app.handler",
        "CodeSize": len(code),
        "Description": "echoes",
        "Timeout": 7,
        "MemorySize": 256,
        "CodeSha256": sha256_b64(code),
        "Version": "$LATEST",
        "Environment": {"Variables": {"A": "1"}},
        "TracingConfig": {"Mode": "PassThrough"},
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
    }


def test_create_function_defaults(lam: Any) -> None:
    name = make(lam, ECHO)
    config = lam.get_function_configuration(FunctionName=name)
    assert config["Timeout"] == 3
    assert config["MemorySize"] == 128
    assert config["Description"] == ""
    assert "Environment" not in config


def test_duplicate_function_is_a_conflict(lam: Any, echo: str) -> None:
    assert aws_error(
        lam.create_function,
        FunctionName=echo,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_code({"app.py": ECHO})},
    ) == (409, "ResourceConflictException", f"Function already exist: {echo}")


def test_create_function_refusals(lam: Any) -> None:
    code = {"ZipFile": zip_code({"app.py": ECHO})}
    base = {
        "FunctionName": unique(),
        "Runtime": "python3.11",
        "Role": ROLE,
        "Handler": "app.handler",
        "Code": code,
    }
    status, kind, message = aws_error(lam.create_function, **{**base, "Runtime": "nodejs20.x"})
    assert (status, kind) == (400, "InvalidParameterValueException")
    assert message == (
        "Runtime nodejs20.x is not supported by Tollway's own host: only Python runtimes "
        "(python3.x) run here; serve other runtimes from a Runtime Interface Emulator and tag "
        "the function tollway:endpoint"
    )
    assert aws_error(lam.create_function, **{**base, "Role": "not-a-role"}) == (
        400,
        "ValidationException",
        "1 validation error detected: Value 'not-a-role' at 'role' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: "
        r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+",
    )
    assert aws_error(lam.create_function, **{**base, "Code": {"ZipFile": b"not a zip"}}) == (
        400,
        "InvalidParameterValueException",
        "Could not unzip uploaded file. Please check your file, then try to upload again.",
    )
    # Nothing refused was created.
    assert aws_error(lam.get_function, FunctionName=base["FunctionName"])[1] == (
        "ResourceNotFoundException"
    )


def test_get_function_and_get_function_configuration(lam: Any) -> None:
    name = make(lam, ECHO, Tags={"team": "pets"})
    got = lam.get_function(FunctionName=name)
    assert got["Configuration"]["FunctionName"] == name
    assert got["Configuration"]["FunctionArn"] == arn(name)
    assert got["Code"]["RepositoryType"] == "S3"
    assert got["Tags"] == {"team": "pets"}
    config = shape(lam.get_function_configuration(FunctionName=name))
    assert config == got["Configuration"]
    # The function may be named by its ARN too.
    assert lam.get_function_configuration(FunctionName=arn(name))["FunctionName"] == name


def test_list_functions_pages(lam: Any) -> None:
    names = {make(lam, ECHO) for _ in range(3)}
    seen: list[str] = []
    kwargs: dict[str, Any] = {"MaxItems": 2}
    while True:
        page = lam.list_functions(**kwargs)
        assert len(page["Functions"]) <= 2
        seen.extend(f["FunctionName"] for f in page["Functions"])
        if "NextMarker" not in page:
            break
        kwargs["Marker"] = page["NextMarker"]
    assert len(seen) == len(set(seen))
    assert names <= set(seen)
    listed = {f["FunctionName"]: f for f in all_functions(lam)}
    some = next(iter(names))
    assert listed[some] == shape(lam.get_function_configuration(FunctionName=some))


@pytest.mark.parametrize(
    "operation",
    ["get_function", "get_function_configuration", "delete_function", "invoke", "get_policy"],
)
def test_unknown_function_is_not_found(lam: Any, operation: str) -> None:
    name = unique()
    assert aws_error(getattr(lam, operation), FunctionName=name) == (
        404,
        "ResourceNotFoundException",
        f"Function not found: {arn(name)}",
    )


def test_update_function_code_runs_the_new_code(lam: Any) -> None:
    name = make(lam, "def handler(e, c):\n    return 'old'\n")
    assert invoke(lam, name, {})[1] == "old"
    before = lam.get_function_configuration(FunctionName=name)
    code = zip_code({"app.py": "def handler(e, c):\n    return 'new'\n"})
    updated = shape(lam.update_function_code(FunctionName=name, ZipFile=code))
    assert updated["CodeSha256"] == sha256_b64(code) != before["CodeSha256"]
    assert updated["CodeSize"] == len(code)
    assert updated["RevisionId"] != before["RevisionId"]
    assert invoke(lam, name, {})[1] == "new"
    assert lam.get_function_configuration(FunctionName=name)["CodeSha256"] == sha256_b64(code)


def test_update_function_code_refuses_a_bad_zip(lam: Any, echo: str) -> None:
    assert aws_error(lam.update_function_code, FunctionName=echo, ZipFile=b"PK-not-really") == (
        400,
        "InvalidParameterValueException",
        "Could not unzip uploaded file. Please check your file, then try to upload again.",
    )


def test_update_function_configuration_reaches_the_function(lam: Any) -> None:
    name = make(lam, INTROSPECT, Environment={"Variables": {"GREETING": "hello"}})
    assert invoke(lam, name, {})[1]["env"]["GREETING"] == "hello"
    updated = lam.update_function_configuration(
        FunctionName=name,
        Timeout=30,
        MemorySize=512,
        Description="changed",
        Environment={"Variables": {"GREETING": "bonjour"}},
    )
    assert updated["Timeout"] == 30
    assert updated["MemorySize"] == 512
    assert updated["Description"] == "changed"
    assert updated["Environment"] == {"Variables": {"GREETING": "bonjour"}}
    result = invoke(lam, name, {})[1]
    assert result["env"]["GREETING"] == "bonjour"
    assert result["memory_limit_in_mb"] == "512"
    assert result["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert 0 < result["remaining"] <= 30_000
    assert lam.get_function_configuration(FunctionName=name)["Timeout"] == 30


def test_update_function_configuration_refuses_a_non_python_runtime(lam: Any, echo: str) -> None:
    status, kind, _ = aws_error(
        lam.update_function_configuration, FunctionName=echo, Runtime="java21"
    )
    assert (status, kind) == (400, "InvalidParameterValueException")
    assert lam.get_function_configuration(FunctionName=echo)["Runtime"] == "python3.11"


def test_delete_function(lam: Any) -> None:
    name = make(lam, ECHO)
    assert invoke(lam, name, {"a": 1})[1] == {"echo": {"a": 1}}
    response = lam.delete_function(FunctionName=name)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert aws_error(lam.invoke, FunctionName=name) == (
        404,
        "ResourceNotFoundException",
        f"Function not found: {arn(name)}",
    )
    assert name not in {f["FunctionName"] for f in all_functions(lam)}


# --- invoke ---------------------------------------------------------------------------------


def test_invoke_round_trips_the_payload(lam: Any, echo: str) -> None:
    event = {"text": "héllo", "n": 1.5, "list": [1, None, True], "nested": {"a": {}}}
    response, payload = invoke(lam, echo, event)
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert "LogResult" not in response
    assert payload == {"echo": event}


def test_invoke_without_payload_sends_an_empty_object(lam: Any, echo: str) -> None:
    response = lam.invoke(FunctionName=echo)
    assert json.loads(response["Payload"].read()) == {"echo": {}}


def test_an_exception_is_an_unhandled_function_error(lam: Any) -> None:
    name = make(lam, FAILING)
    response, payload = invoke(lam, name, {"why": "testing"})
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorMessage"] == "boom: testing"
    assert payload["errorType"] == "ValueError"
    assert payload["requestId"] == response["ResponseMetadata"]["RequestId"]
    trace = payload["stackTrace"]
    assert isinstance(trace, list) and trace
    assert all(isinstance(line, str) for line in trace)
    assert 'in handler\n    raise ValueError("boom: " + str(event.get("why")))\n' in trace[-1]


def test_log_type_tail_returns_what_the_function_printed(lam: Any) -> None:
    name = make(lam, INTROSPECT)
    response, payload = invoke(lam, name, {"tag": "marker-123"}, LogType="Tail")
    assert payload["count"] >= 1
    log = base64.b64decode(response["LogResult"]).decode()
    assert "introspecting marker-123\n" in log
    failing = make(lam, FAILING)
    response, _ = invoke(lam, failing, {"why": "x"}, LogType="Tail")
    log = base64.b64decode(response["LogResult"]).decode()
    assert "about to fail\n" in log
    assert "[ERROR] ValueError: boom: x" in log


def test_event_invocation_is_accepted_with_202(lam: Any, echo: str) -> None:
    response = lam.invoke(FunctionName=echo, InvocationType="Event", Payload=b'{"a": 1}')
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""


def test_dry_run_is_204(lam: Any, echo: str) -> None:
    response = lam.invoke(FunctionName=echo, InvocationType="DryRun", Payload=b"{}")
    assert response["StatusCode"] == 204
    assert response["Payload"].read() == b""


def test_invalid_json_payload_is_invalid_request_content(lam: Any, echo: str) -> None:
    status, kind, message = aws_error(lam.invoke, FunctionName=echo, Payload=b"{not json")
    assert (status, kind) == (400, "InvalidRequestContentException")
    assert message.startswith(
        "Could not parse request body into json: Could not parse payload into json: "
    )


def test_the_handler_sees_lambdas_context_and_environment(lam: Any) -> None:
    name = make(lam, INTROSPECT, MemorySize=256)
    response, result = invoke(lam, name, {})
    assert result["function_name"] == name
    assert result["function_version"] == "$LATEST"
    assert result["invoked_function_arn"] == arn(name)
    assert result["memory_limit_in_mb"] == "256"
    assert result["aws_request_id"] == response["ResponseMetadata"]["RequestId"]
    assert result["env"] == {
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "GREETING": None,
    }
    assert 0 < result["remaining"] <= 3000


def test_warm_invocations_reuse_the_module(lam: Any) -> None:
    name = make(lam, INTROSPECT)
    counts = [invoke(lam, name, {})[1]["count"] for _ in range(4)]
    assert counts == [1, 2, 3, 4]
    request_ids = {invoke(lam, name, {})[1]["aws_request_id"] for _ in range(3)}
    assert len(request_ids) == 3


# --- resource policy ------------------------------------------------------------------------


def test_add_permission_get_policy_remove_permission(lam: Any) -> None:
    name = make(lam, ECHO)
    source = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/*/GET/pets"
    added = lam.add_permission(
        FunctionName=name,
        StatementId="apigw",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=source,
    )
    assert added["ResponseMetadata"]["HTTPStatusCode"] == 201
    statement = {
        "Sid": "apigw",
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": arn(name),
        "Condition": {"ArnLike": {"AWS:SourceArn": source}},
    }
    assert json.loads(added["Statement"]) == statement
    lam.add_permission(
        FunctionName=name, StatementId="account", Action="lambda:InvokeFunction", Principal=ACCOUNT
    )
    policy = lam.get_policy(FunctionName=name)
    assert policy["RevisionId"] == lam.get_function_configuration(FunctionName=name)["RevisionId"]
    document = json.loads(policy["Policy"])
    assert document["Version"] == "2012-10-17"
    assert document["Statement"] == [
        statement,
        {
            "Sid": "account",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "lambda:InvokeFunction",
            "Resource": arn(name),
        },
    ]
    removed = lam.remove_permission(FunctionName=name, StatementId="apigw")
    assert removed["ResponseMetadata"]["HTTPStatusCode"] == 204
    remaining = json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]
    assert [s["Sid"] for s in remaining] == ["account"]
    lam.remove_permission(FunctionName=name, StatementId="account")
    assert aws_error(lam.get_policy, FunctionName=name) == (
        404,
        "ResourceNotFoundException",
        "The resource you requested does not exist.",
    )


def test_duplicate_statement_id_is_a_conflict(lam: Any) -> None:
    name = make(lam, ECHO)
    permission = {
        "FunctionName": name,
        "StatementId": "same",
        "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
    }
    lam.add_permission(**permission)
    assert aws_error(lam.add_permission, **permission) == (
        409,
        "ResourceConflictException",
        "The statement id (same) provided already exists. Please provide a new statement id, "
        "or remove the existing statement.",
    )


def test_removing_an_unknown_statement_is_not_found(lam: Any, echo: str) -> None:
    assert aws_error(lam.remove_permission, FunctionName=echo, StatementId="nope") == (
        404,
        "ResourceNotFoundException",
        "No policy is associated with the given resource.",
    )
    lam.add_permission(
        FunctionName=echo,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
    )
    assert aws_error(lam.remove_permission, FunctionName=echo, StatementId="nope") == (
        404,
        "ResourceNotFoundException",
        "Statement nope is not found in resource policy.",
    )
    assert aws_error(lam.remove_permission, FunctionName="missing-fn", StatementId="s3") == (
        404,
        "ResourceNotFoundException",
        f"No policy found for: arn:aws:lambda:us-east-1:{ACCOUNT}:function:missing-fn",
    )


def test_settings_tollway_does_not_apply_are_accepted_and_named(lam: Any, server: Any) -> None:
    name = f"fn-{uuid.uuid4().hex[:10]}"
    create_function(
        lam,
        name,
        ECHO,
        TracingConfig={"Mode": "Active"},
        VpcConfig={"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
    )
    expected = (
        f"function {name}: Tollway does not apply VpcConfig, TracingConfig (accepted, not enforced)"
    )
    for _ in range(100):
        if expected in server.log():
            break
        time.sleep(0.02)
    assert expected in server.log()
    # The defaults a deployment tool sends name nothing.
    quiet = f"fn-{uuid.uuid4().hex[:10]}"
    create_function(
        lam, quiet, ECHO, TracingConfig={"Mode": "PassThrough"}, EphemeralStorage={"Size": 512}
    )
    lam.invoke(FunctionName=quiet, Payload=b"{}")
    assert f"function {quiet}: Tollway does not apply" not in server.log()


def test_client_context_is_refused_loudly(lam: Any, echo: str) -> None:
    context = base64.b64encode(b'{"custom": {"a": 1}}').decode()
    assert aws_error(lam.invoke, FunctionName=echo, Payload=b"{}", ClientContext=context) == (
        501,
        "NotImplementedException",
        "Tollway does not pass ClientContext to functions yet (context.client_context)",
    )


def test_oversize_payloads_are_refused(lam: Any, echo: str) -> None:
    sync = b'"' + b"x" * (6 * 1024 * 1024) + b'"'
    assert aws_error(lam.invoke, FunctionName=echo, Payload=sync) == (
        413,
        "RequestEntityTooLargeException",
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    )
    event = b'"' + b"x" * (1024 * 1024) + b'"'
    assert aws_error(lam.invoke, FunctionName=echo, Payload=event, InvocationType="Event") == (
        413,
        "RequestEntityTooLargeException",
        f"{len(event)} byte payload is too large for the Event invocation type "
        "(limit 1048576 bytes)",
    )


def test_environment_over_4_kb_is_refused(lam: Any) -> None:
    variables = {"LARGE_VAR": "x" * 4096}
    assert aws_error(
        lam.create_function,
        FunctionName=unique(),
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_code({"app.py": ECHO})},
        Environment={"Variables": variables},
    ) == (
        400,
        "InvalidParameterValueException",
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided exceeded the 4KB limit. String measured: "
        + json.dumps(variables, separators=(",", ":")),
    )


def test_updating_code_with_a_stale_revision_is_a_precondition_failure(lam: Any, echo: str) -> None:
    assert aws_error(
        lam.update_function_code,
        FunctionName=echo,
        ZipFile=zip_code({"app.py": ECHO}),
        RevisionId="not-the-current-one",
    ) == (
        412,
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the "
        "GetFunction/GetAlias API to retrieve the latest Revision Id",
    )


def test_a_layer_from_another_region_is_refused(lam: Any) -> None:
    layer = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:layer:shared:1"
    assert aws_error(
        lam.create_function,
        FunctionName=unique(),
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_code({"app.py": ECHO})},
        Layers=[layer],
    ) == (
        400,
        "InvalidParameterValueException",
        "Layers are not in the same region as the function. Layers are expected to be in "
        f"region {REGION}.",
    )


def test_a_development_directory_reports_no_code_hash(lam: Any, tmp_path: Any) -> None:
    (tmp_path / "app.py").write_text(ECHO)
    config = lam.create_function(
        FunctionName=unique(),
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "hot-reload", "S3Key": str(tmp_path)},
    )
    assert (config["CodeSha256"], config["CodeSize"]) == ("hot-reloading-hash-not-available", 0)
