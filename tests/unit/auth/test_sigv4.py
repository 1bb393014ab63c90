"""SigV4 verification against requests botocore signed: both forms, AWS's canonicalization
(paths with spaces, `%2F`, unicode, dot segments; sorted and repeated query keys; header
values with runs of spaces), and every refusal with AWS's exception and message."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.signing import sign

from tollway.auth import sigv4

NOW = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
HOST = "abc1234567.execute-api.localhost:8080"


@dataclass
class Req:
    method: str
    raw_path: str
    query_string: str
    headers: list[tuple[str, str]]
    body: bytes = b""


@dataclass
class Key:
    secret_access_key: str = "SECRET"
    session_token: str | None = None
    expiration: datetime | None = None


@dataclass
class Signer:
    keys: dict[str, Key] = field(default_factory=lambda: {"AKID": Key()})

    def lookup(self, access_key: str) -> Key | None:
        return self.keys.get(access_key)


def signed(url: str, method: str = "GET", body: bytes = b"", headers: dict[str, str] | None = None,
           *, at: datetime = NOW, **options: Any) -> Req:  # fmt: skip
    """A request botocore signed at `at`, as the server would receive it."""
    path, query, received = sign(url, method, body, headers, at=at, **options)
    return Req(method, path, query, received, body)


def verify(request: Req, signer: Signer | None = None, **options: Any) -> Key:
    options.setdefault("region", "us-east-1")
    options.setdefault("services", ("execute-api",))
    options.setdefault("now", NOW)
    return sigv4.verify(request, (signer or Signer()).lookup, **options)


def refusal(request: Req, signer: Signer | None = None, **options: Any) -> tuple[str, str]:
    with pytest.raises(sigv4.SignatureError) as info:
        verify(request, signer, **options)
    return info.value.code, info.value.message


@pytest.mark.parametrize(
    "url",
    [
        f"http://{HOST}/dev/pets",
        f"http://{HOST}/dev/",
        f"http://{HOST}/dev/a%20b/c%2Fd",  # a space, an encoded slash
        f"http://{HOST}/dev/%E2%82%AC/caf%C3%A9",  # unicode, percent-encoded as sent
        f"http://{HOST}/dev//double//slashes/./x/../y/",
        f"http://{HOST}/dev/q?b=2&a=1&a=0&empty=&flag",  # sorted, repeated, blank keys
        f"http://{HOST}/dev/q?x=%20y~&k%2F=v%2Fw&u=%E2%82%AC",
        f"http://{HOST}/_aws/execute-api/abc1234567/dev/p",
    ],
)
def test_botocore_signed_requests_verify(url: str) -> None:
    assert verify(signed(url)).secret_access_key == "SECRET"


def test_body_and_signed_headers_with_spaces_verify() -> None:
    request = signed(
        f"http://{HOST}/dev/pets",
        "POST",
        b'{"name": "rex"}',
        {"Content-Type": "application/json", "X-Custom": "  a   b  "},
    )
    assert verify(request).secret_access_key == "SECRET"


def test_presigned_url_verifies_until_it_expires() -> None:
    request = signed(f"http://{HOST}/dev/pets?q=1", presign=600)
    assert verify(request, now=NOW + timedelta(seconds=599)).secret_access_key == "SECRET"
    assert refusal(request, now=NOW + timedelta(seconds=601)) == (
        "InvalidSignatureException",
        "Signature expired: 20261122T120000Z is now earlier than 20261122T120001Z "
        "(20261122T121001Z - 600 sec.)",
    )


def test_presigned_url_may_not_live_more_than_a_week() -> None:
    request = signed(f"http://{HOST}/dev/pets", presign=604801)
    assert refusal(request) == (
        "IncompleteSignatureException",
        "X-Amz-Expires must be less than a week (in seconds) that is 604800",
    )


def test_presigned_url_missing_parts() -> None:
    request = Req("GET", "/dev/p", "X-Amz-Algorithm=AWS4-HMAC-SHA256", [("Host", HOST)])
    assert refusal(request) == (
        "IncompleteSignatureException",
        "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string "
        "parameters must include 'X-Amz-Signature'. AWS query-string parameters must include "
        "'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. "
        "Re-examine the query-string parameters.",
    )


def test_date_header_instead_of_x_amz_date() -> None:
    request = signed(f"http://{HOST}/dev/pets", headers={"Date": "placeholder"})
    assert any(name == "Date" for name, _ in request.headers)
    assert not any(name == "X-Amz-Date" for name, _ in request.headers)
    assert verify(request).secret_access_key == "SECRET"


def test_no_signature_at_all() -> None:
    assert refusal(Req("GET", "/dev/p", "", [("Host", HOST)])) == (
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )


def test_a_header_that_is_not_sigv4() -> None:
    request = Req("GET", "/dev/p", "", [("Host", HOST), ("Authorization", "Basic dXNlcjpwYXNz")])
    assert refusal(request) == (
        "IncompleteSignatureException",
        "Authorization header requires 'Credential' parameter. Authorization header requires "
        "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=Basic dXNlcjpwYXNz",
    )


@pytest.mark.parametrize("second", ["Authorization", "authorization"])
def test_an_authorization_header_sent_twice_is_refused(second: str) -> None:
    """Whichever of the two would verify, one would be checked and another passed on."""
    request = signed(f"http://{HOST}/dev/p")
    [valid] = [v for k, v in request.headers if k == "Authorization"]
    for extra in ([(second, "Basic x")], [(second, valid)]):
        doubled = Req("GET", "/dev/p", "", [*request.headers, *extra])
        code, message = refusal(doubled)
        assert code == "IncompleteSignatureException"
        assert message.startswith("Authorization header must be sent once, not 2 times. ")


def test_a_date_that_is_not_iso_8601() -> None:
    request = signed(f"http://{HOST}/dev/p")
    request.headers = [(k, "2026" if k == "X-Amz-Date" else v) for k, v in request.headers]
    assert refusal(request) == (
        "IncompleteSignatureException",
        "Date must be in ISO-8601 'basic format'. Got '2026'. See http://en.wikipedia.org/wiki/ISO_8601",
    )


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (
            -10,
            "Signature expired: 20261122T115000Z is now earlier than 20261122T115500Z "
            "(20261122T120000Z - 5 min.)",
        ),
        (
            10,
            "Signature not yet current: 20261122T121000Z is still later than 20261122T120500Z "
            "(20261122T120000Z + 5 min.)",
        ),
    ],
)
def test_clock_skew_beyond_five_minutes(offset: int, message: str) -> None:
    request = signed(f"http://{HOST}/dev/p", at=NOW + timedelta(minutes=offset))
    assert refusal(request) == ("InvalidSignatureException", message)


def test_skew_within_five_minutes_is_accepted() -> None:
    request = signed(f"http://{HOST}/dev/p", at=NOW - timedelta(minutes=4))
    assert verify(request).secret_access_key == "SECRET"


def test_host_must_be_signed() -> None:
    request = signed(f"http://{HOST}/dev/p")
    request.headers = [
        (k, v.replace("SignedHeaders=host;", "SignedHeaders=")) for k, v in request.headers
    ]
    assert refusal(request) == (
        "InvalidSignatureException",
        "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    )


def test_sigv4a_is_not_supported() -> None:
    request = signed(f"http://{HOST}/dev/p")
    request.headers = [
        (k, v.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")) for k, v in request.headers
    ]
    assert refusal(request) == (
        "IncompleteSignatureException",
        "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). ",
    )


def test_credential_scope_of_another_region_and_service() -> None:
    request = signed(f"http://{HOST}/dev/p", region="eu-west-1", service="lambda")
    assert refusal(request) == (
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'eu-west-1'. "
        "Credential should be scoped to correct service: 'execute-api'.",
    )


def test_credential_without_five_parts() -> None:
    request = signed(f"http://{HOST}/dev/p")
    request.headers = [
        (k, v.replace("/us-east-1/execute-api/", "/us-east-1/")) for k, v in request.headers
    ]
    assert refusal(request) == (
        "IncompleteSignatureException",
        "Credential must have exactly 5 slash-delimited elements, e.g. "
        "keyid/date/region/service/term, got 'AKID/20261122/us-east-1/aws4_request'",
    )


def test_unknown_access_key() -> None:
    assert refusal(signed(f"http://{HOST}/dev/p", key="NOBODY")) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


def test_wrong_secret_names_what_aws_expected() -> None:
    code, message = refusal(signed(f"http://{HOST}/dev/pets?a=1", secret="WRONG"))
    assert code == "InvalidSignatureException"
    assert message.startswith(
        "The request signature we calculated does not match the signature you provided. Check "
        "your AWS Secret Access Key and signing method. Consult the service documentation for "
        "details.\n\nThe Canonical String for this request should have been\n'GET\n/dev/pets\na=1\n"
        f"host:{HOST}\nx-amz-date:20261122T120000Z\n\nhost;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'\n\n"
        "The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20261122T120000Z\n"
        "20261122/us-east-1/execute-api/aws4_request\n"
    )


@pytest.mark.parametrize(
    "tamper",
    [
        lambda r: setattr(r, "body", b'{"amount": 1000}'),
        lambda r: setattr(r, "query_string", "a=2"),
        lambda r: setattr(r, "raw_path", "/dev/admin"),
        lambda r: setattr(r, "method", "DELETE"),
        lambda r: r.headers.__setitem__(0, ("Host", "other.execute-api.localhost")),
    ],
    ids=["body", "query", "path", "method", "host"],
)
def test_tampering_with_a_signed_request_fails(tamper: Any) -> None:
    request = signed(f"http://{HOST}/dev/pets?a=1", "POST", b'{"amount": 1}')
    verify(request)
    tamper(request)
    assert refusal(request)[0] == "InvalidSignatureException"


def test_a_content_sha256_header_does_not_replace_the_body_hash() -> None:
    request = signed(
        f"http://{HOST}/dev/p", "POST", b"data", {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}
    )
    assert refusal(request)[0] == "InvalidSignatureException"


def test_temporary_credentials_need_their_token() -> None:
    signer = Signer({"ASIA": Key(session_token="TOKEN", expiration=NOW + timedelta(hours=1))})
    good = signed(f"http://{HOST}/dev/p", key="ASIA", token="TOKEN")
    assert verify(good, signer).session_token == "TOKEN"
    for request in (
        signed(f"http://{HOST}/dev/p", key="ASIA"),
        signed(f"http://{HOST}/dev/p", key="ASIA", token="OTHER"),
    ):
        assert refusal(request, signer) == (
            "UnrecognizedClientException",
            "The security token included in the request is invalid",
        )


def test_presigned_url_with_a_session_token() -> None:
    signer = Signer({"ASIA": Key(session_token="TOKEN", expiration=NOW + timedelta(hours=1))})
    request = signed(f"http://{HOST}/dev/p", key="ASIA", token="TOKEN", presign=60)
    assert "X-Amz-Security-Token=TOKEN" in request.query_string
    assert verify(request, signer).session_token == "TOKEN"


def test_expired_temporary_credentials() -> None:
    signer = Signer({"ASIA": Key(session_token="TOKEN", expiration=NOW - timedelta(seconds=1))})
    request = signed(f"http://{HOST}/dev/p", key="ASIA", token="TOKEN")
    assert refusal(request, signer) == (
        "ExpiredTokenException",
        "The security token included in the request is expired",
    )


def test_a_control_plane_service_list() -> None:
    request = signed(f"http://{HOST}/restapis", service="apigateway")
    verify(request, services=("apigateway", "lambda"))
    assert refusal(request, services=("lambda",))[1] == (
        "Credential should be scoped to correct service: 'lambda'."
    )


def test_a_signature_that_is_not_ascii_is_just_wrong() -> None:
    request = signed(f"http://{HOST}/dev/p")
    request.headers = [
        (k, v.rsplit("Signature=", 1)[0] + "Signature=\xe9t\xe9" if k == "Authorization" else v)
        for k, v in request.headers
    ]
    assert refusal(request)[0] == "InvalidSignatureException"
