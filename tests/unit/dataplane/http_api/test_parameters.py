"""HTTP API parameter mapping: compiled request/response mappings and their validation
(spec §4.8)."""

from __future__ import annotations

from typing import Any

import pytest

from tollway.control.errors import BadRequestException
from tollway.dataplane.http_api.parameter_values import MappingRequest, MappingResponse
from tollway.dataplane.http_api.parameters import (
    IntegrationRequestParts,
    ResponseParts,
    compile_request_parameters,
    compile_response_parameters,
    validate_request_parameters,
    validate_response_parameters,
)
from tollway.dataplane.mapping.parameters import MappingError

PREFIX = "Invalid mapping expression specified: Validation Result: warnings : [], errors : ["

REQUEST = MappingRequest(
    headers=[
        ("Host", "api.test"),
        ("X-Multi", "one"),
        ("x-multi", "two"),
        ("X-Single", "solo"),
        ("Content-Type", "application/json"),
    ],
    query={"q": ["a", "b"], "Page": ["3"]},
    body=b'{"user": {"name": "ann", "tags": ["x", "y"], "age": 42, "admin": false}, "n": null}',
    path="/pets/7",
    path_parameters={"petId": "7"},
    stage_variables={"env": "dev", "host": "backend.test"},
    context={
        "requestId": "req-1",
        "stage": "$default",
        "authorizer": {"claims": {"sub": "user-9"}},
        "http": {"method": "POST"},
    },
)


def map_request(
    parameters: dict[str, str],
    request: MappingRequest = REQUEST,
    *,
    headers: list[tuple[str, str]] | None = None,
    query: dict[str, list[str]] | None = None,
) -> IntegrationRequestParts:
    mapping = compile_request_parameters(parameters)
    assert mapping is not None
    parts = IntegrationRequestParts(
        headers=list(request.headers) if headers is None else headers,
        query={k: list(v) for k, v in request.query.items()} if query is None else query,
    )
    mapping.apply(request, parts)
    return parts


def one_header(parameters: dict[str, str], name: str = "x-out") -> list[str]:
    parts = map_request(parameters, headers=[])
    return [v for k, v in parts.headers if k.lower() == name]


# Request keys: each operator on each location.


def test_append_header_adds_a_line_beside_existing_ones() -> None:
    parts = map_request({"append:header.X-Single": "more"})
    assert [v for k, v in parts.headers if k.lower() == "x-single"] == ["solo", "more"]


def test_append_header_keeps_the_configured_name() -> None:
    parts = map_request({"append:header.Header1": "static"}, headers=[])
    assert parts.headers == [("Header1", "static")]


def test_overwrite_header_replaces_every_line_of_it() -> None:
    parts = map_request({"overwrite:header.x-multi": "only"})
    assert [(k, v) for k, v in parts.headers if k.lower() == "x-multi"] == [("x-multi", "only")]


def test_overwrite_header_adds_it_when_absent() -> None:
    parts = map_request({"overwrite:header.X-New": "v"})
    assert ("X-New", "v") in parts.headers


def test_remove_header_removes_every_line_case_insensitively() -> None:
    parts = map_request({"remove:header.X-MULTI": "''"})
    assert all(k.lower() != "x-multi" for k, _ in parts.headers)
    assert ("X-Single", "solo") in parts.headers


def test_append_querystring_adds_a_value() -> None:
    parts = map_request({"append:querystring.q": "c", "append:querystring.new": "1"})
    assert parts.query == {"q": ["a", "b", "c"], "Page": ["3"], "new": ["1"]}


def test_overwrite_querystring_replaces_all_values() -> None:
    parts = map_request({"overwrite:querystring.q": "z"})
    assert parts.query == {"q": ["z"], "Page": ["3"]}


def test_remove_querystring_is_case_sensitive() -> None:
    parts = map_request({"remove:querystring.page": "''"})
    assert parts.query == {"q": ["a", "b"], "Page": ["3"]}
    parts = map_request({"remove:querystring.Page": "''"})
    assert parts.query == {"q": ["a", "b"]}


def test_overwrite_path() -> None:
    parts = map_request({"overwrite:path": "/v2/${request.path.petId}/details"})
    assert parts.path == "/v2/7/details"


