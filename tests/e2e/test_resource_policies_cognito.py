"""A resource policy with Cognito user pool methods, end to end (spec §5.4; AWS's authorization
flow "Amazon Cognito authentication and resource policy"): the token is checked first (401
without a valid one, whatever the policy), then the resource policy must explicitly allow:
a policy that says nothing about the method refuses, unlike Table A's same-account rule.
The server, moto's user pool and its tokens are test_cognito_authorizers.py's fixtures."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_path,
    create_function,
    deploy,
    lambda_uri,
)
from tests.e2e.test_cognito_authorizers import RETURN_EVENT, UNAUTHORIZED, gateway, pool

__all__ = ["gateway", "pool"]  # module fixtures, shared with the Cognito tests

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*/GET/pets",
        "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}},
    }],
}  # fmt: skip


@pytest.fixture(scope="module")
def api(gateway: Server, pool: dict[str, Any]) -> str:
    """`GET /pets` and `GET /other`, both behind the user pool; the policy allows only
    `GET /pets`, only from 127.0.0.1."""
    apigw, lam = gateway.client("apigateway"), gateway.client("lambda")
    name = f"cognito-policy-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, RETURN_EVENT)
    api = apigw.create_rest_api(name=name, policy=json.dumps(POLICY))
    authorizer = apigw.create_authorizer(
        restApiId=api["id"], name="pool", type="COGNITO_USER_POOLS", providerARNs=[pool["arn"]],
        identitySource="method.request.header.Authorization",
    )["id"]  # fmt: skip
    for path in ("/pets", "/other"):
        resource = add_path(apigw, api["id"], api["rootResourceId"], path)
        apigw.put_method(restApiId=api["id"], resourceId=resource, httpMethod="GET",
                         authorizationType="COGNITO_USER_POOLS", authorizerId=authorizer)  # fmt: skip
        apigw.put_integration(restApiId=api["id"], resourceId=resource, httpMethod="GET",
                              type="AWS_PROXY", integrationHttpMethod="POST",
                              uri=lambda_uri(name))  # fmt: skip
    deploy(apigw, api["id"], "test")
    return str(api["id"])


def get(gateway: Server, api_id: str, path: str, token: str | None,
        source: str = "127.0.0.1") -> httpx.Response:  # fmt: skip
    headers = {"Authorization": token} if token is not None else {}
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=30) as client:
        return client.get(gateway.url(api_id, "test", path), headers=headers)


def implicit_deny(api_id: str, path: str) -> dict[str, str]:
    arn = f"arn:aws:execute-api:{REGION}:********{ACCOUNT[-4:]}:{api_id}/test/GET{path}"
    return {
        "Message": "User: anonymous is not authorized to perform: execute-api:Invoke on "
        f"resource: {arn} because no resource-based policy allows the execute-api:Invoke action"
    }


def test_a_valid_token_from_an_allowed_source(gateway: Server, api: str,
                                              pool: dict[str, Any]) -> None:  # fmt: skip
    response = get(gateway, api, "/pets", pool["id"])
    assert response.status_code == 200
    event = response.json()
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert event["requestContext"]["authorizer"]["claims"]["token_use"] == "id"


def test_a_valid_token_from_another_source_is_refused(gateway: Server, api: str,
                                                      pool: dict[str, Any]) -> None:  # fmt: skip
    response = get(gateway, api, "/pets", pool["id"], source="127.0.0.2")
    assert response.status_code == 403
    assert response.json() == implicit_deny(api, "/pets")
    assert response.headers["x-amzn-errortype"] == "AccessDeniedException"


def test_the_policy_must_allow_explicitly(gateway: Server, api: str,
                                          pool: dict[str, Any]) -> None:  # fmt: skip
    # A same-account IAM caller or a Lambda authorizer's Allow would pass here (Table A);
    # a Cognito token does not: the policy says nothing about GET /other.
    response = get(gateway, api, "/other", pool["id"])
    assert response.status_code == 403
    assert response.json() == implicit_deny(api, "/other")


def test_the_token_is_checked_first(gateway: Server, api: str) -> None:
    for source in ("127.0.0.1", "127.0.0.2"):
        response = get(gateway, api, "/pets", None, source=source)
        assert (response.status_code, response.content) == (401, UNAUTHORIZED)
