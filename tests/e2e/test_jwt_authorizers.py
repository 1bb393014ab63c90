"""HTTP API JWT authorizers end to end (spec §5.8): APIs made with boto3 `apigatewayv2`
against the real server, an OIDC issuer on loopback the tests start (discovery + JWKS of
generated RSA keys), a real Lambda function returning the event it received, httpx as the
client. Every outcome: allowed with claims, each refusal with AWS's status, body and
`www-authenticate`, scopes, forged tokens, key rotation, an unreachable issuer, an oversize
JWKS; claims in parameter mappings and the access log; the control plane's checks."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ACCOUNT, REGION, Server, aws_error, create_function
from tests.e2e.oidc_issuer import Issuers, serve_issuers
from tests.jwt_issuer import claims, hs256_with_public_key, tampered, token, unsigned

RETURN_EVENT = """
def handler(event, context):
    return event
"""
RETURN_EVENT_V1 = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""
UNAUTHORIZED = b'{"message":"Unauthorized"}'
FORBIDDEN = b'{"message":"Forbidden"}'


def challenge(description: str, scopes: str = "") -> str:
    return f'Bearer scope="{scopes}" error="invalid_token" error_description="{description}"'


@pytest.fixture(scope="module")
def issuers() -> Iterator[Issuers]:
    yield from serve_issuers()


@pytest.fixture(scope="module")
def v2(server: Server) -> Any:
    return server.client("apigatewayv2")


def _function(lam: Any, source: str) -> str:
    name = f"jwt-{uuid.uuid4().hex[:8]}"
    config = create_function(
        lam, name, source, source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*"
    )
    return str(config["FunctionArn"])


@pytest.fixture(scope="module")
def echo(lam: Any) -> str:
    return _function(lam, RETURN_EVENT)


@pytest.fixture(scope="module")
def echo_v1(lam: Any) -> str:
    return _function(lam, RETURN_EVENT_V1)


def jwt_api(v2: Any, target: dict[str, Any], issuer: str, *, scopes: list[str] | None = None,
            source: str = "$request.header.Authorization",
            audience: tuple[str, ...] = ("api",)) -> str:  # fmt: skip
    """An API whose `GET /secure` needs a JWT of `issuer`, deployed to `$default`."""
    api_id = str(v2.create_api(Name="jwt-e2e", ProtocolType="HTTP")["ApiId"])
    integration = v2.create_integration(ApiId=api_id, **target)["IntegrationId"]
    authorizer = v2.create_authorizer(
        ApiId=api_id, Name="oidc", AuthorizerType="JWT", IdentitySource=[source],
        JwtConfiguration={"Issuer": issuer, "Audience": list(audience)},
    )["AuthorizerId"]  # fmt: skip
    v2.create_route(
        ApiId=api_id, RouteKey="GET /secure", Target=f"integrations/{integration}",
        AuthorizationType="JWT", AuthorizerId=authorizer, AuthorizationScopes=scopes or [],
    )  # fmt: skip
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id


def lambda_target(arn: str, version: str = "2.0") -> dict[str, Any]:
    return {"IntegrationType": "AWS_PROXY", "IntegrationUri": arn, "PayloadFormatVersion": version}


def call(server: Server, http: httpx.Client, api_id: str, text: str | None = None,
         *, prefix: str = "Bearer ", query: str = "") -> httpx.Response:  # fmt: skip
    headers = {"Authorization": prefix + text} if text is not None else {}
    url = f"{server.gateway}/_aws/execute-api/{api_id}/secure" + (f"?{query}" if query else "")
    return http.get(url, headers=headers)


def refused(response: httpx.Response, description: str, scopes: str = "") -> None:
    assert (response.status_code, response.content) == (401, UNAUTHORIZED)
    assert response.headers["www-authenticate"] == challenge(description, scopes)
    assert response.headers["content-type"] == "application/json"


def test_a_valid_token_reaches_the_function_with_its_claims(
    v2: Any, echo: str, issuers: Issuers, server: Server, http: httpx.Client
) -> None:
    issuer = issuers.new("k1")
    api_id = jwt_api(v2, lambda_target(echo), issuer)
    payload = claims(issuer, email="a@example.com", groups=["admin", "dev"])
    response = call(server, http, api_id, token(payload))
    assert response.status_code == 200
    authorizer = response.json()["requestContext"]["authorizer"]
    assert authorizer == {
        "jwt": {
            "claims": {
                "iss": issuer, "sub": "user-1", "aud": "api", "email": "a@example.com",
                "iat": str(payload["iat"]), "exp": str(payload["exp"]), "groups": "[admin dev]",
            },
            "scopes": None,
        }
    }  # fmt: skip
    assert call(server, http, api_id, token(payload), prefix="").status_code == 200  # raw


def test_each_invalid_token_is_refused_with_its_reason(
    v2: Any, echo: str, issuers: Issuers, server: Server, http: httpx.Client
) -> None:
    issuer = issuers.new("k1")
    api_id = jwt_api(v2, lambda_target(echo), issuer)
    now = int(time.time())
    good = token(claims(issuer))
    cases = [
        (token(claims(issuer, exp=now - 5)), "the token has expired"),
        (token(claims(issuer, nbf=now + 3600)), "the token is not valid yet"),
        (token(claims("https://evil.example")), "the token does not have a valid issuer"),
        (token(claims(issuer, audience="other")), "the token does not have a valid audience"),
        (good[:-8] + "AAAAAAAA", "the token signature is invalid"),
        (tampered(good, sub="admin"), "the token signature is invalid"),
        (unsigned(claims(issuer)), "the token is not signed with a supported algorithm "
                                   "(RS256, RS384 or RS512)"),
        (hs256_with_public_key(claims(issuer)), "the token is not signed with a supported "
                                                "algorithm (RS256, RS384 or RS512)"),
        ("not.a.jwt", "the token is not a valid JWT"),
    ]  # fmt: skip
    for text, description in cases:
        refused(call(server, http, api_id, text), description)
    assert call(server, http, api_id, good).status_code == 200


def test_client_id_stands_for_a_missing_audience(
    v2: Any, echo: str, issuers: Issuers, server: Server, http: httpx.Client
) -> None:
    issuer = issuers.new("k1")
    api_id = jwt_api(v2, lambda_target(echo), issuer, audience=("client-7",))
    ok = call(server, http, api_id, token(claims(issuer, audience=None, client_id="client-7")))
    assert ok.status_code == 200
    assert ok.json()["requestContext"]["authorizer"]["jwt"]["claims"]["client_id"] == "client-7"
    other = call(server, http, api_id, token(claims(issuer, audience="x", client_id="client-7")))
    refused(other, "the token does not have a valid audience")


def test_no_token_is_401_without_a_challenge(
    v2: Any, echo: str, issuers: Issuers, server: Server, http: httpx.Client
) -> None:
    api_id = jwt_api(v2, lambda_target(echo), issuers.new("k1"))
    response = call(server, http, api_id)
    assert (response.status_code, response.content) == (401, UNAUTHORIZED)
    assert "www-authenticate" not in response.headers


def test_route_scopes(
    v2: Any, echo: str, issuers: Issuers, server: Server, http: httpx.Client
) -> None:
    issuer = issuers.new("k1")
    api_id = jwt_api(v2, lambda_target(echo), issuer, scopes=["pets:read", "pets:write"])
    missing = call(server, http, api_id, token(claims(issuer, scope="profile")))
    assert (missing.status_code, missing.content) == (403, FORBIDDEN)
    assert missing.headers["www-authenticate"] == (
        'Bearer scope="pets:read pets:write" error="insufficient_scope" '
        'error_description="the token does not have the required scope"'
    )
    ok = call(server, http, api_id, token(claims(issuer, scope="profile pets:write")))
    assert ok.status_code == 200
    assert ok.json()["requestContext"]["authorizer"]["jwt"]["scopes"] == ["profile", "pets:write"]
    refused(
        call(server, http, api_id, token(claims(issuer, audience="x", scope="pets:read"))),
        "the token does not have a valid audience",
        "pets:read pets:write",
    )


def test_token_in_the_query_string(
    v2: Any, echo: str, issuers: Issuers, server: Server, http: httpx.Client
) -> None:
    issuer = issuers.new("k1")
    api_id = jwt_api(v2, lambda_target(echo), issuer, source="$request.querystring.access_token")
    text = token(claims(issuer))
    assert call(server, http, api_id, query=f"access_token={text}").status_code == 200
    assert call(server, http, api_id, text).status_code == 401  # the header is not the source


def test_unknown_kid_then_key_rotation(
    v2: Any, echo: str, issuers: Issuers, server: Server, http: httpx.Client
) -> None:
    issuer = issuers.new("k1")
    tenant = issuer.rsplit("/", 1)[1]
    api_id = jwt_api(v2, lambda_target(echo), issuer)
    assert call(server, http, api_id, token(claims(issuer))).status_code == 200
    rotated = token(claims(issuer), kid="k2")
    refused(call(server, http, api_id, rotated),
            "the token's signing key (kid) is not in the issuer's key set")  # fmt: skip
    issuers.kids[tenant] = ["k1", "k2"]  # the issuer rotates: k2 is published
    assert call(server, http, api_id, rotated).status_code == 200


def test_a_flood_of_unknown_kids_does_not_hammer_the_issuer(
    v2: Any, echo: str, issuers: Issuers, server: Server, http: httpx.Client
) -> None:
    issuer = issuers.new("k1")
    tenant = issuer.rsplit("/", 1)[1]
    api_id = jwt_api(v2, lambda_target(echo), issuer)
    assert call(server, http, api_id, token(claims(issuer))).status_code == 200
    for n in range(20):
        forged = token(claims(issuer), kid=f"bad{n}", sign_with="k1")
        assert call(server, http, api_id, forged).status_code == 401
    fetches = [p for p in issuers.gets if p == f"/{tenant}/keys"]
    assert len(fetches) <= 1 + 3 + 1  # the first fetch, the burst, at most one refill


def test_an_unreachable_issuer_refuses(
    v2: Any, echo: str, server: Server, http: httpx.Client
) -> None:
    issuer = "http://127.0.0.1:9/nobody"  # the discard port: nothing listens
    api_id = jwt_api(v2, lambda_target(echo), issuer)
    refused(call(server, http, api_id, token(claims(issuer))),
            "unable to retrieve the issuer's signing keys")  # fmt: skip


def test_an_oversize_jwks_is_refused(
    v2: Any, echo: str, issuers: Issuers, server: Server, http: httpx.Client
) -> None:
    issuer = issuers.new("k1")
    issuers.oversize.add(issuer.rsplit("/", 1)[1])
    api_id = jwt_api(v2, lambda_target(echo), issuer)
    refused(call(server, http, api_id, token(claims(issuer))),
            "unable to retrieve the issuer's signing keys")  # fmt: skip
    assert "over the 150000 bytes API Gateway accepts" in server.log()


def test_payload_1_0_and_claims_in_parameter_mapping_and_access_log(
    v2: Any, echo_v1: str, issuers: Issuers, server: Server, http: httpx.Client, upstream: str
) -> None:
    issuer = issuers.new("k1")
    api_id = jwt_api(v2, lambda_target(echo_v1, "1.0"), issuer, scopes=["read"])
    text = token(claims(issuer, scope="read"))
    response = call(server, http, api_id, text)
    assert response.status_code == 200
    event = response.json()
    authorizer = event["requestContext"]["authorizer"]
    assert authorizer["claims"]["sub"] == "user-1"
    assert authorizer["scopes"] == ["read"]
    proxied = jwt_api(
        v2,
        {"IntegrationType": "HTTP_PROXY", "IntegrationMethod": "GET",
         "IntegrationUri": f"{upstream}/echo", "PayloadFormatVersion": "1.0",
         "RequestParameters": {"append:header.X-User": "$context.authorizer.claims.sub"}},
        issuer,
    )  # fmt: skip
    v2.update_stage(
        ApiId=proxied, StageName="$default",
        AccessLogSettings={"DestinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:jwt",
                           "Format": f"{proxied} $context.authorizer.claims.sub"},
    )  # fmt: skip
    echoed = call(server, http, proxied, token(claims(issuer))).json()
    assert ["X-User", "user-1"] in echoed["headers"]
    log = server.data_dir / "access.log"
    for _ in range(100):  # the sink flushes about once a second
        if log.exists() and f"{proxied} user-1" in log.read_text():
            break
        time.sleep(0.1)
    assert f"{proxied} user-1" in log.read_text().splitlines()


def test_control_plane_checks(v2: Any, issuers: Issuers) -> None:
    api_id = v2.create_api(Name="jwt-checks", ProtocolType="HTTP")["ApiId"]
    base = {"ApiId": api_id, "Name": "j", "AuthorizerType": "JWT",
            "IdentitySource": ["$request.header.Authorization"]}  # fmt: skip
    issuer = {"Issuer": "https://issuer.example", "Audience": ["a"]}
    cases = [
        ({"JwtConfiguration": {"Audience": ["a"]}},
         "JwtConfiguration.Issuer is required for JWT authorizers"),
        ({"JwtConfiguration": {**issuer, "Audience": [str(n) for n in range(51)]}},
         "JwtConfiguration.Audience can have at most 50 entries"),
        ({"JwtConfiguration": issuer, "IdentitySource": ["$request.header.A", "$request.header.B"]},
         "a JWT authorizer takes exactly one identity source"),
        ({"JwtConfiguration": issuer, "IdentitySource": ["$stageVariables.x"]},
         "Invalid identity source $stageVariables.x for a JWT authorizer: use "
         "$request.header.<name> or $request.querystring.<name>"),
        ({"JwtConfiguration": issuer, "AuthorizerResultTtlInSeconds": 60},
         "AuthorizerResultTtlInSeconds is not supported for JWT authorizers"),
    ]  # fmt: skip
    for fields, message in cases:
        assert aws_error(v2.create_authorizer, **{**base, **fields}) == (
            400, "BadRequestException", message,
        )  # fmt: skip
    authorizer = v2.create_authorizer(**base, JwtConfiguration=issuer)["AuthorizerId"]
    route = {"ApiId": api_id, "RouteKey": "GET /x"}
    assert aws_error(v2.create_route, **route, AuthorizationType="JWT", AuthorizerId=authorizer,
                     AuthorizationScopes=[f"s{n}" for n in range(11)]) == (
        400, "BadRequestException", "A route can have at most 10 AuthorizationScopes",
    )  # fmt: skip
    assert aws_error(v2.create_route, **route, AuthorizationScopes=["s"]) == (
        400, "BadRequestException",
        "Invalid Route authorization type specified. Authorization Scopes are only valid for "
        "COGNITO_USER_POOLS and JWT authorization types",
    )  # fmt: skip
    ws = v2.create_api(Name="ws", ProtocolType="WEBSOCKET",
                       RouteSelectionExpression="$request.body.action")["ApiId"]  # fmt: skip
    assert aws_error(v2.create_authorizer, **{**base, "ApiId": ws, "JwtConfiguration": issuer}) == (
        400, "BadRequestException", "JWT authorizers are supported only for HTTP APIs",
    )  # fmt: skip


def test_openapi_import_and_export(
    v2: Any, echo: str, issuers: Issuers, server: Server, http: httpx.Client
) -> None:
    issuer = issuers.new("k1")
    document = {
        "openapi": "3.0.1",
        "info": {"title": "jwt-import", "version": "1"},
        "paths": {
            "/secure": {
                "get": {
                    "security": [{"oidc": ["read"]}],
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy", "uri": echo, "payloadFormatVersion": "2.0",
                    },
                }
            }
        },
        "components": {
            "securitySchemes": {
                "oidc": {
                    "type": "oauth2",
                    "x-amazon-apigateway-authorizer": {
                        "type": "jwt",
                        "jwtConfiguration": {"issuer": issuer, "audience": ["api"]},
                    },
                }
            }
        },
    }  # fmt: skip
    api_id = v2.import_api(Body=json.dumps(document))["ApiId"]
    [authorizer] = v2.get_authorizers(ApiId=api_id)["Items"]
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    v2.create_deployment(ApiId=api_id, StageName="$default")
    assert call(server, http, api_id, token(claims(issuer, scope="read"))).status_code == 200
    assert call(server, http, api_id, token(claims(issuer))).status_code == 403
    exported = json.loads(
        v2.export_api(ApiId=api_id, Specification="OAS30", OutputType="JSON")["body"].read()
    )
    assert exported["paths"]["/secure"]["get"]["security"] == [{"oidc": ["read"]}]
    extension = exported["components"]["securitySchemes"]["oidc"]["x-amazon-apigateway-authorizer"]
    assert extension["jwtConfiguration"] == {"issuer": issuer, "audience": ["api"]}
    assert extension["type"] == "jwt"
