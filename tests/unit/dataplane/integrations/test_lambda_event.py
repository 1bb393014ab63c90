"""The Lambda proxy event (payload 1.0) and proxy-response validation (spec §2.1, §2.3)."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from tests.unit.dataplane.conftest import add, context, definition, stage

from tollway.dataplane.errors import ApiConfigurationError, MalformedProxyResponse
from tollway.dataplane.integrations.lambda_event import build_event, parse_response

LAMBDA = {
    "type": "AWS_PROXY",
    "httpMethod": "POST",
    "uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:000000000000:function:f/invocations",
}


def _ctx(
    headers: list[tuple[str, str]],
    body: bytes = b"",
    query: str = "",
    binary: list[str] | None = None,
) -> Any:
    d = definition()
    if binary:
        d["api"]["binaryMediaTypes"] = binary
    add(d, "/items/{id}", "POST", LAMBDA)
    compiled = stage(d, variables={"v": "1"})
    ctx = context(compiled, "POST", "/items/9", headers, body, query)
    found = compiled.router.match("POST", "/items/9")
    assert found is not None
    ctx.method, ctx.path_parameters = found
    return ctx


def test_header_names_keep_their_case_except_authorization_and_user_agent() -> None:
    ctx = _ctx(
        [
            ("Host", "h"),
            ("authorization", "t"),
            ("user-agent", "ua"),
            ("X-Mixed", "1"),
            ("content-length", "0"),
            ("connection", "keep-alive"),
        ]
    )
    event = build_event(ctx)
    assert {"Authorization", "User-Agent", "X-Mixed", "Host"} <= set(event["headers"])
    assert "content-length" not in event["headers"] and "connection" not in event["headers"]


def test_repeated_headers_and_forwarding_headers() -> None:
    ctx = _ctx([("X-Many", "a"), ("X-Many", "b"), ("X-Forwarded-For", "1.2.3.4")])
    event = build_event(ctx)
    assert event["headers"]["X-Many"] == "b"
    assert event["multiValueHeaders"]["X-Many"] == ["a", "b"]
    assert event["headers"]["X-Forwarded-For"] == "1.2.3.4, 10.0.0.1"
    assert event["headers"]["X-Amzn-Trace-Id"] == ctx.trace_id


def test_a_header_in_two_spellings_is_one_header() -> None:
    """`X-User: a` then `x-user: b`: an identity source reads `b` (the last value, names
    matched in any case); the event must not show the function `a` under `X-User`."""
    ctx = _ctx([("X-User", "a"), ("x-user", "b")])
    event = build_event(ctx)
    assert ctx.request.header("X-User") == "b"
    assert event["headers"]["X-User"] == "b"
    assert "x-user" not in event["headers"]
    assert event["multiValueHeaders"]["X-User"] == ["a", "b"]


def test_headers_api_gateway_sets_replace_the_clients_in_any_case() -> None:
    ctx = _ctx(
        [
            ("authorization", "a1"),
            ("authorization", "a2"),
            ("x-forwarded-for", "1.1.1.1"),
            ("X-FORWARDED-FOR", "2.2.2.2"),
            ("x-forwarded-port", "1"),
            ("X-Forwarded-Proto", "gopher"),
            ("x-amzn-trace-id", "Root=spoofed"),
        ]
    )
    event = build_event(ctx)
    multi = event["multiValueHeaders"]
    assert multi["Authorization"] == ["a1", "a2"]
    assert multi["X-Forwarded-For"] == ["2.2.2.2, 10.0.0.1"]
    assert multi["X-Amzn-Trace-Id"] == [ctx.trace_id]
    assert multi["X-Forwarded-Proto"] != ["gopher"] and multi["X-Forwarded-Port"] != ["1"]
    lowered = [name.lower() for name in multi]
    assert len(lowered) == len(set(lowered))  # one entry per header, whatever the client's case
    assert list(multi)[-4:] == [
        "X-Forwarded-For",
        "X-Forwarded-Port",
        "X-Forwarded-Proto",
        "X-Amzn-Trace-Id",
    ]


def test_binary_bodies_are_base64_when_the_type_is_a_binary_media_type() -> None:
    ctx = _ctx([("Content-Type", "image/png")], b"\x89PNG", binary=["image/*"])
    event = build_event(ctx)
    assert event["body"] == base64.b64encode(b"\x89PNG").decode()
    assert event["isBase64Encoded"] is True


def test_query_values_are_decoded_last_value_wins() -> None:
    event = build_event(_ctx([], query="a=1&a=2&s=x+y&p=%2B&e="))
    assert event["queryStringParameters"] == {"a": "2", "s": "x y", "p": "+", "e": ""}
    assert event["multiValueQueryStringParameters"]["a"] == ["1", "2"]


def _parse(returned: Any, accept: str = "application/json", binary: list[str] | None = None) -> Any:
    return parse_response(orjson.dumps(returned), _ctx([("Accept", accept)], binary=binary))


def test_defaults_and_header_merging() -> None:
    response = _parse(
        {
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "headers": {"set-cookie": "c=3", "X-One": "1"},
        }
    )
    assert response.status == 200
    assert response.headers == [
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("Set-Cookie", "c=3"),
        ("X-One", "1"),
        ("Content-Type", "application/json"),
    ]


def test_transport_headers_of_the_function_are_remapped() -> None:
    response = _parse({"headers": {"Content-Length": "99", "Date": "d", "Transfer-Encoding": "x"}})
    assert ("x-amzn-Remapped-Content-Length", "99") in response.headers
    assert ("x-amzn-Remapped-Date", "d") in response.headers
    assert all(k != "Transfer-Encoding" for k, _ in response.headers)


def test_base64_body_decoded_only_for_a_binary_accept() -> None:
    returned = {"body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    assert _parse(returned, "image/png", ["image/png"]).body == b"\x00\x01"
    assert _parse(returned, "application/json", ["image/png"]).body == b"AAE="


@pytest.mark.parametrize(
    "returned",
    [
        {"statusCode": 200, "unexpected": 1},
        {"statusCode": "two hundred"},
        {"statusCode": 700},
        {"statusCode": True},
        [1, 2],
        "text",
        {"headers": {"X": 1}},
        {"headers": {"X": "line\nbreak"}},
        {"multiValueHeaders": {"X": "a"}},
        {"headers": "not a map"},
        {"body": 5},
    ],
)
def test_malformed_responses(returned: Any) -> None:
    with pytest.raises(MalformedProxyResponse):
        _parse(returned, "image/png", ["image/png"])


def test_a_body_that_is_not_base64_is_a_configuration_error() -> None:
    with pytest.raises(ApiConfigurationError) as info:
        _parse({"body": "!!", "isBase64Encoded": True}, "image/png", ["image/png"])
    assert info.value.response_type == "API_CONFIGURATION_ERROR"
    assert info.value.log is not None and "Unable to base64-decode" in info.value.log


def test_without_a_binary_accept_a_bad_base64_body_is_returned_as_text() -> None:
    assert _parse({"body": "!!", "isBase64Encoded": True}, "text/html", ["image/png"]).body == (
        b"!!"
    )


def test_non_json_payload_is_malformed() -> None:
    with pytest.raises(MalformedProxyResponse):
        parse_response(b"not json", _ctx([]))
