"""REST resource policies end to end (spec §5.4): set through the control plane (boto3) as AWS
stores them, enforced by the gateway for methods without authorization from real loopback
sources (127.0.0.1 and 127.0.0.2, both on `lo`), AWS's 403 body and headers, and what the
integration received when the policy allowed the request."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_method,
    add_path,
    aws_error,
    create_function,
    deploy,
    lambda_uri,
    mock_method,
)

ALLOWED_IP, OTHER_IP = "127.0.0.1", "127.0.0.2"
INVALID = (
    "Invalid policy document. Please check the policy syntax and ensure that Principals are valid."
)
# What each MOCK method answers: which method ran and what it was told about the caller.
ECHO = (
    '{"resource": "$context.resourcePath", "method": "$context.httpMethod", '
    '"sourceIp": "$context.identity.sourceIp"}'
)


def statement(effect: str, resource: Any = "execute-api:/*", **more: Any) -> dict[str, Any]:
    return {"Effect": effect, "Principal": "*", "Action": "execute-api:Invoke",
            "Resource": resource, **more}  # fmt: skip


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def escaped(document: dict[str, Any]) -> str:
    """A policy as AWS returns it: compact JSON escaped as a JSON string's inside."""
    compact = json.dumps(document, separators=(",", ":"))
    return json.dumps(compact)[1:-1].replace("/", "\\/")


def policy_api(apigw: Any, text: str | None, paths: tuple[str, ...] = ("/ip", "/admin/x")) -> str:
    """A REST API with `policy` and a GET MOCK method on each path, deployed to `test`."""
    api = apigw.create_rest_api(
        name=f"policy-{uuid.uuid4().hex[:8]}", **({"policy": text} if text else {})
    )
    for path in paths:
        mock_method(apigw, api["id"], add_path(apigw, api["id"], api["rootResourceId"], path),
                    "GET", ECHO)  # fmt: skip
    deploy(apigw, api["id"])
    return str(api["id"])


@pytest.fixture
def other_source() -> Iterator[httpx.Client]:
    """A client whose connections come from 127.0.0.2."""
    transport = httpx.HTTPTransport(local_address=OTHER_IP)
    with httpx.Client(transport=transport, timeout=30) as client:
        yield client


def denial(api_id: str, path: str, explicit: bool, verb: str = "GET") -> dict[str, str]:
    arn = f"arn:aws:execute-api:{REGION}:********{ACCOUNT[-4:]}:{api_id}/test/{verb}{path}"
    why = (
        "with an explicit deny in a resource-based policy"
        if explicit
        else "because no resource-based policy allows the execute-api:Invoke action"
    )
    return {
        "Message": f"User: anonymous is not authorized to perform: execute-api:Invoke on "
        f"resource: {arn} {why}"
    }


def assert_denied(response: httpx.Response, api_id: str, path: str, *, explicit: bool) -> None:
    assert response.status_code == 403
    assert response.json() == denial(api_id, path, explicit)
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert response.headers["x-amzn-RequestId"]


# --- control plane --------------------------------------------------------------------------


