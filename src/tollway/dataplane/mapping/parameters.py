"""REST parameter mapping expressions (spec §4.2, §4.3, §10.2), compiled to getters.

A mapping's source is an expression such as `method.request.path.id`,
`integration.response.header.X-Total`, `stageVariables.host`, `context.requestId` or a static
`'value'`. Each is parsed once, when the deployment is compiled, into a function of the request
context; which sources are allowed depends on the side (request, response, gateway response).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import orjson
from jsonpath_ng.parser import parse as parse_jsonpath

from tollway.dataplane import variables

if TYPE_CHECKING:
    from tollway.dataplane.context import RestContext

Getter = Callable[["RestContext"], Any]

REQUEST = "request"
RESPONSE = "response"
GATEWAY_RESPONSE = "gateway"


class MappingError(ValueError):
    """An expression Tollway cannot evaluate (AWS refuses it, or Tollway does not support
    it yet: the message says which)."""


def compile_source(expression: str, side: str, stage_variables: Mapping[str, str]) -> Getter:
    if len(expression) >= 2 and expression.startswith("'") and expression.endswith("'"):
        static = expression[1:-1]
        return lambda ctx: static
    if expression.startswith("stageVariables."):
        value = stage_variables.get(expression[len("stageVariables.") :])
        return lambda ctx: value
    if expression.startswith("context."):
        get = variables.getter(expression[len("context.") :])
        if get is None:
            raise MappingError(f"Invalid mapping expression specified: {expression}")
        return get
    if side in (REQUEST, GATEWAY_RESPONSE) and expression.startswith("method.request."):
        return _method_request(expression, allow_body=side == REQUEST)
    if side == RESPONSE and expression.startswith("integration.response."):
        return _integration_response(expression)
    raise MappingError(f"Invalid mapping expression specified: {expression}")


def _method_request(expression: str, *, allow_body: bool) -> Getter:
    location, _, name = expression[len("method.request.") :].partition(".")
    if location == "path" and name:
        return lambda ctx: ctx.path_parameters.get(name)
    if location == "querystring" and name:
        return lambda ctx: ctx.request.query.get(name)
    if location == "multivaluequerystring" and name:
        return lambda ctx: ctx.request.multi_query.get(name)
    if location == "header" and name:
        return lambda ctx: ctx.request.header(name)
    if location == "multivalueheader" and name:
        return lambda ctx: ctx.request.header_values(name) or None
    if allow_body and location == "body":
        return _body_getter(name, lambda ctx: ctx.request.body)
    raise MappingError(f"Invalid mapping expression specified: {expression}")


def _integration_response(expression: str) -> Getter:
    location, _, name = expression[len("integration.response.") :].partition(".")

    def response_body(ctx: RestContext) -> bytes:
        return ctx.endpoint_response.body if ctx.endpoint_response else b""

    def header_values(ctx: RestContext) -> list[str]:
        response = ctx.endpoint_response
        if response is None:
            return []
        lowered = name.lower()
        return [v for k, v in response.headers if k.lower() == lowered]

    if location == "header" and name:
        return lambda ctx: next(reversed(header_values(ctx)), None)
    if location == "multivalueheader" and name:
        return lambda ctx: ",".join(header_values(ctx)) or None
    if location == "body":
        return _body_getter(name, response_body)
    raise MappingError(f"Invalid mapping expression specified: {expression}")


def _body_getter(path: str, body_of: Callable[[RestContext], bytes]) -> Getter:
    """`...body` (the whole payload) or `...body.JSONPATH` (a value inside it, without the
    leading `$.`, e.g. `petstore.pets[0].name`)."""
    if not path:
        return lambda ctx: body_of(ctx).decode("utf-8", "replace")
    try:
        compiled = parse_jsonpath("$." + path)
    except Exception as e:
        raise MappingError(f"Invalid JSONPath in mapping expression: {path}: {e}") from None

    def extract(ctx: RestContext) -> Any:
        try:
            document = orjson.loads(body_of(ctx) or b"null")
        except orjson.JSONDecodeError:
            return None
        found = [m.value for m in compiled.find(document)]
        if not found:
            return None
        value = found[0]
        return value if isinstance(value, str) else orjson.dumps(value).decode()

    return extract


def as_text(value: Any) -> str | None:
    """A mapped value as one header/query/path string (lists comma-joined, as AWS does)."""
    if value is None:
        return None
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