def test_no_path_mapping_leaves_the_path_unchanged() -> None:
    assert map_request({"append:header.a": "b"}).path is None


def test_values_come_from_the_request_as_received_whatever_the_order() -> None:
    # AWS's rename example: append header2 from header1, remove header1.
    request = MappingRequest(headers=[("header1", "v1")])
    for parameters in (
        {"append:header.header2": "$request.header.header1", "remove:header.header1": "''"},
        {"remove:header.header1": "''", "append:header.header2": "$request.header.header1"},
    ):
        parts = map_request(parameters, request)
        assert parts.headers == [("header2", "v1")]


def test_remove_then_overwrite_then_append() -> None:
    parts = map_request(
        {
            "append:header.x-a": "appended",
            "overwrite:header.x-a": "overwritten",
            "remove:header.x-a": "''",
        },
        headers=[("x-a", "original")],
    )
    assert parts.headers == [("x-a", "overwritten"), ("x-a", "appended")]


# Values: each source.


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("static text", ["static text"]),
        ("$request.header.x-single", ["solo"]),
        ("${request.header.X-SINGLE}", ["solo"]),
        ("$request.header.X-Multi", ["one,two"]),
        ("$request.querystring.q", ["a,b"]),
        ("$request.querystring.Page", ["3"]),
        ("$request.path", ["/pets/7"]),
        ("$request.path.petId", ["7"]),
        ("$request.body.user.name", ["ann"]),
        ("$request.body.user.tags[1]", ["y"]),
        ("$request.body.user.tags", ['["x","y"]']),
        ("$request.body.user.age", ["42"]),
        ("$request.body.user.admin", ["false"]),
        ("$request.body.user", ['{"name":"ann","tags":["x","y"],"age":42,"admin":false}']),
        (
            "$request.body",
            ['{"user": {"name": "ann", "tags": ["x", "y"], "age": 42, "admin": false}, "n": null}'],
        ),
        ("$context.requestId", ["req-1"]),
        ("${context.authorizer.claims.sub}", ["user-9"]),
        ("$context.http.method", ["POST"]),
        ("$stageVariables.env", ["dev"]),
        ("${request.path.petId} ${request.querystring.Page}", ["7 3"]),
        ("id=${context.requestId};env=${stageVariables.env}!", ["id=req-1;env=dev!"]),
        ("price $5", ["price $5"]),
    ],
)
def test_request_sources(value: str, expected: list[str]) -> None:
    assert one_header({"append:header.x-out": value}) == expected


@pytest.mark.parametrize(
    "value",
    [
        "$request.header.x-absent",
        "$request.querystring.absent",
        "$request.querystring.q.extra",
        "$request.path.absent",
        "$request.body.user.missing",
        "$request.body.n",  # JSON null: no value
        "$context.authorizer.claims.missing",
        "$context.nothing",
        "$stageVariables.absent",
        "${request.path.petId}-${request.header.x-absent}",
    ],
)
def test_a_mapping_whose_source_is_missing_is_skipped(value: str) -> None:
    parts = map_request(
        {"append:header.x-out": value, "overwrite:header.x-single": value, "overwrite:path": value}
    )
    assert all(k != "x-out" for k, _ in parts.headers)
    assert ("X-Single", "solo") in parts.headers
    assert parts.path is None


def test_body_that_is_not_json_has_no_json_values() -> None:
    request = MappingRequest(body=b"name=ann&x=1")
    parts = map_request(
        {"append:header.a": "$request.body.name", "append:header.b": "$request.body"}, request
    )
    assert parts.headers == [("b", "name=ann&x=1")]


def test_empty_body_has_no_json_values() -> None:
    parts = map_request({"append:header.a": "$request.body.name"}, MappingRequest())
    assert parts.headers == []


def test_body_jsonpath_reads_the_first_100_kb_only() -> None:
    small = b'{"a": "x", "pad": "' + b"p" * 50_000 + b'"}'
    big = b'{"a": "x", "pad": "' + b"p" * 200_000 + b'"}'
    parameters = {"append:header.x-out": "$request.body.a"}
    assert map_request(parameters, MappingRequest(body=small), headers=[]).headers == [
        ("x-out", "x")
    ]
    # cut at 100 KB the big body is no JSON: the mapping is skipped
    assert map_request(parameters, MappingRequest(body=big), headers=[]).headers == []
    # the whole body is not cut
    whole = map_request({"append:header.x-out": "$request.body"}, MappingRequest(body=big))
    assert whole.headers == [("x-out", big.decode())]


