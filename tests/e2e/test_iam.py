"""AWS_IAM end to end (spec §5.3): a server started with an identities file, REST methods and
HTTP API routes created with boto3, requests signed by botocore's own signer (SigV4 header
and presigned URLs) and sent with httpx. Every outcome with AWS's status, body and headers,
and what the integration received."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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
    function_arn,
    lambda_uri,
    new_api,
    serve_with_identities,
)
from tests.e2e.test_http_api import RETURN_EVENT
from tests.e2e.test_http_api import RETURN_EVENT_V1 as ECHO_EVENT
from tests.signing import MISMATCH, signed_request

IDENTITIES = """
users:
  - name: alice
    accessKeys: [{accessKeyId: AKIAALICE, secretAccessKey: alice-secret}]
    sessions:
      - accessKeyId: ASIAEXPIRED
        secretAccessKey: expired-secret
        sessionToken: old-token
        expiration: "2020-01-01T00:00:00Z"
    policies:
      api:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:*/*/GET/*"}
          - {Effect: Allow, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:*/*/POST/pets"}
          - {Effect: Deny, Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:*:*:*/*/*/secret"}
  - name: bob
    accessKeys: [{accessKeyId: AKIABOB, secretAccessKey: bob-secret}]
roles:
  - name: reader
    id: AROAREADER
    sessions:
      - sessionName: job-7
        accessKeyId: ASIAREADER
        secretAccessKey: reader-secret
        sessionToken: reader-token
        expiration: "2100-01-01T00:00:00Z"
    policies:
      - Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: "execute-api:*"
            Resource: ["arn:aws:execute-api:us-east-1:*:*/*/GET/pets/*", "arn:aws:execute-api:*:*:*/test/GET/whoami"]
"""

ALICE = {"key": "AKIAALICE", "secret": "alice-secret"}
BOB = {"key": "AKIABOB", "secret": "bob-secret"}
READER = {"key": "ASIAREADER", "secret": "reader-secret", "token": "reader-token"}
ALICE_ARN = f"arn:aws:iam::{ACCOUNT}:user/alice"


@pytest.fixture(scope="module")
def iam_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve_with_identities(tmp_path_factory, "iam", IDENTITIES)


@pytest.fixture(scope="module")
def clients(iam_server: Server) -> tuple[Any, Any, Any]:
    return (
        iam_server.client("apigateway"),
        iam_server.client("lambda"),
        iam_server.client("apigatewayv2"),
    )


def _method(apigw: Any, api_id: str, resource: str, verb: str, integration: dict[str, Any]) -> None:
    apigw.put_method(
        restApiId=api_id, resourceId=resource, httpMethod=verb, authorizationType="AWS_IAM"
    )
    apigw.put_integration(restApiId=api_id, resourceId=resource, httpMethod=verb, **integration)


@pytest.fixture(scope="module")
def rest_api(clients: tuple[Any, Any, Any]) -> str:
    apigw, lam, _ = clients
    name = f"iam-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, ECHO_EVENT)
    proxy = {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(name)}
    api_id, root = new_api(apigw, "iam")
    for path, verb in (("/pets/{id}", "GET"), ("/pets", "POST"), ("/secret", "GET"),
                       ("/files/{name}", "GET")):  # fmt: skip
        _method(apigw, api_id, add_path(apigw, api_id, root, path), verb, proxy)
    whoami = add_path(apigw, api_id, root, "/whoami")
    _method(apigw, api_id, whoami, "GET", {
        "type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'},
    })  # fmt: skip
    apigw.put_method_response(
        restApiId=api_id, resourceId=whoami, httpMethod="GET", statusCode="200"
    )
    template = (
        '{"userArn": "$context.identity.userArn", "caller": "$context.identity.caller", '
        '"user": "$context.identity.user", "accessKey": "$context.identity.accessKey", '
        '"accountId": "$context.identity.accountId", '
        '"authorization": "$input.params(\'Authorization\')"}'
    )
    apigw.put_integration_response(
        restApiId=api_id, resourceId=whoami, httpMethod="GET", statusCode="200",
        responseTemplates={"application/json": template},
    )  # fmt: skip
    deploy(apigw, api_id, "test")
    return api_id


def send(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    sent_body: bytes | None = None,
    sent_url: str | None = None,
    **signing: Any,
) -> httpx.Response:
    """Signs with botocore and sends with httpx; `sent_*` replace what was signed."""
    request = signed_request(url, method, body, headers, **signing)
    return http.request(
        method,
        sent_url or request.url,
        headers=dict(request.headers.items()),
        content=body if sent_body is None else sent_body,
    )


def arn(api_id: str, rest: str) -> str:
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/test/{rest}"


def test_an_allowed_caller_reaches_the_function_as_itself(
    iam_server: Server, rest_api: str, http: httpx.Client
) -> None:
    response = send(http, "GET", iam_server.url(rest_api, "test", "/pets/7"), **ALICE)
    assert response.status_code == 200, response.text
    event = response.json()
    identity = event["requestContext"]["identity"]
    assert identity["accessKey"] == "AKIAALICE"
    assert identity["accountId"] == ACCOUNT
    assert identity["userArn"] == ALICE_ARN
    assert identity["caller"] == identity["user"]
    assert identity["caller"].startswith("AIDA")
    assert identity["sourceIp"] == "127.0.0.1"
    # The SigV4 Authorization header never reaches a REST integration.
    assert "Authorization" not in event["headers"]
    assert "X-Amz-Date" in event["headers"]


def test_identity_in_a_mapping_template(
    iam_server: Server, rest_api: str, http: httpx.Client
) -> None:
    response = send(http, "GET", iam_server.url(rest_api, "test", "/whoami"), **READER)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "userArn": f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/job-7",
        "caller": "AROAREADER:job-7",
        "user": "AROAREADER:job-7",
        "accessKey": "ASIAREADER",
        "accountId": ACCOUNT,
        "authorization": "",
    }


def test_host_based_invocation(iam_server: Server, rest_api: str, http: httpx.Client) -> None:
    host = iam_server.host(rest_api)
    port = iam_server.gateway.rsplit(":", 1)[1]
    response = send(
        http,
        "GET",
        f"http://{host}:{port}/test/pets/1?b=2&a=1&a=0",
        headers={"Host": f"{host}:{port}"},
        sent_url=f"{iam_server.gateway}/test/pets/1?b=2&a=1&a=0",
        **ALICE,
    )
    assert response.status_code == 200, response.text
    assert response.json()["multiValueQueryStringParameters"] == {"b": ["2"], "a": ["1", "0"]}


@pytest.mark.parametrize(
    "segment",
    ["a%20b", "x%2Fy", "%E2%82%AC-caf%C3%A9"],
    ids=["space", "encoded-slash", "unicode"],
)
def test_paths_as_aws_canonicalizes_them(
    iam_server: Server, rest_api: str, http: httpx.Client, segment: str
) -> None:
    """The signature covers the path as sent, percent-encoded once more, as botocore signs
    it for execute-api (dot segments: tests/unit/auth/test_sigv4.py; httpx removes them)."""
    url = iam_server.url(rest_api, "test", f"/files/{segment}")
    response = send(http, "GET", url, **ALICE)
    assert response.status_code == 200, response.text
    assert response.json()["resource"] == "/files/{name}"


def test_a_body_is_signed(iam_server: Server, rest_api: str, http: httpx.Client) -> None:
    url = iam_server.url(rest_api, "test", "/pets")
    body = b'{"name": "rex"}'
    response = send(http, "POST", url, body=body, headers={"Content-Type": "application/json"},
                    **ALICE)  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["body"] == body.decode()
    tampered = send(http, "POST", url, body=body, sent_body=b'{"name": "max"}', **ALICE)
    assert tampered.status_code == 403
    assert tampered.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert tampered.json()["message"].startswith(MISMATCH + "\n\nThe Canonical String")


def test_a_tampered_query_fails(iam_server: Server, rest_api: str, http: httpx.Client) -> None:
    url = iam_server.url(rest_api, "test", "/pets/1?amount=1")
    response = send(http, "GET", url, sent_url=url.replace("amount=1", "amount=1000"), **ALICE)
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert "\namount=1000\n" in response.json()["message"]


def _refusal(response: httpx.Response) -> tuple[int, str, Any]:
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-RequestId"]
    return response.status_code, response.headers["x-amzn-ErrorType"], response.json()


def test_policies_deny_implicitly_and_explicitly(
    iam_server: Server, rest_api: str, http: httpx.Client
) -> None:
    url = iam_server.url(rest_api, "test", "/pets/1")
    assert _refusal(send(http, "GET", url, **BOB)) == (
        403,
        "AccessDeniedException",
        {
            "Message": f"User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: "
            f"execute-api:Invoke on resource: {arn(rest_api, 'GET/pets/1')}"
        },
    )
    secret = iam_server.url(rest_api, "test", "/secret")
    assert _refusal(send(http, "GET", secret, **ALICE)) == (
        403,
        "AccessDeniedException",
        {
            "Message": f"User: {ALICE_ARN} is not authorized to perform: execute-api:Invoke on "
            f"resource: {arn(rest_api, 'GET/secret')} with an explicit deny"
        },
    )


@pytest.mark.parametrize("path", ["/secret/", "//secret", "/secret//"])
def test_slashes_do_not_get_around_a_deny(
    iam_server: Server, rest_api: str, http: httpx.Client, path: str
) -> None:
    """Routing ignores repeated and trailing slashes, so the ARN policies see does too."""
    response = send(http, "GET", iam_server.url(rest_api, "test", path), **ALICE)
    assert _refusal(response) == (
        403,
        "AccessDeniedException",
        {
            "Message": f"User: {ALICE_ARN} is not authorized to perform: execute-api:Invoke on "
            f"resource: {arn(rest_api, 'GET/secret')} with an explicit deny"
        },
    )


def test_wildcard_resources(iam_server: Server, rest_api: str, http: httpx.Client) -> None:
    """The reader's `*/*/GET/pets/*` allows any pet and nothing else."""
    assert (
        send(http, "GET", iam_server.url(rest_api, "test", "/pets/9"), **READER).status_code == 200
    )
    refused = send(http, "GET", iam_server.url(rest_api, "test", "/files/x"), **READER)
    assert refused.status_code == 403
    assert refused.json()["Message"].startswith(
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/reader/job-7 is not authorized"
    )


def test_unsigned_and_malformed(iam_server: Server, rest_api: str, http: httpx.Client) -> None:
    url = iam_server.url(rest_api, "test", "/pets/1")
    assert _refusal(http.get(url)) == (
        403,
        "MissingAuthenticationTokenException",
        {"message": "Missing Authentication Token"},
    )
    assert _refusal(http.get(url, headers={"Authorization": "Basic dXNlcjpwYXNz"})) == (
        403,
        "IncompleteSignatureException",
        {
            "message": "Authorization header requires 'Credential' parameter. Authorization "
            "header requires 'Signature' parameter. Authorization header requires "
            "'SignedHeaders' parameter. Authorization header requires existence of either a "
            "'X-Amz-Date' or a 'Date' header. Authorization=Basic dXNlcjpwYXNz"
        },
    )


def test_unknown_key_and_wrong_secret(
    iam_server: Server, rest_api: str, http: httpx.Client
) -> None:
    url = iam_server.url(rest_api, "test", "/pets/1")
    assert _refusal(send(http, "GET", url, key="AKIANOBODY", secret="x")) == (
        403,
        "UnrecognizedClientException",
        {"message": "The security token included in the request is invalid."},
    )
    status, error_type, body = _refusal(send(http, "GET", url, key="AKIAALICE", secret="guess"))
    assert (status, error_type) == (403, "InvalidSignatureException")
    path = f"/_aws/execute-api/{rest_api}/test/pets/1"
    assert body["message"].startswith(
        f"{MISMATCH}\n\nThe Canonical String for this request should have been\n'GET\n{path}\n\n"
    )
    assert "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n" in body["message"]


def test_expired_temporary_credentials(
    iam_server: Server, rest_api: str, http: httpx.Client
) -> None:
    url = iam_server.url(rest_api, "test", "/pets/1")
    response = send(http, "GET", url, key="ASIAEXPIRED", secret="expired-secret", token="old-token")
    assert _refusal(response) == (
        403,
        "ExpiredTokenException",
        {"message": "The security token included in the request is expired"},
    )
    wrong_token = send(http, "GET", url, key="ASIAREADER", secret="reader-secret", token="forged")
    assert _refusal(wrong_token) == (
        403,
        "UnrecognizedClientException",
        {"message": "The security token included in the request is invalid"},
    )


def test_a_skewed_clock(iam_server: Server, rest_api: str, http: httpx.Client) -> None:
    url = iam_server.url(rest_api, "test", "/pets/1")
    at = datetime.now(UTC) - timedelta(minutes=10)
    status, error_type, body = _refusal(send(http, "GET", url, at=at, **ALICE))
    assert (status, error_type) == (403, "InvalidSignatureException")
    stamp = at.strftime("%Y%m%dT%H%M%SZ")
    assert body["message"].startswith(f"Signature expired: {stamp} is now earlier than ")
    assert body["message"].endswith(" - 5 min.)")
    ahead = datetime.now(UTC) + timedelta(minutes=10)
    body = _refusal(send(http, "GET", url, at=ahead, **ALICE))[2]
    assert body["message"].startswith("Signature not yet current: ")


def test_presigned_urls(iam_server: Server, rest_api: str, http: httpx.Client) -> None:
    url = iam_server.url(rest_api, "test", "/pets/3?color=red")
    presigned = signed_request(url, presign=300, **READER).url
    assert "X-Amz-Signature=" in presigned
    response = http.get(presigned)  # no header of any kind: the URL is the credential
    assert response.status_code == 200, response.text
    event = response.json()
    assert event["requestContext"]["identity"]["accessKey"] == "ASIAREADER"
    assert event["queryStringParameters"]["color"] == "red"
    old = signed_request(url, presign=60, at=datetime.now(UTC) - timedelta(minutes=2), **READER)
    status, error_type, body = _refusal(http.get(old.url))
    assert (status, error_type) == (403, "InvalidSignatureException")
    assert body["message"].startswith("Signature expired: ")
    assert body["message"].endswith(" - 60 sec.)")


# --- HTTP APIs ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def http_api(clients: tuple[Any, Any, Any]) -> str:
    _, lam, v2 = clients
    name = f"iam-http-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, RETURN_EVENT, source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*")
    api_id = str(v2.create_api(Name="iam-http", ProtocolType="HTTP")["ApiId"])
    integration = v2.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationUri=function_arn(name),
        PayloadFormatVersion="2.0",
    )["IntegrationId"]
    for key in ("GET /pets/{id}", "GET /secret"):
        v2.create_route(
            ApiId=api_id,
            RouteKey=key,
            AuthorizationType="AWS_IAM",
            Target=f"integrations/{integration}",
        )
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id


