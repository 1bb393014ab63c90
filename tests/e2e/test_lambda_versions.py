"""Versions, aliases and what hangs off them, through boto3's `lambda` client: PublishVersion
and ListVersionsByFunction, versions running their own code, aliases (weighted ones too),
resource policies per qualifier, aliases behind API Gateway stage variables, reserved
concurrency and throttling, layers, event invoke configs and tags."""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib
import json
import re
import sys
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_method,
    aws_error,
    deploy,
    lambda_uri,
    new_api,
    shape,
    status_of,
    zip_code,
)
from tests.e2e.conftest import (
    function_arn as arn,
)

ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"
# The server's interpreter runs the functions; a layer's site-packages path names its version.
PYTHON = f"python{sys.version_info[0]}.{sys.version_info[1]}"
REVISION_MISMATCH = (
    "The Revision Id provided does not match the latest Revision Id. Call the "
    "GetFunction/GetAlias API to retrieve the latest Revision Id"
)
MISSING_RESOURCE = "The resource you requested does not exist."
INTERNAL_ERROR = {"message": "Internal server error"}


def tagged(tag: str) -> str:
    """A function that says which code it is and how it was invoked."""
    return f"""
import os
def handler(event, context):
    return {{
        "code": "{tag}",
        "version": context.function_version,
        "env_version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
        "invoked": context.invoked_function_arn,
    }}
"""


def proxy(body: str) -> str:
    """A function answering API Gateway with `body`."""
    return f"def handler(event, context):\n    return {{'statusCode': 200, 'body': '{body}'}}\n"


SLEEPER = """
import time
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"slept": event.get("sleep", 0)}
"""


def unique(prefix: str = "fn") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def layer_arn(name: str, version: int | None = None) -> str:
    base = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}"
    return f"{base}:{version}" if version else base


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def make(lam: Any, source: str, *, name: str | None = None, **options: Any) -> str:
    name = name or unique()
    lam.create_function(
        FunctionName=name,
        Runtime=PYTHON,
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_code({"app.py": source})},
        **options,
    )
    return name


def invoke(lam: Any, name: str, event: Any = None, **options: Any) -> tuple[dict[str, Any], Any]:
    """Invokes `name` with `event`: (the response, the decoded payload)."""
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(), **options)
    return response, json.loads(response["Payload"].read())


def new_code(lam: Any, name: str, source: str, **options: Any) -> dict[str, Any]:
    return lam.update_function_code(  # type: ignore[no-any-return]
        FunctionName=name, ZipFile=zip_code({"app.py": source}), **options
    )


def versioned(lam: Any, count: int) -> str:
    """A function with `count` published versions (each with its own description)."""
    name = make(lam, tagged("v"))
    for number in range(1, count + 1):
        lam.update_function_configuration(FunctionName=name, Description=f"d{number}")
        assert lam.publish_version(FunctionName=name)["Version"] == str(number)
    return name


def permit(lam: Any, name: str, qualifier: str | None = None, sid: str = "apigateway") -> None:
    lam.add_permission(
        FunctionName=name,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*/*/*/*",
        **({"Qualifier": qualifier} if qualifier else {}),
    )


@pytest.fixture(scope="module")
def eager(server: Server) -> Any:
    """A Lambda client that does not retry: a throttled call is reported, not repeated."""
    return boto3.client(
        "lambda",
        endpoint_url=server.admin,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=60),
    )


# --- PublishVersion -------------------------------------------------------------------------


def test_publish_version_numbers_versions_and_repeats_an_unchanged_one(lam: Any) -> None:
    code = zip_code({"app.py": tagged("one")})
    name = unique()
    lam.create_function(
        FunctionName=name,
        Runtime=PYTHON,
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": code},
        Description="first",
    )
    first = lam.publish_version(FunctionName=name)
    assert status_of(first) == 201
    assert first["Version"] == "1"
    assert first["FunctionArn"] == arn(name, "1")
    assert first["CodeSha256"] == sha256_b64(code)
    assert first["Description"] == "first"
    assert first["State"] == "Active"
    assert shape(first) == shape(lam.get_function_configuration(FunctionName=name, Qualifier="1"))

    again = lam.publish_version(FunctionName=name, Description="ignored")
    assert status_of(again) == 201
    assert shape(again) == shape(first)
    # Tags and permissions are not part of a version: still nothing new to publish.
    lam.tag_resource(Resource=arn(name), Tags={"team": "a"})
    permit(lam, name)
    assert shape(lam.publish_version(FunctionName=name)) == shape(first)

    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"A": "1"}})
    second = lam.publish_version(FunctionName=name, Description="the second")
    assert status_of(second) == 201
    assert (second["Version"], second["FunctionArn"]) == ("2", arn(name, "2"))
    assert second["Description"] == "the second"
    assert second["Environment"] == {"Variables": {"A": "1"}}
    # $LATEST keeps its own description; the version was given another.
    assert lam.get_function_configuration(FunctionName=name)["Description"] == "first"


