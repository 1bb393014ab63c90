"""The integration request stage: parameter mapping, template selection, passthrough."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.dataplane.conftest import add, context, definition, stage

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.errors import UnsupportedMediaType
from tollway.dataplane.handlers.integration_request import IntegrationRequest, media_type
from tollway.dataplane.handlers.route import ResourceRouter

HTTP = {"type": "HTTP", "httpMethod": "POST", "uri": "http://backend.test/{id}"}


async def _run(
    integration: dict[str, Any], content_type: str | None, body: bytes = b"raw", **stage_args: Any
) -> Any:
    d = definition()
    add(d, "/things/{id}", "POST", integration)
    headers = [("Content-Type", content_type)] if content_type else []
    ctx = context(
        stage(d, **stage_args), "POST", "/things/5", [*headers, ("X-In", "h")], body, "q=1&q=2"
    )
    await ResourceRouter()(HandlerChain(), ctx)
    await IntegrationRequest()(HandlerChain(), ctx)
    return ctx


def test_media_type() -> None:
    assert media_type("application/json; charset=UTF-8") == "application/json"
    assert media_type("Text/XML, application/json") == "text/xml"
    assert media_type(None) == media_type("") == "application/json"


async def test_template_for_the_content_type_transforms_the_body() -> None:
    ctx = await _run({**HTTP, "requestTemplates": {"text/plain": "got $input.body"}}, "text/plain")
    assert (ctx.integration_body, ctx.template_applied) == (b"got raw", True)


async def test_missing_content_type_means_application_json() -> None:
    ctx = await _run({**HTTP, "requestTemplates": {"application/json": "j"}}, None)
    assert ctx.integration_body == b"j"


@pytest.mark.parametrize(
    ("behavior", "templates", "refused"),
    [
        ("WHEN_NO_MATCH", {"application/xml": "x"}, False),
        ("WHEN_NO_MATCH", {}, False),
        ("WHEN_NO_TEMPLATES", {"application/xml": "x"}, True),
        ("WHEN_NO_TEMPLATES", {}, False),
        ("NEVER", {"application/xml": "x"}, True),
        ("NEVER", {}, True),
    ],
)
async def test_passthrough_behaviors(
    behavior: str, templates: dict[str, str], refused: bool
) -> None:
    integration = {**HTTP, "passthroughBehavior": behavior, "requestTemplates": templates}
    if refused:
        with pytest.raises(UnsupportedMediaType):
            await _run(integration, "text/plain")
    else:
        ctx = await _run(integration, "text/plain")
        assert (ctx.integration_body, ctx.template_applied) == (b"raw", False)


async def test_parameter_mapping() -> None:
    mapping = {
        "integration.request.path.id": "method.request.path.id",
        "integration.request.header.X-Static": "'fixed'",
        "integration.request.header.X-Copy": "method.request.header.X-In",
        "integration.request.querystring.all": "method.request.multivaluequerystring.q",
        "integration.request.querystring.last": "method.request.querystring.q",
        "integration.request.header.X-Stage": "stageVariables.color",
        "integration.request.header.X-Id": "context.requestId",
        "integration.request.header.X-Absent": "method.request.header.Nope",
    }
    ctx = await _run(
        {**HTTP, "requestParameters": mapping}, "text/plain", variables={"color": "red"}
    )
    assert ctx.mapped.path == {"id": "5"}
    assert ctx.mapped.querystring == {"all": ["1", "2"], "last": ["2"]}
    assert ctx.mapped.headers == {
        "X-Static": ["fixed"],
        "X-Copy": ["h"],
        "X-Stage": ["red"],
        "X-Id": [ctx.request_id],
    }


async def _run_binary(
    integration: dict[str, Any], content_type: str, body: bytes, media_types: list[str]
) -> Any:
    d = definition()
    d["api"]["binaryMediaTypes"] = media_types
    add(d, "/things/{id}", "POST", integration)
    ctx = context(stage(d), "POST", "/things/5", [("Content-Type", content_type)], body)
    await ResourceRouter()(HandlerChain(), ctx)
    await IntegrationRequest()(HandlerChain(), ctx)
    return ctx


async def test_a_binary_payload_converted_to_text_is_base64_to_its_template() -> None:
    integration = {
        **HTTP,
        "contentHandling": "CONVERT_TO_TEXT",
        "requestTemplates": {"image/png": '{"data": "$input.body"}'},
    }
    ctx = await _run_binary(integration, "image/png", b"\x89PNG\x00", ["image/*"])
    assert ctx.integration_body == b'{"data": "iVBORwA="}'


async def test_a_binary_payload_that_stays_binary_skips_its_template() -> None:
    integration = {**HTTP, "requestTemplates": {"image/png": "never"}}
    ctx = await _run_binary(integration, "image/png", b"\x89PNG\x00", ["image/*"])
    assert (ctx.integration_body, ctx.template_applied) == (b"\x89PNG\x00", False)


async def test_text_converted_to_binary_is_decoded_after_its_template() -> None:
    integration = {
        **HTTP,
        "contentHandling": "CONVERT_TO_BINARY",
        "requestTemplates": {"text/plain": "AA$input.body"},
    }
    ctx = await _run_binary(integration, "text/plain", b"EC", [])
    assert ctx.integration_body == b"\x00\x01\x02"


async def test_http_proxy_payloads_are_converted_too() -> None:
    integration = {"type": "HTTP_PROXY", "httpMethod": "POST", "uri": "http://b.test/"}
    ctx = await _run_binary(
        {**integration, "contentHandling": "CONVERT_TO_TEXT"}, "image/png", b"\xff", ["*/*"]
    )
    assert ctx.integration_body == b"/w=="


async def test_without_binary_settings_nothing_is_compiled_or_converted() -> None:
    ctx = await _run(HTTP, "image/png", b"\xff\x00")
    assert ctx.method.payload is None
    assert ctx.integration_body == b"\xff\x00"


async def test_mock_request_templates_are_never_converted() -> None:
    mock = {
        "type": "MOCK",
        "contentHandling": "CONVERT_TO_BINARY",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
    }
    ctx = await _run_binary(mock, "application/json", b"", ["*/*"])
    assert ctx.method.payload is None
    assert ctx.integration_body == b'{"statusCode": 200}'
