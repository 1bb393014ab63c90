"""Trying to get around an HTTP API JWT authorizer (docs/security.md, "JWT authorizers"):
forged tokens (`alg: none` in any case, HS256 keyed with the public key, a `kid` of another
issuer's key, keys embedded in or linked from the token's header), tokens for another
audience or not valid yet, issuer spellings, repeated `Authorization` headers, path tricks
between a route without authorization and routes with it, and where the keys may be fetched
from (`file://`, redirects, other hosts).

The loopback issuer is tests/e2e/oidc_issuer.py; tokens are signed by tests/jwt_issuer.py.
The API: `GET /admin/{proxy+}` and `ANY /{proxy+}` need a JWT of the issuer for audience
`api`; `GET /public/{proxy+}` needs nothing; all call a function returning its event.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import jwt
import pytest

from tests.e2e import raw_http
from tests.e2e.conftest import ACCOUNT, REGION, Server, create_function, function_arn
from tests.e2e.oidc_issuer import Issuers, serve_issuers
from tests.e2e.test_http_api import RETURN_EVENT
from tests.jwt_issuer import claims, hs256_with_public_key, jwk, rsa_key, token

UNAUTHORIZED = {"message": "Unauthorized"}
ALGORITHM = "the token is not signed with a supported algorithm (RS256, RS384 or RS512)"
UNKNOWN_KID = "the token's signing key (kid) is not in the issuer's key set"
KEYS_UNAVAILABLE = "unable to retrieve the issuer's signing keys"


@pytest.fixture(scope="module")
def issuers() -> Iterator[Issuers]:
    yield from serve_issuers()


@pytest.fixture(scope="module")
def echo(lam: Any) -> str:
    name = f"sec-jwt-echo-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, RETURN_EVENT, source_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*")
    return function_arn(name)


def jwt_api(server: Server, echo: str, issuer: str) -> str:
    """The API described above, auto-deployed to `$default`."""
    v2 = server.client("apigatewayv2")
    api_id = str(v2.create_api(Name="security-jwt", ProtocolType="HTTP")["ApiId"])
    authorizer = v2.create_authorizer(
        ApiId=api_id, Name="oidc", AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": issuer, "Audience": ["api"]},
    )["AuthorizerId"]  # fmt: skip
    for key, kind in (("GET /admin/{proxy+}", "JWT"), ("ANY /{proxy+}", "JWT"),
                      ("GET /public/{proxy+}", "NONE")):  # fmt: skip
        integration = v2.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                            IntegrationUri=echo, PayloadFormatVersion="2.0")  # fmt: skip
        extra = {"AuthorizerId": authorizer} if kind == "JWT" else {}
        v2.create_route(ApiId=api_id, RouteKey=key, AuthorizationType=kind,
                        Target=f"integrations/{integration['IntegrationId']}", **extra)  # fmt: skip
    v2.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id


@pytest.fixture(scope="module")
def issuer(issuers: Issuers) -> str:
    return issuers.new("k1")


@pytest.fixture(scope="module")
def api(server: Server, echo: str, issuer: str) -> str:
    return jwt_api(server, echo, issuer)


def call(server: Server, api_id: str, path: str = "/admin/x",
         headers: Sequence[tuple[str, str]] = ()) -> raw_http.RawResponse:  # fmt: skip
    return raw_http.send(server.gateway, "GET", f"/_aws/execute-api/{api_id}{path}", headers)


def with_token(text: str) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {text}")]


def refused(response: raw_http.RawResponse, description: str) -> None:
    assert (response.status, response.json()) == (401, UNAUTHORIZED)
    assert response.header("www-authenticate") == (
        f'Bearer scope="" error="invalid_token" error_description="{description}"'
    )


def _b64(data: Any) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forged(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    return f"{_b64(header)}.{_b64(payload)}.{_b64(signature) if signature else ''}"


# --- forged tokens --------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_in_any_case_is_refused(server: Server, api: str, issuer: str, alg: str) -> None:
    text = forged({"alg": alg, "typ": "JWT", "kid": "k1"}, claims(issuer))
    refused(call(server, api, headers=with_token(text)), ALGORITHM)
    # with a signature part that is the real one of another token: still no
    real = token(claims(issuer)).rsplit(".", 1)[1]
    refused(call(server, api, headers=with_token(text + real)), ALGORITHM)


def test_hs256_keyed_with_the_public_key_is_refused(server: Server, api: str, issuer: str) -> None:
    refused(call(server, api, headers=with_token(hs256_with_public_key(claims(issuer)))), ALGORITHM)


def test_a_kid_of_another_issuers_key_is_refused(
    server: Server, api: str, issuer: str, issuers: Issuers
) -> None:
    other = issuers.new("other-k")
    # signed by the other issuer's key, claiming to be this issuer's token
    refused(
        call(server, api, headers=with_token(token(claims(issuer), kid="other-k"))), UNKNOWN_KID
    )
    # the other issuer's own valid token
    refused(call(server, api, headers=with_token(token(claims(other), kid="other-k"))), UNKNOWN_KID)
    # the right kid, signed by the other key
    wrong_key = token(claims(issuer), kid="k1", sign_with="other-k")
    refused(call(server, api, headers=with_token(wrong_key)), "the token signature is invalid")


def test_keys_embedded_in_or_linked_from_the_header_are_ignored(
    server: Server, api: str, issuer: str, issuers: Issuers
) -> None:
    """`jwk`, `jku` and `x5u` name a key the attacker controls: only the issuer's JWKS
    counts, and the linked URL is never fetched."""
    attacker = issuers.new("evil")
    linked = f"{attacker}/keys"
    headers = {"kid": "evil", "jwk": jwk("evil"), "jku": linked, "x5u": linked}
    text = jwt.encode(claims(issuer), rsa_key("evil"), algorithm="RS256", headers=headers)
    refused(call(server, api, headers=with_token(text)), UNKNOWN_KID)
    assert f"/{attacker.rsplit('/', 1)[1]}/keys" not in issuers.gets


# --- claims ---------------------------------------------------------------------------------


def test_a_token_for_another_audience_is_refused(server: Server, api: str, issuer: str) -> None:
    for audience in ("other", "API", "api ", ["other", "x"]):
        response = call(server, api, headers=with_token(token(claims(issuer, audience=audience))))
        refused(response, "the token does not have a valid audience")


def test_a_token_not_valid_yet_is_refused_however_long_it_lasts(
    server: Server, api: str, issuer: str
) -> None:
    now = int(time.time())
    later = claims(issuer, exp=now + 10 * 365 * 86400, nbf=now + 3600)
    refused(call(server, api, headers=with_token(token(later))), "the token is not valid yet")
    issued_later = claims(issuer, iat=now + 3600)
    refused(call(server, api, headers=with_token(token(issued_later))),
            "the token was issued in the future")  # fmt: skip


@pytest.mark.parametrize("suffix", ["/", "//", "/.", " ", "?x=1", "#"])
def test_issuer_spellings_are_not_the_issuer(
    server: Server, api: str, issuer: str, suffix: str
) -> None:
    text = token(claims(issuer + suffix))
    refused(call(server, api, headers=with_token(text)), "the token does not have a valid issuer")


def test_an_authorizer_issuer_with_a_trailing_slash_wants_exactly_that(
    server: Server, echo: str, issuer: str
) -> None:
    slashed = jwt_api(server, echo, issuer + "/")  # discovery: the same document
    refused(call(server, slashed, headers=with_token(token(claims(issuer)))),
            "the token does not have a valid issuer")  # fmt: skip
    assert call(server, slashed, headers=with_token(token(claims(issuer + "/")))).status == 200


# --- repeated headers -----------------------------------------------------------------------


@pytest.mark.parametrize("second", ["Authorization", "authorization"])
def test_two_authorization_headers_are_one_invalid_token(
    server: Server, api: str, issuer: str, second: str
) -> None:
    """HTTP APIs join a repeated header with commas: two tokens make no token, whichever is
    valid; the integration would have been shown the same joined text."""
    good = token(claims(issuer))
    for pair in ((good, "garbage"), ("garbage", good), (good, good)):
        headers = [("Authorization", f"Bearer {pair[0]}"), (second, f"Bearer {pair[1]}")]
        refused(call(server, api, headers=headers), "the token is not a valid JWT")


# --- path tricks ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/x", "//admin/x", "/admin//x", "/admin%2Fx", "/ADMIN/x",
                                  "/Public/x", "/public%2F..%2Fadmin"])  # fmt: skip
def test_paths_that_route_to_a_route_with_authorization_need_a_token(
    server: Server, api: str, path: str
) -> None:
    response = call(server, api, path)
    assert (response.status, response.json()) == (401, UNAUTHORIZED)


def test_dot_segments_stay_on_the_route_they_are_routed_to(server: Server, api: str) -> None:
    """`/public/../admin/x` is routed to `GET /public/{proxy+}`, which needs no token: the
    function is given the path as sent (`rawPath`, `proxy`) and must not resolve it into a
    resource it serves behind authorization (docs/security.md)."""
    response = call(server, api, "/public/../admin/x")
    assert response.status == 200
    event = response.json()
    assert (event["routeKey"], event["rawPath"]) == ("GET /public/{proxy+}", "/public/../admin/x")
    assert event["pathParameters"] == {"proxy": "../admin/x"}
    assert "authorizer" not in event["requestContext"]


# --- where keys are fetched from ------------------------------------------------------------


def test_a_jwks_uri_that_is_not_http_is_never_read(
    server: Server, echo: str, issuers: Issuers
) -> None:
    issuer = issuers.new("k1")
    issuers.jwks_uris[issuer.rsplit("/", 1)[1]] = "file:///etc/passwd"
    refused(call(server, jwt_api(server, echo, issuer), headers=with_token(token(claims(issuer)))),
            KEYS_UNAVAILABLE)  # fmt: skip
    assert "Invalid endpoint address file:///etc/passwd" in server.log()


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "{base}/elsewhere"])
def test_a_redirect_from_the_jwks_uri_is_not_followed(
    server: Server, echo: str, issuers: Issuers, target: str
) -> None:
    issuer = issuers.new("k1")
    issuers.redirects[issuer.rsplit("/", 1)[1]] = target.format(base=issuers.base)
    refused(call(server, jwt_api(server, echo, issuer), headers=with_token(token(claims(issuer)))),
            KEYS_UNAVAILABLE)  # fmt: skip
    assert "/elsewhere" not in issuers.gets
    assert f"JWKS {issuer}/keys answered HTTP 302" in server.log()


def test_a_jwks_uri_on_another_host_is_used(server: Server, echo: str, issuers: Issuers) -> None:
    """Issuers often serve their keys from another host (accounts.google.com's are on
    www.googleapis.com): any http(s) URL the discovery document names is fetched."""
    issuer = issuers.new("k1")
    tenant = issuer.rsplit("/", 1)[1]
    issuers.jwks_uris[tenant] = f"{issuers.base.replace('127.0.0.1', 'localhost')}/{tenant}/keys"
    response = call(
        server, jwt_api(server, echo, issuer), headers=with_token(token(claims(issuer)))
    )
    assert response.status == 200, response.body