def test_publish_version_checks_code_sha256_and_revision_id(lam: Any) -> None:
    code = zip_code({"app.py": tagged("one")})
    name = make(lam, tagged("one"))
    assert aws_error(
        lam.publish_version, FunctionName=name, CodeSha256="somenonexistentsha256"
    ) == (
        400,
        "InvalidParameterValueException",
        "CodeSHA256 (somenonexistentsha256) is different from current CodeSHA256 in $LATEST "
        f"({sha256_b64(code)}). Please try again with the CodeSHA256 in $LATEST.",
    )
    assert aws_error(lam.publish_version, FunctionName=name, RevisionId=str(uuid.uuid4())) == (
        412,
        "PreconditionFailedException",
        REVISION_MISMATCH,
    )
    assert lam.list_versions_by_function(FunctionName=name)["Versions"][1:] == []
    revision = lam.get_function_configuration(FunctionName=name)["RevisionId"]
    published = lam.publish_version(
        FunctionName=name, CodeSha256=sha256_b64(code), RevisionId=revision
    )
    assert published["Version"] == "1"


def test_list_versions_by_function_starts_with_latest(lam: Any) -> None:
    name = versioned(lam, 2)
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    assert [v["FunctionArn"] for v in versions] == [
        arn(name, "$LATEST"),
        arn(name, "1"),
        arn(name, "2"),
    ]
    assert [v["Description"] for v in versions] == ["d2", "d1", "d2"]
    paged = lam.list_versions_by_function(FunctionName=name, MaxItems=2)
    assert [v["Version"] for v in paged["Versions"]] == ["$LATEST", "1"]
    rest = lam.list_versions_by_function(FunctionName=name, Marker=paged["NextMarker"])
    assert [v["Version"] for v in rest["Versions"]] == ["2"]
    assert "NextMarker" not in rest


def test_create_function_and_update_function_code_can_publish(lam: Any, http: httpx.Client) -> None:
    name = unique()
    created = lam.create_function(
        FunctionName=name,
        Runtime=PYTHON,
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_code({"app.py": tagged("one")})},
        Publish=True,
    )
    assert status_of(created) == 201
    # AWS answers the new version's number with the unqualified ARN.
    assert (created["Version"], created["FunctionArn"]) == ("1", arn(name))
    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    code = zip_code({"app.py": tagged("two")})
    updated = lam.update_function_code(FunctionName=name, ZipFile=code, Publish=True)
    assert (updated["Version"], updated["FunctionArn"]) == ("2", arn(name, "2"))
    assert updated["CodeSha256"] == sha256_b64(code)
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    assert versions[1]["CodeSha256"] == created["CodeSha256"]
    # Each version's package is its own.
    first = lam.get_function(FunctionName=name, Qualifier="1")
    assert first["Configuration"]["Version"] == "1"
    assert first["Configuration"]["FunctionArn"] == arn(name, "1")
    package = http.get(first["Code"]["Location"]).content
    assert sha256_b64(package) == created["CodeSha256"]


def test_get_function_with_a_qualifier(lam: Any) -> None:
    name = versioned(lam, 2)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    version = lam.get_function(FunctionName=name, Qualifier="2")["Configuration"]
    assert (version["Version"], version["FunctionArn"], version["Description"]) == (
        "2",
        arn(name, "2"),
        "d2",
    )
    for call in (
        lam.get_function_configuration,
        lambda **kw: lam.get_function(**kw)["Configuration"],
    ):
        through_alias = call(FunctionName=name, Qualifier="live")
        assert through_alias["FunctionArn"] == arn(name, "live")
        assert (through_alias["Version"], through_alias["Description"]) == ("1", "d1")
        assert call(FunctionName=f"{name}:live")["FunctionArn"] == arn(name, "live")
        assert call(FunctionName=arn(name, "2"))["Version"] == "2"
    for qualifier in ("9", "nope"):
        for call in (lam.get_function, lam.get_function_configuration):
            assert aws_error(call, FunctionName=name, Qualifier=qualifier) == (
                404,
                "ResourceNotFoundException",
                f"Function not found: {arn(name, qualifier)}",
            )


def test_delete_function_with_a_qualifier(lam: Any) -> None:
    name = versioned(lam, 2)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert aws_error(lam.delete_function, FunctionName=name, Qualifier="$LATEST") == (
        400,
        "InvalidParameterValueException",
        "$LATEST version cannot be deleted without deleting the function.",
    )
    assert aws_error(lam.delete_function, FunctionName=name, Qualifier="1") == (
        409,
        "ResourceConflictException",
        "Unable to delete version because the following aliases reference it: [live]",
    )
    lam.delete_function(FunctionName=name, Qualifier="2")
    assert aws_error(lam.get_function_configuration, FunctionName=name, Qualifier="2") == (
        404,
        "ResourceNotFoundException",
        f"Function not found: {arn(name, '2')}",
    )
    versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1"]
    assert aws_error(lam.invoke, FunctionName=name, Qualifier="2") == (
        404,
        "ResourceNotFoundException",
        f"Function not found: {arn(name, '2')}",
    )
    missing = unique("doesnotexist")
    assert aws_error(lam.delete_function, FunctionName=missing, Qualifier="1") == (
        404,
        "ResourceNotFoundException",
        f"Function not found: {arn(missing)}",
    )
    # The function itself and the other version are untouched.
    assert lam.get_function_configuration(FunctionName=name, Qualifier="1")["Version"] == "1"
    assert lam.get_function_configuration(FunctionName=name)["Version"] == "$LATEST"


# --- versions run their own code ------------------------------------------------------------


