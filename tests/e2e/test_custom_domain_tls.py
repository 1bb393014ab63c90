"""The gateway's HTTPS listener: certificates imported into ACM served by SNI per custom
domain, the default certificate for other names, and mutual TLS with a truststore on S3
(moto): trusted, untrusted, expired and missing client certificates, and the client
certificate as REST (payload 1.0) and HTTP API (payload 2.0) functions see it."""

from __future__ import annotations

import datetime
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.e2e.certificates import (
    Issued,
    client_context,
    common_name,
    expired,
    https_get,
    issue,
)
from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_path,
    aws,
    create_function,
    deploy,
    function_arn,
    lambda_uri,
    mock_method,
    start_server,
)
from tests.e2e.test_custom_domains import ECHO_V1, ECHO_V2, proxy_api

# A REQUEST authorizer that allows what presents a client certificate, passing its subject on.
AUTHORIZER = """
def handler(event, context):
    cert = event["requestContext"]["identity"].get("clientCert") or {}
    return {"principalId": "client", "context": {"dn": cert.get("subjectDN", "none")},
            "policyDocument": {"Version": "2012-10-17", "Statement": [{
                "Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]}}
"""
FORBIDDEN = b'{"message":"Forbidden"}'
PLAIN = "plain.example.com"
MUTUAL = "mutual.example.com"


