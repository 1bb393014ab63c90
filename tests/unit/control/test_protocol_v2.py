"""The rest-json protocol with apigatewayv2's model: `/v2` routes beside apigateway's and
lambda's, PascalCase members with camelCase wire names, ISO 8601 timestamps, error bodies
with the wire name `message` (spec §16.0)."""

from __future__ import annotations

import orjson

from tollway.control.errors import BadRequestException, NotFoundException
from tollway.control.protocol import (
    Router,
    Service,
    parse_request,
    serialize_error,
    serialize_response,
)

APIGATEWAY = Service.load("apigateway")
V2 = Service.load("apigatewayv2")
LAMBDA = Service.load("lambda")
ROUTER = Router([APIGATEWAY, V2, LAMBDA])


def _operation(method: str, path: str) -> str:
    found, _ = ROUTER.match(method, path, {})
    return str(found.operation.name)


def test_every_v2_operation_routes_to_itself_beside_the_other_services() -> None:
    for name in V2.model.operation_names:
        op = V2.model.operation_model(name)
        path = op.http["requestUri"].split("?")[0]
        concrete = path.replace("{", "x").replace("}", "").replace("+", "")
        found, _ = ROUTER.match(op.http["method"], concrete, {})
        assert (found.service, found.operation.name) == ("apigatewayv2", name)
    assert _operation("GET", "/restapis/abc") == "GetRestApi"
    assert _operation("GET", "/domainnames/example.com") == "GetDomainName"


def test_camel_case_wire_names_parse_to_member_names() -> None:
    found, labels = ROUTER.match("POST", "/v2/apis", {})
    params = parse_request(
        V2,
        found,
        labels,
        {},
        {},
        b'{"name": "a", "protocolType": "HTTP", "corsConfiguration": {"allowOrigins": ["*"],'
        b' "maxAge": 5}}',
    )
    assert params == {
        "Name": "a",
        "ProtocolType": "HTTP",
        "CorsConfiguration": {"AllowOrigins": ["*"], "MaxAge": 5},
    }


def test_labels_and_paging_query_members() -> None:
    found, labels = ROUTER.match("GET", "/v2/apis/abc/routes", {})
    query = {"maxResults": ["2"], "nextToken": ["4"]}
    params = parse_request(V2, found, labels, query, {}, b"")
    assert params == {"ApiId": "abc", "MaxResults": "2", "NextToken": "4"}


def test_timestamps_are_written_as_iso_8601() -> None:
    found, _ = ROUTER.match("GET", "/v2/apis/abc", {})
    wire = serialize_response(
        found, {"ApiId": "abc", "CreatedDate": 1700000000, "ProtocolType": "HTTP"}
    )
    assert orjson.loads(wire.body) == {
        "apiId": "abc",
        "createdDate": "2023-11-14T22:13:20Z",
        "protocolType": "HTTP",
    }


def test_apigateway_timestamps_stay_epoch_seconds() -> None:
    found, _ = ROUTER.match("GET", "/restapis/abc", {})
    wire = serialize_response(found, {"id": "abc", "createdDate": 1700000000})
    assert orjson.loads(wire.body) == {"id": "abc", "createdDate": 1700000000}


def test_v2_errors_use_the_wire_name_message() -> None:
    wire = serialize_error(V2, NotFoundException("Invalid API identifier specified 1:x"))
    assert wire.status == 404
    assert orjson.loads(wire.body) == {"message": "Invalid API identifier specified 1:x"}
    assert ("x-amzn-ErrorType", "NotFoundException") in wire.headers
    wire = serialize_error(V2, BadRequestException("bad"))
    assert (wire.status, orjson.loads(wire.body)) == (400, {"message": "bad"})


def test_a_list_response_serialises_items() -> None:
    found, _ = ROUTER.match("GET", "/v2/apis", {})
    wire = serialize_response(found, {"Items": [{"ApiId": "a", "Name": "n"}], "NextToken": "1"})
    assert orjson.loads(wire.body) == {"items": [{"apiId": "a", "name": "n"}], "nextToken": "1"}


def test_v2_request_shape_problems_are_bad_requests() -> None:
    found, labels = ROUTER.match("POST", "/v2/apis/abc/integrations", {})
    try:
        parse_request(
            V2, found, labels, {}, {}, b'{"integrationType": "NOPE", "timeoutInMillis": 10}'
        )
    except BadRequestException as error:
        assert error.message == (
            "2 validation errors detected: Value 'NOPE' at "
            "'createIntegrationInput.integrationType' failed to satisfy constraint: Member must "
            "satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]; Value '10' at "
            "'createIntegrationInput.timeoutInMillis' failed to satisfy constraint: Member must "
            "have value greater than or equal to 50"
        )
    else:
        raise AssertionError("not refused")
    try:
        parse_request(V2, found, labels, {}, {}, b'{"integrationType": 5}')
    except BadRequestException as error:
        assert error.message == (
            "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted "
            "to an String"
        )
    else:
        raise AssertionError("not refused")