def test_each_version_runs_its_own_code(lam: Any) -> None:
    name = make(lam, tagged("one"))
    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    new_code(lam, name, tagged("two"))
    assert lam.publish_version(FunctionName=name)["Version"] == "2"
    new_code(lam, name, tagged("three"))
    cases = [
        ({"Qualifier": "1"}, name, "one", "1", arn(name, "1")),
        ({"Qualifier": "2"}, name, "two", "2", arn(name, "2")),
        ({"Qualifier": "$LATEST"}, name, "three", "$LATEST", arn(name, "$LATEST")),
        ({}, name, "three", "$LATEST", arn(name)),
        ({}, f"{name}:1", "one", "1", arn(name, "1")),
        ({}, arn(name, "2"), "two", "2", arn(name, "2")),
    ]
    for options, function, code, version, invoked in cases:
        response, payload = invoke(lam, function, **options)
        assert response["ExecutedVersion"] == version, (options, function)
        assert payload == {
            "code": code,
            "version": version,
            "env_version": version,
            "invoked": invoked,
        }, (options, function)


def test_a_qualifier_that_disagrees_with_the_name_is_refused(lam: Any) -> None:
    name = versioned(lam, 2)
    assert aws_error(lam.invoke, FunctionName=f"{name}:1", Qualifier="2") == (
        400,
        "InvalidParameterValueException",
        "The derived qualifier from the function name does not match the specified qualifier.",
    )
    assert aws_error(lam.invoke, FunctionName=name, Qualifier="7") == (
        404,
        "ResourceNotFoundException",
        f"Function not found: {arn(name, '7')}",
    )


# --- aliases --------------------------------------------------------------------------------


def test_alias_lifecycle(lam: Any) -> None:
    name = versioned(lam, 2)
    created = lam.create_alias(
        FunctionName=name, Name="live", FunctionVersion="1", Description="production"
    )
    assert status_of(created) == 201
    alias = shape(created)
    revision = alias.pop("RevisionId")
    assert re.fullmatch(r"[0-9a-f-]{36}", revision)
    assert alias == {
        "AliasArn": arn(name, "live"),
        "Name": "live",
        "FunctionVersion": "1",
        "Description": "production",
    }
    assert shape(lam.get_alias(FunctionName=name, Name="live")) == shape(created)

    updated = lam.update_alias(
        FunctionName=name,
        Name="live",
        FunctionVersion="2",
        RoutingConfig={"AdditionalVersionWeights": {"1": 0.25}},
    )
    assert updated["RevisionId"] != revision
    assert (updated["FunctionVersion"], updated["Description"]) == ("2", "production")
    assert updated["RoutingConfig"] == {"AdditionalVersionWeights": {"1": 0.25}}
    # An empty map removes the routing config.
    reset = lam.update_alias(
        FunctionName=name, Name="live", RoutingConfig={"AdditionalVersionWeights": {}}
    )
    assert "RoutingConfig" not in reset
    assert reset["FunctionVersion"] == "2"

    dev = lam.create_alias(
        FunctionName=name,
        Name="dev",
        FunctionVersion="$LATEST",
        RoutingConfig={"AdditionalVersionWeights": {}},
    )
    assert "RoutingConfig" not in dev
    lam.create_alias(FunctionName=name, Name="2024-01-02", FunctionVersion="1")
    listed = lam.list_aliases(FunctionName=name)["Aliases"]
    assert sorted((a["Name"], a["FunctionVersion"]) for a in listed) == [
        ("2024-01-02", "1"),
        ("dev", "$LATEST"),
        ("live", "2"),
    ]
    only_one = lam.list_aliases(FunctionName=name, FunctionVersion="1")["Aliases"]
    assert [a["AliasArn"] for a in only_one] == [arn(name, "2024-01-02")]

    assert status_of(lam.delete_alias(FunctionName=name, Name="live")) == 204
    assert aws_error(lam.get_alias, FunctionName=name, Name="live")[0] == 404
    # Deleting an alias that is not there succeeds as well.
    assert status_of(lam.delete_alias(FunctionName=name, Name="live")) == 204
    assert sorted(a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]) == [
        "2024-01-02",
        "dev",
    ]


