"""REST Cognito user pool authorizers end to end (spec §5.6): the real server pointed at moto's
cognito-idp in server mode (`--aws-endpoint cognito-idp=...`), a user pool, an app client and
a user made with boto3, real ID and access tokens from InitiateAuth, a REST API made with
boto3 whose methods use a COGNITO_USER_POOLS authorizer, a real Lambda function returning the
event it received."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import (
    Server,
    add_path,
    aws,
    create_function,
    deploy,
    lambda_uri,
    new_api,
    start_server,
)
from tests.jwt_issuer import tampered

RETURN_EVENT = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""
UNAUTHORIZED = b'{"message":"Unauthorized"}'
DATE = r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, moto: str) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("cognito") / "data", args=("--aws-endpoint", f"cognito-idp={moto}")
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def pool(moto: str) -> dict[str, Any]:
    """A user pool with a client and a user in group `admins`; their tokens."""
    idp = aws(moto, "cognito-idp")
    pool = idp.create_user_pool(PoolName="e2e")["UserPool"]
    client = idp.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]
    idp.admin_create_user(UserPoolId=pool["Id"], Username="alice")
    idp.admin_set_user_password(
        UserPoolId=pool["Id"], Username="alice", Password="Secret-pass-1", Permanent=True
    )
    idp.create_group(UserPoolId=pool["Id"], GroupName="admins")
    idp.admin_add_user_to_group(UserPoolId=pool["Id"], Username="alice", GroupName="admins")
    result = idp.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": "Secret-pass-1"},
    )["AuthenticationResult"]
    return {"arn": pool["Arn"], "client": client["ClientId"], "id": result["IdToken"],
            "access": result["AccessToken"]}  # fmt: skip


@pytest.fixture(scope="module")
def api(gateway: Server, pool: dict[str, Any]) -> str:
    """`GET /pets` (ID tokens), `GET /scoped` (access tokens with the admin scope),
    `GET /strict` (an authorizer whose identityValidationExpression no client matches)."""
    apigw, lam = gateway.client("apigateway"), gateway.client("lambda")
    name = f"cognito-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, RETURN_EVENT)
    api_id, root = new_api(apigw, "cognito-e2e")
    authorizer = apigw.create_authorizer(
        restApiId=api_id, name="pool", type="COGNITO_USER_POOLS", providerARNs=[pool["arn"]],
        identitySource="method.request.header.Authorization",
    )["id"]  # fmt: skip
    strict = apigw.create_authorizer(
        restApiId=api_id, name="strict", type="COGNITO_USER_POOLS", providerARNs=[pool["arn"]],
        identitySource="method.request.header.Authorization",
        identityValidationExpression="^nobody$",
    )["id"]  # fmt: skip
    for path, authorizer_id, scopes in (
        ("/pets", authorizer, None),
        ("/scoped", authorizer, ["aws.cognito.signin.user.admin"]),
        ("/strict", strict, None),
    ):
        resource = add_path(apigw, api_id, root, path)
        extra = {"authorizationScopes": scopes} if scopes else {}
        apigw.put_method(restApiId=api_id, resourceId=resource, httpMethod="GET",
                         authorizationType="COGNITO_USER_POOLS", authorizerId=authorizer_id,
                         **extra)  # fmt: skip
        apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod="GET",
                              type="AWS_PROXY", integrationHttpMethod="POST",
                              uri=lambda_uri(name))  # fmt: skip
    deploy(apigw, api_id, "test")
    return api_id


def get(gateway: Server, api_id: str, path: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": token} if token is not None else {}
    return httpx.get(gateway.url(api_id, "test", path), headers=headers, timeout=30)


def test_an_id_token_reaches_the_function_with_its_claims(
    gateway: Server, api: str, pool: dict[str, Any]
) -> None:
    response = get(gateway, api, "/pets", pool["id"])
    assert response.status_code == 200
    claims = json.loads(response.text)["requestContext"]["authorizer"]["claims"]
    assert claims["token_use"] == "id"
    assert claims["aud"] == pool["client"]
    assert (
        claims["iss"]
        == f"https://cognito-idp.us-east-1.amazonaws.com/{pool['arn'].rsplit('/', 1)[1]}"
    )
    assert claims["cognito:groups"] == "admins"
    assert re.match(DATE, claims["exp"]) and re.match(DATE, claims["iat"])
    assert all(isinstance(v, str) for v in claims.values())
    assert get(gateway, api, "/pets", f"Bearer {pool['id']}").status_code == 200


def test_scopes_need_an_access_token(gateway: Server, api: str, pool: dict[str, Any]) -> None:
    ok = get(gateway, api, "/scoped", pool["access"])
    assert ok.status_code == 200
    claims = json.loads(ok.text)["requestContext"]["authorizer"]["claims"]
    assert (claims["token_use"], claims["client_id"]) == ("access", pool["client"])
    assert get(gateway, api, "/scoped", pool["id"]).status_code == 401
    assert get(gateway, api, "/pets", pool["access"]).status_code == 401


@pytest.mark.parametrize("case", ["missing", "garbage", "tampered", "validation"])
def test_refusals_are_401_unauthorized(
    gateway: Server, api: str, pool: dict[str, Any], case: str
) -> None:
    path, token = {
        "missing": ("/pets", None),
        "garbage": ("/pets", "not-a-token"),
        "tampered": ("/pets", tampered(pool["id"], **{"cognito:groups": ["root"]})),
        "validation": ("/strict", pool["id"]),
    }[case]
    response = get(gateway, api, path, token)
    assert (response.status_code, response.content) == (401, UNAUTHORIZED)
    assert response.headers["x-amzn-errortype"] == "UnauthorizedException"
