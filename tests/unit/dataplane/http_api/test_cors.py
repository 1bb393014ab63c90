"""CorsPolicy: preflight answers and the CORS headers of other responses (spec §9.2)."""

from __future__ import annotations

from typing import Any

import pytest

from tollway.dataplane.http_api.cors import CorsPolicy, CorsResponse

FULL: dict[str, Any] = {
    "AllowOrigins": ["http://localhost:4000", "https://app.example.com"],
    "AllowMethods": ["POST", "GET"],
    "AllowHeaders": ["testHeader", "Content-Type"],
    "AllowCredentials": True,
    "ExposeHeaders": ["exposedHeader", "X-Total"],
    "MaxAge": 10,
}


def preflight_headers(
    origin: str = "http://localhost:4000", method: str = "GET", headers: str | None = None
) -> list[tuple[str, str]]:
    sent = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if headers is not None:
        sent.append(("Access-Control-Request-Headers", headers))
    return sent


NO_CORS = CorsResponse(204, ())


def test_no_configuration_compiles_to_none() -> None:
    assert CorsPolicy.compile(None) is None
    assert isinstance(CorsPolicy.compile({"AllowOrigins": ["*"]}), CorsPolicy)


def test_preflight_allowed_echoes_origin_with_every_configured_header() -> None:
    policy = CorsPolicy(FULL)
    answer = policy.preflight("OPTIONS", preflight_headers(headers="testheader,content-type"))
    assert answer == CorsResponse(
        204,
        (
            ("Access-Control-Allow-Origin", "http://localhost:4000"),
            ("Vary", "Origin"),
            ("Access-Control-Allow-Methods", "POST,GET"),
            ("Access-Control-Allow-Headers", "testHeader,Content-Type"),
            ("Access-Control-Max-Age", "10"),
            ("Access-Control-Allow-Credentials", "true"),
        ),
    )
    assert answer.body == b""


def test_preflight_is_none_for_other_methods() -> None:
    policy = CorsPolicy(FULL)
    assert policy.preflight("GET", preflight_headers()) is None
    assert policy.preflight("POST", preflight_headers()) is None


def test_options_without_origin_or_request_method_gets_204_without_cors_headers() -> None:
    policy = CorsPolicy(FULL)
    assert policy.preflight("OPTIONS", []) == NO_CORS
    assert policy.preflight("OPTIONS", [("Origin", "http://localhost:4000")]) == NO_CORS
    assert policy.preflight("OPTIONS", [("Access-Control-Request-Method", "GET")]) == NO_CORS


def test_preflight_with_disallowed_origin_gets_no_cors_headers() -> None:
    policy = CorsPolicy(FULL)
    assert policy.preflight("OPTIONS", preflight_headers(origin="http://localhost:3000")) == NO_CORS
    assert policy.preflight("OPTIONS", preflight_headers(origin="null")) == NO_CORS


def test_preflight_with_disallowed_method_gets_no_cors_headers() -> None:
    policy = CorsPolicy(FULL)
    assert policy.preflight("OPTIONS", preflight_headers(method="DELETE")) == NO_CORS


def test_preflight_with_a_disallowed_header_gets_no_cors_headers() -> None:
    policy = CorsPolicy(FULL)
    answer = policy.preflight("OPTIONS", preflight_headers(headers="content-type, x-other"))
    assert answer == NO_CORS


def test_preflight_headers_and_methods_are_case_insensitive() -> None:
    policy = CorsPolicy(FULL)
    answer = policy.preflight(
        "options",
        [
            ("origin", "http://localhost:4000"),
            ("ACCESS-CONTROL-REQUEST-METHOD", "post"),
            ("access-control-request-headers", "TESTHEADER"),
        ],
    )
    assert answer is not None
    assert answer.headers[0] == ("Access-Control-Allow-Origin", "http://localhost:4000")


def test_request_headers_sent_twice_are_all_checked() -> None:
    policy = CorsPolicy(FULL)
    sent = [*preflight_headers(headers="testheader"), ("Access-Control-Request-Headers", "x-no")]
    assert policy.preflight("OPTIONS", sent) == NO_CORS


def test_headers_may_be_a_mapping() -> None:
    policy = CorsPolicy(FULL)
    answer = policy.preflight("OPTIONS", dict(preflight_headers()))
    assert answer is not None
    assert ("Access-Control-Allow-Methods", "POST,GET") in answer.headers


def test_only_allow_origins_matches_no_preflight() -> None:
    # AWS: without AllowMethods (values or *) no preflight can match.
    policy = CorsPolicy({"AllowOrigins": ["http://localhost:4000"]})
    assert policy.preflight("OPTIONS", preflight_headers()) == NO_CORS


def test_wildcard_methods_without_allow_headers_sends_an_empty_allow_headers() -> None:
    policy = CorsPolicy({"AllowOrigins": ["http://localhost:4000"], "AllowMethods": ["*"]})
    answer = policy.preflight("OPTIONS", preflight_headers(method="PATCH"))
    assert answer == CorsResponse(
        204,
        (
            ("Access-Control-Allow-Origin", "http://localhost:4000"),
            ("Vary", "Origin"),
            ("Access-Control-Allow-Methods", "*"),
            ("Access-Control-Allow-Headers", ""),
        ),
    )
    # ... and a requested header is then refused.
    assert policy.preflight("OPTIONS", preflight_headers(headers="test,test2")) == NO_CORS


