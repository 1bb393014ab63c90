"""The authorization scenarios: a REST MOCK route behind a cached Lambda TOKEN authorizer, and
an HTTP API HTTP_PROXY route behind a JWT authorizer.

Each is measured against the same route without authorization in the same run (the plain
MOCK, the plain HTTP API HTTP_PROXY): what authorizing a request costs once its result is
known (the Lambda authorizer's answer cached for 300 s; the JWT's keys fetched once), which is
what a client sending the same token over and over meets.

The JWT issuer is the upstream nginx: it answers the OIDC discovery document and the JWKS (an
RSA key generated for the run) from its configuration, so fetching them costs no Python of ours.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AUTHORIZER_FUNCTION = "bench-authorizer"
TOKEN = "allow-bench"
TOKEN_HEADER = f"Authorization: {TOKEN}"
SCHEME = "bench-token"
AUDIENCE = "tollway-bench"

AUTHORIZER_SOURCE = '''\
"""The benchmark's TOKEN authorizer: allows every method of the API for its one token."""


def handler(event, context):
    if event["authorizationToken"] != "allow-bench":
        raise Exception("Unauthorized")
    api = event["methodArn"].split("/", 1)[0]
    return {
        "principalId": "bench-user",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": api + "/*"}
            ],
        },
        "context": {"tier": "bench"},
    }
'''


def add_authorized_route(document: dict[str, Any], mock_operation: dict[str, Any]) -> None:
    """`/mock-authorized`: the MOCK route's operation, secured by the cached TOKEN authorizer."""
    uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        f"arn:aws:lambda:us-east-1:000000000000:function:{AUTHORIZER_FUNCTION}/invocations"
    )
    document["paths"]["/mock-authorized"] = {"get": {**mock_operation, "security": [{SCHEME: []}]}}
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes[SCHEME] = {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "x-amazon-apigateway-authtype": "custom",
        "x-amazon-apigateway-authorizer": {
            "type": "token",
            "authorizerUri": uri,
            "authorizerResultTtlInSeconds": 300,
        },
    }
    document["x-tollway-functions"][AUTHORIZER_FUNCTION] = {
        "handler": "app.handler",
        "code": "functions/authorizer",
        "timeout": 10,
    }


def write_authorizer(work: Path) -> None:
    code = work / "functions" / "authorizer"
    code.mkdir(parents=True, exist_ok=True)
    (code / "app.py").write_text(AUTHORIZER_SOURCE)


@dataclass(frozen=True)
class JwtIssuer:
    """The run's OIDC issuer: its two documents (for nginx to answer) and a token it signed."""

    issuer: str
    discovery: str  # the openid-configuration document
    jwks: str  # the JWKS document
    token: str

    @property
    def header(self) -> str:
        return f"Authorization: Bearer {self.token}"


def make_issuer(upstream_port: int) -> JwtIssuer:
    """An RSA key, the issuer's discovery document and JWKS, and a token valid for a day."""
    import jwt  # PyJWT, a Tollway dependency
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer = f"http://127.0.0.1:{upstream_port}"
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    public.update({"kid": "bench", "use": "sig", "alg": "RS256"})
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": "bench-user",
        "scope": "bench",
        "iat": now,
        "exp": now + 86_400,
    }
    return JwtIssuer(
        issuer=issuer,
        discovery=json.dumps({"issuer": issuer, "jwks_uri": f"{issuer}/jwks.json"}),
        jwks=json.dumps({"keys": [public]}),
        token=jwt.encode(claims, key, algorithm="RS256", headers={"kid": "bench"}),
    )


def issuer_locations(issuer: JwtIssuer) -> str:
    """nginx locations answering the issuer's documents (beside the upstream's fixed answer).
    Inline, not files: nginx's workers could not read the run's private temporary directory.
    JSON has no single quotes, so it fits nginx's quoted `return` string as it is."""
    return f"""\
        location = /.well-known/openid-configuration {{
            default_type application/json;
            return 200 '{issuer.discovery}';
        }}
        location = /jwks.json {{
            default_type application/json;
            return 200 '{issuer.jwks}';
        }}"""


def create_jwt_api(client: Any, upstream_url: str, issuer: JwtIssuer) -> str:
    """An HTTP API made by quick create (HTTP_PROXY to the upstream), its `$default` route then
    secured by a JWT authorizer; returns the API id."""
    api = client.create_api(Name="bench-http-jwt", ProtocolType="HTTP", Target=upstream_url)
    authorizer = client.create_authorizer(
        ApiId=api["ApiId"],
        Name="bench-jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": issuer.issuer, "Audience": [AUDIENCE]},
    )
    route = client.get_routes(ApiId=api["ApiId"])["Items"][0]
    client.update_route(
        ApiId=api["ApiId"],
        RouteId=route["RouteId"],
        AuthorizationType="JWT",
        AuthorizerId=authorizer["AuthorizerId"],
    )
    return str(api["ApiId"])