def test_create_and_get_return_the_policy_as_aws_stores_it(apigw: Any) -> None:
    text = json.dumps(
        {"Version": "2012-10-17",
         "Statement": [statement("Allow", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})]},
        indent=2,
    )  # fmt: skip
    created = apigw.create_rest_api(name="stored-policy", policy=text)
    expected = escaped(
        {"Version": "2012-10-17",
         "Statement": [statement("Allow", f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{created['id']}/*",
                                 Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})]}
    )  # fmt: skip
    assert created["policy"] == expected
    assert apigw.get_rest_api(restApiId=created["id"])["policy"] == expected
    # what Terraform's provider does with it
    assert json.loads(json.loads(f'"{expected}"'))["Statement"][0]["Resource"].endswith("/*")


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        json.dumps({"Version": "2012-10-17", "Statement": []}),
        json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]}),
        policy(statement("Allow") | {"Principal": {"AWS": "not-an-arn"}}),
    ],
)  # fmt: skip
def test_what_is_not_a_resource_policy_is_refused(apigw: Any, text: str) -> None:
    assert aws_error(apigw.create_rest_api, name="bad-policy", policy=text) == (
        400, "BadRequestException", INVALID
    )  # fmt: skip
    api_id = apigw.create_rest_api(name="bad-policy-update")["id"]
    patch = [{"op": "replace", "path": "/policy", "value": text}]
    assert aws_error(apigw.update_rest_api, restApiId=api_id, patchOperations=patch) == (
        400, "BadRequestException", INVALID
    )  # fmt: skip
    assert "policy" not in apigw.get_rest_api(restApiId=api_id)


def test_a_policy_over_8192_characters_is_refused(apigw: Any) -> None:
    long = policy(statement("Allow", "*", Sid="x" * 8192))
    status, code, message = aws_error(apigw.create_rest_api, name="long-policy", policy=long)
    assert (status, code) == (400, "BadRequestException")
    assert message == (
        "Invalid policy document. The policy exceeds the maximum length of 8192 characters."
    )


def test_update_replaces_and_clears_the_policy(apigw: Any) -> None:
    api_id = apigw.create_rest_api(name="update-policy")["id"]
    replaced = apigw.update_rest_api(restApiId=api_id, patchOperations=[
        {"op": "replace", "path": "/policy", "value": policy(statement("Deny", "execute-api:/*/DELETE/*"))}
    ])  # fmt: skip
    arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*/DELETE/*"
    assert replaced["policy"] == escaped(
        {"Version": "2012-10-17", "Statement": [statement("Deny", arn)]}
    )
    cleared = apigw.update_rest_api(
        restApiId=api_id, patchOperations=[{"op": "replace", "path": "/policy", "value": ""}]
    )
    assert "policy" not in cleared
    assert "policy" not in apigw.get_rest_api(restApiId=api_id)


def test_import_and_export_carry_the_policy(apigw: Any) -> None:
    document = {
        "openapi": "3.0.1",
        "info": {"title": "imported-policy", "version": "1"},
        "x-amazon-apigateway-policy": {
            "Version": "2012-10-17",
            "Statement": [statement("Allow", ["execute-api:/*"])],
        },
        "paths": {"/ip": {"get": {"x-amazon-apigateway-integration": {
            "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200"}}}}}},
    }  # fmt: skip
    api_id = apigw.import_rest_api(body=json.dumps(document).encode())["id"]
    arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*"
    expanded = {"Version": "2012-10-17", "Statement": [statement("Allow", [arn])]}
    assert apigw.get_rest_api(restApiId=api_id)["policy"] == escaped(expanded)
    deploy(apigw, api_id)
    exported = apigw.get_export(
        restApiId=api_id,
        stageName="test",
        exportType="oas30",
        accepts="application/yaml",
        parameters={"extensions": "apigateway"},
    )
    assert yaml.safe_load(exported["body"].read())["x-amazon-apigateway-policy"] == expanded


# --- enforcement ----------------------------------------------------------------------------


def test_allow_by_source_ip(server: Server, apigw: Any, http: httpx.Client,
                            other_source: httpx.Client) -> None:  # fmt: skip
    api_id = policy_api(
        apigw, policy(statement("Allow", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}}))
    )
    allowed = http.get(server.url(api_id, "test", "/ip"))
    assert allowed.status_code == 200
    assert allowed.json() == {"resource": "/ip", "method": "GET", "sourceIp": ALLOWED_IP}
    assert_denied(other_source.get(server.url(api_id, "test", "/ip")), api_id, "/ip",
                  explicit=False)  # fmt: skip


@pytest.mark.parametrize(
    "condition",
    [
        {"IpAddress": {"aws:SourceIp": ["127.0.0.2/32", "10.0.0.0/8"]}},
        {"NotIpAddress": {"aws:SourceIp": ["127.0.0.1/32", "::1"]}},
    ],
)
def test_deny_by_source_ip(server: Server, apigw: Any, http: httpx.Client,
                           other_source: httpx.Client, condition: dict[str, Any]) -> None:  # fmt: skip
    api_id = policy_api(apigw, policy(statement("Allow"), statement("Deny", Condition=condition)))
    assert http.get(server.url(api_id, "test", "/ip")).status_code == 200
    assert_denied(other_source.get(server.url(api_id, "test", "/ip")), api_id, "/ip",
                  explicit=True)  # fmt: skip


def test_no_matching_statement_is_an_implicit_deny(server: Server, apigw: Any,
                                                   http: httpx.Client) -> None:  # fmt: skip
    api_id = policy_api(apigw, policy(statement("Allow", "execute-api:/*/POST/*")))
    assert_denied(http.get(server.url(api_id, "test", "/ip")), api_id, "/ip", explicit=False)


def test_deny_one_path_allow_the_rest(server: Server, apigw: Any, http: httpx.Client) -> None:
    api_id = policy_api(apigw, policy(
        statement("Allow", "execute-api:/*"),
        statement("Deny", ["execute-api:/*/*/admin", "execute-api:/*/*/admin/*"]),
    ))  # fmt: skip
    assert http.get(server.url(api_id, "test", "/ip")).json()["resource"] == "/ip"
    assert_denied(http.get(server.url(api_id, "test", "/admin/x")), api_id, "/admin/x",
                  explicit=True)  # fmt: skip


def test_time_conditions(server: Server, apigw: Any, http: httpx.Client) -> None:
    now = time.time()
    day_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 86400))
    in_a_day = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 86400))
    open_window = policy_api(apigw, policy(statement("Allow", Condition={
        "DateGreaterThan": {"aws:CurrentTime": day_ago},
        "DateLessThan": {"aws:CurrentTime": in_a_day},
    })))  # fmt: skip
    assert http.get(server.url(open_window, "test", "/ip")).status_code == 200
    closed = policy_api(apigw, policy(
        statement("Allow", Condition={"DateLessThan": {"aws:CurrentTime": day_ago}})
    ))  # fmt: skip
    assert_denied(http.get(server.url(closed, "test", "/ip")), closed, "/ip", explicit=False)


def test_user_agent_condition(server: Server, apigw: Any, http: httpx.Client) -> None:
    api_id = policy_api(apigw, policy(
        statement("Allow"),
        statement("Deny", Condition={"StringLike": {"aws:UserAgent": "*BadBot*"}}),
    ))  # fmt: skip
    url = server.url(api_id, "test", "/ip")
    assert http.get(url, headers={"User-Agent": "Mozilla/5.0"}).status_code == 200
    assert_denied(http.get(url, headers={"User-Agent": "Mozilla/5.0 BadBot/2"}), api_id, "/ip",
                  explicit=True)  # fmt: skip


def test_the_policy_takes_effect_at_the_next_deployment(server: Server, apigw: Any,
                                                        http: httpx.Client) -> None:  # fmt: skip
    api_id = policy_api(apigw, policy(statement("Allow")))
    url = server.url(api_id, "test", "/ip")
    apigw.update_rest_api(restApiId=api_id, patchOperations=[
        {"op": "replace", "path": "/policy", "value": policy(statement("Deny"))}
    ])  # fmt: skip
    assert http.get(url).status_code == 200  # the deployment froze the old policy
    deploy(apigw, api_id)
    assert_denied(http.get(url), api_id, "/ip", explicit=True)
    apigw.update_rest_api(restApiId=api_id, patchOperations=[
        {"op": "replace", "path": "/policy", "value": ""}
    ])  # fmt: skip
    deploy(apigw, api_id)
    assert http.get(url).status_code == 200


def test_a_customised_access_denied_response(server: Server, apigw: Any,
                                             http: httpx.Client) -> None:  # fmt: skip
    api_id = policy_api(apigw, policy(statement("Deny")))
    apigw.put_gateway_response(
        restApiId=api_id,
        responseType="ACCESS_DENIED",
        statusCode="401",
        responseParameters={"gatewayresponse.header.X-Why": "'policy'"},
        responseTemplates={"application/json": '{"why":$context.error.messageString}'},
    )
    deploy(apigw, api_id)
    response = http.get(server.url(api_id, "test", "/ip"))
    assert response.status_code == 401
    assert response.headers["X-Why"] == "policy"
    assert response.json() == {"why": denial(api_id, "/ip", explicit=True)["Message"]}


def test_policy_variables_are_warned_about_at_load(server: Server, apigw: Any,
                                                   http: httpx.Client) -> None:  # fmt: skip
    api_id = policy_api(apigw, policy(
        statement("Allow", "execute-api:/*/*/users/${aws:username}"),
        statement("Deny", Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}),
    ))  # fmt: skip
    # The VPC endpoint key never has a value, so StringNotEquals holds: everyone is refused, as
    # AWS refuses callers that do not come through that endpoint.
    assert_denied(http.get(server.url(api_id, "test", "/ip")), api_id, "/ip", explicit=True)
    expected = [
        f"API {api_id} stage test (deployment ",
        "resource policy: policy variable ${aws:username} is not substituted",
        "resource policy: condition key aws:SourceVpce never has a value in Tollway "
        "(there are no VPC endpoints)",
    ]
    for _ in range(100):
        if all(part in server.log() for part in expected):
            break
        time.sleep(0.05)
    assert all(part in server.log() for part in expected)


def test_a_lambda_integration_receives_the_allowed_request(server: Server, apigw: Any, lam: Any,
                                                           http: httpx.Client) -> None:  # fmt: skip
    name = f"fn-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, (
        "import json\n"
        "def handler(event, context):\n"
        "    return {'statusCode': 200, 'body': json.dumps(event['requestContext'])}\n"
    ))  # fmt: skip
    api = apigw.create_rest_api(name="policy-lambda", policy=policy(
        statement("Allow", Condition={"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}})
    ))  # fmt: skip
    resource = add_path(apigw, api["id"], api["rootResourceId"], "/fn")
    add_method(apigw, api["id"], resource, "POST", {
        "type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(name)})  # fmt: skip
    deploy(apigw, api["id"])
    received = http.post(server.url(api["id"], "test", "/fn"), content=b"{}").json()
    assert received["identity"]["sourceIp"] == ALLOWED_IP
    assert received["identity"]["userArn"] is None  # an anonymous caller
    assert (received["httpMethod"], received["resourcePath"]) == ("POST", "/fn")
    assert "authorizer" not in received or not received["authorizer"]
