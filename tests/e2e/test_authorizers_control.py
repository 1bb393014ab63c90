"""REST authorizers through the real control plane with boto3 (spec §5.5, §5.6, §16.1):
CreateAuthorizer / GetAuthorizer(s) / UpdateAuthorizer / DeleteAuthorizer, AWS's checks, the
methods that refer to them, cloneFrom and deployments."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import ACCOUNT, REGION, add_path, aws_error, lambda_uri, new_api, shape

URI = lambda_uri("auth-fn")
POOL = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_abc123"


def bad_request(message: str) -> tuple[int, str, str]:
    return 400, "BadRequestException", message


def token(apigw: Any, api_id: str, **extra: Any) -> dict[str, Any]:
    fields = {
        "name": "tok",
        "type": "TOKEN",
        "authorizerUri": URI,
        "identitySource": "method.request.header.Authorization",
        **extra,
    }
    return shape(apigw.create_authorizer(restApiId=api_id, **fields))


def secure(apigw: Any, api_id: str, resource: str, verb: str, authorizer: str,
           kind: str = "CUSTOM", **extra: Any) -> dict[str, Any]:  # fmt: skip
    """PutMethod of a method secured by `authorizer`."""
    return dict(
        apigw.put_method(
            restApiId=api_id, resourceId=resource, httpMethod=verb, authorizationType=kind,
            authorizerId=authorizer, **extra,
        )
    )  # fmt: skip


def test_create_get_list_each_type(apigw: Any) -> None:
    api_id, _ = new_api(apigw)
    created = token(apigw, api_id, identityValidationExpression="^Bearer .+$")
    assert set(created) == {
        "id", "name", "type", "authorizerUri", "identitySource", "identityValidationExpression",
        "authorizerResultTtlInSeconds",
    }  # fmt: skip
    assert created["authorizerResultTtlInSeconds"] == 300  # AWS's default
    request = shape(
        apigw.create_authorizer(
            restApiId=api_id,
            name="req",
            type="REQUEST",
            authorizerUri=URI,
            identitySource="method.request.header.X-User, method.request.querystring.q,"
            "stageVariables.s,context.identity.sourceIp",
            authorizerResultTtlInSeconds=0,
            authorizerCredentials=f"arn:aws:iam::{ACCOUNT}:role/invoker",
        )
    )
    assert request["authorizerResultTtlInSeconds"] == 0
    assert request["authorizerCredentials"] == f"arn:aws:iam::{ACCOUNT}:role/invoker"
    cognito = shape(
        apigw.create_authorizer(
            restApiId=api_id,
            name="pool",
            type="COGNITO_USER_POOLS",
            providerARNs=[POOL],
            identitySource="method.request.header.Authorization",
        )
    )
    assert cognito["providerARNs"] == [POOL]
    got = shape(apigw.get_authorizer(restApiId=api_id, authorizerId=created["id"]))
    assert got == created
    items = apigw.get_authorizers(restApiId=api_id)["items"]
    assert {a["id"]: a for a in items} == {a["id"]: a for a in (created, request, cognito)}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"type": "TOKEN", "identitySource": "method.request.querystring.key"},
            "Invalid token source expression: method.request.querystring.key. The source must be "
            "a method request header, matching 'method.request.header.[a-zA-Z0-9._-]+'.",
        ),
        (
            {"type": "TOKEN", "identitySource": "method.request.header.a,method.request.header.b"},
            "Invalid token source expression: method.request.header.a,method.request.header.b. "
            "The source must be a method request header, matching "
            "'method.request.header.[a-zA-Z0-9._-]+'.",
        ),
        (
            {"type": "TOKEN"},
            "Invalid token source expression: null. The source must be a method request header, "
            "matching 'method.request.header.[a-zA-Z0-9._-]+'.",
        ),
        (
            {"type": "REQUEST", "identitySource": "method.request.path.id"},
            "Invalid identity source expression: method.request.path.id. Identity sources must "
            "be method.request.header.<name>, method.request.querystring.<name>, "
            "stageVariables.<name> or context.<name>.",
        ),
        (
            {"type": "REQUEST"},
            "Identity source must be set if authorizer caching is enabled (TTL is greater than 0)",
        ),
        (
            {
                "type": "TOKEN",
                "identitySource": "method.request.header.A",
                "authorizerResultTtlInSeconds": 3601,
            },
            "Invalid authorizer TTL specified: 3601. It must be between 0 and 3600 seconds",
        ),
        (
            {
                "type": "TOKEN",
                "identitySource": "method.request.header.A",
                "authorizerResultTtlInSeconds": -1,
            },
            "Invalid authorizer TTL specified: -1. It must be between 0 and 3600 seconds",
        ),
        (
            {"type": "TOKEN", "identitySource": "method.request.header.A", "authorizerUri": None},
            "authorizerUri must be specified for TOKEN authorizers",
        ),
        (
            {
                "type": "REQUEST",
                "identitySource": "method.request.header.A",
                "authorizerUri": "arn:aws:apigateway:us-east-1:s3:path/bucket",
            },
            "Invalid authorizer URI specified",
        ),
        (
            {
                "type": "COGNITO_USER_POOLS",
                "identitySource": "method.request.header.A",
                "authorizerUri": None,
            },
            "providerARNs must be specified for COGNITO_USER_POOLS authorizers",
        ),
        (
            {
                "type": "COGNITO_USER_POOLS",
                "identitySource": "method.request.header.A",
                "providerARNs": ["pool"],
                "authorizerUri": None,
            },
            "Invalid ARN. ARN is not well formed pool",
        ),
        (
            {
                "type": "TOKEN",
                "identitySource": "method.request.header.A",
                "identityValidationExpression": "(unclosed",
            },
            "Invalid identity validation expression specified: (unclosed",
        ),
    ],
)
def test_create_is_checked(apigw: Any, fields: dict[str, Any], message: str) -> None:
    api_id, _ = new_api(apigw)
    kwargs = {"name": "a", "authorizerUri": URI, **fields}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    assert aws_error(apigw.create_authorizer, restApiId=api_id, **kwargs) == bad_request(message)
    assert apigw.get_authorizers(restApiId=api_id)["items"] == []


def test_unknown_type_is_a_validation_error(apigw: Any) -> None:
    api_id, _ = new_api(apigw)
    assert aws_error(
        apigw.create_authorizer, restApiId=api_id, name="a", type="JWT", authorizerUri=URI
    ) == (
        400,
        "ValidationException",
        "1 validation error detected: Value 'JWT' at 'createAuthorizerInput.type' failed to "
        "satisfy constraint: Member must satisfy enum value set: "
        "[TOKEN, REQUEST, COGNITO_USER_POOLS]",
    )


def test_ten_authorizers_per_api(apigw: Any) -> None:
    api_id, _ = new_api(apigw)
    for n in range(10):
        token(apigw, api_id, name=f"a{n}")
    assert aws_error(apigw.create_authorizer, restApiId=api_id, name="a10", type="TOKEN",
                     authorizerUri=URI, identitySource="method.request.header.A") == (
        429,
        "LimitExceededException",
        "Maximum number of authorizers for this API has been reached. Please contact AWS if you "
        "need additional authorizers.",
    )  # fmt: skip
    assert len(apigw.get_authorizers(restApiId=api_id)["items"]) == 10


def test_not_found(apigw: Any) -> None:
    api_id, _ = new_api(apigw)
    missing = (404, "NotFoundException", "Invalid Authorizer identifier specified")
    assert aws_error(apigw.get_authorizer, restApiId=api_id, authorizerId="nope") == missing
    assert aws_error(apigw.delete_authorizer, restApiId=api_id, authorizerId="nope") == missing
    assert (
        aws_error(apigw.update_authorizer, restApiId=api_id, authorizerId="nope",
                  patchOperations=[{"op": "replace", "path": "/name", "value": "x"}])
        == missing
    )  # fmt: skip


def test_update_patches_and_checks(apigw: Any) -> None:
    api_id, _ = new_api(apigw)
    created = token(apigw, api_id, identityValidationExpression="^x$")
    where = {"restApiId": api_id, "authorizerId": created["id"]}
    updated = shape(
        apigw.update_authorizer(
            **where,
            patchOperations=[
                {"op": "replace", "path": "/name", "value": "renamed"},
                {"op": "replace", "path": "/authorizerResultTtlInSeconds", "value": "60"},
                {"op": "replace", "path": "/identitySource",
                 "value": "method.request.header.X-Token"},
                {"op": "remove", "path": "/identityValidationExpression"},
            ],
        )
    )  # fmt: skip
    expected = {k: v for k, v in created.items() if k != "identityValidationExpression"}
    expected.update(
        name="renamed",
        authorizerResultTtlInSeconds=60,
        identitySource="method.request.header.X-Token",
    )
    assert updated == expected
    assert shape(apigw.get_authorizer(**where)) == updated
    # An update may not produce what CreateAuthorizer would refuse; nothing is stored then.
    assert aws_error(
        apigw.update_authorizer,
        **where,
        patchOperations=[{"op": "replace", "path": "/authorizerResultTtlInSeconds",
                          "value": "4000"}],
    ) == bad_request("Invalid authorizer TTL specified: 4000. It must be between 0 and 3600 "
                     "seconds")  # fmt: skip
    assert aws_error(
        apigw.update_authorizer,
        **where,
        patchOperations=[{"op": "replace", "path": "/type", "value": "REQUEST"},
                         {"op": "remove", "path": "/identitySource"}],
    ) == bad_request(
        "Identity source must be set if authorizer caching is enabled (TTL is greater than 0)"
    )  # fmt: skip
    assert aws_error(
        apigw.update_authorizer,
        **where,
        patchOperations=[{"op": "replace", "path": "/type", "value": "JWT"}],
    ) == bad_request(
        "Invalid authorizer type specified. Valid options are TOKEN,REQUEST,COGNITO_USER_POOLS"
    )
    assert aws_error(
        apigw.update_authorizer,
        **where,
        patchOperations=[{"op": "replace", "path": "/id", "value": "x"}],
    ) == bad_request(
        "Invalid patch path  '/id' specified for op 'replace'. Must be one of: [/name, /type, "
        "/authType, /authorizerUri, /authorizerCredentials, /identitySource, "
        "/identityValidationExpression, /authorizerResultTtlInSeconds, /providerARNs]"
    )
    assert shape(apigw.get_authorizer(**where)) == updated


def test_update_cognito_provider_arns(apigw: Any) -> None:
    api_id, _ = new_api(apigw)
    created = shape(
        apigw.create_authorizer(restApiId=api_id, name="pool", type="COGNITO_USER_POOLS",
                                providerARNs=[POOL],
                                identitySource="method.request.header.Authorization")
    )  # fmt: skip
    other = POOL.replace("abc123", "def456")
    where = {"restApiId": api_id, "authorizerId": created["id"]}

    def path(arn: str) -> str:  # a "/" inside a patch path segment is written "~1"
        return "/providerARNs/" + arn.replace("/", "~1")

    updated = apigw.update_authorizer(**where, patchOperations=[{"op": "add", "path": path(other)}])
    assert updated["providerARNs"] == [POOL, other]
    assert aws_error(
        apigw.update_authorizer,
        **where,
        patchOperations=[
            {"op": "remove", "path": path(POOL)},
            {"op": "remove", "path": path(other)},
        ],
    ) == bad_request("providerARNs must be specified for COGNITO_USER_POOLS authorizers")


def test_methods_refer_to_existing_authorizers_of_their_family(apigw: Any) -> None:
    api_id, root = new_api(apigw)
    lambda_auth = token(apigw, api_id)
    pool = shape(
        apigw.create_authorizer(restApiId=api_id, name="pool", type="COGNITO_USER_POOLS",
                                providerARNs=[POOL],
                                identitySource="method.request.header.Authorization")
    )  # fmt: skip
    invalid = bad_request(
        "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
        "COGNITO_USER_POOLS requires a valid authorizer."
    )
    for kind, authorizer_id in (
        ("CUSTOM", "missing"),
        ("CUSTOM", pool["id"]),
        ("COGNITO_USER_POOLS", lambda_auth["id"]),
    ):
        assert aws_error(
            apigw.put_method, restApiId=api_id, resourceId=root, httpMethod="GET",
            authorizationType=kind, authorizerId=authorizer_id,
        ) == invalid  # fmt: skip
    method = secure(apigw, api_id, root, "GET", lambda_auth["id"])
    assert (method["authorizationType"], method["authorizerId"]) == ("CUSTOM", lambda_auth["id"])
    pets = add_path(apigw, api_id, root, "/pets")
    secure(apigw, api_id, pets, "POST", pool["id"], "COGNITO_USER_POOLS",
           authorizationScopes=["pets/write"])  # fmt: skip
    # UpdateMethod may not point a method at a missing authorizer either.
    assert aws_error(
        apigw.update_method, restApiId=api_id, resourceId=pets, httpMethod="POST",
        patchOperations=[{"op": "replace", "path": "/authorizerId", "value": "missing"}],
    ) == invalid  # fmt: skip


def test_delete_refused_while_a_method_uses_it(apigw: Any) -> None:
    api_id, root = new_api(apigw)
    created = token(apigw, api_id, name="guard")
    test = add_path(apigw, api_id, root, "/test")
    secure(apigw, api_id, test, "GET", created["id"])
    where = {"restApiId": api_id, "authorizerId": created["id"]}
    assert aws_error(apigw.delete_authorizer, **where) == (
        409,
        "ConflictException",
        "Cannot delete authorizer 'guard', is referenced in method: GET//test",
    )
    apigw.update_method(
        restApiId=api_id,
        resourceId=test,
        httpMethod="GET",
        patchOperations=[
            {"op": "replace", "path": "/authorizationType", "value": "NONE"},
            {"op": "remove", "path": "/authorizerId"},
        ],
    )
    assert apigw.delete_authorizer(**where)["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert apigw.get_authorizers(restApiId=api_id)["items"] == []


def test_clone_from_keeps_authorizers_and_method_references(apigw: Any) -> None:
    api_id, root = new_api(apigw)
    created = token(apigw, api_id)
    secure(apigw, api_id, root, "GET", created["id"])
    clone = apigw.create_rest_api(name="clone", cloneFrom=api_id)
    assert apigw.get_authorizers(restApiId=clone["id"])["items"] == [created]
    method = apigw.get_method(
        restApiId=clone["id"], resourceId=clone["rootResourceId"], httpMethod="GET"
    )
    assert method["authorizerId"] == created["id"]