def test_http_api_route_allowed(iam_server: Server, http_api: str, http: httpx.Client) -> None:
    url = f"{iam_server.gateway}/_aws/execute-api/{http_api}/pets/5"
    response = send(http, "GET", url, **READER)
    assert response.status_code == 200, response.text
    event = response.json()
    assert event["requestContext"]["authorizer"] == {
        "iam": {
            "accessKey": "ASIAREADER",
            "accountId": ACCOUNT,
            "callerId": "AROAREADER:job-7",
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/job-7",
            "userId": "AROAREADER:job-7",
        }
    }


def test_http_api_route_refusals(iam_server: Server, http_api: str, http: httpx.Client) -> None:
    url = f"{iam_server.gateway}/_aws/execute-api/{http_api}"
    for response in (
        send(http, "GET", f"{url}/secret", **ALICE),  # explicit deny
        send(http, "GET", f"{url}/pets/1", **BOB),  # nothing allows
        http.get(f"{url}/pets/1"),  # unsigned
    ):
        assert response.status_code == 403
        assert response.json() == {"message": "Forbidden"}
        assert "x-amzn-ErrorType" not in response.headers
        assert response.headers["apigw-requestid"]
    bad = send(http, "GET", f"{url}/pets/1", key="AKIAALICE", secret="guess")
    assert bad.status_code == 403
    assert bad.json()["message"].startswith(MISMATCH)


def test_identities_are_listed_at_start(iam_server: Server) -> None:
    assert any("identities:    4 access keys from" in line for line in iam_server.lines)
    assert not any("calls must be SigV4-signed" in line for line in iam_server.lines)


OPENAPI = """
openapi: 3.0.1
info: {title: iam-openapi, version: "1"}
components:
  securitySchemes:
    sigv4: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}
paths:
  /pets/{id}:
    get:
      security: [{sigv4: []}]
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"caller": "$context.identity.userArn"}'}
"""


def test_an_openapi_sigv4_security_scheme(
    iam_server: Server, clients: tuple[Any, Any, Any], http: httpx.Client
) -> None:
    apigw = clients[0]
    api_id = apigw.import_rest_api(body=OPENAPI.encode())["id"]
    deploy(apigw, api_id, "test")
    url = iam_server.url(api_id, "test", "/pets/1")
    assert http.get(url).status_code == 403
    response = send(http, "GET", url, **ALICE)
    assert response.status_code == 200, response.text
    assert response.json() == {"caller": ALICE_ARN}