def test_wildcard_headers_allow_any_requested_header() -> None:
    policy = CorsPolicy(
        {"AllowOrigins": ["http://localhost:4000"], "AllowMethods": ["*"], "AllowHeaders": ["*"]}
    )
    answer = policy.preflight("OPTIONS", preflight_headers(headers="test,test2"))
    assert answer is not None
    assert ("Access-Control-Allow-Headers", "*") in answer.headers


def test_wildcard_origin_without_credentials_answers_star() -> None:
    policy = CorsPolicy({"AllowOrigins": ["*"], "AllowMethods": ["GET"]})
    answer = policy.preflight("OPTIONS", preflight_headers(origin="https://anything.test"))
    assert answer == CorsResponse(
        204,
        (
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Methods", "GET"),
            ("Access-Control-Allow-Headers", ""),
        ),
    )


def test_wildcard_origin_with_credentials_never_answers_star() -> None:
    policy = CorsPolicy({"AllowOrigins": ["*"], "AllowMethods": ["GET"], "AllowCredentials": True})
    answer = policy.preflight("OPTIONS", preflight_headers(origin="https://anything.test"))
    assert answer is not None
    assert answer.headers[:2] == (
        ("Access-Control-Allow-Origin", "https://anything.test"),
        ("Vary", "Origin"),
    )
    assert ("Access-Control-Allow-Credentials", "true") in answer.headers
    assert policy.response_headers([("Origin", "https://x.test")]) == (
        ("Access-Control-Allow-Origin", "https://x.test"),
        ("Vary", "Origin"),
        ("Access-Control-Allow-Credentials", "true"),
    )


def test_an_exactly_listed_origin_is_echoed_even_beside_star() -> None:
    policy = CorsPolicy({"AllowOrigins": ["*", "https://a.test"], "AllowMethods": ["GET"]})
    assert policy.response_headers([("Origin", "https://a.test")])[0] == (
        "Access-Control-Allow-Origin",
        "https://a.test",
    )
    assert policy.response_headers([("Origin", "https://b.test")]) == (
        ("Access-Control-Allow-Origin", "*"),
    )


@pytest.mark.parametrize(
    ("configured", "origin", "allowed"),
    [
        ("http://*", "http://localhost:4000", True),
        ("http://*", "https://localhost:4000", False),
        ("https://*", "https://localhost:4000", True),
        ("https://*", "http://localhost:4000", False),
        ("http://MyORIGIN.com", "http://myorigin.com", True),
        ("http://myorigin.com", "http://MYORIGIN.COM", True),
        ("http://myorigin.com", "http://myorigin.com:8080", False),
        ("http://myorigin.com", "https://myorigin.com", False),
    ],
)
def test_origin_matching(configured: str, origin: str, allowed: bool) -> None:
    policy = CorsPolicy({"AllowOrigins": [configured], "AllowMethods": ["GET"]})
    answer = policy.preflight("OPTIONS", preflight_headers(origin=origin))
    assert answer is not None
    if allowed:
        # the request's own spelling is echoed
        assert answer.headers[0] == ("Access-Control-Allow-Origin", origin)
    else:
        assert answer == NO_CORS


def test_max_age_zero_is_sent() -> None:
    policy = CorsPolicy({"AllowOrigins": ["*"], "AllowMethods": ["GET"], "MaxAge": 0})
    answer = policy.preflight("OPTIONS", preflight_headers())
    assert answer is not None
    assert ("Access-Control-Max-Age", "0") in answer.headers


def test_no_max_age_no_header() -> None:
    policy = CorsPolicy({"AllowOrigins": ["*"], "AllowMethods": ["GET"]})
    answer = policy.preflight("OPTIONS", preflight_headers())
    assert answer is not None
    assert all(name != "Access-Control-Max-Age" for name, _ in answer.headers)


def test_response_headers_for_an_allowed_origin() -> None:
    policy = CorsPolicy(FULL)
    assert policy.response_headers([("origin", "https://app.example.com")]) == (
        ("Access-Control-Allow-Origin", "https://app.example.com"),
        ("Vary", "Origin"),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Expose-Headers", "exposedHeader,X-Total"),
    )


def test_response_headers_without_credentials_or_expose() -> None:
    policy = CorsPolicy({"AllowOrigins": ["https://a.test"]})
    assert policy.response_headers({"Origin": "https://a.test"}) == (
        ("Access-Control-Allow-Origin", "https://a.test"),
        ("Vary", "Origin"),
    )


def test_response_headers_none_without_origin_or_for_a_disallowed_one() -> None:
    policy = CorsPolicy(FULL)
    assert policy.response_headers([]) == ()
    assert policy.response_headers([("Origin", "http://localhost:3000")]) == ()


def test_apply_drops_the_integrations_cors_headers() -> None:
    policy = CorsPolicy(FULL)
    backend = [
        ("Content-Type", "application/json"),
        ("Access-Control-Allow-Origin", "https://localhost:3000"),
        ("access-control-allow-credentials", "true"),
        ("ACCESS-CONTROL-EXPOSE-HEADERS", "X-My-Custom-Header"),
    ]
    assert policy.apply([("Origin", "http://localhost:4000")], backend) == [
        ("Content-Type", "application/json"),
        ("Access-Control-Allow-Origin", "http://localhost:4000"),
        ("Vary", "Origin"),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Expose-Headers", "exposedHeader,X-Total"),
    ]
    # a disallowed origin: the backend's CORS headers are dropped all the same
    assert policy.apply([("Origin", "http://localhost:3000")], backend) == [
        ("Content-Type", "application/json")
    ]
