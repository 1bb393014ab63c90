"""The rest-json protocol driven by botocore's models: routing, parsing, validation,
serialisation (spec §16.0)."""

from __future__ import annotations

import datetime

import orjson
import pytest

from tollway.control.errors import (
    NotFoundException,
    SerializationException,
    UnknownOperationException,
    ValidationException,
)
from tollway.control.protocol import (
    Router,
    Service,
    parse_request,
    serialize_error,
    serialize_response,
)

APIGATEWAY = Service.load("apigateway")
LAMBDA = Service.load("lambda")
ROUTER = Router([APIGATEWAY, LAMBDA])


def route(method: str, path: str, query: dict[str, list[str]] | None = None) -> str:
    found, _ = ROUTER.match(method, path, query or {})
    return str(found.operation.name)


def test_routes_by_method_path_and_query_literal() -> None:
    assert route("POST", "/restapis") == "CreateRestApi"
    assert route("POST", "/restapis", {"mode": ["import"]}) == "ImportRestApi"
    assert route("PUT", "/restapis/abc") == "PutRestApi"
    assert route("GET", "/restapis/abc/resources/r1/methods/GET/integration") == "GetIntegration"
    assert route("POST", "/restapis/abc/resources/r1") == "CreateResource"
    assert route("POST", "/2015-03-31/functions/f/invocations") == "Invoke"
    assert route("GET", "/tags/arn%3Aaws%3Aapigateway%3A%3A%2Frestapis%2Fx") == "GetTags"


def test_unknown_paths() -> None:
    with pytest.raises(UnknownOperationException):
        ROUTER.match("GET", "/nothing/here", {})


def _parse(
    service: Service,
    method: str,
    path: str,
    body: bytes = b"",
    query: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, object]:
    found, labels = ROUTER.match(method, path, query or {})
    return parse_request(service, found, labels, query or {}, headers or {}, body)


def test_wire_names_become_member_names() -> None:
    params = _parse(
        APIGATEWAY,
        "PUT",
        "/restapis/a1/resources/r1/methods/GET/integration",
        b'{"type": "HTTP", "httpMethod": "POST", "uri": "http://x"}',
    )
    assert params == {
        "restApiId": "a1",
        "resourceId": "r1",
        "httpMethod": "GET",
        "type": "HTTP",
        "integrationHttpMethod": "POST",
        "uri": "http://x",
    }


def test_query_string_members_and_the_parameters_map() -> None:
    params = _parse(
        APIGATEWAY,
        "PUT",
        "/restapis/a1",
        b"doc",
        {"mode": ["overwrite"], "failonwarnings": ["true"], "basepath": ["split"]},
    )
    assert params == {
        "restApiId": "a1",
        "mode": "overwrite",
        "failOnWarnings": True,
        "parameters": {"basepath": "split"},
        "body": b"doc",
    }


def test_blob_members_in_json_are_base64() -> None:
    params = _parse(
        LAMBDA,
        "POST",
        "/2015-03-31/functions",
        b'{"FunctionName": "f", "Role": "arn:aws:iam::000000000000:role/r", "Code": {"ZipFile": "UEsDBA=="}}',
    )
    assert params["Code"] == {"ZipFile": b"PK\x03\x04"}


def test_enum_errors_are_reported_together_in_aws_order() -> None:
    with pytest.raises(ValidationException) as error:
        _parse(
            APIGATEWAY,
            "PATCH",
            "/restapis/a1",
            b'{"patchOperations": [{"op": "bad"}, {"op": "worse"}]}',
        )
    assert error.value.message == (
        "2 validation errors detected: Value 'bad' at 'updateRestApiInput.patchOperations.1."
        "member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, "
        "remove, move, test, replace, copy]; Value 'worse' at 'updateRestApiInput."
        "patchOperations.2.member.op' failed to satisfy constraint: Member must satisfy enum "
        "value set: [add, remove, move, test, replace, copy]"
    )


def test_wrong_json_types_are_serialization_errors() -> None:
    with pytest.raises(SerializationException) as error:
        _parse(APIGATEWAY, "POST", "/restapis", b'{"name": true}')
    assert error.value.message == "class java.lang.Boolean can not be converted to an String"
    with pytest.raises(SerializationException):
        _parse(APIGATEWAY, "POST", "/restapis", b"{not json")


def test_required_members() -> None:
    with pytest.raises(ValidationException) as error:
        _parse(APIGATEWAY, "POST", "/restapis", b"{}")
    assert error.value.message == (
        "1 validation error detected: Value null at 'createRestApiInput.name' failed to "
        "satisfy constraint: Member must not be null"
    )


def test_serialises_wire_names_timestamps_headers_and_status() -> None:
    found, _ = ROUTER.match("POST", "/restapis", {})
    wire = serialize_response(
        found,
        {
            "id": "a1",
            "name": "n",
            "createdDate": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        },
    )
    assert wire.status == 201
    assert orjson.loads(wire.body) == {"id": "a1", "name": "n", "createdDate": 1767225600}
    invoke, _ = ROUTER.match("POST", "/2015-03-31/functions/f/invocations", {})
    wire = serialize_response(
        invoke, {"StatusCode": 200, "Payload": b'{"r":1}', "FunctionError": "Unhandled"}
    )
    assert (wire.status, wire.body) == (200, b'{"r":1}')
    assert ("X-Amz-Function-Error", "Unhandled") in wire.headers


def test_errors_use_the_error_shape_of_the_service() -> None:
    wire = serialize_error(APIGATEWAY, NotFoundException("gone"))
    assert (wire.status, orjson.loads(wire.body)) == (404, {"message": "gone"})
    assert ("x-amzn-ErrorType", "NotFoundException") in wire.headers
    from tollway.control.errors import ResourceNotFoundException

    wire = serialize_error(LAMBDA, ResourceNotFoundException("no fn"))
    assert orjson.loads(wire.body) == {"Type": "User", "Message": "no fn"}


def test_model_patterns_python_cannot_compile_are_not_checked() -> None:
    # botocore's lambda model writes some patterns in Java-only syntax (`\p{L}`).
    params = _parse(
        LAMBDA,
        "POST",
        "/2015-03-31/functions",
        b'{"FunctionName": "f", "Role": "arn:aws:iam::000000000000:role/r", '
        b'"Code": {}, "Tags": {"t\\u00e9": "v\\u00e9"}}',
    )
    assert params["Tags"] == {"t\u00e9": "v\u00e9"}
