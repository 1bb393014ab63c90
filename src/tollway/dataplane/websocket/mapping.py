"""Integration request and response mapping of non-proxy WebSocket integrations, compiled once
per deployment (spec §13.3, §4.4, §4.5).

AWS counterparts: "Data transformations for WebSocket APIs", "Set up a WebSocket API
integration response", "WebSocket selection expressions".
- Request: the template named by Integration.TemplateSelectionExpression (`${request.body.x}`,
  static text, `\\$default`; no expression: `$default`), else the `$default` template; with no
  template PassthroughBehavior decides: WHEN_NO_MATCH passes the message through,
  WHEN_NO_TEMPLATES only when the integration has no template at all, NEVER refuses. Templates
  render with the REST engine (mapping/vtl.py): `$input.body`/`json`/`path`, `$input.params()`
  (the handshake's headers and query string, on `$connect` and `$disconnect`), the WebSocket
  `$context` (the event's requestContext) and `$stageVariables`.
- Request parameters: `integration.request.{header|querystring|path}.X` from
  `route.request.header.Y`/`route.request.querystring.Y` (the handshake's), `context.X`,
  `stageVariables.X` or `'static'`.
- Response: IntegrationResponseSelectionExpression (`${integration.response.statuscode}` for
  HTTP, `${integration.response.body.errorMessage}` for Lambda: the control plane's defaults)
  evaluated against the endpoint response; the first `/regex/` key matching the whole value,
  else `$default`; none: "No match for output mapping" (the message's error frame). Its
  ResponseTemplates are chosen by its TemplateSelectionExpression like the request's; without
  one the backend's body goes through as it is.
- ContentHandlingStrategy: CONVERT_TO_BINARY on the integration base64-decodes the message for
  the backend; CONVERT_TO_TEXT on an integration response base64-encodes the backend's body.
  The other directions are refused with a warning at deployment.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from tollway.dataplane.mapping.vtl import MappingTemplate, TemplateError, TemplateInput
from tollway.dataplane.websocket.selection import Selector, lookup, parse_message, parse_path
from tollway.dataplane.websocket.selection import render as render_value

DEFAULT = "$default"
PASSTHROUGH_BEHAVIORS = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")
NO_MAPPING = (
    "Execution failed due to configuration error: No match for output mapping and no default "
    "output mapping configured. Endpoint Response Status Code: {status}"
)
_TARGET = re.compile(r"^integration\.request\.(header|querystring|path)\.(.+)$")
_SOURCE = re.compile(r"^(route\.request\.(?:header|querystring)|context|stageVariables)\.(.+)$")
_RESPONSE_VARIABLE = re.compile(r"\\\$|\$\{([^}]*)\}|\$(integration\.response\.[^\s${}]+)$")


class MappingFailed(Exception):
    """The request or response cannot be mapped; the message gets the error frame."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """What the backend answered: an HTTP response, or a Lambda function's result."""

    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes


@dataclass(slots=True)
class MappedRequest:
    body: bytes
    headers: dict[str, str]
    querystring: dict[str, str]
    path: dict[str, str]


Source = Callable[[dict[str, Any]], str | None]


def compile_parameters(
    parameters: Mapping[str, str], stage_variables: Mapping[str, str]
) -> list[tuple[str, str, Source]]:
    """(location, name, source) per request parameter; raises ValueError for one that is not
    a WebSocket mapping (the control plane refuses them, an imported API may not)."""
    out: list[tuple[str, str, Source]] = []
    for target, source in parameters.items():
        match = _TARGET.match(target)
        if match is None:
            raise ValueError(f"unsupported request parameter target {target}")
        out.append((match.group(1), match.group(2), _source(source, stage_variables)))
    return out


def _source(source: str, stage_variables: Mapping[str, str]) -> Source:
    if len(source) >= 2 and source.startswith("'") and source.endswith("'"):
        value = source[1:-1]
        return lambda event: value
    match = _SOURCE.match(source)
    if match is None:
        raise ValueError(f"unsupported request parameter source {source}")
    kind, name = match.groups()
    if kind == "stageVariables":
        constant = stage_variables.get(name)
        return lambda event: constant
    if kind == "context":
        path = parse_path(name)

        def from_context(event: dict[str, Any]) -> str | None:
            value = lookup(event["requestContext"], path)
            return None if value is None else render_value(value)

        return from_context
    if kind.endswith("header"):
        lower = name.lower()
        return lambda event: next(
            (v for k, v in (event.get("headers") or {}).items() if k.lower() == lower), None
        )
    return lambda event: (event.get("queryStringParameters") or {}).get(name)


@dataclass(frozen=True, slots=True)
class RequestMapping:
    templates: dict[str, MappingTemplate]
    selector: Selector | None
    passthrough: str
    parameters: list[tuple[str, str, Source]]
    to_binary: bool  # ContentHandlingStrategy CONVERT_TO_BINARY
    stage_variables: Mapping[str, str]

    def apply(self, event: dict[str, Any]) -> MappedRequest:
        """The integration request of an event; raises MappingFailed."""
        text = event.get("body") or ""
        body = self._body(event, text)
        if self.to_binary:
            try:
                body = base64.b64decode(body, validate=True)
            except binascii.Error:
                raise MappingFailed("the message is not base64 (CONVERT_TO_BINARY)") from None
        mapped = MappedRequest(body, {}, {}, {})
        for location, name, source in self.parameters:
            value = source(event)
            if value is not None:
                target = mapped.headers if location == "header" else getattr(mapped, location)
                target[name] = value
        return mapped

    def _body(self, event: dict[str, Any], text: str) -> bytes:
        template = None
        if self.templates:
            key = DEFAULT
            if self.selector is not None:
                is_json, parsed = parse_message(text) if self.selector.reads_body else (True, None)
                key = self.selector.evaluate(parsed if is_json else None, event["requestContext"],
                                             self.stage_variables)  # fmt: skip
            template = self.templates.get(key, self.templates.get(DEFAULT))
        if template is None:
            if self.passthrough == "NEVER" or (
                self.passthrough == "WHEN_NO_TEMPLATES" and self.templates
            ):
                raise MappingFailed(f"no request template matches ({self.passthrough})")
            return text.encode()
        data = TemplateInput(text, _params(event), event["requestContext"], self.stage_variables)
        try:
            return template.render(data).encode()
        except TemplateError as e:
            raise MappingFailed(str(e)) from None