def test_alias_errors(lam: Any) -> None:
    name = versioned(lam, 3)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert aws_error(lam.create_alias, FunctionName=name, Name="live", FunctionVersion="2") == (
        409,
        "ResourceConflictException",
        f"Alias already exists: {arn(name, 'live')}",
    )
    assert aws_error(lam.get_alias, FunctionName=name, Name="missing") == (
        404,
        "ResourceNotFoundException",
        f"Cannot find alias arn: {arn(name, 'missing')}",
    )
    assert aws_error(lam.update_alias, FunctionName=name, Name="missing", FunctionVersion="1") == (
        404,
        "ResourceNotFoundException",
        f"Alias not found: {arn(name, 'missing')}",
    )
    assert aws_error(lam.create_alias, FunctionName=name, Name="2024", FunctionVersion="1") == (
        400,
        "ValidationException",
        "1 validation error detected: Value '2024' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
    )
    assert aws_error(lam.create_alias, FunctionName=name, Name="ten", FunctionVersion="10") == (
        404,
        "ResourceNotFoundException",
        f"Function not found: {arn(name, '10')}",
    )
    missing = unique("unknown")
    assert aws_error(lam.create_alias, FunctionName=missing, Name="one", FunctionVersion="1") == (
        404,
        "ResourceNotFoundException",
        f"Function not found: {arn(missing, '1')}",
    )
    assert aws_error(
        lam.create_alias,
        FunctionName=name,
        Name="two",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.1, "3": 0.1}},
    ) == (
        400,
        "InvalidParameterValueException",
        "Number of items in AdditionalVersionWeights cannot be greater than 1",
    )
    assert aws_error(
        lam.create_alias,
        FunctionName=name,
        Name="same",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
    ) == (
        400,
        "InvalidParameterValueException",
        "Invalid function version 1. Function version 1 is already included in routing "
        "configuration.",
    )
    assert aws_error(
        lam.create_alias,
        FunctionName=name,
        Name="latest",
        FunctionVersion="$LATEST",
        RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
    ) == (
        400,
        "InvalidParameterValueException",
        "$LATEST is not supported for an alias pointing to more than 1 version",
    )
    assert aws_error(
        lam.create_alias,
        FunctionName=name,
        Name="heavy",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 2.0}},
    ) == (
        400,
        "ValidationException",
        "1 validation error detected: Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' "
        "failed to satisfy constraint: Map value must satisfy constraint: [Member must have value "
        "less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member "
        "must not be null]",
    )
    assert aws_error(
        lam.create_alias,
        FunctionName=name,
        Name="named",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"v2": 0.5}},
    ) == (
        400,
        "ValidationException",
        "1 validation error detected: Value '{v2=0.5}' at 'routingConfig.additionalVersionWeights' "
        "failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length "
        "less than or equal to 1024, Member must have length greater than or equal to 1, Member "
        "must satisfy regular expression pattern: [0-9]+, Member must not be null]",
    )
    assert aws_error(
        lam.update_alias,
        FunctionName=name,
        Name="live",
        RoutingConfig={"AdditionalVersionWeights": {"$LATEST": 0.5}},
    ) == (
        400,
        "ValidationException",
        "1 validation error detected: Value '{$LATEST=0.5}' at "
        "'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys must "
        "satisfy constraint: [Member must have length less than or equal to 1024, Member must "
        "have length greater than or equal to 1, Member must satisfy regular expression pattern: "
        "[0-9]+, Member must not be null]",
    )
    assert aws_error(
        lam.update_alias, FunctionName=name, Name="live", RevisionId=str(uuid.uuid4())
    ) == (412, "PreconditionFailedException", REVISION_MISMATCH)
    # None of the refused calls left anything behind.
    assert [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]] == ["live"]
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"


def test_invoke_through_an_alias(lam: Any) -> None:
    name = make(lam, tagged("one"))
    lam.publish_version(FunctionName=name)
    new_code(lam, name, tagged("two"), Publish=True)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    for options, function in (({"Qualifier": "live"}, name), ({}, f"{name}:live")):
        response, payload = invoke(lam, function, **options)
        assert response["ExecutedVersion"] == "1"
        assert payload == {
            "code": "one",
            "version": "1",
            "env_version": "1",
            "invoked": arn(name, "live"),
        }
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
    response, payload = invoke(lam, name, Qualifier="live", LogType="Tail")
    assert (response["ExecutedVersion"], payload["code"]) == ("2", "two")
    log = base64.b64decode(response["LogResult"]).decode()
    assert re.search(r"^START RequestId: [0-9a-f-]{36} Version: 2$", log, re.MULTILINE), log
    assert aws_error(lam.invoke, FunctionName=name, Qualifier="gone") == (
        404,
        "ResourceNotFoundException",
        f"Function not found: {arn(name, 'gone')}",
    )


def test_a_weighted_alias_splits_invocations(lam: Any) -> None:
    name = make(lam, tagged("one"))
    lam.publish_version(FunctionName=name)
    new_code(lam, name, tagged("two"), Publish=True)
    lam.create_alias(
        FunctionName=name,
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    ran: Counter[tuple[str, str]] = Counter()
    for _ in range(200):
        response, payload = invoke(lam, name, Qualifier="canary")
        ran[response["ExecutedVersion"], payload["code"]] += 1
    assert set(ran) == {("1", "one"), ("2", "two")}, ran
    assert 60 <= ran["1", "one"] <= 140, ran
    assert 60 <= ran["2", "two"] <= 140, ran


# --- resource policies per qualifier --------------------------------------------------------


def test_each_qualifier_has_its_own_policy(lam: Any) -> None:
    name = versioned(lam, 1)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    permit(lam, name)
    statement = json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]
    assert [s["Resource"] for s in statement] == [arn(name)]
    for qualifier in ("live", "1"):
        assert aws_error(lam.get_policy, FunctionName=name, Qualifier=qualifier) == (
            404,
            "ResourceNotFoundException",
            MISSING_RESOURCE,
        )
    # The same statement id, independently, on the alias.
    added = lam.add_permission(
        FunctionName=name,
        Qualifier="live",
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    )
    assert status_of(added) == 201
    assert json.loads(added["Statement"])["Resource"] == arn(name, "live")
    policy = lam.get_policy(FunctionName=name, Qualifier="live")
    assert policy["RevisionId"] == lam.get_alias(FunctionName=name, Name="live")["RevisionId"]
    assert [s["Resource"] for s in json.loads(policy["Policy"])["Statement"]] == [arn(name, "live")]
    unqualified = json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]
    assert [s["Resource"] for s in unqualified] == [arn(name)]
    assert aws_error(
        lam.remove_permission,
        FunctionName=name,
        Qualifier="live",
        StatementId="apigateway",
        RevisionId=str(uuid.uuid4()),
    ) == (412, "PreconditionFailedException", REVISION_MISMATCH)
    lam.remove_permission(FunctionName=name, Qualifier="live", StatementId="apigateway")
    assert aws_error(lam.get_policy, FunctionName=name, Qualifier="live")[2] == MISSING_RESOURCE
    assert len(json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]) == 1

    assert aws_error(
        lam.add_permission,
        FunctionName=name,
        Qualifier="$LATEST",
        StatementId="latest",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    ) == (
        400,
        "InvalidParameterValueException",
        "We currently do not support adding policies for $LATEST.",
    )
    assert aws_error(
        lam.add_permission,
        FunctionName=name,
        Qualifier="alias-doesnotexist",
        StatementId="s",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    ) == (
        404,
        "ResourceNotFoundException",
        f"Cannot find alias arn: {arn(name, 'alias-doesnotexist')}",
    )
    assert aws_error(
        lam.add_permission,
        FunctionName=name,
        Qualifier="42",
        StatementId="s",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
    ) == (404, "ResourceNotFoundException", f"Function not found: {arn(name, '42')}")


