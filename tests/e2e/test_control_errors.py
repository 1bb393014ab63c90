"""The `apigateway` control plane's refusals, with AWS's exact status codes, error codes and
messages (spec §16.5, §1.2, §7.1, §10.2), and the protocol-level behaviour every operation
shares (§16.0): request validation, serialization errors, NotImplemented for operations Tollway
lacks, request ids and the health endpoint."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_path,
    aws_error,
    deploy,
    lambda_uri,
    new_api,
)

OP_ENUM = "[add, remove, move, test, replace, copy]"
GATEWAY_RESPONSE_ENUM = (
    "[REQUEST_TOO_LARGE, RESOURCE_NOT_FOUND, AUTHORIZER_CONFIGURATION_ERROR, "
    "MISSING_AUTHENTICATION_TOKEN, BAD_REQUEST_BODY, INVALID_SIGNATURE, INVALID_API_KEY, "
    "BAD_REQUEST_PARAMETERS, AUTHORIZER_FAILURE, UNAUTHORIZED, INTEGRATION_TIMEOUT, "
    "ACCESS_DENIED, DEFAULT_4XX, DEFAULT_5XX, WAF_FILTERED, QUOTA_EXCEEDED, THROTTLED, "
    "API_CONFIGURATION_ERROR, UNSUPPORTED_MEDIA_TYPE, INTEGRATION_FAILURE, EXPIRED_TOKEN]"
)
INVALID_STAGE_PATH_LIST = (
    "Must be one of: [/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, "
    "/clientCertificateId, /accessLogSettings, /accessLogSettings/destinationArn, "
    "/accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, "
    "/{resourcePath}/{httpMethod}/logging/dataTrace, "
    "/{resourcePath}/{httpMethod}/logging/loglevel, /{resourcePath}"
)
PATH_PART_RULE = (
    "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end "
    "and an optional plus sign before the closing brace."
)


def unique(prefix: str = "err") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def bad_request(message: str) -> tuple[int, str, str]:
    return 400, "BadRequestException", message


def not_found(message: str) -> tuple[int, str, str]:
    return 404, "NotFoundException", message


def conflict(message: str) -> tuple[int, str, str]:
    return 409, "ConflictException", message


def validation(message: str) -> tuple[int, str, str]:
    return 400, "ValidationException", message


@pytest.fixture(scope="module")
def api(apigw: Any) -> tuple[str, str]:
    """A shared API for refusals that change nothing: (api id, root resource id)."""
    return new_api(apigw, unique("errors"))


@pytest.fixture
def fresh(apigw: Any) -> tuple[str, str]:
    """A new API for tests that change it: (api id, root resource id)."""
    return new_api(apigw, unique())


# --- RestApi --------------------------------------------------------------------------------


def test_unknown_api_is_not_found(apigw: Any) -> None:
    assert aws_error(apigw.get_rest_api, restApiId="nosuchapi0") == not_found(
        f"Invalid API identifier specified {ACCOUNT}:nosuchapi0"
    )
    assert aws_error(apigw.get_resources, restApiId="nosuchapi0") == not_found(
        f"Invalid API identifier specified {ACCOUNT}:nosuchapi0"
    )
    assert aws_error(apigw.delete_rest_api, restApiId="nosuchapi0")[:2] == (
        404,
        "NotFoundException",
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"name": ""}, bad_request("Name cannot be empty")),
        ({"name": "x", "description": ""}, bad_request("Description cannot be an empty string")),
        (
            {"name": "x", "minimumCompressionSize": 10485761},
            bad_request("Invalid minimum compression size, must be between 0 and 10485760"),
        ),
        (
            {"name": "x", "endpointConfiguration": {"types": ["REGIONAL", "EDGE"]}},
            bad_request("Cannot create an api with multiple Endpoint Types."),
        ),
        (
            {"name": "x", "endpointConfiguration": {"types": ["PRIVATE"], "ipAddressType": "ipv4"}},
            bad_request("Only dualstack ipAddressType is supported for Private APIs."),
        ),
        (
            {"name": "x", "endpointConfiguration": {"ipAddressType": "wrong"}},
            validation(
                "1 validation error detected: Value 'wrong' at "
                "'createRestApiInput.endpointConfiguration.ipAddressType' failed to satisfy "
                "constraint: Member must satisfy enum value set: [ipv4, dualstack]"
            ),
        ),
    ],
    ids=["empty-name", "empty-description", "compression", "two-types", "private-ipv4", "ip-type"],
)
def test_create_rest_api_refusals(
    apigw: Any, options: dict[str, Any], expected: tuple[int, str, str]
) -> None:
    assert aws_error(apigw.create_rest_api, **options) == expected


def test_invalid_endpoint_type_is_reported_for_the_whole_list(apigw: Any) -> None:
    """AWS validates `types` as a list: `Value '[wrong]' at '...types'` (spec §16.5)."""
    assert aws_error(
        apigw.create_rest_api, name="x", endpointConfiguration={"types": ["wrong"]}
    ) == validation(
        "1 validation error detected: Value '[wrong]' at "
        "'createRestApiInput.endpointConfiguration.types' failed to satisfy constraint: Member "
        "must satisfy constraint: [Member must satisfy enum value set: [PRIVATE, EDGE, REGIONAL]]"
    )
    assert aws_error(
        apigw.create_rest_api,
        name="x",
        endpointConfiguration={"types": ["wrong"], "ipAddressType": "wrong"},
    ) == validation(
        "2 validation errors detected: Value '[wrong]' at "
        "'createRestApiInput.endpointConfiguration.types' failed to satisfy constraint: Member "
        "must satisfy constraint: [Member must satisfy enum value set: [PRIVATE, EDGE, REGIONAL]]; "
        "Value 'wrong' at 'createRestApiInput.endpointConfiguration.ipAddressType' failed to "
        "satisfy constraint: Member must satisfy enum value set: [ipv4, dualstack]"
    )


def test_update_rest_api_refusals(apigw: Any, api: tuple[str, str]) -> None:
    api_id, _ = api
    assert aws_error(
        apigw.update_rest_api,
        restApiId=api_id,
        patchOperations=[{"op": "replace", "path": "/binaryMediaTypes", "value": "image/png"}],
    ) == bad_request("Invalid patch path /binaryMediaTypes")
    assert aws_error(
        apigw.update_rest_api,
        restApiId=api_id,
        patchOperations=[{"op": "replace", "path": "/wrongPath", "value": "x"}],
    ) == bad_request("Invalid patch path /wrongPath")
    assert aws_error(
        apigw.update_rest_api,
        restApiId=api_id,
        patchOperations=[{"op": "replace", "path": "/minimumCompressionSize", "value": "-1"}],
    ) == bad_request("Invalid minimum compression size, must be between 0 and 10485760")
    assert aws_error(
        apigw.update_rest_api,
        restApiId=api_id,
        patchOperations=[{"op": "replace", "path": "/name", "value": ""}],
    ) == bad_request("Name cannot be empty")
    assert apigw.get_rest_api(restApiId=api_id)["name"].startswith("errors-")


# --- resource tree (§1.2) -------------------------------------------------------------------


def test_a_greedy_resource_cannot_have_children(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, root = fresh
    greedy = add_path(apigw, api_id, root, "/{proxy+}")
    assert aws_error(
        apigw.create_resource, restApiId=api_id, parentId=greedy, pathPart="child"
    ) == bad_request("Cannot create a child of a resource with a greedy path variable: {proxy+}")


def test_only_one_variable_sibling_is_allowed(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, root = fresh
    add_path(apigw, api_id, root, "/{proxy+}")
    add_path(apigw, api_id, root, "/static")
    for part in ("{id}", "{other+}"):
        assert aws_error(
            apigw.create_resource, restApiId=api_id, parentId=root, pathPart=part
        ) == bad_request(
            "A sibling ({proxy+}) of this resource already has a variable path part -- only one "
            "is allowed"
        )


def test_duplicate_resource_name_is_a_conflict(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, root = fresh
    add_path(apigw, api_id, root, "/pets")
    assert aws_error(
        apigw.create_resource, restApiId=api_id, parentId=root, pathPart="pets"
    ) == conflict("Another resource with the same parent already has this name: pets")


@pytest.mark.parametrize("part", ["bad$part", "with space", "res{param}", "{id", "a/b", ""])
def test_invalid_path_parts_are_refused(apigw: Any, api: tuple[str, str], part: str) -> None:
    api_id, root = api
    assert aws_error(
        apigw.create_resource, restApiId=api_id, parentId=root, pathPart=part
    ) == bad_request(PATH_PART_RULE)


def test_unknown_parent_is_not_found(apigw: Any, api: tuple[str, str]) -> None:
    api_id, _ = api
    assert aws_error(
        apigw.create_resource, restApiId=api_id, parentId="nope00", pathPart="x"
    ) == not_found("Invalid Resource identifier specified")
    assert aws_error(apigw.get_resource, restApiId=api_id, resourceId="nope00") == not_found(
        "Invalid Resource identifier specified"
    )


def test_root_resource_cannot_be_renamed_or_moved(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, root = fresh
    other = add_path(apigw, api_id, root, "/other")
    assert aws_error(
        apigw.update_resource,
        restApiId=api_id,
        resourceId=root,
        patchOperations=[{"op": "replace", "path": "/pathPart", "value": "x"}],
    ) == bad_request("Root resource cannot update its pathPart.")
    assert aws_error(
        apigw.update_resource,
        restApiId=api_id,
        resourceId=root,
        patchOperations=[{"op": "replace", "path": "/parentId", "value": other}],
    ) == bad_request("Root resource cannot update its parentId.")


def test_resources_cannot_be_cyclical(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, root = fresh
    top = add_path(apigw, api_id, root, "/a")
    below = add_path(apigw, api_id, root, "/a/b/c")
    for target in (below, top):
        assert aws_error(
            apigw.update_resource,
            restApiId=api_id,
            resourceId=top,
            patchOperations=[{"op": "replace", "path": "/parentId", "value": target}],
        ) == bad_request("Resources cannot be cyclical.")
    assert apigw.get_resource(restApiId=api_id, resourceId=below)["path"] == "/a/b/c"


def test_update_resource_checks_the_new_place(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, root = fresh
    add_path(apigw, api_id, root, "/taken")
    mover = add_path(apigw, api_id, root, "/mover")
    greedy = add_path(apigw, api_id, root, "/g/{proxy+}")
    assert aws_error(
        apigw.update_resource,
        restApiId=api_id,
        resourceId=mover,
        patchOperations=[{"op": "replace", "path": "/pathPart", "value": "taken"}],
    ) == conflict("Another resource with the same parent already has this name: taken")
    assert aws_error(
        apigw.update_resource,
        restApiId=api_id,
        resourceId=mover,
        patchOperations=[{"op": "replace", "path": "/parentId", "value": greedy}],
    ) == bad_request("Cannot create a child of a resource with a greedy path variable: {proxy+}")


def test_update_resource_patch_path_messages(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, root = fresh
    pets = add_path(apigw, api_id, root, "/pets")
    assert aws_error(
        apigw.update_resource,
        restApiId=api_id,
        resourceId=pets,
        patchOperations=[{"op": "replace", "path": "/invalid", "value": "x"}],
    ) == bad_request(
        "Invalid patch path  '/invalid' specified for op 'replace'. Must be one of: "
        "[/parentId, /pathPart]"
    )
    for op in ("add", "remove"):
        assert aws_error(
            apigw.update_resource,
            restApiId=api_id,
            resourceId=pets,
            patchOperations=[{"op": op, "path": "/pathPart", "value": "x"}],
        ) == bad_request(
            f"Invalid patch path  '/pathPart' specified for op '{op}'. Please choose supported "
            "operations"
        )


# --- methods --------------------------------------------------------------------------------


def test_putting_a_method_twice_is_a_conflict(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, root = fresh
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    assert aws_error(
        apigw.put_method,
        restApiId=api_id,
        resourceId=root,
        httpMethod="GET",
        authorizationType="NONE",
    ) == conflict("Method already exists for this resource")


@pytest.mark.parametrize("verb", ["FETCH", "get"])
def test_invalid_http_method(apigw: Any, api: tuple[str, str], verb: str) -> None:
    api_id, root = api
    assert aws_error(
        apigw.put_method,
        restApiId=api_id,
        resourceId=root,
        httpMethod=verb,
        authorizationType="NONE",
    ) == bad_request(
        "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"
    )


def test_unknown_method_and_method_response(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, root = fresh
    where = {"restApiId": api_id, "resourceId": root, "httpMethod": "PATCH"}
    missing_method = not_found("Invalid Method identifier specified")
    assert aws_error(apigw.get_method, **where) == missing_method
    assert aws_error(apigw.delete_method, **where) == missing_method
    assert (
        aws_error(
            apigw.update_method,
            **where,
            patchOperations=[{"op": "replace", "path": "/apiKeyRequired", "value": "true"}],
        )
        == missing_method
    )
    assert aws_error(apigw.put_integration, **where, type="MOCK") == missing_method
    apigw.put_method(**where, authorizationType="NONE")
    missing_response = not_found("Invalid Response status code specified")
    assert aws_error(apigw.get_method_response, **where, statusCode="404") == missing_response
    assert aws_error(apigw.delete_method_response, **where, statusCode="404") == missing_response
    assert (
        aws_error(
            apigw.update_method_response,
            **where,
            statusCode="404",
            patchOperations=[
                {"op": "add", "path": "/responseModels/application~1json", "value": "Empty"}
            ],
        )
        == missing_response
    )


def test_method_refers_only_to_existing_validators_and_models(
    apigw: Any, fresh: tuple[str, str]
) -> None:
    api_id, root = fresh
    where = {"restApiId": api_id, "resourceId": root, "authorizationType": "NONE"}
    assert aws_error(
        apigw.put_method,
        **where,
        httpMethod="GET",
        requestValidatorId="nope00",
    ) == bad_request("Invalid Request Validator identifier specified")
    assert aws_error(
        apigw.put_method,
        **where,
        httpMethod="GET",
        requestModels={"application/json": "petModel"},
    ) == bad_request("Invalid model identifier specified: petModel")
    apigw.put_method(**where, httpMethod="POST")
    assert aws_error(
        apigw.update_method,
        restApiId=api_id,
        resourceId=root,
        httpMethod="POST",
        patchOperations=[{"op": "replace", "path": "/requestValidatorId", "value": "nope00"}],
    ) == bad_request("Invalid Request Validator identifier specified")
    assert aws_error(
        apigw.put_method_response,
        restApiId=api_id,
        resourceId=root,
        httpMethod="POST",
        statusCode="200",
        responseModels={"application/json": "petModel"},
    ) == bad_request("Invalid model identifier specified: petModel")
    # Nothing refused was stored.
    assert "requestValidatorId" not in apigw.get_method(
        restApiId=api_id, resourceId=root, httpMethod="POST"
    )
    assert apigw.get_resource(restApiId=api_id, resourceId=root)["resourceMethods"] == {"POST": {}}


def test_custom_authorization_needs_an_authorizer(apigw: Any, api: tuple[str, str]) -> None:
    api_id, root = api
    for kind in ("CUSTOM", "COGNITO_USER_POOLS"):
        assert aws_error(
            apigw.put_method,
            restApiId=api_id,
            resourceId=root,
            httpMethod="PUT",
            authorizationType=kind,
        ) == bad_request(
            "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
            "COGNITO_USER_POOLS requires a valid authorizer."
        )


def test_invalid_authorization_type_is_refused_by_put_and_update(
    apigw: Any, fresh: tuple[str, str]
) -> None:
    """UpdateMethod may not produce a method PutMethod would refuse."""
    api_id, root = fresh
    where = {"restApiId": api_id, "resourceId": root, "httpMethod": "GET"}
    refused = bad_request(
        "Invalid authorization type specified. Valid options are "
        "NONE,AWS_IAM,CUSTOM,COGNITO_USER_POOLS"
    )
    assert aws_error(apigw.put_method, **where, authorizationType="BOGUS") == refused
    apigw.put_method(**where, authorizationType="NONE")
    assert (
        aws_error(
            apigw.update_method,
            **where,
            patchOperations=[{"op": "replace", "path": "/authorizationType", "value": "BOGUS"}],
        )
        == refused
    )
    assert apigw.get_method(**where)["authorizationType"] == "NONE"


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        (
            {"op": "replace", "path": "/httpMethod", "value": "POST"},
            "Invalid patch path /httpMethod",
        ),
        (
            {"op": "add", "path": "/requestParameters", "value": "x"},
            "Invalid patch path /requestParameters",
        ),
        (
            {"op": "add", "path": "/requestModels/application/json", "value": "Empty"},
            "Invalid patch path /requestModels/application/json",
        ),
        ({"op": "replace", "value": "x"}, "Invalid patch path null"),
    ],
    ids=["httpMethod", "requestParameters", "unescaped-content-type", "no-path"],
)
def test_update_method_patch_path_messages(
    apigw: Any, fresh: tuple[str, str], operation: dict[str, str], message: str
) -> None:
    api_id, root = fresh
    where = {"restApiId": api_id, "resourceId": root, "httpMethod": "GET"}
    apigw.put_method(**where, authorizationType="NONE")
    assert aws_error(apigw.update_method, **where, patchOperations=[operation]) == bad_request(
        message
    )


def test_update_method_response_patch_path_message(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, root = fresh
    where = {"restApiId": api_id, "resourceId": root, "httpMethod": "GET"}
    apigw.put_method(**where, authorizationType="NONE")
    apigw.put_method_response(**where, statusCode="200")
    operation = {"op": "add", "path": "/wrong/method.response.header.my-header", "value": "true"}
    assert aws_error(
        apigw.update_method_response, **where, statusCode="200", patchOperations=[operation]
    ) == bad_request("Invalid patch path /wrong/method.response.header.my-header")


def test_invalid_method_request_parameter_names(apigw: Any, api: tuple[str, str]) -> None:
    api_id, root = api
    assert aws_error(
        apigw.put_method,
        restApiId=api_id,
        resourceId=root,
        httpMethod="DELETE",
        authorizationType="NONE",
        requestParameters={
            "method.request.querystring.id": True,
            "method.request.header.id": False,
        },
    ) == bad_request("Parameter names must be unique across querystring, header and path")


def test_method_response_status_code_must_match_the_pattern(
    apigw: Any, fresh: tuple[str, str]
) -> None:
    api_id, root = fresh
    where = {"restApiId": api_id, "resourceId": root, "httpMethod": "GET"}
    apigw.put_method(**where, authorizationType="NONE")
    pattern_error = (
        "Value 'wrong' at 'statusCode' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: [1-5]\\d\\d"
    )
    assert aws_error(apigw.put_method_response, **where, statusCode="wrong") == validation(
        f"1 validation error detected: {pattern_error}"
    )
    assert aws_error(apigw.get_method_response, **where, statusCode="wrong") == validation(
        f"1 validation error detected: {pattern_error}"
    )


def test_validation_errors_are_reported_together(apigw: Any, fresh: tuple[str, str]) -> None:
    """The op enum and the statusCode pattern in one message, as AWS words it (§16.5)."""
    api_id, root = fresh
    where = {"restApiId": api_id, "resourceId": root, "httpMethod": "GET"}
    apigw.put_method(**where, authorizationType="NONE")
    apigw.put_method_response(**where, statusCode="200")
    assert aws_error(
        apigw.update_method_response,
        **where,
        statusCode="wrong",
        patchOperations=[{"op": "wrong_op", "path": "/x"}],
    ) == validation(
        "2 validation errors detected: Value 'wrong_op' at "
        "'updateMethodResponseInput.patchOperations.1.member.op' failed to satisfy constraint: "
        f"Member must satisfy enum value set: {OP_ENUM}; Value 'wrong' at 'statusCode' failed "
        "to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d"
    )


# --- integrations ---------------------------------------------------------------------------


@pytest.fixture
def method_target(apigw: Any, fresh: tuple[str, str]) -> dict[str, str]:
    api_id, root = fresh
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    return {"restApiId": api_id, "resourceId": root, "httpMethod": "GET"}


def test_invalid_integration_type_lists_awss_enum_order(
    apigw: Any, method_target: dict[str, str]
) -> None:
    assert aws_error(apigw.put_integration, **method_target, type="HTTPS_PROXY") == validation(
        "1 validation error detected: Value 'HTTPS_PROXY' at 'putIntegrationInput.type' failed "
        "to satisfy constraint: Member must satisfy enum value set: "
        "[HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]"
    )


@pytest.mark.parametrize(
    ("kind", "uri", "message"),
    [
        ("HTTP", "not a url", "Invalid HTTP endpoint specified for URI"),
        ("HTTP_PROXY", "ftp://example.com/file", "Invalid HTTP endpoint specified for URI"),
        ("HTTP", "http:///no-host", "Invalid HTTP endpoint specified for URI"),
        (
            "AWS_PROXY",
            "arn:aws:apigateway:us-east-1:s3:path/bucket/key",
            "Integrations of type 'AWS_PROXY' currently only supports Lambda function and "
            "Firehose stream invocations.",
        ),
        (
            "AWS",
            "arn:aws:apigateway:us-east-1:lambda:functions/f/invocations",
            "AWS ARN for integration must contain path or action",
        ),
        (
            "AWS_PROXY",
            "arn:aws:apigateway:us-east-1:lambda",
            "AWS ARN for integration must contain path or action",
        ),
    ],
    ids=["not-a-url", "ftp", "no-host", "proxy-to-s3", "aws-no-path", "proxy-no-path"],
)
def test_invalid_integration_uris(
    apigw: Any, method_target: dict[str, str], kind: str, uri: str, message: str
) -> None:
    assert aws_error(
        apigw.put_integration, **method_target, type=kind, integrationHttpMethod="POST", uri=uri
    ) == bad_request(message)
    assert aws_error(apigw.get_integration, **method_target) == not_found(
        "Invalid Integration identifier specified"
    )


def test_put_integration_needs_an_http_method_and_a_uri(
    apigw: Any, method_target: dict[str, str]
) -> None:
    assert aws_error(
        apigw.put_integration, **method_target, type="HTTP", uri="http://example.com"
    ) == bad_request("Enumeration value for HttpMethod must be non-empty")
    assert aws_error(
        apigw.put_integration, **method_target, type="HTTP", integrationHttpMethod="GET"
    ) == bad_request("Invalid HTTP endpoint specified for URI")
    for uri in (None, "not-an-arn"):
        options = {"uri": uri} if uri else {}
        assert aws_error(
            apigw.put_integration,
            **method_target,
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            **options,
        ) == bad_request("Invalid ARN specified in the request")


def test_invalid_passthrough_behavior(apigw: Any, method_target: dict[str, str]) -> None:
    assert aws_error(
        apigw.put_integration, **method_target, type="MOCK", passthroughBehavior="SOMETIMES"
    ) == bad_request(
        "Invalid passthrough behavior specified. Valid options are "
        "WHEN_NO_MATCH,WHEN_NO_TEMPLATES,NEVER"
    )


@pytest.mark.parametrize("timeout", [0, 49, 29001])
def test_integration_timeout_must_be_between_50_and_29000(
    apigw: Any, method_target: dict[str, str], timeout: int
) -> None:
    assert aws_error(
        apigw.put_integration,
        **method_target,
        type="HTTP_PROXY",
        integrationHttpMethod="ANY",
        uri="http://example.com",
        timeoutInMillis=timeout,
    ) == bad_request("Timeout should be between 50 ms and 29000 ms")


def test_update_integration_is_checked_like_put(apigw: Any, method_target: dict[str, str]) -> None:
    apigw.put_integration(
        **method_target, type="HTTP_PROXY", integrationHttpMethod="ANY", uri="http://example.com"
    )
    assert aws_error(
        apigw.update_integration,
        **method_target,
        patchOperations=[{"op": "replace", "path": "/timeoutInMillis", "value": "30000"}],
    ) == bad_request("Timeout should be between 50 ms and 29000 ms")
    assert aws_error(
        apigw.update_integration,
        **method_target,
        patchOperations=[{"op": "replace", "path": "/uri", "value": "nowhere"}],
    ) == bad_request("Invalid HTTP endpoint specified for URI")
    assert aws_error(
        apigw.update_integration,
        **method_target,
        patchOperations=[{"op": "replace", "path": "/wrongPath", "value": "x"}],
    ) == bad_request("Invalid patch path /wrongPath")
    integration = apigw.get_integration(**method_target)
    assert integration["uri"] == "http://example.com"
    assert integration["timeoutInMillis"] == 29000


def test_integration_responses_need_an_integration_and_a_method_response(
    apigw: Any, method_target: dict[str, str]
) -> None:
    assert aws_error(apigw.put_integration_response, **method_target, statusCode="200") == (
        not_found("Invalid Integration identifier specified")
    )
    apigw.put_integration(
        **method_target, type="AWS_PROXY", integrationHttpMethod="POST", uri=lambda_uri("f")
    )
    assert aws_error(apigw.put_integration_response, **method_target, statusCode="200") == (
        not_found("Invalid Response status code specified")
    )
    assert aws_error(apigw.get_integration_response, **method_target, statusCode="200") == (
        not_found("Invalid Response status code specified")
    )
    assert aws_error(apigw.delete_integration_response, **method_target, statusCode="200") == (
        not_found("Invalid Response status code specified")
    )


def _mapping_refused(error: str) -> tuple[int, str, str]:
    return bad_request(
        f"Invalid mapping expression specified: Validation Result: warnings : [], errors : [{error}]"
    )


@pytest.mark.parametrize(
    ("target", "source", "error"),
    [
        # A source must be a parameter the method declares (here only the header X-Id).
        ("integration.request.path.id", "method.request.path.id",
         "Invalid mapping expression specified: method.request.path.id"),
        ("integration.request.querystring.q", "method.request.multivaluequerystring.q",
         "Invalid mapping expression specified: method.request.multivaluequerystring.q"),
        ("integration.request.header.x", "method.request.nowhere.x",
         "Invalid mapping expression specified: method.request.nowhere.x"),
        ("integration.request.header.x", "context.noSuchVariable",
         "Invalid mapping expression specified: context.noSuchVariable"),
        ("integration.request.header.x", "true",
         "Invalid mapping expression specified: true"),
        ("integration.request.cookie.x", "'static'",
         "Invalid mapping expression parameter specified: integration.request.cookie.x"),
        ("method.request.header.x", "'static'",
         "Invalid mapping expression parameter specified: method.request.header.x"),
    ],
)  # fmt: skip
def test_request_mappings_are_checked_at_put_integration(
    apigw: Any, method_target: dict[str, str], target: str, source: str, error: str
) -> None:
    apigw.update_method(
        **method_target,
        patchOperations=[
            {"op": "add", "path": "/requestParameters/method.request.header.X-Id", "value": "true"}
        ],
    )
    http = {"type": "HTTP", "integrationHttpMethod": "GET", "uri": "http://example.com/{id}"}
    assert aws_error(
        apigw.put_integration, **method_target, **http, requestParameters={target: source}
    ) == _mapping_refused(error)
    # Nothing was stored; declared sources (any header case), the body, statics are fine.
    assert aws_error(apigw.get_integration, **method_target)[0] == 404
    accepted = {
        "integration.request.header.a": "method.request.header.x-id",
        "integration.request.header.b": "method.request.multivalueheader.X-Id",
        "integration.request.querystring.c": "method.request.body.pet.name",
        "integration.request.path.id": "'7'",
        "integration.request.header.d": "context.requestId",
        "integration.request.header.e": "stageVariables.anything",
    }
    apigw.put_integration(**method_target, **http, requestParameters=accepted)
    assert apigw.get_integration(**method_target)["requestParameters"] == accepted
    assert aws_error(
        apigw.update_integration,
        **method_target,
        patchOperations=[
            {"op": "add", "path": "/requestParameters/integration.request.header.f",
             "value": "method.request.path.id"}
        ],
    ) == _mapping_refused("Invalid mapping expression specified: method.request.path.id")  # fmt: skip


def test_response_mappings_are_checked_at_put_integration_response(
    apigw: Any, method_target: dict[str, str]
) -> None:
    apigw.put_integration(**method_target, type="MOCK")
    apigw.put_method_response(
        **method_target,
        statusCode="200",
        responseParameters={"method.response.header.X-Declared": False},
    )
    put = {**method_target, "statusCode": "200"}
    assert aws_error(
        apigw.put_integration_response,
        **put,
        responseParameters={"method.response.header.Access-Control-Allow-Origin": "'*'"},
    ) == _mapping_refused(
        "Invalid mapping expression parameter specified: "
        "method.response.header.Access-Control-Allow-Origin"
    )
    assert aws_error(
        apigw.put_integration_response,
        **put,
        responseParameters={"method.response.header.X-Declared": "method.request.header.x"},
    ) == _mapping_refused("Invalid mapping expression specified: method.request.header.x")
    good = {"method.response.header.x-declared": "integration.response.header.X-Up"}
    apigw.put_integration_response(**put, responseParameters=good)
    assert aws_error(
        apigw.update_integration_response,
        **put,
        patchOperations=[
            {"op": "add", "path": "/responseParameters/method.response.header.X-Other",
             "value": "'x'"}
        ],
    ) == _mapping_refused(
        "Invalid mapping expression parameter specified: method.response.header.X-Other"
    )  # fmt: skip
    assert apigw.get_integration_response(**put)["responseParameters"] == good


def test_an_import_with_an_undeclared_mapped_header_fails(apigw: Any) -> None:
    document = {
        "openapi": "3.0.1",
        "info": {"title": unique("import-mapping"), "version": "1"},
        "paths": {
            "/": {
                "get": {
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "responses": {
                            "default": {
                                "statusCode": "200",
                                "responseParameters": {
                                    "method.response.header.Access-Control-Allow-Origin": "'*'"
                                },
                            }
                        },
                    },
                }
            }
        },
    }
    status, code, message = aws_error(apigw.import_rest_api, body=json.dumps(document).encode())
    assert (status, code) == (400, "BadRequestException")
    assert (
        "Unable to put integration on 'GET' for resource at path '/': Invalid mapping expression "
        "specified: Validation Result: warnings : [], errors : [Invalid mapping expression "
        "parameter specified: method.response.header.Access-Control-Allow-Origin]"
    ) in message


# --- deployments and stages (§7.1) ----------------------------------------------------------


@pytest.fixture
def deployed(apigw: Any, fresh: tuple[str, str]) -> tuple[str, str]:
    """An API with a MOCK `GET /` deployed to stage `dev`: (api id, deployment id)."""
    api_id, root = fresh
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    return api_id, deploy(apigw, api_id, "dev")


def test_an_api_without_methods_cannot_be_deployed(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, root = fresh
    add_path(apigw, api_id, root, "/pets")
    assert aws_error(apigw.create_deployment, restApiId=api_id, stageName="dev") == bad_request(
        "The REST API doesn't contain any methods"
    )
    assert apigw.get_deployments(restApiId=api_id)["items"] == []
    assert apigw.get_stages(restApiId=api_id)["item"] == []


def test_a_method_without_integration_cannot_be_deployed(
    apigw: Any, fresh: tuple[str, str]
) -> None:
    api_id, root = fresh
    pets = add_path(apigw, api_id, root, "/pets")
    apigw.put_method(restApiId=api_id, resourceId=pets, httpMethod="GET", authorizationType="NONE")
    assert aws_error(apigw.create_deployment, restApiId=api_id, stageName="dev") == bad_request(
        "No integration defined for method"
    )


def test_a_deployment_a_stage_uses_cannot_be_deleted(apigw: Any, deployed: tuple[str, str]) -> None:
    api_id, deployment_id = deployed
    assert aws_error(
        apigw.delete_deployment,
        restApiId=api_id,
        deploymentId=deployment_id,
    ) == bad_request("Active stages pointing to this deployment must be moved or deleted")
    assert apigw.get_deployment(restApiId=api_id, deploymentId=deployment_id)["id"] == deployment_id


def test_unknown_deployment_and_stage(apigw: Any, deployed: tuple[str, str]) -> None:
    api_id, _ = deployed
    assert aws_error(apigw.get_deployment, restApiId=api_id, deploymentId="nope00") == not_found(
        "Invalid Deployment identifier specified"
    )
    assert aws_error(apigw.get_stage, restApiId=api_id, stageName="nope") == not_found(
        "Invalid Stage identifier specified"
    )
    assert aws_error(apigw.delete_stage, restApiId=api_id, stageName="nope") == not_found(
        "Invalid Stage identifier specified"
    )


def test_create_stage_needs_an_existing_deployment(apigw: Any, deployed: tuple[str, str]) -> None:
    api_id, _ = deployed
    assert aws_error(
        apigw.create_stage,
        restApiId=api_id,
        stageName="prod",
        deploymentId="nope00",
    ) == bad_request("Deployment id does not exist")
    assert aws_error(
        apigw.update_stage,
        restApiId=api_id,
        stageName="dev",
        patchOperations=[{"op": "replace", "path": "/deploymentId", "value": "nope00"}],
    ) == bad_request("Deployment id does not exist")


def test_stage_name_and_variable_rules(apigw: Any, deployed: tuple[str, str]) -> None:
    api_id, deployment_id = deployed
    assert aws_error(
        apigw.create_stage, restApiId=api_id, stageName="bad name!", deploymentId=deployment_id
    ) == bad_request("Stage name only allows a-zA-Z0-9_-")
    assert aws_error(
        apigw.create_deployment, restApiId=api_id, stageName="dev", variables={"bad-name": "x"}
    ) == bad_request(
        "Stage variable name bad-name must be alphanumeric or underscore, up to 64 characters"
    )
    assert aws_error(
        apigw.update_stage,
        restApiId=api_id,
        stageName="dev",
        patchOperations=[{"op": "replace", "path": "/variables/v", "value": "no spaces"}],
    ) == bad_request(
        "Stage variable value no spaces for v must be 1 to 512 characters of A-Za-z0-9-._~:/?#&=,"
    )
    assert "variables" not in apigw.get_stage(restApiId=api_id, stageName="dev")


def test_duplicate_stage_is_a_conflict(apigw: Any, deployed: tuple[str, str]) -> None:
    api_id, deployment_id = deployed
    assert aws_error(
        apigw.create_stage,
        restApiId=api_id,
        stageName="dev",
        deploymentId=deployment_id,
    ) == conflict("Stage already exists")


@pytest.mark.parametrize(
    "path", ["/documentation_version", "/tags/tag1", "/wrong", "/~1pets/GET/logging/wrong"]
)
def test_invalid_stage_patch_paths(apigw: Any, deployed: tuple[str, str], path: str) -> None:
    api_id, _ = deployed
    status, code, message = aws_error(
        apigw.update_stage,
        restApiId=api_id,
        stageName="dev",
        patchOperations=[{"op": "replace", "path": path, "value": "x"}],
    )
    assert (status, code) == (400, "BadRequestException")
    assert message.startswith(f"Invalid method setting path: {path}. {INVALID_STAGE_PATH_LIST}")


def test_stage_method_setting_and_access_log_refusals(
    apigw: Any, deployed: tuple[str, str]
) -> None:
    api_id, _ = deployed

    def update(*operations: dict[str, str]) -> tuple[int, str, str]:
        return aws_error(
            apigw.update_stage, restApiId=api_id, stageName="dev", patchOperations=list(operations)
        )

    assert update({"op": "remove", "path": "/*/*"}) == bad_request(
        "Cannot remove method setting */* because there is no method setting for this method "
    )
    assert update({"op": "replace", "path": "/accessLogSettings/format", "value": ""}) == (
        bad_request("Access Log value must not be empty")
    )
    assert update({"op": "remove", "path": "/accessLogSettings/destinationArn"}) == bad_request(
        "Cannot remove method setting accessLogSettings/destinationArn because there is no "
        "method setting for this method "
    )
    assert update({"op": "replace", "path": "/accessLogSettings/other", "value": "x"}) == (
        bad_request(
            "Invalid accessLogSettings path. Must be one of : "
            "[/accessLogSettings/destinationArn, /accessLogSettings/format]"
        )
    )
    stage = apigw.get_stage(restApiId=api_id, stageName="dev")
    assert stage["methodSettings"] == {}
    assert "accessLogSettings" not in stage


# --- gateway responses (§10.2) --------------------------------------------------------------


def test_invalid_gateway_response_type_lists_awss_enum_order(
    apigw: Any, api: tuple[str, str]
) -> None:
    api_id, _ = api
    expected = validation(
        "1 validation error detected: Value 'FAKE_RESPONSE_TYPE' at 'responseType' failed to "
        f"satisfy constraint: Member must satisfy enum value set: {GATEWAY_RESPONSE_ENUM}"
    )
    assert (
        aws_error(apigw.get_gateway_response, restApiId=api_id, responseType="FAKE_RESPONSE_TYPE")
        == expected
    )
    assert (
        aws_error(
            apigw.put_gateway_response,
            restApiId=api_id,
            responseType="FAKE_RESPONSE_TYPE",
            statusCode="400",
        )
        == expected
    )


def test_gateway_response_status_code_must_match_the_pattern(
    apigw: Any, api: tuple[str, str]
) -> None:
    api_id, _ = api
    assert aws_error(
        apigw.put_gateway_response,
        restApiId=api_id,
        responseType="THROTTLED",
        statusCode="wrong",
    ) == validation(
        # A body member: Coral names it after the operation's input, as with
        # `putIntegrationInput.type` (spec §16.5).
        "1 validation error detected: Value 'wrong' at 'putGatewayResponseInput.statusCode' "
        "failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d"
    )


def test_update_gateway_response_refusals(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, _ = fresh
    apigw.put_gateway_response(
        restApiId=api_id,
        responseType="DEFAULT_5XX",
        statusCode="599",
        responseParameters={"gatewayresponse.header.X-A": "'a'"},
    )

    def update(*operations: dict[str, str]) -> tuple[int, str, str]:
        return aws_error(
            apigw.update_gateway_response,
            restApiId=api_id,
            responseType="DEFAULT_5XX",
            patchOperations=list(operations),
        )

    assert update({"op": "add", "path": "/statusCode", "value": "500"}) == bad_request(
        "Invalid patch path /statusCode"
    )
    assert update({"op": "remove", "path": "/statusCode"}) == bad_request(
        "Invalid patch path /statusCode"
    )
    assert update({"op": "add", "path": "/responseTemplates/application~1json"}) == bad_request(
        "Invalid null or empty value in responseTemplates"
    )
    assert update(
        {"op": "add", "path": "/responseParameters/gatewayresponse.header.X-B", "value": ""}
    ) == bad_request("Invalid null or empty value in responseParameters")
    assert update(
        {
            "op": "replace",
            "path": "/responseParameters/gatewayresponse.header.Missing",
            "value": "'x'",
        },
    ) == not_found("Invalid parameter name specified")
    assert update({"op": "wrong-op", "path": "/statusCode", "value": "500"}) == validation(
        "1 validation error detected: Value 'wrong-op' at "
        "'updateGatewayResponseInput.patchOperations.1.member.op' failed to satisfy constraint: "
        f"Member must satisfy enum value set: {OP_ENUM}"
    )
    response = apigw.get_gateway_response(restApiId=api_id, responseType="DEFAULT_5XX")
    assert response["statusCode"] == "599"
    assert response["responseParameters"] == {"gatewayresponse.header.X-A": "'a'"}


def test_deleting_a_gateway_response_never_set_is_not_found(
    apigw: Any, api: tuple[str, str]
) -> None:
    api_id, _ = api
    assert aws_error(
        apigw.delete_gateway_response,
        restApiId=api_id,
        responseType="WAF_FILTERED",
    ) == not_found("Gateway response type not defined on api")


# --- models and request validators ----------------------------------------------------------

SCHEMA = '{"type": "object", "properties": {"a": {"type": "string"}}}'


def test_model_name_rules(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, _ = fresh

    def create(name: str, schema: str = SCHEMA) -> tuple[int, str, str]:
        return aws_error(
            apigw.create_model,
            restApiId=api_id,
            name=name,
            contentType="application/json",
            schema=schema,
        )

    assert create("") == bad_request("Model name must be non-empty")
    assert create("bad-name") == bad_request(
        "Invalid model name specified: bad-name. Model names must be alphanumeric"
    )
    assert create("Empty") == conflict("Model name already exists for this REST API")
    apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema=SCHEMA)
    assert create("Pet") == conflict("Model name already exists for this REST API")


@pytest.mark.parametrize(
    "schema", ['{"type": "object"}', "{}", '{"type": "object", "properties": {}}', "[]"]
)
def test_model_schema_needs_a_property_or_items(
    apigw: Any, api: tuple[str, str], schema: str
) -> None:
    api_id, _ = api
    assert aws_error(
        apigw.create_model,
        restApiId=api_id,
        name="Thin",
        contentType="application/json",
        schema=schema,
    ) == bad_request("Model schema must have at least 1 property or array items defined")


def test_a_model_used_by_a_method_cannot_be_deleted(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, root = fresh
    for name in ("Pet", "Root"):
        apigw.create_model(
            restApiId=api_id, name=name, contentType="application/json", schema=SCHEMA
        )
    pets = add_path(apigw, api_id, root, "/pets")
    apigw.put_method(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="POST",
        authorizationType="NONE",
        requestModels={"application/json": "Pet"},
    )
    apigw.put_method(
        restApiId=api_id,
        resourceId=root,
        httpMethod="ANY",
        authorizationType="NONE",
        requestModels={"application/json": "Root"},
    )
    assert aws_error(apigw.delete_model, restApiId=api_id, modelName="Pet") == conflict(
        "Cannot delete model 'Pet', is referenced in method request: /pets/POST"
    )
    assert aws_error(apigw.delete_model, restApiId=api_id, modelName="Root") == conflict(
        "Cannot delete model 'Root', is referenced in method request: //ANY"
    )


def test_unknown_model_and_model_patch_paths(apigw: Any, api: tuple[str, str]) -> None:
    api_id, _ = api
    assert aws_error(apigw.get_model, restApiId=api_id, modelName="mySchema") == not_found(
        "Invalid model name specified: mySchema"
    )
    assert aws_error(apigw.delete_model, restApiId=api_id, modelName="mySchema") == not_found(
        "Invalid model name specified: mySchema"
    )
    assert aws_error(
        apigw.update_model,
        restApiId=api_id,
        modelName="Error",
        patchOperations=[{"op": "replace", "path": "/name", "value": "Other"}],
    ) == bad_request(
        "Invalid patch path  '/name' specified for op 'replace'. Must be one of: "
        "[/description, /schema]"
    )


def test_request_validator_refusals(apigw: Any, fresh: tuple[str, str]) -> None:
    api_id, _ = fresh
    for blank in ("", "   "):
        assert aws_error(apigw.create_request_validator, restApiId=api_id, name=blank) == (
            bad_request("Request Validator name cannot be blank")
        )
    validator = apigw.create_request_validator(restApiId=api_id, name="v")["id"]

    def update(*operations: dict[str, str]) -> tuple[int, str, str]:
        return aws_error(
            apigw.update_request_validator,
            restApiId=api_id,
            requestValidatorId=validator,
            patchOperations=list(operations),
        )

    assert update({"op": "replace", "path": "/x", "value": "y"}) == bad_request(
        "Invalid patch path  '/x' specified for op 'replace'. Must be one of: "
        "[/name, /validateRequestParameters, /validateRequestBody]"
    )
    assert update({"op": "add", "path": "/validateRequestBody", "value": "true"}) == bad_request(
        "Invalid patch path  '/validateRequestBody' specified for op 'add'. Please choose "
        "supported operations"
    )
    assert update({"op": "replace", "path": "/name", "value": ""}) == bad_request(
        "Request Validator name cannot be blank"
    )
    assert aws_error(
        apigw.get_request_validator,
        restApiId=api_id,
        requestValidatorId="nope00",
    ) == not_found("Invalid Request Validator identifier specified")
    assert (
        apigw.get_request_validator(restApiId=api_id, requestValidatorId=validator)["name"] == "v"
    )


def test_tag_refusals(apigw: Any, api: tuple[str, str]) -> None:
    assert aws_error(apigw.tag_resource, resourceArn="invalid-arn", tags={"a": "b"}) == (
        bad_request("Invalid ARN. ARN is not well formed invalid-arn")
    )
    assert aws_error(
        apigw.get_tags, resourceArn=f"arn:aws:apigateway:{REGION}::/restapis/nosuchapi0"
    ) == not_found(f"Invalid API identifier specified {ACCOUNT}:nosuchapi0")
    api_id, _ = api
    assert aws_error(
        apigw.get_tags, resourceArn=f"arn:aws:apigateway:{REGION}::/restapis/{api_id}/stages/no"
    ) == not_found("Invalid Stage identifier specified")


# --- protocol (§16.0) -----------------------------------------------------------------------


def test_invalid_patch_op_is_a_validation_exception(apigw: Any, api: tuple[str, str]) -> None:
    api_id, _ = api
    assert aws_error(
        apigw.update_rest_api,
        restApiId=api_id,
        patchOperations=[{"op": "wrong", "path": "/name", "value": "x"}],
    ) == validation(
        "1 validation error detected: Value 'wrong' at "
        "'updateRestApiInput.patchOperations.1.member.op' failed to satisfy constraint: Member "
        f"must satisfy enum value set: {OP_ENUM}"
    )
    assert aws_error(
        apigw.update_rest_api,
        restApiId=api_id,
        patchOperations=[
            {"op": "wrong", "path": "/name", "value": "x"},
            {"op": "wrong", "path": "/name", "value": "y"},
        ],
    ) == validation(
        "2 validation errors detected: Value 'wrong' at "
        "'updateRestApiInput.patchOperations.1.member.op' failed to satisfy constraint: Member "
        f"must satisfy enum value set: {OP_ENUM}; Value 'wrong' at "
        "'updateRestApiInput.patchOperations.2.member.op' failed to satisfy constraint: Member "
        f"must satisfy enum value set: {OP_ENUM}"
    )


@pytest.mark.parametrize(
    ("operation", "kwargs", "name"),
    [
        ("get_client_certificates", {}, "GetClientCertificates"),
        ("get_vpc_links", {}, "GetVpcLinks"),
        ("get_sdk_types", {}, "GetSdkTypes"),
    ],
)
def test_operations_tollway_lacks_are_not_implemented(
    apigw: Any, operation: str, kwargs: dict[str, Any], name: str
) -> None:
    assert aws_error(getattr(apigw, operation), **kwargs) == (
        501,
        "NotImplementedException",
        f"Tollway does not support the apigateway operation {name} yet",
    )


def test_malformed_json_body_is_a_serialization_exception(server: Server) -> None:
    response = httpx.post(
        f"{server.admin}/restapis",
        content=b'{"name": "x",',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "SerializationException"
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["message"].startswith("Request body is not valid JSON")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": True}, "class java.lang.Boolean can not be converted to an String"),
        (
            {"name": "x", "minimumCompressionSize": "big"},
            "class java.lang.String can not be converted to an Integer",
        ),
        (
            {"name": "x", "disableExecuteApiEndpoint": "yes"},
            "class java.lang.String can not be converted to an Boolean",
        ),
    ],
    ids=["boolean-for-string", "string-for-integer", "string-for-boolean"],
)
def test_wrongly_typed_members_are_serialization_exceptions(
    server: Server, body: dict[str, Any], message: str
) -> None:
    response = httpx.post(f"{server.admin}/restapis", json=body)
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "SerializationException"
    assert response.json() == {"message": message}


def test_missing_required_member_is_a_validation_exception(server: Server) -> None:
    response = httpx.post(f"{server.admin}/restapis", json={"description": "no name"})
    assert response.status_code == 400
    assert response.headers["x-amzn-ErrorType"] == "ValidationException"
    assert response.json() == {
        "message": "1 validation error detected: Value null at 'createRestApiInput.name' failed "
        "to satisfy constraint: Member must not be null"
    }


def test_every_response_carries_a_request_id(apigw: Any, server: Server) -> None:
    uuid_pattern = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    ok = apigw.get_rest_apis(limit=1)["ResponseMetadata"]
    assert re.fullmatch(uuid_pattern, ok["RequestId"])
    assert ok["HTTPHeaders"]["x-amzn-requestid"] == ok["RequestId"]
    with pytest.raises(ClientError) as info:
        apigw.get_rest_api(restApiId="nosuchapi0")
    failed = info.value.response["ResponseMetadata"]
    assert re.fullmatch(uuid_pattern, failed["RequestId"])
    assert failed["RequestId"] != ok["RequestId"]
    raw = httpx.post(f"{server.admin}/restapis", content=b"not json")
    assert re.fullmatch(uuid_pattern, raw.headers["x-amzn-RequestId"])


def test_unknown_paths_are_unknown_operations(server: Server) -> None:
    response = httpx.get(f"{server.admin}/no/such/thing")
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert response.json() == {"message": "No operation matches GET /no/such/thing"}


def test_health_endpoint(server: Server) -> None:
    response = httpx.get(f"{server.admin}/_tollway/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-amzn-RequestId"]
