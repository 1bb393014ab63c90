"""Which control-plane calls a key that is no admin may make: IAM's action and resource for
each call, evaluated against the key's identity policies."""

from __future__ import annotations

from typing import Any

import pytest

from tollway.auth.identities import parse_identities
from tollway.control.admin_auth import AdminAuth, ControlRequest
from tollway.control.errors import AccessDeniedException

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "apigateway:*", "Resource": "arn:aws:apigateway:*::/apis*"},
        {"Effect": "Deny", "Action": "apigateway:DELETE", "Resource": "*"},
        {"Effect": "Allow", "Action": "lambda:InvokeFunction",
         "Resource": "arn:aws:lambda:us-east-1:000000000000:function:ok"},
    ],
}  # fmt: skip


def admin_auth() -> AdminAuth:
    store, _ = parse_identities(
        {
            "users": [
                {"name": "dev", "policies": [POLICY],
                 "accessKeys": [{"accessKeyId": "DEV", "secretAccessKey": "s"}]},
                {"name": "boss", "admin": True,
                 "accessKeys": [{"accessKeyId": "BOSS", "secretAccessKey": "s"}]},
            ]
        },
        "000000000000",
    )  # fmt: skip
    return AdminAuth(store, "us-east-1", "000000000000")


def check(key: str, method: str, path: str, service: str, operation: str,
          **labels: str) -> str:  # fmt: skip
    auth = admin_auth()
    credential = auth.identities.credential(key)
    assert credential is not None
    request = ControlRequest(method, path, "", [], b"")
    try:
        auth.authorize(credential, request, service, operation, labels)
    except AccessDeniedException as error:
        return error.message
    return "allowed"


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (("POST", "/v2/apis", "apigatewayv2", "CreateApi"), "allowed"),
        (
            ("GET", "/restapis", "apigateway", "GetRestApis"),
            "User: arn:aws:iam::000000000000:user/dev is not authorized to perform: "
            "apigateway:GET on resource: arn:aws:apigateway:us-east-1::/restapis because no "
            "identity-based policy allows the apigateway:GET action",
        ),
        (
            ("DELETE", "/v2/apis/abc", "apigatewayv2", "DeleteApi"),
            "User: arn:aws:iam::000000000000:user/dev is not authorized to perform: "
            "apigateway:DELETE on resource: arn:aws:apigateway:us-east-1::/apis/abc with an "
            "explicit deny in an identity-based policy",
        ),
    ],
)
def test_apigateway_calls(call: tuple[str, str, str, str], expected: str) -> None:
    assert check("DEV", *call) == expected


def test_lambda_calls_name_the_function_and_iam_s_action() -> None:
    assert check("DEV", "POST", "/x", "lambda", "Invoke", FunctionName="ok") == "allowed"
    arn = "arn:aws:lambda:us-east-1:000000000000:function:ok"
    assert check("DEV", "POST", "/x", "lambda", "Invoke", FunctionName=arn) == "allowed"
    assert check("DEV", "GET", "/x", "lambda", "ListFunctions").endswith(
        "lambda:ListFunctions on resource: * because no identity-based policy allows the "
        "lambda:ListFunctions action"
    )


def test_an_admin_may_make_every_call() -> None:
    calls: list[Any] = [("DELETE", "/v2/apis/abc", "apigatewayv2", "DeleteApi"),
                        ("GET", "/x", "lambda", "ListFunctions")]  # fmt: skip
    for call in calls:
        assert check("BOSS", *call) == "allowed"
