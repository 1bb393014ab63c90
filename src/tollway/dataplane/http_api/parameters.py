"""HTTP API parameter mapping (spec §4.8), compiled once per deployment.

AWS counterpart: "Transform API requests and responses for HTTP APIs in API Gateway". An
integration's `RequestParameters` change the request before it reaches the integration
(`append|overwrite|remove:header.NAME`, `append|overwrite|remove:querystring.NAME`,
`overwrite:path`); its `ResponseParameters`, per status code the integration returns, change
the response before the client gets it (`append|overwrite|remove:header.NAME`,
`overwrite:statuscode`).

A value (compiled in `parameter_values`) is static text, one variable (`$request.header.x` or
`${request.header.x}`, the whole value), or text with `${...}` variables (several variables need
the braces, as AWS says). The variables:

| variable | value |
|---|---|
| `request.header.NAME` | the request header, case-insensitive, several values comma-joined |
| `request.querystring.NAME` | the query parameter, case-sensitive, several values comma-joined |
| `request.body` / `request.body.PATH` | the body; a JSONPath in its first 100 KB (no `..`, `?()`) |
| `request.path` / `request.path.NAME` | the request path without the stage; a path parameter |
| `context.NAME` | a `$context` variable (letters, digits, `.` and `_` only) |
| `stageVariables.NAME` | a stage variable |
| `response.header.NAME`, `response.body[.PATH]` | the integration's response (response side) |

Choices where AWS documents nothing (said here so they can be checked against AWS):
- Every value is computed from the request (or response) as received, before any mapping is
  applied; then removals, overwrites and appends are applied in that order, so a rename
  (`append:header.b` from `$request.header.a`, `remove:header.a`) works whatever the order of
  the keys.
- A mapping whose variable has no value (a header that was not sent, a JSONPath that finds
  nothing, an unknown `$context` variable) is skipped, not applied with an empty value.
- `append:header` adds one more header line; `append:querystring` adds one more value.
- A JSONPath that finds an object, an array or a number gives its JSON text.
- Response mappings also accept `$request.*` variables (an older version of AWS's page lists
  `$request.header` for responses).

`validate_request_parameters` / `validate_response_parameters` are what the control plane calls
at CreateIntegration/UpdateIntegration: they compile the maps and turn any error into a
`BadRequestException`. AWS words these errors as "Invalid mapping expression specified:
Validation Result: warnings : [], errors : [...]"; the inner message for a bad response key
("Invalid Response Actioned Parameter destination specified: KEY") is reported from AWS, the
others are worded after it (UNCONFIRMED: the exact inner text for bad request keys, reserved
headers, bad values and status codes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from tollway.control.errors import BadRequestException
from tollway.dataplane.http_api.parameter_values import (
    TOKEN,
    RequestInput,
    ResponseInput,
    Sources,
    Template,
    invalid,
)
from tollway.dataplane.mapping.parameters import MappingError

APPEND: Final = "append"
OVERWRITE: Final = "overwrite"
REMOVE: Final = "remove"

RESERVED_HEADERS: Final = frozenset(
    {
        "authorization",
        "connection",
        "content-encoding",
        "content-length",
        "content-location",
        "forwarded",
        "keep-alive",
        "origin",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "via",
    }
)
RESERVED_PREFIXES: Final = ("access-control-", "apigw-", "x-amz-", "x-amzn-")

_REQUEST_KEY = re.compile(r"(append|overwrite|remove):(header|querystring)\.(.+)")
_RESPONSE_KEY = re.compile(r"(append|overwrite|remove):header\.(.+)")
_STATUS = re.compile(r"[1-5][0-9][0-9]")


# What the mappings produce.


@dataclass
class IntegrationRequestParts:
    """The parts of the integration request that mappings change. `path` None: unchanged."""

    headers: list[tuple[str, str]]
    query: dict[str, list[str]]
    path: str | None = None


@dataclass
class ResponseParts:
    status: int
    headers: list[tuple[str, str]]


# Operations.


@dataclass(frozen=True, slots=True)
class Operation:
    action: str  # append | overwrite | remove
    location: str  # header | querystring | path | statuscode
    name: str  # as configured; "" for path and statuscode
    key: str  # what names are compared with: header names lower-cased
    value: Template | None  # None for remove


_ORDER: Final = {REMOVE: 0, OVERWRITE: 1, APPEND: 2}


class RequestMapping:
    """An integration's `RequestParameters`, compiled."""

    __slots__ = ("operations",)

    def __init__(self, parameters: Mapping[str, str]) -> None:
        operations = [_request_operation(key, value) for key, value in parameters.items()]
        operations.sort(key=lambda op: _ORDER[op.action])
        self.operations = tuple(operations)

    def __bool__(self) -> bool:
        return bool(self.operations)

    def apply(self, request: RequestInput, parts: IntegrationRequestParts) -> None:
        """Change `parts` (the integration request as built so far) in place."""
        values = _render_all(self.operations, Sources(request, None))
        for op, value in zip(self.operations, values, strict=True):
            if op.action != REMOVE and value is None:
                continue
            if op.location == "header":
                parts.headers = _apply_header(parts.headers, op, value)
            elif op.location == "querystring":
                _apply_query(parts.query, op, value)
            elif value is not None:  # overwrite:path
                parts.path = value


