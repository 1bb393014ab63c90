"""Non-proxy WebSocket mapping (websocket/mapping.py): request template selection,
passthrough behaviours, request parameters, integration response selection."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.dataplane.websocket.test_compile_and_events import add_route, definition, services

from tollway.dataplane.websocket.compile import compile_stage
from tollway.dataplane.websocket.mapping import (
    Endpoint,
    MappingFailed,
    RequestMapping,
    ResponseValue,
    compile_parameters,
    compile_responses,
    compile_templates,
)
from tollway.dataplane.websocket.selection import Selector

CONTEXT = {"connectionId": "c1", "routeKey": "r", "identity": {"sourceIp": "1.2.3.4"}}


def event(body: str = "", **extra: Any) -> dict[str, Any]:
    return {"requestContext": CONTEXT, "body": body, **extra}


def request(
    templates: dict[str, str],
    expression: str | None = None,
    passthrough: str = "WHEN_NO_MATCH",
    parameters: dict[str, str] | None = None,
    to_binary: bool = False,
) -> RequestMapping:
    variables = {"color": "blue"}
    return RequestMapping(
        compile_templates(templates),
        Selector(expression) if expression else None,
        passthrough,
        compile_parameters(parameters or {}, variables),
        to_binary,
        variables,
    )


TEMPLATES = {"a": "A:$input.path('$.v')", "$default": "D:$context.connectionId"}


@pytest.mark.parametrize(
    ("expression", "message", "expected"),
    [
        ("${request.body.kind}", '{"kind": "a", "v": 7}', b"A:7"),
        ("${request.body.kind}", '{"kind": "b", "v": 7}', b"D:c1"),
        ("${request.body.kind}", "not json", b"D:c1"),
        ("a", '{"v": "static"}', b"A:static"),
        ("\\$default", '{"kind": "a"}', b"D:c1"),
        (None, '{"kind": "a"}', b"D:c1"),
    ],
)
def test_template_selection(expression: str | None, message: str, expected: bytes) -> None:
    assert request(TEMPLATES, expression).apply(event(message)).body == expected


@pytest.mark.parametrize(
    ("templates", "passthrough", "passes"),
    [
        ({}, "WHEN_NO_MATCH", True),
        ({"other": "x"}, "WHEN_NO_MATCH", True),
        ({}, "WHEN_NO_TEMPLATES", True),
        ({"other": "x"}, "WHEN_NO_TEMPLATES", False),
        ({}, "NEVER", False),
        ({"other": "x"}, "NEVER", False),
    ],
)
def test_passthrough(templates: dict[str, str], passthrough: str, passes: bool) -> None:
    mapping = request(templates, "${request.body.kind}", passthrough)
    if passes:
        assert mapping.apply(event('{"kind": "k"}')).body == b'{"kind": "k"}'
    else:
        with pytest.raises(MappingFailed, match=passthrough):
            mapping.apply(event('{"kind": "k"}'))


def test_request_parameters() -> None:
    mapping = request(
        {},
        parameters={
            "integration.request.header.connectionId": "context.connectionId",
            "integration.request.header.X-Ip": "context.identity.sourceIp",
            "integration.request.header.X-Color": "stageVariables.color",
            "integration.request.querystring.token": "route.request.querystring.token",
            "integration.request.path.agent": "route.request.header.user-agent",
            "integration.request.header.X-Static": "'fixed'",
            "integration.request.header.X-Absent": "route.request.header.nope",
        },
    )
    mapped = mapping.apply(
        event(headers={"User-Agent": "ua"}, queryStringParameters={"token": "t"})
    )
    assert mapped.headers == {
        "connectionId": "c1",
        "X-Ip": "1.2.3.4",
        "X-Color": "blue",
        "X-Static": "fixed",
    }
    assert mapped.querystring == {"token": "t"}
    assert mapped.path == {"agent": "ua"}


def test_params_on_connect_and_binary_conversion() -> None:
    connect = request({"$default": "$input.params('token')/$input.params('Host')"})
    headers = {"Host": "h"}
    mapped = connect.apply(event(headers=headers, queryStringParameters={"token": "t"}))
    assert mapped.body == b"t/h"
    assert request({}, to_binary=True).apply(event("aGk=")).body == b"hi"
    with pytest.raises(MappingFailed, match="base64"):
        request({}, to_binary=True).apply(event("not base64!"))


def test_unsupported_parameter_is_refused_at_compile_time() -> None:
    with pytest.raises(ValueError, match="source"):
        compile_parameters({"integration.request.header.X": "method.request.header.Y"}, {})


def test_response_values() -> None:
    endpoint = Endpoint(404, {"x-kind": "k"}, b'{"errorMessage": "boom", "n": [1, 2]}')
    assert ResponseValue("${integration.response.statuscode}").evaluate(endpoint) == "404"
    assert ResponseValue("$integration.response.statuscode").evaluate(endpoint) == "404"
    assert ResponseValue("${integration.response.body.errorMessage}").evaluate(endpoint) == "boom"
    assert ResponseValue("${integration.response.header.X-Kind}-v").evaluate(endpoint) == "k-v"
    assert ResponseValue("static").evaluate(endpoint) == "static"
    assert ResponseValue("${integration.response.body.n[1]}").evaluate(endpoint) == "2"


def responses(expression: str | None, **by_key: dict[str, Any]) -> Any:
    items = {k: {"IntegrationResponseKey": k, **v} for k, v in by_key.items()}
    warnings: list[str] = []
    return compile_responses(expression, items, {}, warnings)


def test_integration_response_selection() -> None:
    mappings = responses(
        None,
        **{
            "/2\\d\\d/": {"ResponseTemplates": {"$default": "ok:$input.body"}},
            "/4\\d\\d/": {
                "TemplateSelectionExpression": "${integration.response.statuscode}",
                "ResponseTemplates": {"404": "missing", "$default": "client:$context.routeKey"},
            },
            "$default": {},
        },
    )
    assert mappings.apply(Endpoint(201, {}, b"b"), CONTEXT) == "ok:b"
    assert mappings.apply(Endpoint(404, {}, b"b"), CONTEXT) == "missing"
    assert mappings.apply(Endpoint(400, {}, b"b"), CONTEXT) == "client:r"
    assert mappings.apply(Endpoint(500, {}, b"raw"), CONTEXT) == "raw"
    # the whole value must match: /2\d/ does not select 200
    partial = responses(None, **{"/2\\d/": {"ResponseTemplates": {"$default": "x"}}})
    with pytest.raises(MappingFailed) as failed:
        partial.apply(Endpoint(200, {}, b""), CONTEXT)
    assert str(failed.value) == (
        "Execution failed due to configuration error: No match for output mapping and no "
        "default output mapping configured. Endpoint Response Status Code: 200"
    )


def test_lambda_error_selection_and_text_conversion() -> None:
    mappings = responses(
        "${integration.response.body.errorMessage}",
        **{
            "/Not found.*/": {"ResponseTemplates": {"$default": "nf:$input.path('$.errorType')"}},
            "$default": {"ContentHandlingStrategy": "CONVERT_TO_TEXT"},
        },
    )
    error = b'{"errorMessage": "Not found: x", "errorType": "E"}'
    assert mappings.apply(Endpoint(200, {}, error), CONTEXT) == "nf:E"
    assert mappings.apply(Endpoint(200, {}, b"hi"), CONTEXT) == "aGk="


def test_request_models_compile_into_the_route() -> None:
    d = definition()
    schema = '{"type": "object", "required": ["n"]}'
    d["Models"]["m1"] = {"ModelId": "m1", "Name": "Numbered", "Schema": schema}
    add_route(d, "$connect", ModelSelectionExpression="x", RequestModels={"x": "Numbered"})
    add_route(d, "checked", ModelSelectionExpression="\\$default",
              RequestModels={"$default": "Numbered"})  # fmt: skip
    add_route(d, "broken", ModelSelectionExpression="m", RequestModels={"m": "Nothing"})
    add_route(d, "free", RequestModels={"$default": "Numbered"})  # no expression: no check
    stage = compile_stage(d, "dep1", {"StageName": "dev"}, services())
    assert stage.warnings == [
        "route $connect: request models are not applied (no message body)",
        "route broken: its request models: the request model Nothing does not exist; every "
        "message fails validation",
    ]
    assert stage.routes["free"].validator is None
    checked = stage.routes["checked"].validator
    assert checked is not None
    assert checked.failure(True, {"n": 1}, CONTEXT) is None
    assert checked.failure(True, {}, CONTEXT) == (
        "Request body does not match model Numbered: [object has missing required properties "
        '(["n"])]'
    )
    assert checked.failure(False, None, CONTEXT) == "the message is not JSON"
    broken = stage.routes["broken"].validator
    assert broken is not None and broken.failure(True, {"n": 1}, CONTEXT) is not None