def _params(event: dict[str, Any]) -> dict[str, Mapping[str, str]]:
    return {
        "path": {},
        "querystring": event.get("queryStringParameters") or {},
        "header": event.get("headers") or {},
    }


class ResponseValue:
    """A compiled IntegrationResponseSelectionExpression (or a response's
    TemplateSelectionExpression): `${integration.response.statuscode}`,
    `${integration.response.header.X}`, `${integration.response.body.path}`, static text."""

    __slots__ = ("_parts",)

    def __init__(self, expression: str) -> None:
        parts: list[str | tuple[str, Any]] = []
        end = 0
        for match in _RESPONSE_VARIABLE.finditer(expression):
            parts.append(expression[end : match.start()])
            name = match.group(1) or match.group(2)
            parts.append("$" if name is None else _response_variable(name))
            end = match.end()
        parts.append(expression[end:])
        self._parts = tuple(p for p in parts if p != "")

    def evaluate(self, endpoint: Endpoint) -> str:
        out = []
        parsed: Any = None
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
            elif part[0] == "statuscode":
                out.append(str(endpoint.status))
            elif part[0] == "header":
                out.append(endpoint.headers.get(part[1], ""))
            else:
                if parsed is None:
                    try:
                        parsed = orjson.loads(endpoint.body)
                    except orjson.JSONDecodeError:
                        parsed = {}
                out.append(render_value(lookup(parsed, part[1])))
        return "".join(out)


def _response_variable(name: str) -> tuple[str, Any]:
    """`("statuscode", None)`, `("header", lowercased name)` or `("body", path)`."""
    if name == "integration.response.statuscode":
        return ("statuscode", None)
    header = name.removeprefix("integration.response.header.")
    if header != name:
        return ("header", header.lower())
    body = name.removeprefix("integration.response.body.")
    if body != name:
        return ("body", parse_path(body))
    raise ValueError(f"unsupported variable ${name} (integration.response.statuscode, "
                     "header.<name>, body.<path>)")  # fmt: skip


@dataclass(frozen=True, slots=True)
class ResponseMapping:
    """One integration response (IntegrationResponseKey `$default` or `/regex/`)."""

    templates: dict[str, MappingTemplate]
    selector: ResponseValue | None
    to_text: bool  # ContentHandlingStrategy CONVERT_TO_TEXT


@dataclass(frozen=True, slots=True)
class ResponseMappings:
    value: ResponseValue
    patterns: list[tuple[re.Pattern[str], ResponseMapping]]
    default: ResponseMapping | None
    stage_variables: Mapping[str, str]

    def apply(self, endpoint: Endpoint, context: Mapping[str, Any]) -> str:
        """What a two-way route sends back; raises MappingFailed."""
        value = self.value.evaluate(endpoint)
        chosen = next((m for p, m in self.patterns if p.fullmatch(value)), self.default)
        if chosen is None:
            raise MappingFailed(NO_MAPPING.format(status=endpoint.status))
        body = endpoint.body
        if chosen.to_text:
            body = base64.b64encode(body)
        text = body.decode("utf-8", "replace")
        if not chosen.templates:
            return text
        key = chosen.selector.evaluate(endpoint) if chosen.selector is not None else DEFAULT
        template = chosen.templates.get(key, chosen.templates.get(DEFAULT))
        if template is None:
            return text
        try:
            return template.render(TemplateInput(text, {}, context, self.stage_variables))
        except TemplateError as e:
            raise MappingFailed(str(e)) from None


def compile_templates(templates: Mapping[str, str] | None) -> dict[str, MappingTemplate]:
    """Raises TemplateError for one that does not compile."""
    return {k: MappingTemplate.compile(v) for k, v in (templates or {}).items()}


def compile_responses(
    expression: str | None,
    responses: Mapping[str, Mapping[str, Any]],
    stage_variables: Mapping[str, str],
    warnings: list[str],
) -> ResponseMappings:
    """Raises TemplateError or ValueError (a variable or pattern Tollway cannot evaluate)."""
    patterns = []
    default = None
    for response in responses.values():
        key = response.get("IntegrationResponseKey") or ""
        strategy = response.get("ContentHandlingStrategy")
        if strategy == "CONVERT_TO_BINARY":
            warnings.append(
                f"integration response {key}: ContentHandlingStrategy CONVERT_TO_BINARY is not "
                "supported by Tollway yet (binary frames)"
            )
        selection = response.get("TemplateSelectionExpression")
        mapping = ResponseMapping(
            compile_templates(response.get("ResponseTemplates")),
            ResponseValue(selection) if selection else None,
            strategy == "CONVERT_TO_TEXT",
        )
        if key == DEFAULT:
            default = mapping
        else:
            try:
                patterns.append((re.compile(key[1:-1]), mapping))
            except re.error as e:
                raise ValueError(f"integration response key {key}: {e}") from None
    value = ResponseValue(expression or "${integration.response.statuscode}")
    return ResponseMappings(value, patterns, default, stage_variables)