# --- aliases behind API Gateway -------------------------------------------------------------


def test_stage_variables_choose_the_alias(
    server: Server, apigw: Any, lam: Any, http: httpx.Client
) -> None:
    name = make(lam, proxy("one"))
    lam.publish_version(FunctionName=name)
    new_code(lam, name, proxy("two"), Publish=True)
    new_code(lam, name, proxy("latest"))
    for alias, version in (("blue", "1"), ("green", "2"), ("grey", "1")):
        lam.create_alias(FunctionName=name, Name=alias, FunctionVersion=version)
    permit(lam, name, "blue")
    permit(lam, name, "green")
    permit(lam, name, "2")
    permit(lam, name)  # the unqualified function's grant does not cover its aliases
    api_id, root = new_api(apigw)
    add_method(
        apigw,
        api_id,
        root,
        "GET",
        {
            "type": "AWS_PROXY",
            "integrationHttpMethod": "POST",
            "uri": lambda_uri(name + ":${stageVariables.alias}"),
        },
    )
    for stage in ("blue", "green", "grey"):
        deploy(apigw, api_id, stage, variables={"alias": stage})
    deploy(apigw, api_id, "pinned", variables={"alias": "2"})  # a version, not an alias
    blue = http.get(server.url(api_id, "blue", "/"))
    assert (blue.status_code, blue.text) == (200, "one")
    green = http.get(server.url(api_id, "green", "/"))
    assert (green.status_code, green.text) == (200, "two")
    pinned = http.get(server.url(api_id, "pinned", "/"))
    assert (pinned.status_code, pinned.text) == (200, "two")
    grey = http.get(server.url(api_id, "grey", "/"))
    assert grey.status_code == 500
    assert grey.json() == INTERNAL_ERROR
    assert grey.headers["x-amzn-ErrorType"] == "InternalServerErrorException"


# --- reserved concurrency -------------------------------------------------------------------


def test_function_concurrency_shapes(lam: Any) -> None:
    name = versioned(lam, 1)
    before = lam.get_account_settings()["AccountLimit"]
    assert before["ConcurrentExecutions"] == 1000
    assert shape(lam.get_function_concurrency(FunctionName=name)) == {}

    put = lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=7)
    assert (status_of(put), shape(put)) == (200, {"ReservedConcurrentExecutions": 7})
    assert shape(lam.get_function_concurrency(FunctionName=name)) == {
        "ReservedConcurrentExecutions": 7
    }
    assert lam.get_function(FunctionName=name)["Concurrency"] == {"ReservedConcurrentExecutions": 7}
    limits = lam.get_account_settings()["AccountLimit"]
    assert limits["UnreservedConcurrentExecutions"] == before["UnreservedConcurrentExecutions"] - 7

    deleted = lam.delete_function_concurrency(FunctionName=name)
    assert status_of(deleted) == 204
    assert shape(lam.get_function_concurrency(FunctionName=name)) == {}
    assert "Concurrency" not in lam.get_function(FunctionName=name)
    limits = lam.get_account_settings()["AccountLimit"]
    assert limits["UnreservedConcurrentExecutions"] == before["UnreservedConcurrentExecutions"]

    assert aws_error(
        lam.put_function_concurrency, FunctionName=arn(name, "1"), ReservedConcurrentExecutions=1
    ) == (
        400,
        "InvalidParameterValueException",
        "This operation is permitted on Lambda functions only. Aliases and versions do not "
        "support this operation. Please specify either a function name or an unqualified "
        "function ARN.",
    )
    missing = unique("doesnotexist")
    assert aws_error(
        lam.put_function_concurrency, FunctionName=missing, ReservedConcurrentExecutions=1
    ) == (404, "ResourceNotFoundException", f"Function not found: {arn(missing, '$LATEST')}")


