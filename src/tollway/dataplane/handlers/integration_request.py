"""Integration request: maps the method request into what the backend is sent.

AWS counterpart: the integration request's parameter mapping (spec §4.2) and, for non-proxy
integrations, mapping-template selection by Content-Type with `passthroughBehavior`
(spec §4.4): a template for the type transforms the body; otherwise WHEN_NO_MATCH passes it
through, WHEN_NO_TEMPLATES passes it only if no template is defined at all, NEVER refuses
(415 UNSUPPORTED_MEDIA_TYPE). What the template sets in `$context.requestOverride` then
replaces the mapped parameters (spec §4.6, templating.py).

Binary payloads (spec §4.7, binary.py): with `binaryMediaTypes` or the integration's
`contentHandling` set, the payload is converted for the backend (HTTP_PROXY included): a
binary one becomes base64 text before the template sees it, text becomes binary after the
template, and a binary payload that stays binary is passed through without its template.
"""

from __future__ import annotations

from tollway.dataplane.binary import Conversion, decode, encode, first_media_type
from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import MappedRequest, RestContext
from tollway.dataplane.errors import ApiConfigurationError, UnsupportedMediaType
from tollway.dataplane.mapping.parameters import as_text
from tollway.dataplane.mapping.vtl import TemplateError
from tollway.dataplane.templating import (
    REQUEST_OVERRIDE,
    apply_request_override,
    template_input,
)


def media_type(value: str | None, default: str = "application/json") -> str:
    """The media type of a Content-Type/Accept value, parameters and later types dropped."""
    return first_media_type(value) or default


class IntegrationRequest:
    async def __call__(self, chain: HandlerChain, ctx: RestContext) -> None:
        method = ctx.method
        assert method is not None
        if method.request_mapping:
            ctx.mapped = self._map(ctx)
        proxy = method.integration.proxy
        if method.payload is None:  # no binary settings: every payload is text, as it is
            if not proxy:
                self._transform(ctx, ctx.request.header("Content-Type"), binary=False)
            return
        content_type = ctx.request.header("Content-Type")
        conversion = method.payload.request(content_type)
        ctx.integration_body = encode(ctx.integration_body, conversion)
        if not proxy:
            self._transform(ctx, content_type, conversion is Conversion.BINARY)
        ctx.integration_body = decode(ctx.integration_body, conversion, "request payload")

    @staticmethod
    def _transform(ctx: RestContext, content_type: str | None, binary: bool) -> None:
        """The request template for the Content-Type, or passthrough as the method says."""
        method = ctx.method
        assert method is not None
        templates = method.request_templates
        found = templates.for_type(media_type(content_type))
        if found is None:
            if method.passthrough == "NEVER" or (
                method.passthrough == "WHEN_NO_TEMPLATES" and templates.by_type
            ):
                raise UnsupportedMediaType()
            return  # pass the body through unchanged
        if binary:
            return  # a binary payload is passed through, never template-mapped
        template = found[1]
        if template.is_static:  # its text whatever the request: no input to build
            rendered = template.text
        else:
            data = template_input(ctx, ctx.integration_body, REQUEST_OVERRIDE)
            try:
                rendered = template.render(data)
            except TemplateError as e:
                raise ApiConfigurationError(
                    log=f"Execution failed due to configuration error: request template: {e}"
                ) from None
            apply_request_override(ctx, data)
        ctx.integration_body = rendered.encode()
        ctx.template_applied = True

    @staticmethod
    def _map(ctx: RestContext) -> MappedRequest:
        mapping = ctx.method.request_mapping  # type: ignore[union-attr]
        mapped = MappedRequest()
        for name, get in mapping.path:
            value = as_text(get(ctx))
            if value is not None:
                mapped.path[name] = value
        for name, get in mapping.querystring:
            value = get(ctx)
            if value is not None:
                mapped.querystring[name] = value if isinstance(value, list) else [str(value)]
        for name, get in mapping.headers:
            value = get(ctx)
            if value is not None:
                mapped.headers[name] = value if isinstance(value, list) else [str(value)]
        return mapped
