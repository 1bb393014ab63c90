"""The integration response stage: selection by pattern, templates by Accept, header mapping."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.dataplane.conftest import add, context, definition, stage

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import Response
from tollway.dataplane.errors import ApiConfigurationError
from tollway.dataplane.handlers.integration_response import IntegrationResponse
from tollway.dataplane.handlers.route import ResourceRouter

RESPONSES: dict[str, dict[str, Any]] = {
    "200": {
        "statusCode": "200",
        "responseTemplates": {
            "application/json": "{\"got\": $input.json('$.v')}",
            "application/xml": "<got/>",
        },
        "responseParameters": {
            "method.response.header.X-From": "integration.response.header.X-Up",
            "method.response.header.X-Static": "'s'",
        },
    },
    "400": {"statusCode": "400", "selectionPattern": "4\\d{2}"},
    "500": {
        "statusCode": "500",
        "selectionPattern": "5.*",
        "responseTemplates": {"text/plain": "oops"},
    },
}


async def _respond(
    selection: str | None, accept: str | None = None, responses: dict[str, Any] | None = None
) -> Any:
    d = definition()
    add(
        d,
        "/r",
        "GET",
        {"type": "HTTP", "httpMethod": "GET", "uri": "http://b.test/"},
        responses=RESPONSES if responses is None else responses,
    )
    headers = [("Accept", accept)] if accept else []
    ctx = context(stage(d), "GET", "/r", headers)
    await ResourceRouter()(HandlerChain(), ctx)
    ctx.endpoint_response = Response(
        int(selection or 200), [("X-Up", "u"), ("Server", "b")], b'{"v": [1, 2]}'
    )
    ctx.selection_value = selection
    await IntegrationResponse()(HandlerChain(), ctx)
    return ctx.response


async def test_default_response_with_template_and_mapped_headers_only() -> None:
    response = await _respond("200")
    assert response.status == 200
    assert response.body == b'{"got": [1,2]}'
    assert response.headers == [
        ("Content-Type", "application/json"),
        ("X-From", "u"),
        ("X-Static", "s"),
    ]


@pytest.mark.parametrize(("selection", "status"), [("404", 400), ("503", 500), ("302", 200)])
async def test_selection_pattern_is_a_whole_string_regex(selection: str, status: int) -> None:
    assert (await _respond(selection)).status == status


async def test_template_chosen_by_accept_with_fallbacks() -> None:
    xml = await _respond("200", "application/xml")
    assert (xml.body, xml.headers[0]) == (b"<got/>", ("Content-Type", "application/xml"))
    other = await _respond("200", "text/csv")
    assert other.headers[0] == ("Content-Type", "application/json")
    only_text = await _respond("503", "application/json")
    assert (only_text.body, only_text.headers[0]) == (b"oops", ("Content-Type", "text/plain"))


async def test_no_templates_passes_the_body_through() -> None:
    response = await _respond("404")
    assert response.body == b'{"v": [1, 2]}'


async def test_no_match_and_no_default_is_a_configuration_error() -> None:
    with pytest.raises(ApiConfigurationError) as error:
        await _respond("200", responses={"400": RESPONSES["400"]})
    assert error.value.log is not None
    assert error.value.log.endswith(
        "No match for output mapping and no default output mapping configured. "
        "Endpoint Response Status Code: 200"
    )


async def _respond_binary(
    response: dict[str, Any], endpoint: Response, accept: str, media_types: list[str]
) -> Any:
    d = definition()
    d["api"]["binaryMediaTypes"] = media_types
    http = {"type": "HTTP", "httpMethod": "GET", "uri": "http://b.test/"}
    add(d, "/r", "GET", http, responses={"200": {"statusCode": "200", **response}})
    ctx = context(stage(d), "GET", "/r", [("Accept", accept)])
    await ResourceRouter()(HandlerChain(), ctx)
    ctx.endpoint_response = endpoint
    await IntegrationResponse()(HandlerChain(), ctx)
    return ctx.response


PNG = Response(200, [("Content-Type", "image/png")], b"\x89PNG\x00")


async def test_binary_converted_to_text_is_base64_to_the_template() -> None:
    response = await _respond_binary(
        {"responseTemplates": {"application/json": '{"data": "$input.body"}'}},
        PNG,
        "application/json",
        ["image/png"],
    )
    assert response.body == b'{"data": "iVBORwA="}'


async def test_binary_that_stays_binary_skips_the_template() -> None:
    response = await _respond_binary(
        {"responseTemplates": {"image/png": "never"}}, PNG, "image/png", ["image/png"]
    )
    assert response.body == b"\x89PNG\x00"
    assert response.headers[0] == ("Content-Type", "image/png")


async def test_a_template_may_render_the_base64_that_is_then_decoded() -> None:
    response = await _respond_binary(
        {"contentHandling": "CONVERT_TO_BINARY", "responseTemplates": {"image/png": "AAEC"}},
        Response(200),
        "image/png",
        ["image/png"],
    )
    assert response.body == b"\x00\x01\x02"


async def test_text_that_is_not_base64_is_a_configuration_error() -> None:
    with pytest.raises(ApiConfigurationError) as error:
        await _respond_binary(
            {}, Response(200, [], b"plain text!"), "image/png; q=1, text/plain", ["image/*"]
        )
    assert error.value.log is not None
    assert "Unable to base64-decode the response payload" in error.value.log


async def test_all_types_binary_breaks_a_mock_template_unless_converted_to_text() -> None:
    """AWS's known pitfall: with `*/*` the client wants binary, so a MOCK's JSON template
    output is base64-decoded (and fails); CONVERT_TO_TEXT keeps it text."""
    template = {"responseTemplates": {"application/json": '{"ok": true}'}}
    with pytest.raises(ApiConfigurationError):
        await _respond_binary(template, Response(200), "application/json", ["*/*"])
    response = await _respond_binary(
        {**template, "contentHandling": "CONVERT_TO_TEXT"},
        Response(200),
        "application/json",
        ["*/*"],
    )
    assert response.body == b'{"ok": true}'