def test_reserved_concurrency_leaves_the_account_minimum_unreserved(lam: Any) -> None:
    name = make(lam, tagged("one"))
    too_many = "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100]."
    assert aws_error(
        lam.put_function_concurrency, FunctionName=name, ReservedConcurrentExecutions=1000 - 100 + 1
    ) == (400, "InvalidParameterValueException", too_many)
    unreserved = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    assert aws_error(
        lam.put_function_concurrency,
        FunctionName=name,
        ReservedConcurrentExecutions=unreserved - 100 + 1,
    ) == (400, "InvalidParameterValueException", too_many)
    try:
        lam.put_function_concurrency(
            FunctionName=name, ReservedConcurrentExecutions=unreserved - 100
        )
        limits = lam.get_account_settings()["AccountLimit"]
        assert limits["UnreservedConcurrentExecutions"] == 100
        # Replacing the function's own reservation does not count it twice.
        lam.put_function_concurrency(
            FunctionName=name, ReservedConcurrentExecutions=unreserved - 100
        )
    finally:
        lam.delete_function_concurrency(FunctionName=name)


def test_invocations_beyond_reserved_concurrency_are_throttled(lam: Any, eager: Any) -> None:
    name = make(lam, SLEEPER, Timeout=10, Publish=True)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)

    def call(qualifier: str) -> dict[str, Any]:
        try:
            response = eager.invoke(FunctionName=name, Qualifier=qualifier, Payload=b'{"sleep": 1}')
            return {"ok": json.loads(response["Payload"].read())}
        except ClientError as error:
            return {"error": error.response}

    # Two at once of the same version; then of two versions (the limit is the function's).
    for qualifiers in (["$LATEST", "$LATEST"], ["$LATEST", "1"]):
        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(call, qualifiers), key=lambda o: "ok" in o)
        assert outcomes[1] == {"ok": {"slept": 1}}, outcomes
        refused = outcomes[0]["error"]
        assert refused["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert refused["Error"] == {"Code": "TooManyRequestsException", "Message": "Rate Exceeded."}
        assert refused["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    # Once the first is done, the next call runs.
    assert json.loads(eager.invoke(FunctionName=name)["Payload"].read()) == {"slept": 0}


def test_reserved_concurrency_zero_throttles_every_invocation(
    server: Server, apigw: Any, lam: Any, eager: Any, http: httpx.Client
) -> None:
    name = make(lam, proxy("ran"))
    permit(lam, name)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    for _ in range(3):
        with pytest.raises(ClientError) as info:
            eager.invoke(FunctionName=name)
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert info.value.response["Error"]["Code"] == "TooManyRequestsException"
        assert info.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"

    api_id, root = new_api(apigw)
    add_method(
        apigw,
        api_id,
        root,
        "GET",
        {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(name)},
    )
    deploy(apigw, api_id, "test")
    throttled = http.get(server.url(api_id, "test", "/"))
    assert throttled.status_code == 500
    assert throttled.json() == INTERNAL_ERROR
    assert throttled.headers["x-amzn-ErrorType"] == "InternalServerErrorException"

    lam.delete_function_concurrency(FunctionName=name)
    released = http.get(server.url(api_id, "test", "/"))
    assert (released.status_code, released.text) == (200, "ran")


# --- layers ---------------------------------------------------------------------------------

LAYERED = """
try:
    import pkg
    PKG = pkg.NAME
except ImportError:
    PKG = None
try:
    import shared_mod
    SHARED = shared_mod.VALUE
except ImportError:
    SHARED = None
def handler(event, context):
    return {"shared": SHARED, "pkg": PKG}
"""


def test_layer_versions(lam: Any, http: httpx.Client) -> None:
    layer = unique("layer")
    first_zip = zip_code({"python/shared_mod.py": "VALUE = 'shared-1'\n"})
    published = lam.publish_layer_version(
        LayerName=layer,
        Description="shared code",
        Content={"ZipFile": first_zip},
        CompatibleRuntimes=[PYTHON],
    )
    assert status_of(published) == 201
    first = copy.deepcopy(shape(published))
    created = first.pop("CreatedDate")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000", created)
    location = first["Content"].pop("Location")
    assert first == {
        "LayerArn": layer_arn(layer),
        "LayerVersionArn": layer_arn(layer, 1),
        "Version": 1,
        "Description": "shared code",
        "CompatibleRuntimes": [PYTHON],
        "Content": {"CodeSha256": sha256_b64(first_zip), "CodeSize": len(first_zip)},
    }
    download = http.get(location)
    assert download.status_code == 200
    assert download.content == first_zip

    assert shape(lam.get_layer_version(LayerName=layer, VersionNumber=1)) == shape(published)
    assert shape(lam.get_layer_version_by_arn(Arn=layer_arn(layer, 1))) == shape(published)

    second_zip = zip_code({"python/shared_mod.py": "VALUE = 'shared-2'\n"})
    second = lam.publish_layer_version(LayerName=layer, Content={"ZipFile": second_zip})
    assert (second["Version"], second["LayerVersionArn"]) == (2, layer_arn(layer, 2))
    assert second["Description"] == ""

    listed = lam.list_layer_versions(LayerName=layer)["LayerVersions"]
    assert [(v["Version"], v["LayerVersionArn"]) for v in listed] == [
        (2, layer_arn(layer, 2)),
        (1, layer_arn(layer, 1)),
    ]
    assert listed[1] == {
        "LayerVersionArn": layer_arn(layer, 1),
        "Version": 1,
        "Description": "shared code",
        "CreatedDate": created,
        "CompatibleRuntimes": [PYTHON],
    }
    layers = {item["LayerName"]: item for item in lam.list_layers()["Layers"]}
    assert layers[layer]["LayerArn"] == layer_arn(layer)
    assert layers[layer]["LatestMatchingVersion"]["Version"] == 2

    assert status_of(lam.delete_layer_version(LayerName=layer, VersionNumber=1)) == 204
    assert status_of(lam.delete_layer_version(LayerName=layer, VersionNumber=1)) == 204
    assert status_of(lam.delete_layer_version(LayerName=unique("nolayer"), VersionNumber=1)) == 204
    assert aws_error(lam.get_layer_version, LayerName=layer, VersionNumber=1) == (
        404,
        "ResourceNotFoundException",
        MISSING_RESOURCE,
    )
    assert aws_error(lam.get_layer_version_by_arn, Arn=layer_arn(layer, 1))[:2] == (
        404,
        "ResourceNotFoundException",
    )
    assert aws_error(lam.get_layer_version, LayerName=layer, VersionNumber=0) == (
        400,
        "InvalidParameterValueException",
        "Layer Version Cannot be less than 1",
    )
    assert aws_error(lam.get_layer_version_by_arn, Arn=layer_arn(layer))[:2] == (
        400,
        "ValidationException",
    )
    listed = lam.list_layer_versions(LayerName=layer)["LayerVersions"]
    assert [v["Version"] for v in listed] == [2]
    # Numbers are never reused.
    third = lam.publish_layer_version(LayerName=layer, Content={"ZipFile": second_zip})
    assert third["Version"] == 3
    assert lam.list_layer_versions(LayerName=unique("nolayer"))["LayerVersions"] == []


def test_functions_import_their_layers(lam: Any) -> None:
    shared, package = unique("layer"), unique("layer")
    for number in (1, 2):
        lam.publish_layer_version(
            LayerName=shared,
            Content={"ZipFile": zip_code({"python/shared_mod.py": f"VALUE = 'shared-{number}'\n"})},
        )
    site_packages = f"python/lib/{PYTHON}/site-packages/pkg/__init__.py"
    package_zip = zip_code({site_packages: "NAME = 'pkg-1'\n"})
    lam.publish_layer_version(LayerName=package, Content={"ZipFile": package_zip})

    name = make(lam, LAYERED, Layers=[layer_arn(shared, 1), layer_arn(package, 1)], Publish=True)
    layers = lam.get_function_configuration(FunctionName=name)["Layers"]
    assert layers[1] == {"Arn": layer_arn(package, 1), "CodeSize": len(package_zip)}
    assert [layer["Arn"] for layer in layers] == [layer_arn(shared, 1), layer_arn(package, 1)]
    assert invoke(lam, name)[1] == {"shared": "shared-1", "pkg": "pkg-1"}

    updated = lam.update_function_configuration(FunctionName=name, Layers=[layer_arn(shared, 2)])
    assert [layer["Arn"] for layer in updated["Layers"]] == [layer_arn(shared, 2)]
    assert invoke(lam, name)[1] == {"shared": "shared-2", "pkg": None}
    # The published version keeps its own layers.
    assert invoke(lam, name, Qualifier="1")[1] == {"shared": "shared-1", "pkg": "pkg-1"}

    # A deleted layer version keeps working for the functions that use it (new workers too),
    # but can no longer be added to one.
    lam.delete_layer_version(LayerName=shared, VersionNumber=2)
    lam.update_function_configuration(FunctionName=name, Timeout=4)
    assert invoke(lam, name)[1] == {"shared": "shared-2", "pkg": None}
    assert aws_error(
        lam.update_function_configuration, FunctionName=name, Layers=[layer_arn(shared, 2)]
    ) == (
        400,
        "InvalidParameterValueException",
        f"Layer version {layer_arn(shared, 2)} does not exist.",
    )

    lam.update_function_configuration(FunctionName=name, Layers=[])
    assert "Layers" not in lam.get_function_configuration(FunctionName=name)
    assert invoke(lam, name)[1] == {"shared": None, "pkg": None}


def test_layer_references_are_checked(lam: Any) -> None:
    layers = [unique("layer") for _ in range(6)]
    for layer in layers:
        lam.publish_layer_version(
            LayerName=layer, Content={"ZipFile": zip_code({"python/x.py": ""})}
        )
    lam.publish_layer_version(
        LayerName=layers[0], Content={"ZipFile": zip_code({"python/y.py": ""})}
    )
    missing = layer_arn(layers[0], 99)
    assert aws_error(
        lam.create_function,
        FunctionName=unique(),
        Runtime=PYTHON,
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_code({"app.py": LAYERED})},
        Layers=[missing],
    ) == (400, "InvalidParameterValueException", f"Layer version {missing} does not exist.")
    name = make(lam, LAYERED)
    assert aws_error(lam.update_function_configuration, FunctionName=name, Layers=[missing]) == (
        400,
        "InvalidParameterValueException",
        f"Layer version {missing} does not exist.",
    )
    twice = [layer_arn(layers[0], 1), layer_arn(layers[0], 2)]
    assert aws_error(lam.update_function_configuration, FunctionName=name, Layers=twice) == (
        400,
        "InvalidParameterValueException",
        "Two different versions of the same layer are not allowed to be referenced in the same "
        f"function. {twice[0]} and {twice[1]} are versions of the same layer.",
    )
    six = [layer_arn(layer, 1) for layer in layers]
    assert aws_error(lam.update_function_configuration, FunctionName=name, Layers=six) == (
        400,
        "InvalidParameterValueException",
        "Cannot reference more than 5 layers.",
    )
    assert "Layers" not in lam.get_function_configuration(FunctionName=name)
    five = lam.update_function_configuration(FunctionName=name, Layers=six[:5])
    assert len(five["Layers"]) == 5


# --- event invoke config --------------------------------------------------------------------


def test_event_invoke_config_lifecycle(lam: Any) -> None:
    name = versioned(lam, 1)
    assert aws_error(lam.get_function_event_invoke_config, FunctionName=name) == (
        404,
        "ResourceNotFoundException",
        f"The function {arn(name, '$LATEST')} doesn't have an EventInvokeConfig",
    )
    put = lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    assert status_of(put) == 200
    config = shape(put)
    assert isinstance(config.pop("LastModified"), datetime.datetime)
    assert config == {
        "FunctionArn": arn(name, "$LATEST"),
        "MaximumRetryAttempts": 1,
        "DestinationConfig": {"OnSuccess": {}, "OnFailure": {}},
    }
    assert shape(lam.get_function_event_invoke_config(FunctionName=name)) == shape(put)

    merged = lam.update_function_event_invoke_config(
        FunctionName=name, MaximumEventAgeInSeconds=120
    )
    assert (merged["MaximumRetryAttempts"], merged["MaximumEventAgeInSeconds"]) == (1, 120)
    replaced = lam.put_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=300)
    assert replaced["MaximumEventAgeInSeconds"] == 300
    assert "MaximumRetryAttempts" not in replaced

    version = lam.put_function_event_invoke_config(
        FunctionName=name, Qualifier="1", MaximumRetryAttempts=0
    )
    assert version["FunctionArn"] == arn(name, "1")
    listed = lam.list_function_event_invoke_configs(FunctionName=name)
    assert sorted(
        (c["FunctionArn"], c.get("MaximumRetryAttempts"), c.get("MaximumEventAgeInSeconds"))
        for c in listed["FunctionEventInvokeConfigs"]
    ) == [(arn(name, "$LATEST"), None, 300), (arn(name, "1"), 0, None)]

    assert status_of(lam.delete_function_event_invoke_config(FunctionName=name)) == 204
    assert aws_error(lam.get_function_event_invoke_config, FunctionName=name) == (
        404,
        "ResourceNotFoundException",
        f"The function {arn(name, '$LATEST')} doesn't have an EventInvokeConfig",
    )
    assert aws_error(lam.delete_function_event_invoke_config, FunctionName=name)[:2] == (
        404,
        "ResourceNotFoundException",
    )
    remaining = lam.list_function_event_invoke_configs(FunctionName=name)
    assert [c["FunctionArn"] for c in remaining["FunctionEventInvokeConfigs"]] == [arn(name, "1")]


