"""Integration response: turns a non-proxy backend's answer into the method response.

AWS counterpart: integration responses (spec §4.3). The selection value (the backend's
status code as text, or Lambda's errorMessage) is matched against each response's
`selectionPattern` as a whole-string regex, first match wins; otherwise the default response
(no pattern) is used; with neither, API_CONFIGURATION_ERROR. The response template is chosen
by the request's Accept (application/json, then the first template as fallbacks); without
templates the body passes through. Only mapped headers reach the client. What the template
sets in `$context.responseOverride` (status, headers) wins over the selected response and its
header mappings (spec §4.6, templating.py).

Binary payloads (spec §4.7, binary.py): with `binaryMediaTypes` or the response's
`contentHandling` set, the endpoint's payload (binary when its Content-Type is one of
`binaryMediaTypes`) is converted for the client (binary when contentHandling says so or, when
unset, when the first Accept type is binary): binary becomes base64 text before the template,
text becomes binary after it (a failed base64 decoding is a 500), and a binary payload that
stays binary passes through without the template.
"""

from __future__ import annotations

from tollway.dataplane.binary import Conversion, decode, encode
from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.compiled import CompiledIntegrationResponse, CompiledMethod
from tollway.dataplane.context import Response, RestContext
from tollway.dataplane.errors import ApiConfigurationError
from tollway.dataplane.handlers.integration_request import media_type
from tollway.dataplane.mapping.vtl import TemplateError
from tollway.dataplane.templating import (
    RESPONSE_OVERRIDE,
    apply_response_override,
    template_input,
)


def select_response(method: CompiledMethod, value: str | None) -> CompiledIntegrationResponse:
    if value is not None:
        for response in method.responses:
            if response.pattern is not None and response.pattern.fullmatch(value):
                return response
    if method.default_response is not None:
        return method.default_response
    raise ApiConfigurationError(
        log="Execution failed due to configuration error: No match for output mapping and no "
        f"default output mapping configured. Endpoint Response Status Code: {value}"
    )


class IntegrationResponse:
    async def __call__(self, chain: HandlerChain, ctx: RestContext) -> None:
        if ctx.response is not None:
            return  # a proxy integration answered already
        endpoint = ctx.endpoint_response
        assert ctx.method is not None and endpoint is not None
        selected = select_response(ctx.method, ctx.selection_value)
        body = endpoint.body
        accept = ctx.request.header("Accept")
        conversion = Conversion.TEXT
        if selected.payload is not None:
            conversion = selected.payload.response(_content_type(endpoint), accept)
            body = encode(body, conversion)
        content_type = "application/json"
        data = None
        found = selected.templates.for_response(media_type(accept))
        if found is not None:
            content_type, template = found
            if conversion is Conversion.BINARY:
                pass  # binary passes through untemplated
            elif template.is_static:  # its text whatever the response: no input to build
                body = template.text.encode()
            else:
                data = template_input(ctx, body, RESPONSE_OVERRIDE)
                try:
                    body = template.render(data).encode()
                except TemplateError as e:
                    raise ApiConfigurationError(
                        log=f"Execution failed due to configuration error: response template: {e}"
                    ) from None
        if conversion is Conversion.DECODE:
            body = decode(body, conversion, "response payload")
        headers = [("Content-Type", content_type)]
        for name, get in selected.headers:
            value = get(ctx)
            if value is not None:
                headers = [(k, v) for k, v in headers if k.lower() != name.lower()]
                headers.append((name, value))
        status = selected.status
        if data is not None:
            status, headers = apply_response_override(data, status, headers)
        ctx.response = Response(status, headers, body)


def _content_type(response: Response) -> str | None:
    for name, value in response.headers:
        if name.lower() == "content-type":
            return value
    return None
