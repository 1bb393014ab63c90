"""AWS_IAM on REST methods and HTTP API routes: the signature verified, the identity's
policies evaluated for execute-api:Invoke with condition keys, what the caller is, and how
each refusal is rendered."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from tests.signing import sign
from tests.unit.dataplane.conftest import RecordingUpstream, add, definition

from tollway.auth.identities import parse_identities
from tollway.dataplane.auth.iam import IamAuthorization
from tollway.dataplane.auth.outcome import Decision
from tollway.dataplane.auth.services import AuthServices
from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.compile import compile_stage
from tollway.dataplane.context import Request, RestContext
from tollway.dataplane.errors import GatewayError
from tollway.dataplane.handlers.authorize import MethodAuthorization
from tollway.dataplane.handlers.gateway_response import render_error
from tollway.dataplane.handlers.route import ResourceRouter
from tollway.dataplane.http_api import errors as http_errors
from tollway.dataplane.http_api.context import HttpContext
from tollway.dataplane.integrations import IntegrationServices
from tollway.dataplane.integrations.aws_service import AwsServices
from tollway.dataplane.variables import GETTERS, identity
from tollway.model.rest import plain_stage

HOST = "abc1234567.execute-api.localhost"
ARN = "arn:aws:execute-api:us-east-1:000000000000:abc1234567/test"


def allow(resource: str, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Action": "execute-api:Invoke",
        "Resource": resource,
    }
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


IDENTITIES = {
    "users": [
        {
            "name": "alice",
            "tags": {"team": "pets"},
            "accessKeys": [{"accessKeyId": "AKIAALICE", "secretAccessKey": "alice"}],
            "policies": {
                "pets": allow(f"{ARN}/GET/pets/*"),
                "no-admin": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Action": "execute-api:*",
                            "Resource": f"{ARN}/*/pets/admin",
                        }
                    ],
                },
                "from-office": allow(f"{ARN}/POST/*", IpAddress={"aws:SourceIp": "10.0.0.0/8"}),
                "own-team": allow(
                    f"{ARN}/PUT/*",
                    StringEquals={"aws:PrincipalTag/team": "pets", "aws:username": "alice"},
                ),
            },
        },
        {
            "name": "nobody",
            "accessKeys": [{"accessKeyId": "AKIANOBODY", "secretAccessKey": "nobody"}],
        },
    ],
    "roles": [
        {
            "name": "runner",
            "id": "AROARUNNER",
            "sessions": [
                {
                    "sessionName": "job-1",
                    "accessKeyId": "ASIARUNNER",
                    "secretAccessKey": "runner",
                    "sessionToken": "runner-token",
                    "expiration": "2100-01-01T00:00:00Z",
                }
            ],
            "policies": [allow("*")],
        }
    ],
}


def services() -> IntegrationServices:
    store, _ = parse_identities(IDENTITIES, "000000000000")
    return IntegrationServices(
        RecordingUpstream(), None, "us-east-1", "000000000000", AwsServices(), AuthServices(identities=store)
    )  # fmt: skip


def rest_context(
    verb: str, path: str, *, key: str = "AKIAALICE", secret: str = "alice", **signing: Any
) -> RestContext:
    api = definition()
    for method_path in ("/pets/{id}", "/pets/admin"):
        for method_verb in ("GET", "POST", "PUT"):
            resource = add(api, method_path, method_verb)
            api["resources"][resource]["resourceMethods"][method_verb]["authorizationType"] = (
                "AWS_IAM"
            )
    compiled = compile_stage(api, "dep123", plain_stage("test", "dep123", None), services())
    assert compiled.warnings == []
    raw_path, query, headers = sign(
        f"http://{HOST}/test{path}", verb, key=key, secret=secret, **signing
    )
    request = Request(verb, path, f"/test{path}", query, headers, b"", "10.1.2.3", HOST)
    assert request.raw_path == raw_path
    ctx = RestContext(request, compiled)
    asyncio.run(ResourceRouter()(HandlerChain(), ctx))
    return ctx


def authorize(ctx: RestContext) -> GatewayError | None:
    try:
        asyncio.run(MethodAuthorization()(HandlerChain(), ctx))
    except GatewayError as error:
        return error
    return None


def rendered(ctx: RestContext, error: GatewayError) -> tuple[int, dict[str, str], Any]:
    response = render_error(ctx, error)
    return response.status, dict(response.headers), orjson.loads(response.body)


def test_an_allowed_caller_reaches_the_integration_without_its_signature() -> None:
    ctx = rest_context("GET", "/pets/7")
    assert authorize(ctx) is None
    assert ctx.request.header("Authorization") is None  # dropped before the integration
    assert ctx.request.header("X-Amz-Date") is not None
    found = identity(ctx)
    assert found["accessKey"] == "AKIAALICE"
    assert found["accountId"] == "000000000000"
    assert found["userArn"] == "arn:aws:iam::000000000000:user/alice"
    assert found["caller"] == found["user"]
    assert str(found["caller"]).startswith("AIDA")
    assert found["sourceIp"] == "10.1.2.3"
    assert GETTERS["identity.userArn"](ctx) == "arn:aws:iam::000000000000:user/alice"
    assert ctx.authorizer is None  # REST IAM fills identity, not authorizer


def test_no_statement_allowing_is_an_implicit_deny() -> None:
    ctx = rest_context("GET", "/pets/7", key="AKIANOBODY", secret="nobody")
    error = authorize(ctx)
    assert error is not None
    assert rendered(ctx, error) == (
        403,
        {
            "Content-Type": "application/json",
            "x-amzn-RequestId": ctx.request_id,
            "x-amz-apigw-id": ctx.extended_request_id,
            "x-amzn-ErrorType": "AccessDeniedException",
        },
        {
            "Message": "User: arn:aws:iam::000000000000:user/nobody is not authorized to "
            f"perform: execute-api:Invoke on resource: {ARN}/GET/pets/7"
        },
    )


def test_an_explicit_deny_wins_and_says_so() -> None:
    ctx = rest_context("GET", "/pets/admin")
    error = authorize(ctx)
    assert error is not None
    assert rendered(ctx, error)[2] == {
        "Message": "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: "
        f"execute-api:Invoke on resource: {ARN}/GET/pets/admin with an explicit deny"
    }


def test_conditions_on_the_request_and_the_caller() -> None:
    assert authorize(rest_context("POST", "/pets/1")) is None  # 10.1.2.3 is in 10.0.0.0/8
    ctx = rest_context("POST", "/pets/1")
    ctx.request.source_ip = "192.0.2.1"
    assert authorize(ctx) is not None
    assert authorize(rest_context("PUT", "/pets/1")) is None  # tag and username match


def test_a_role_session_is_the_assumed_role() -> None:
    ctx = rest_context("GET", "/pets/1", key="ASIARUNNER", secret="runner", token="runner-token")
    assert authorize(ctx) is None
    assert ctx.identity is not None
    assert ctx.identity.user_arn == "arn:aws:sts::000000000000:assumed-role/runner/job-1"
    assert ctx.identity.caller == "AROARUNNER:job-1"
    assert ctx.identity.condition_keys == {
        "aws:PrincipalArn": "arn:aws:iam::000000000000:role/runner",
        "aws:PrincipalAccount": "000000000000",
        "aws:PrincipalType": "AssumedRole",
        "aws:PrincipalIsAWSService": "false",
        "aws:userid": "AROARUNNER:job-1",
    }


@pytest.mark.parametrize(
    ("headers", "status", "error_type", "message"),
    [
        ([], 403, "MissingAuthenticationTokenException", "Missing Authentication Token"),
        (
            [("Authorization", "Bearer abc")],
            403,
            "IncompleteSignatureException",
            "Authorization header requires 'Credential' parameter. Authorization header "
            "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
            "parameter. Authorization header requires existence of either a 'X-Amz-Date' or a "
            "'Date' header. Authorization=Bearer abc",
        ),
    ],
)
def test_unsigned_and_malformed_requests(
    headers: list[tuple[str, str]], status: int, error_type: str, message: str
) -> None:
    ctx = rest_context("GET", "/pets/7")
    ctx.request = Request("GET", "/pets/7", "/test/pets/7", "", [("Host", HOST), *headers], b"",
                          "10.1.2.3", HOST)  # fmt: skip
    error = authorize(ctx)
    assert error is not None
    code, response_headers, body = rendered(ctx, error)
    assert (code, response_headers["x-amzn-ErrorType"], body) == (
        status,
        error_type,
        {"message": message},
    )


def test_a_wrong_secret_and_an_unknown_key() -> None:
    ctx = rest_context("GET", "/pets/7", secret="wrong")
    error = authorize(ctx)
    assert error is not None
    status, headers, body = rendered(ctx, error)
    assert (status, headers["x-amzn-ErrorType"]) == (403, "InvalidSignatureException")
    assert body["message"].startswith("The request signature we calculated does not match")
    ctx = rest_context("GET", "/pets/7", key="AKIAUNKNOWN")
    error = authorize(ctx)
    assert error is not None
    assert rendered(ctx, error)[1:] == (
        {
            "Content-Type": "application/json",
            "x-amzn-RequestId": ctx.request_id,
            "x-amz-apigw-id": ctx.extended_request_id,
            "x-amzn-ErrorType": "UnrecognizedClientException",
        },
        {"message": "The security token included in the request is invalid."},
    )


def http_context(mode: IamAuthorization[HttpContext], **signing: Any) -> HttpContext:
    path, query, headers = sign(f"http://{HOST}/items", **signing)
    request = Request("GET", path, path, query, headers, b"", "10.1.2.3", HOST)
    ctx = HttpContext.__new__(HttpContext)
    ctx.request, ctx.identity, ctx.authorizer = request, None, None
    return ctx


def test_http_api_routes_answer_forbidden_and_fill_the_iam_authorizer() -> None:
    store, _ = parse_identities(IDENTITIES, "000000000000")
    mode: IamAuthorization[HttpContext] = IamAuthorization(
        store, "us-east-1", lambda ctx: f"{ARN}/GET/items", http_api=True
    )
    ctx = http_context(mode, key="ASIARUNNER", secret="runner", token="runner-token")
    assert asyncio.run(mode.authorize(ctx)) is Decision.ALLOW
    assert ctx.request.header("Authorization") is not None  # HTTP APIs pass it on
    assert ctx.authorizer is not None
    assert ctx.authorizer.event_v2 == {
        "iam": {
            "accessKey": "ASIARUNNER",
            "accountId": "000000000000",
            "callerId": "AROARUNNER:job-1",
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": "arn:aws:sts::000000000000:assumed-role/runner/job-1",
            "userId": "AROARUNNER:job-1",
        }
    }
    ctx = http_context(mode, key="AKIANOBODY", secret="nobody")
    decision = asyncio.run(mode.authorize(ctx))
    assert decision is Decision.IMPLICIT
    assert http_errors.status_and_message(mode.denied(ctx, decision)) == (403, "Forbidden")
    ctx = http_context(mode)
    ctx.request.headers = [("Host", HOST)]
    ctx.request.drop_header("Authorization")  # resets the header index
    with pytest.raises(GatewayError) as info:
        asyncio.run(mode.authorize(ctx))
    assert http_errors.status_and_message(info.value) == (403, "Forbidden")
    ctx = http_context(mode, key="AKIAALICE", secret="bad")
    with pytest.raises(GatewayError) as info:
        asyncio.run(mode.authorize(ctx))
    status, message = http_errors.status_and_message(info.value)
    assert status == 403
    assert message.startswith("The request signature we calculated does not match")