class Setup:
    def __init__(self, server: Server, port: int, root: Path) -> None:
        self.server = server
        self.port = port
        self.root = root
        self.ca = issue("Test CA", ca=True)
        self.ca_file = str(root / "ca.pem")
        Path(self.ca_file).write_bytes(self.ca.pem)
        self.client = issue("client.example.com", self.ca)
        self.rest_api = ""


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, moto: str) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("tls")
    server = start_server(
        root / "data",
        args=("--tls-port", "0", "--aws-endpoint", f"s3={moto}"),
        env={"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
    )
    line = next(x for x in server.lines if x.strip().startswith("gateway HTTPS:"))
    port = int(line.split()[2].rsplit(":", 1)[1])
    try:
        yield _configure(Setup(server, port, root), moto)
    finally:
        server.stop()


def _import(acm: Any, cert: Issued, chain: Issued) -> str:
    return str(
        acm.import_certificate(
            Certificate=cert.pem, PrivateKey=cert.key_pem, CertificateChain=chain.pem
        )["CertificateArn"]
    )


def _configure(s: Setup, moto: str) -> Setup:
    apigw, v2, acm, lam = (
        s.server.client(n) for n in ("apigateway", "apigatewayv2", "acm", "lambda")
    )
    s3 = aws(moto, "s3")
    bucket = f"trust-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    stale = expired("Stale CA", issue("Old root", ca=True))
    s3.put_object(Bucket=bucket, Key="truststore.pem", Body=s.ca.pem + stale.pem)

    rest_fn, http_fn = f"tls-{uuid.uuid4().hex[:8]}", f"tls2-{uuid.uuid4().hex[:8]}"
    any_source = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*"
    create_function(lam, rest_fn, ECHO_V1, source_arn=any_source)
    create_function(lam, http_fn, ECHO_V2, source_arn=any_source)
    api_id = proxy_api(apigw, rest_fn)
    root = apigw.get_resources(restApiId=api_id)["items"]
    root_id = next(r["id"] for r in root if r["path"] == "/")
    template = '{"dn": "$context.identity.clientCert.subjectDN", "path": "$context.path"}'
    mock_method(apigw, api_id, add_path(apigw, api_id, root_id, "/cert"), "GET", template)
    authorizer_fn = f"tls-authz-{uuid.uuid4().hex[:8]}"
    create_function(lam, authorizer_fn, AUTHORIZER, source_arn=any_source)
    authorizer = apigw.create_authorizer(
        restApiId=api_id, name="mtls", type="REQUEST", authorizerUri=lambda_uri(authorizer_fn),
        identitySource="context.requestId", authorizerResultTtlInSeconds=0,
    )["id"]  # fmt: skip
    guarded = add_path(apigw, api_id, root_id, "/guarded")
    template = '{"dn": "$context.authorizer.dn"}'
    mock_method(apigw, api_id, guarded, "GET", template)
    apigw.update_method(
        restApiId=api_id, resourceId=guarded, httpMethod="GET",
        patchOperations=[
            {"op": "replace", "path": "/authorizationType", "value": "CUSTOM"},
            {"op": "replace", "path": "/authorizerId", "value": authorizer},
        ],
    )  # fmt: skip
    deploy(apigw, api_id, "prod")
    s.rest_api = api_id
    http_api = v2.create_api(Name="tls", ProtocolType="HTTP", Target=function_arn(http_fn))["ApiId"]

    plain_arn = _import(acm, issue(PLAIN, s.ca, dns=PLAIN), s.ca)
    mutual_arn = _import(acm, issue(MUTUAL, s.ca, dns=MUTUAL), s.ca)
    apigw.create_domain_name(
        domainName=PLAIN,
        regionalCertificateArn=plain_arn,
        endpointConfiguration={"types": ["REGIONAL"]},
    )
    apigw.create_base_path_mapping(domainName=PLAIN, restApiId=api_id, stage="prod")
    created = apigw.create_domain_name(
        domainName=MUTUAL,
        regionalCertificateArn=mutual_arn,
        endpointConfiguration={"types": ["REGIONAL"]},
        securityPolicy="TLS_1_2",
        mutualTlsAuthentication={"truststoreUri": f"s3://{bucket}/truststore.pem"},
    )
    assert created["mutualTlsAuthentication"]["truststoreWarnings"] == [
        "Certificate 2 (CN=Stale CA) has expired"
    ]
    apigw.create_base_path_mapping(
        domainName=MUTUAL, restApiId=api_id, stage="prod", basePath="rest"
    )
    v2.create_api_mapping(DomainName=MUTUAL, ApiId=http_api, Stage="$default", ApiMappingKey="http")
    return s


def _openssl_time(moment: datetime.datetime) -> str:
    return f"{moment:%b} {moment.day:2d} {moment:%H:%M:%S %Y} GMT"


def _client(s: Setup, cert: Issued | None = None) -> ssl.SSLContext:
    files = cert.files(s.root, f"client-{uuid.uuid4().hex[:6]}") if cert else None
    return client_context(s.ca_file, files)


def test_sni_picks_each_domains_certificate(setup: Setup) -> None:
    status, body, presented = https_get(setup.port, PLAIN, "/pets", _client(setup))
    assert common_name(presented) == PLAIN
    event = orjson.loads(body)
    assert status == 200
    assert event["path"] == "/pets"
    assert event["headers"]["X-Forwarded-Proto"] == "https"
    assert "clientCert" not in event["requestContext"]["identity"]
    _, _, presented = https_get(setup.port, MUTUAL, "/rest/x", _client(setup, setup.client))
    assert common_name(presented) == MUTUAL
    # names without a certificate of their own get the default one
    unverified = client_context(None)
    host = f"{setup.rest_api}.execute-api.localhost"
    status, body, presented = https_get(
        setup.port, "other.example.org", "/prod/x", unverified, host
    )
    assert common_name(presented) == "tollway"
    assert (status, orjson.loads(body)["requestContext"]["stage"]) == (200, "prod")


def test_a_trusted_client_certificate_reaches_the_functions(setup: Setup) -> None:
    context = _client(setup, setup.client)
    status, body, _ = https_get(setup.port, MUTUAL, "/rest/pets?a=1", context)
    assert status == 200
    event = orjson.loads(body)
    assert event["path"] == "/rest/pets"
    cert = event["requestContext"]["identity"]["clientCert"]
    x509 = setup.client.cert
    serial = x509.serial_number.to_bytes((x509.serial_number.bit_length() + 7) // 8, "big")
    assert cert == {
        "clientCertPem": setup.client.pem.decode(),
        "subjectDN": "CN=client.example.com",
        "issuerDN": "CN=Test CA",
        "serialNumber": ":".join(f"{b:02x}" for b in serial),
        "validity": {
            "notBefore": _openssl_time(x509.not_valid_before_utc),
            "notAfter": _openssl_time(x509.not_valid_after_utc),
        },
    }
    status, body, _ = https_get(setup.port, MUTUAL, "/rest/cert", context)
    assert orjson.loads(body) == {"dn": "CN=client.example.com", "path": "/rest/cert"}
    status, body, _ = https_get(setup.port, MUTUAL, "/rest/guarded", context)
    assert (status, orjson.loads(body)) == (200, {"dn": "CN=client.example.com"})
    status, body, _ = https_get(setup.port, MUTUAL, "/http/items", context)
    event = orjson.loads(body)
    assert (status, event["rawPath"]) == (200, "/http/items")
    assert event["requestContext"]["authentication"] == {"clientCert": cert}


@pytest.mark.parametrize("which", ["untrusted", "expired"])
def test_bad_client_certificates_fail_the_handshake(setup: Setup, which: str) -> None:
    other_ca = issue("Other CA", ca=True)
    cert = issue("client", other_ca) if which == "untrusted" else expired("client", setup.ca)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        https_get(setup.port, MUTUAL, "/rest/x", _client(setup, cert))


def test_no_client_certificate_is_forbidden(setup: Setup, http: httpx.Client) -> None:
    status, body, _ = https_get(setup.port, MUTUAL, "/rest/x", _client(setup))
    assert (status, body) == (403, FORBIDDEN)
    # a connection verified for another name cannot reach the mTLS domain by its Host
    context = _client(setup, setup.client)
    status, body, _ = https_get(setup.port, PLAIN, "/rest/x", context, host=MUTUAL)
    assert (status, body) == (403, FORBIDDEN)
    # nor can plain HTTP
    response = http.get(f"{setup.server.gateway}/rest/x", headers={"Host": MUTUAL})
    assert (response.status_code, response.content) == (403, FORBIDDEN)
