"""The control plane of custom domains: apigateway DomainName and BasePathMapping, their
sharing with apigatewayv2 DomainName and ApiMapping, and the ACM subset certificates are
imported with; AWS's errors, through boto3."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.certificates import expired, issue
from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    add_path,
    aws_error,
    deploy,
    mock_method,
    new_api,
    shape,
)


@pytest.fixture(scope="module")
def v2(server: Server) -> Any:
    return server.client("apigatewayv2")


@pytest.fixture(scope="module")
def acm(server: Server) -> Any:
    return server.client("acm")


@pytest.fixture(scope="module")
def rest_api(apigw: Any) -> str:
    api_id, root = new_api(apigw, "domains-control")
    mock_method(apigw, api_id, add_path(apigw, api_id, root, "/x"), "GET", "{}")
    deploy(apigw, api_id, "prod")
    return api_id


def _name() -> str:
    return f"d{uuid.uuid4().hex[:8]}.example.com"


def test_rest_domain_names(apigw: Any, v2: Any) -> None:
    name = _name()
    arn = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/abc"
    created = shape(
        apigw.create_domain_name(
            domainName=name,
            regionalCertificateArn=arn,
            endpointConfiguration={"types": ["REGIONAL"]},
            securityPolicy="TLS_1_2",
            tags={"team": "a"},
        )
    )
    assert created["domainName"] == name
    assert created["regionalCertificateArn"] == arn
    assert created["regionalDomainName"].endswith(f".execute-api.{REGION}.amazonaws.com")
    assert created["endpointConfiguration"] == {"types": ["REGIONAL"], "ipAddressType": "ipv4"}
    assert (created["domainNameStatus"], created["securityPolicy"]) == ("AVAILABLE", "TLS_1_2")
    assert created["tags"] == {"team": "a"}
    assert "certificateArn" not in created and "mutualTlsAuthentication" not in created
    assert shape(apigw.get_domain_name(domainName=name)) == created
    assert name in {d["domainName"] for d in apigw.get_domain_names(limit=500)["items"]}
    # one resource: apigatewayv2 sees it
    [config] = v2.get_domain_name(DomainName=name)["DomainNameConfigurations"]
    assert (config["CertificateArn"], config["EndpointType"]) == (arn, "REGIONAL")
    assert config["ApiGatewayDomainName"] == created["regionalDomainName"]

    updated = apigw.update_domain_name(
        domainName=name,
        patchOperations=[{"op": "replace", "path": "/regionalCertificateArn", "value": arn + "2"}],
    )
    assert updated["regionalCertificateArn"] == arn + "2"
    assert aws_error(
        apigw.update_domain_name,
        domainName=name,
        patchOperations=[{"op": "replace", "path": "/domainName", "value": "x"}],
    )[:2] == (400, "BadRequestException")

    edge = shape(apigw.create_domain_name(domainName=_name(), certificateArn=arn))
    assert edge["endpointConfiguration"]["types"] == ["EDGE"]
    assert edge["distributionDomainName"].endswith(".cloudfront.net")
    assert edge["distributionHostedZoneId"] == "Z2FDTNDATAQYW2"
    assert edge["certificateArn"] == arn

    assert aws_error(apigw.create_domain_name, domainName=name, certificateArn=arn) == (
        409,
        "ConflictException",
        "The domain name you provided already exists.",
    )
    for call in (apigw.get_domain_name, apigw.delete_domain_name, apigw.get_base_path_mappings):
        assert aws_error(call, domainName="nope.example.com") == (
            404,
            "NotFoundException",
            "Invalid domain name identifier specified",
        )
    apigw.delete_domain_name(domainName=name)
    assert aws_error(v2.get_domain_name, DomainName=name)[:2] == (404, "NotFoundException")


def test_v2_domains_are_seen_by_apigateway(apigw: Any, v2: Any) -> None:
    name = _name()
    v2.create_domain_name(
        DomainName=name, DomainNameConfigurations=[{"CertificateArn": "arn:aws:acm:x"}]
    )
    got = apigw.get_domain_name(domainName=name)
    assert got["regionalCertificateArn"] == "arn:aws:acm:x"
    assert got["endpointConfiguration"]["types"] == ["REGIONAL"]
    apigw.delete_domain_name(domainName=name)
    assert aws_error(v2.get_domain_name, DomainName=name)[:2] == (404, "NotFoundException")


def test_base_path_mappings(apigw: Any, v2: Any, rest_api: str) -> None:
    name = _name()
    apigw.create_domain_name(domainName=name, certificateArn="arn:aws:acm:x")
    none = shape(apigw.create_base_path_mapping(domainName=name, restApiId=rest_api, stage="prod"))
    assert none == {"basePath": "(none)", "restApiId": rest_api, "stage": "prod"}
    v1 = shape(
        apigw.create_base_path_mapping(
            domainName=name, restApiId=rest_api, stage="prod", basePath="v1"
        )
    )
    assert v1 == {"basePath": "v1", "restApiId": rest_api, "stage": "prod"}
    assert apigw.get_base_path_mapping(domainName=name, basePath="(none)")["basePath"] == "(none)"
    items = apigw.get_base_path_mappings(domainName=name)["items"]
    assert sorted(m["basePath"] for m in items) == ["(none)", "v1"]
    # the same records are v2 API mappings; the empty key is `(none)`
    keys = {m["ApiMappingKey"] for m in v2.get_api_mappings(DomainName=name)["Items"]}
    assert keys == {"", "v1"}

    errors = [
        ({"restApiId": rest_api, "stage": "prod", "basePath": "v1"},
         (409, "ConflictException", "Base path already exists for this domain name")),
        ({"restApiId": "nope", "stage": "prod", "basePath": "v2"},
         (400, "BadRequestException", "Invalid REST API identifier specified")),
        ({"restApiId": rest_api, "stage": "nope", "basePath": "v2"},
         (400, "BadRequestException", "Invalid stage identifier specified")),
    ]  # fmt: skip
    for kwargs, expected in errors:
        assert aws_error(apigw.create_base_path_mapping, domainName=name, **kwargs) == expected
    status, code, _ = aws_error(
        apigw.create_base_path_mapping, domainName=name, restApiId=rest_api, basePath="a/b"
    )
    assert (status, code) == (400, "BadRequestException")
    # a v2 mapping with a key apigateway already uses conflicts too
    assert aws_error(
        v2.create_api_mapping, DomainName=name, ApiId=rest_api, Stage="prod", ApiMappingKey="v1"
    )[:2] == (409, "ConflictException")
    assert aws_error(apigw.get_base_path_mapping, domainName=name, basePath="v9") == (
        404,
        "NotFoundException",
        "Invalid base path mapping identifier specified",
    )

    moved = apigw.update_base_path_mapping(
        domainName=name,
        basePath="v1",
        patchOperations=[{"op": "replace", "path": "/basePath", "value": "v2"}],
    )
    assert moved["basePath"] == "v2"
    assert aws_error(
        apigw.update_base_path_mapping,
        domainName=name,
        basePath="v2",
        patchOperations=[{"op": "replace", "path": "/stage", "value": "nope"}],
    ) == (400, "BadRequestException", "Invalid stage identifier specified")
    assert aws_error(
        apigw.update_base_path_mapping,
        domainName=name,
        basePath="v2",
        patchOperations=[{"op": "add", "path": "/stage", "value": "prod"}],
    )[:2] == (400, "BadRequestException")
    apigw.delete_base_path_mapping(domainName=name, basePath="(none)")
    assert [m["basePath"] for m in apigw.get_base_path_mappings(domainName=name)["items"]] == ["v2"]
    apigw.delete_domain_name(domainName=name)
    assert aws_error(apigw.get_base_path_mappings, domainName=name)[:2] == (
        404,
        "NotFoundException",
    )


def test_acm_certificates(acm: Any, apigw: Any) -> None:
    ca = issue("Test CA", ca=True)
    server = issue("www.example.com", ca, dns="www.example.com")
    arn = acm.import_certificate(
        Certificate=server.pem, PrivateKey=server.key_pem, CertificateChain=ca.pem
    )["CertificateArn"]
    assert arn.startswith(f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/")
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["DomainName"] == "www.example.com"
    assert detail["SubjectAlternativeNames"] == ["www.example.com"]
    assert (detail["Status"], detail["Type"], detail["KeyAlgorithm"]) == (
        "ISSUED",
        "IMPORTED",
        "EC_prime256v1",
    )
    assert detail["Subject"] == "CN=www.example.com" and detail["Issuer"] == "CN=Test CA"
    assert detail["InUseBy"] == []
    got = acm.get_certificate(CertificateArn=arn)
    assert (got["Certificate"], got["CertificateChain"]) == (server.pem.decode(), ca.pem.decode())
    assert arn in {c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"]}

    domain = _name()
    apigw.create_domain_name(
        domainName=domain, regionalCertificateArn=arn, endpointConfiguration={"types": ["REGIONAL"]}
    )
    in_use = [f"arn:aws:apigateway:{REGION}::/domainnames/{domain}"]
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["InUseBy"] == in_use
    assert aws_error(acm.delete_certificate, CertificateArn=arn) == (
        400,
        "ResourceInUseException",
        f"Certificate {arn} is in use.",
    )
    apigw.delete_domain_name(domainName=domain)
    acm.delete_certificate(CertificateArn=arn)
    assert aws_error(acm.describe_certificate, CertificateArn=arn) == (
        400,
        "ResourceNotFoundException",
        f"Could not find certificate {arn}.",
    )
    other = issue("other", ca)
    assert aws_error(acm.import_certificate, Certificate=server.pem, PrivateKey=other.key_pem) == (
        400,
        "ValidationException",
        "The private key does not match the public key in the certificate.",
    )
    assert aws_error(acm.import_certificate, Certificate=b"junk", PrivateKey=other.key_pem)[:2] == (
        400,
        "ValidationException",
    )


def test_truststores_are_checked(apigw: Any, v2: Any, tmp_path: Path) -> None:
    ca = issue("Trust CA", ca=True)
    stale = expired("Stale CA", issue("Old root", ca=True))
    bundle = tmp_path / "truststore.pem"
    bundle.write_bytes(ca.pem + stale.pem)
    name = _name()
    created = apigw.create_domain_name(
        domainName=name,
        regionalCertificateArn="arn:aws:acm:x",
        endpointConfiguration={"types": ["REGIONAL"]},
        securityPolicy="TLS_1_2",
        mutualTlsAuthentication={"truststoreUri": bundle.as_uri()},
    )
    mtls = created["mutualTlsAuthentication"]
    assert mtls["truststoreUri"] == bundle.as_uri()
    assert mtls["truststoreWarnings"] == ["Certificate 2 (CN=Stale CA) has expired"]
    assert "truststoreVersion" not in mtls
    assert v2.get_domain_name(DomainName=name)["MutualTlsAuthentication"]["TruststoreUri"] == (
        bundle.as_uri()
    )
    # turning mTLS off: the URI replaced with ''
    off = apigw.update_domain_name(
        domainName=name,
        patchOperations=[
            {"op": "replace", "path": "/mutualTlsAuthentication/truststoreUri", "value": ""}
        ],
    )
    assert "mutualTlsAuthentication" not in off
    empty = tmp_path / "empty.pem"
    empty.write_bytes(stale.pem)
    for uri, kwargs in (
        (empty.as_uri(), {}),
        ((tmp_path / "missing.pem").as_uri(), {}),
        ("https://example.com/ca.pem", {}),
        (bundle.as_uri(), {"securityPolicy": "TLS_1_0"}),
    ):
        status, code, _ = aws_error(
            apigw.create_domain_name,
            domainName=_name(),
            regionalCertificateArn="arn:aws:acm:x",
            endpointConfiguration={"types": ["REGIONAL"]},
            mutualTlsAuthentication={"truststoreUri": uri},
            **kwargs,
        )
        assert (status, code) == (400, "BadRequestException")
    assert aws_error(
        apigw.create_domain_name,
        domainName=_name(),
        regionalCertificateArn="arn:aws:acm:x",
        endpointConfiguration={"types": ["REGIONAL"]},
        securityPolicy="TLS_1_0",
        mutualTlsAuthentication={"truststoreUri": bundle.as_uri()},
    ) == (
        400,
        "BadRequestException",
        "Mutual TLS authentication requires a security policy of TLS_1_2",
    )


def test_v2_domains_are_regional_only(v2: Any) -> None:
    assert aws_error(
        v2.create_domain_name,
        DomainName=_name(),
        DomainNameConfigurations=[{"CertificateArn": "arn:aws:acm:x", "EndpointType": "EDGE"}],
    ) == (400, "BadRequestException", "HTTP and WebSocket APIs support only REGIONAL domains")


def test_v2_mutual_tls_authentication(v2: Any, tmp_path: Path) -> None:
    ca = issue("V2 CA", ca=True)
    bundle = tmp_path / "v2.pem"
    bundle.write_bytes(ca.pem)
    name = _name()
    created = v2.create_domain_name(
        DomainName=name,
        DomainNameConfigurations=[{"CertificateArn": "arn:aws:acm:x"}],
        MutualTlsAuthentication={"TruststoreUri": bundle.as_uri(), "TruststoreVersion": "1"},
    )
    assert created["MutualTlsAuthentication"] == {
        "TruststoreUri": bundle.as_uri(),
        "TruststoreVersion": "1",
    }
    bundle.write_bytes(ca.pem + b"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n")
    updated = v2.update_domain_name(
        DomainName=name, MutualTlsAuthentication={"TruststoreVersion": "2"}
    )
    assert updated["MutualTlsAuthentication"] == {
        "TruststoreUri": bundle.as_uri(),
        "TruststoreVersion": "2",
        "TruststoreWarnings": ["Certificate 2 of the truststore could not be parsed"],
    }
    off = v2.update_domain_name(DomainName=name, MutualTlsAuthentication={"TruststoreUri": ""})
    assert "MutualTlsAuthentication" not in off
    v2.delete_domain_name(DomainName=name)