class ResponseMapping:
    """An integration's `ResponseParameters`, compiled: operations by status code."""

    __slots__ = ("by_status",)

    def __init__(self, parameters: Mapping[str, Mapping[str, str]]) -> None:
        by_status: dict[int, tuple[Operation, ...]] = {}
        for status, mappings in parameters.items():
            if not _STATUS.fullmatch(status) or not 200 <= int(status) <= 599:
                raise MappingError(invalid(f"Invalid status code specified: {status}"))
            operations = [_response_operation(key, value) for key, value in mappings.items()]
            if operations:
                operations.sort(key=lambda op: _ORDER[op.action])
                by_status[int(status)] = tuple(operations)
        self.by_status = by_status

    def __bool__(self) -> bool:
        return bool(self.by_status)

    def apply(self, request: RequestInput, response: ResponseInput) -> ResponseParts:
        """The response's status and headers after the mappings for its status code."""
        parts = ResponseParts(response.status, list(response.headers))
        operations = self.by_status.get(response.status)
        if not operations:
            return parts
        values = _render_all(operations, Sources(request, response))
        for op, value in zip(operations, values, strict=True):
            if op.action != REMOVE and value is None:
                continue
            if op.location == "header":
                parts.headers = _apply_header(parts.headers, op, value)
            elif value is not None and _STATUS.fullmatch(value.strip()):  # overwrite:statuscode
                parts.status = int(value.strip())
        return parts


def compile_request_parameters(parameters: Mapping[str, str] | None) -> RequestMapping | None:
    """None when there is nothing to map (the stage then costs nothing)."""
    mapping = RequestMapping(parameters or {})
    return mapping or None


def compile_response_parameters(
    parameters: Mapping[str, Mapping[str, str]] | None,
) -> ResponseMapping | None:
    mapping = ResponseMapping(parameters or {})
    return mapping or None


def validate_request_parameters(parameters: Mapping[str, str] | None) -> None:
    """The check CreateIntegration/UpdateIntegration make (on the map after an update is
    merged) for an integration without `IntegrationSubtype`."""
    try:
        RequestMapping(parameters or {})
    except MappingError as e:
        raise BadRequestException(str(e)) from None


def validate_response_parameters(parameters: Mapping[str, Mapping[str, str]] | None) -> None:
    try:
        ResponseMapping(parameters or {})
    except MappingError as e:
        raise BadRequestException(str(e)) from None


def _request_operation(key: str, value: str) -> Operation:
    if key == "overwrite:path":
        return Operation(OVERWRITE, "path", "", "", Template(value))
    match = _REQUEST_KEY.fullmatch(key)
    if match is None:
        raise MappingError(
            invalid(f"Invalid Request Actioned Parameter destination specified: {key}")
        )
    action, location, name = match.groups()
    compared = _header_name(name, key, "Request") if location == "header" else name
    return Operation(action, location, name, compared, _value(action, value, response_side=False))


def _response_operation(key: str, value: str) -> Operation:
    if key == "overwrite:statuscode":
        template = Template(value, response_side=True)
        static = template.static
        if static is not None and not (
            _STATUS.fullmatch(static.strip()) and 100 <= int(static.strip()) <= 599
        ):
            raise MappingError(invalid(f"Invalid status code specified: {value}"))
        return Operation(OVERWRITE, "statuscode", "", "", template)
    match = _RESPONSE_KEY.fullmatch(key)
    if match is None:
        raise MappingError(
            invalid(f"Invalid Response Actioned Parameter destination specified: {key}")
        )
    action, name = match.groups()
    compared = _header_name(name, key, "Response")
    return Operation(action, "header", name, compared, _value(action, value, response_side=True))


def _header_name(name: str, key: str, side: str) -> str:
    if not TOKEN.fullmatch(name):
        raise MappingError(
            invalid(f"Invalid {side} Actioned Parameter destination specified: {key}")
        )
    lowered = name.lower()
    if lowered in RESERVED_HEADERS or lowered.startswith(RESERVED_PREFIXES):
        raise MappingError(invalid(f"Operations on header {name} are restricted"))
    return lowered


def _value(action: str, value: str, *, response_side: bool) -> Template | None:
    # `remove:` takes '' (or anything: AWS ignores it).
    return None if action == REMOVE else Template(value, response_side=response_side)


def _render_all(operations: Sequence[Operation], sources: Sources) -> list[str | None]:
    # Every value from the message as received, before any operation changes it.
    return [op.value.render(sources) if op.value is not None else None for op in operations]


def _apply_header(
    headers: list[tuple[str, str]], op: Operation, value: str | None
) -> list[tuple[str, str]]:
    if op.action == APPEND:
        assert value is not None
        return [*headers, (op.name, value)]
    kept = [(k, v) for k, v in headers if k.lower() != op.key]
    if op.action == OVERWRITE:
        assert value is not None
        kept.append((op.name, value))
    return kept


def _apply_query(query: dict[str, list[str]], op: Operation, value: str | None) -> None:
    if op.action == REMOVE:
        query.pop(op.key, None)
    elif op.action == OVERWRITE:
        assert value is not None
        query[op.key] = [value]
    else:
        assert value is not None
        query.setdefault(op.key, []).append(value)