def test_request_body_is_parsed_once_per_request() -> None:
    calls = []

    class CountingRequest(MappingRequest):
        @property
        def body(self) -> bytes:
            calls.append(1)
            return b'{"a": "1", "b": "2"}'

        @body.setter
        def body(self, value: bytes) -> None:
            pass

    parts = map_request(
        {"append:header.a": "$request.body.a", "append:header.b": "${request.body.b}"},
        CountingRequest(),
        headers=[],
    )
    assert sorted(parts.headers) == [("a", "1"), ("b", "2")]
    assert len(calls) == 1


def test_no_parameters_compile_to_none() -> None:
    assert compile_request_parameters(None) is None
    assert compile_request_parameters({}) is None
    assert compile_response_parameters(None) is None
    assert compile_response_parameters({"200": {}}) is None


# Response mappings.

RESPONSE = MappingResponse(
    status=500,
    headers=[("Content-Type", "application/json"), ("X-Up", "1"), ("x-up", "2"), ("X-Drop", "d")],
    body=b'{"error": {"code": "E42"}, "items": [1, 2]}',
)


def map_response(
    parameters: dict[str, dict[str, str]], response: MappingResponse = RESPONSE
) -> ResponseParts:
    mapping = compile_response_parameters(parameters)
    assert mapping is not None
    return mapping.apply(REQUEST, response)


def test_response_mappings_apply_for_their_status_only() -> None:
    parameters = {
        "500": {"append:header.header1": "$context.requestId", "overwrite:statuscode": "403"},
        "404": {"append:header.error": "$stageVariables.env"},
    }
    parts = map_response(parameters)
    assert parts.status == 403
    assert parts.headers[-1] == ("header1", "req-1")
    untouched = map_response(parameters, MappingResponse(200, [("a", "b")]))
    assert untouched == ResponseParts(200, [("a", "b")])
    not_found = map_response(parameters, MappingResponse(404))
    assert not_found == ResponseParts(404, [("error", "dev")])


def test_response_header_operators_and_sources() -> None:
    parts = map_response(
        {
            "500": {
                "overwrite:header.X-Up": "${response.header.x-up}!",
                "remove:header.x-drop": "''",
                "append:header.X-Code": "$response.body.error.code",
                "append:header.X-Items": "$response.body.items",
                "append:header.X-Body": "$response.body",
                "append:header.X-From-Request": "$request.header.X-Single",
                "append:header.X-Missing": "$response.header.nothing",
            }
        }
    )
    assert parts.headers == [
        ("Content-Type", "application/json"),
        ("X-Up", "1,2!"),
        ("X-Code", "E42"),
        ("X-Items", "[1,2]"),
        ("X-Body", '{"error": {"code": "E42"}, "items": [1, 2]}'),
        ("X-From-Request", "solo"),
    ]


def test_statuscode_from_a_variable() -> None:
    response = MappingResponse(500, [("X-Status", "418")])
    parts = map_response({"500": {"overwrite:statuscode": "$response.header.X-Status"}}, response)
    assert parts.status == 418


def test_statuscode_from_a_variable_that_is_no_status_is_skipped() -> None:
    response = MappingResponse(500, [("X-Status", "teapot")])
    parts = map_response({"500": {"overwrite:statuscode": "$response.header.X-Status"}}, response)
    assert parts.status == 500


def test_response_apply_does_not_change_the_response() -> None:
    map_response({"500": {"remove:header.X-Up": "''"}})
    assert ("X-Up", "1") in RESPONSE.headers


# Validation (the control plane's CreateIntegration/UpdateIntegration).


def request_error(parameters: dict[str, str]) -> str:
    with pytest.raises(BadRequestException) as info:
        validate_request_parameters(parameters)
    assert info.value.status == 400
    return info.value.message


def response_error(parameters: dict[str, Any]) -> str:
    with pytest.raises(BadRequestException) as info:
        validate_response_parameters(parameters)
    return info.value.message