def test_event_invoke_config_errors(lam: Any) -> None:
    name = make(lam, tagged("one"))
    missing = unique("doesnotexist")
    for call in (lam.put_function_event_invoke_config, lam.update_function_event_invoke_config):
        assert aws_error(call, FunctionName=missing, MaximumRetryAttempts=1) == (
            404,
            "ResourceNotFoundException",
            "The function doesn't exist.",
        )
        assert aws_error(call, FunctionName=name, Qualifier="nope", MaximumRetryAttempts=1) == (
            404,
            "ResourceNotFoundException",
            "The function doesn't exist.",
        )
    assert aws_error(lam.put_function_event_invoke_config, FunctionName=name) == (
        400,
        "InvalidParameterValueException",
        "You must specify at least one of error handling or destination setting.",
    )
    assert aws_error(lam.get_function_event_invoke_config, FunctionName=name, Qualifier="1") == (
        404,
        "ResourceNotFoundException",
        f"The function {arn(name, '1')} doesn't have an EventInvokeConfig",
    )


# --- tags -----------------------------------------------------------------------------------


def test_tags(lam: Any) -> None:
    name = versioned(lam, 1)
    function = arn(name)
    assert lam.list_tags(Resource=function)["Tags"] == {}
    assert status_of(lam.tag_resource(Resource=function, Tags={"team": "a", "env": "dev"})) == 204
    assert lam.list_tags(Resource=function)["Tags"] == {"team": "a", "env": "dev"}
    lam.tag_resource(Resource=function, Tags={"env": "prod"})
    assert lam.get_function(FunctionName=name)["Tags"] == {"team": "a", "env": "prod"}
    assert status_of(lam.untag_resource(Resource=function, TagKeys=["team", "absent"])) == 204
    assert lam.list_tags(Resource=function)["Tags"] == {"env": "prod"}

    refused = (
        400,
        "InvalidParameterValueException",
        "Tags on function aliases and versions are not supported. Please specify a function ARN.",
    )
    assert aws_error(lam.tag_resource, Resource=arn(name, "1"), Tags={"a": "b"}) == refused
    assert aws_error(lam.untag_resource, Resource=arn(name, "1"), TagKeys=["env"]) == refused
    assert aws_error(lam.list_tags, Resource=arn(name, "1")) == refused
    missing = unique("doesnotexist")
    assert aws_error(lam.tag_resource, Resource=arn(missing), Tags={"a": "b"}) == (
        404,
        "ResourceNotFoundException",
        f"Function not found: {arn(missing)}",
    )
    assert lam.list_tags(Resource=function)["Tags"] == {"env": "prod"}