def test_valid_parameters_pass_validation() -> None:
    validate_request_parameters(None)
    validate_request_parameters(
        {
            "append:header.header1": "$context.requestId",
            "overwrite:header.X-Tenant": "${stageVariables.env}-${request.path.petId}",
            "remove:querystring.qs1": "''",
            "overwrite:path": "/changed/path",
            "append:querystring.foo": "bar",
        }
    )
    validate_response_parameters(
        {
            "500": {"append:header.header1": "$context.requestId", "overwrite:statuscode": "403"},
            "404": {"append:header.error": "$stageVariables.environmentId"},
            "200": {"remove:header.x-powered-by": "''"},
        }
    )


@pytest.mark.parametrize(
    "key",
    [
        "append:path",
        "remove:path",
        "overwrite.path",
        "append:header",
        "append:header.",
        "append:body.x",
        "set:header.x",
        "header.x",
        "append:header.bad name",
        "overwrite:statuscode",
    ],
)
def test_invalid_request_keys(key: str) -> None:
    assert request_error({key: "v"}) == (
        f"{PREFIX}Invalid Request Actioned Parameter destination specified: {key}]"
    )


@pytest.mark.parametrize(
    "name",
    [
        "Authorization",
        "connection",
        "Content-Encoding",
        "content-length",
        "Content-Location",
        "Forwarded",
        "Keep-Alive",
        "Origin",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "TE",
        "Trailers",
        "Transfer-Encoding",
        "Upgrade",
        "X-Forwarded-For",
        "X-Forwarded-Host",
        "X-Forwarded-Proto",
        "Via",
        "Access-Control-Allow-Origin",
        "apigw-requestid",
        "x-amz-date",
        "X-Amzn-Trace-Id",
    ],
)
def test_reserved_headers_are_refused_on_both_sides(name: str) -> None:
    expected = f"{PREFIX}Operations on header {name} are restricted]"
    assert request_error({f"overwrite:header.{name}": "v"}) == expected
    assert response_error({"200": {f"append:header.{name}": "v"}}) == expected


def test_headers_that_only_look_reserved_are_allowed() -> None:
    validate_request_parameters({"append:header.x-amzdate": "v", "append:header.Origins": "v"})


@pytest.mark.parametrize(
    "value",
    [
        "$",
        "${}",
        "$request",
        "$request.header",
        "$request.header.",
        "$request.unknown.x",
        "$request.querystring",
        "$request.body..name",
        "$request.body.items[?(@.a)]",
        "$request.body.items[*]",
        "$request.body.",
        "$response.header.x",
        "$response.body.x",
        "$context.",
        "$context.a-b",
        "$context.a b",
        "$stageVariables",
        "$stageVariables.",
        "$unknown.x",
        "a ${request.path.x",
        "${request.path.x} and ${nope.x}",
    ],
)
def test_invalid_request_values(value: str) -> None:
    assert request_error({"append:header.x": value}) == (
        f"{PREFIX}Invalid mapping expression specified: {value}]"
    )
    assert request_error({"overwrite:path": value}) == (
        f"{PREFIX}Invalid mapping expression specified: {value}]"
    )


@pytest.mark.parametrize(
    "key",
    ["append:querystring.x", "overwrite:path", "append:statuscode", "overwrite:header", "x"],
)
def test_invalid_response_keys(key: str) -> None:
    assert response_error({"200": {key: "v"}}) == (
        f"{PREFIX}Invalid Response Actioned Parameter destination specified: {key}]"
    )


@pytest.mark.parametrize("status", ["abc", "99", "199", "600", "2000", "20", ""])
def test_invalid_response_status_keys(status: str) -> None:
    assert response_error({status: {"append:header.x": "v"}}) == (
        f"{PREFIX}Invalid status code specified: {status}]"
    )


@pytest.mark.parametrize("value", ["abc", "99", "600", "4033", ""])
def test_invalid_static_statuscode(value: str) -> None:
    assert response_error({"500": {"overwrite:statuscode": value}}) == (
        f"{PREFIX}Invalid status code specified: {value}]"
    )


def test_the_data_plane_compiler_raises_mapping_error() -> None:
    with pytest.raises(MappingError):
        compile_request_parameters({"append:header.Authorization": "x"})
    with pytest.raises(MappingError):
        compile_response_parameters({"200": {"overwrite:statuscode": "x"}})
