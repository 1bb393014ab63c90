"""The AWS `rest-json` wire protocol, driven by botocore's service models.

botocore ships the JSON models of `apigateway`, `lambda` and the other services Tollway speaks:
each operation's HTTP method and URI template, where each input member travels (URI label,
query string, header, JSON body, raw payload), its wire name, type, enum values and whether it
is required. This module turns those models into:
- a router from (HTTP method, path, query) to an operation (`Router.match`);
- a parser from the HTTP request to the operation's input, keyed by model member names, with
  AWS's request validation (ValidationException / SerializationException wording);
- a serialiser from the operation's output (member names) to the HTTP response, and from a
  `ServiceError` to AWS's error response (`x-amzn-ErrorType` + a body built from the error
  shape), so SDKs raise the right exception classes.

Operations themselves only see and return plain dicts keyed by member names.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

import botocore.session
import orjson
from botocore.model import OperationModel, ServiceModel, Shape

from tollway.control.errors import (
    BadRequestException,
    SerializationException,
    ServiceError,
    UnknownOperationException,
    ValidationException,
)
from tollway.model.gateway_responses import AWS_ENUM_ORDER

# AWS lists enum values in its validation messages in Java hash-set order, not model order.
# These are the orders observed against AWS (spec §16.5); other enums use the model's order.
_AWS_ENUM_ORDERS = [
    ("HTTP", "MOCK", "AWS_PROXY", "HTTP_PROXY", "AWS"),
    ("add", "remove", "move", "test", "replace", "copy"),
    ("PRIVATE", "EDGE", "REGIONAL"),
    ("ipv4", "dualstack"),
    AWS_ENUM_ORDER,
]
_ENUM_ORDER = {frozenset(order): order for order in _AWS_ENUM_ORDERS}


@dataclass(frozen=True, slots=True)
class Route:
    service: str
    operation: OperationModel
    method: str
    segments: tuple[str, ...]  # literal segments, or "{label}" / "{label+}"
    query_literals: tuple[tuple[str, str], ...]  # e.g. (("mode", "import"),)

    @property
    def literal_count(self) -> int:
        return sum(1 for s in self.segments if not s.startswith("{"))


class Service:
    """One AWS service as the control plane speaks it."""

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self.name: str = model.service_name
        # apigateway names body members in validation messages `<operation>Input.<member>`
        # (e.g. `putIntegrationInput.type`); lambda names them bare.
        self.prefixes_input = self.name.startswith("apigateway")
        self._error_shapes = {s.name: s for s in model.error_shapes}

    @classmethod
    def load(cls, name: str) -> Service:
        return cls(botocore.session.get_session().get_service_model(name))

    def routes(self) -> list[Route]:
        routes = []
        for name in self.model.operation_names:
            op = self.model.operation_model(name)
            path, _, query = op.http["requestUri"].partition("?")
            segments = tuple(s for s in path.split("/") if s)
            literals = tuple(parse_qsl(query, keep_blank_values=True))
            routes.append(Route(self.name, op, op.http["method"], segments, literals))
        return routes

    def error_shape(self, code: str) -> Shape | None:
        return self._error_shapes.get(code)

    def request_error(self, error: ServiceError) -> ServiceError:
        """A request-shape problem as this service reports it: apigatewayv2 has no
        ValidationException or SerializationException among its errors (the v2 API reference
        lists BadRequestException for invalid input) and answers BadRequestException with the
        same text; apigateway and lambda answer as AWS's Coral framework does."""
        if self.name == "apigatewayv2":
            return BadRequestException(error.message)
        return error


class Router:
    """Matches a request to the operation whose URI template fits it best."""

    def __init__(self, services: list[Service]) -> None:
        self._by_method: dict[str, list[Route]] = {}
        # `json`-protocol services (ACM) name the operation in `X-Amz-Target`, all on `POST /`
        self._by_target: dict[str, Route] = {}
        for service in services:
            prefix = service.model.metadata.get("targetPrefix")
            for route in service.routes():
                if service.model.protocol == "json":
                    self._by_target[f"{prefix}.{route.operation.name}"] = route
                else:
                    self._by_method.setdefault(route.method, []).append(route)
        for routes in self._by_method.values():
            # Prefer literal segments over labels, then routes with query literals
            # (`POST /restapis?mode=import` before `POST /restapis`).
            routes.sort(key=lambda r: (-r.literal_count, -len(r.query_literals)))

    def match_target(self, target: str) -> tuple[Route, dict[str, str]]:
        route = self._by_target.get(target)
        if route is None:
            raise UnknownOperationException(f"No operation matches X-Amz-Target {target}")
        return route, {}

    def match(
        self, method: str, raw_path: str, query: Mapping[str, list[str]]
    ) -> tuple[Route, dict[str, str]]:
        segments = [s for s in raw_path.split("/") if s]
        for route in self._by_method.get(method, ()):
            labels = _match_segments(route.segments, segments)
            if labels is None:
                continue
            if all(value in query.get(key, ()) for key, value in route.query_literals):
                return route, labels
        raise UnknownOperationException(f"No operation matches {method} {raw_path}")


def _match_segments(template: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    labels: dict[str, str] = {}
    for i, part in enumerate(template):
        if part.endswith("+}"):
            if i >= len(segments):
                return None
            labels[part[1:-2]] = unquote("/".join(segments[i:]))
            return labels
        if i >= len(segments):
            return None
        if part.startswith("{"):
            labels[part[1:-1]] = unquote(segments[i])
        elif part != segments[i]:
            return None
    return labels if len(segments) == len(template) else None


# --- parsing --------------------------------------------------------------------------------


class _Problems:
    """Validation problems, reported together as AWS does ("2 validation errors detected")."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def enum(self, value: Any, where: str, allowed: list[str]) -> None:
        order = _ENUM_ORDER.get(frozenset(allowed), tuple(allowed))
        self.messages.append(
            f"Value '{value}' at '{where}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(order)}]"
        )

    def constraint(self, value: Any, where: str, rule: str) -> None:
        self.messages.append(f"Value '{value}' at '{where}' failed to satisfy constraint: {rule}")

    def missing(self, where: str) -> None:
        self.messages.append(
            f"Value null at '{where}' failed to satisfy constraint: Member must not be null"
        )

    def extend(self, other: _Problems) -> None:
        self.messages.extend(other.messages)

    def raise_if_any(self) -> None:
        if self.messages:
            n = len(self.messages)
            raise ValidationException(
                f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(self.messages)
            )


_JAVA_TYPE = {bool: "java.lang.Boolean", str: "java.lang.String", dict: "java.util.Map"}
_NUMBER = "com.amazon.coral.value.json.numbers.TruncatingBigNumber"
_SHAPE_JAVA = {
    "string": "String",
    "boolean": "Boolean",
    "integer": "Integer",
    "long": "Long",
    "double": "Double",
    "float": "Float",
    "list": "List",
    "map": "Map",
    "structure": "Structure",
    "blob": "ByteBuffer",
    "timestamp": "Date",
}


def _type_error(value: Any, shape: Shape) -> SerializationException:
    java = _NUMBER if isinstance(value, int | float) and not isinstance(value, bool) else None
    java = java or _JAVA_TYPE.get(type(value), "java.util.List")
    return SerializationException(
        f"class {java} can not be converted to an {_SHAPE_JAVA.get(shape.type_name, 'Object')}"
    )


def _parse_json_value(shape: Shape, value: Any, where: str, problems: _Problems) -> Any:
    kind = shape.type_name
    if value is None:
        return None
    if kind == "structure":
        if not isinstance(value, dict):
            raise _type_error(value, shape)
        return _parse_structure(shape, value, where, problems)
    if kind == "list":
        if not isinstance(value, list):
            raise _type_error(value, shape)
        member = shape.member
        if member.type_name == "string" and member.enum:
            # A list of enum values is reported as a whole, in Java's list notation.
            if not all(isinstance(v, str) for v in value):
                raise _type_error(next(v for v in value if not isinstance(v, str)), member)
            if any(v not in member.enum for v in value):
                order = _ENUM_ORDER.get(frozenset(member.enum), tuple(member.enum))
                problems.constraint(
                    "[" + ", ".join(value) + "]",
                    where,
                    "Member must satisfy constraint: [Member must satisfy enum value set: "
                    f"[{', '.join(order)}]]",
                )
            return list(value)
        return [
            _parse_json_value(member, v, f"{where}.{i + 1}.member", problems)
            for i, v in enumerate(value)
        ]
    if kind == "map":
        if not isinstance(value, dict):
            raise _type_error(value, shape)
        return {
            k: _parse_json_value(shape.value, v, f"{where}.{k}", problems) for k, v in value.items()
        }
    if kind == "string":
        if not isinstance(value, str):
            raise _type_error(value, shape)
        _check_string(shape, value, where, problems)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _type_error(value, shape)
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(value, shape)
        _check_range(shape, int(value), where, problems)
        return int(value)
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(value, shape)
        return float(value)
    if kind == "blob":
        if not isinstance(value, str):
            raise _type_error(value, shape)
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise SerializationException(f"Value at '{where}' is not valid base64") from None
    return value


def _check_string(shape: Shape, value: str, where: str, problems: _Problems) -> None:
    """The model's constraints on a string: enum, length, pattern (whole-value match)."""
    if shape.enum:
        if value not in shape.enum:
            problems.enum(value, where, shape.enum)
        return
    metadata = shape.metadata
    if "min" in metadata and len(value) < metadata["min"]:
        problems.constraint(
            value, where, f"Member must have length greater than or equal to {metadata['min']}"
        )
    elif "max" in metadata and len(value) > metadata["max"]:
        problems.constraint(
            value, where, f"Member must have length less than or equal to {metadata['max']}"
        )
    pattern = metadata.get("pattern")
    compiled = _pattern(pattern) if pattern else None
    if compiled is not None and compiled.fullmatch(value) is None:
        problems.constraint(
            value, where, f"Member must satisfy regular expression pattern: {pattern}"
        )


def _check_range(shape: Shape, value: int, where: str, problems: _Problems) -> None:
    metadata = shape.metadata
    if "min" in metadata and value < metadata["min"]:
        problems.constraint(
            value, where, f"Member must have value greater than or equal to {metadata['min']}"
        )
    elif "max" in metadata and value > metadata["max"]:
        problems.constraint(
            value, where, f"Member must have value less than or equal to {metadata['max']}"
        )


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    """The model's pattern as a Python regex; None for the few written in Java-only syntax
    (such as `\\p{L}`), which are then not checked rather than failing the request."""
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _parse_structure(
    shape: Shape, value: Mapping[str, Any], where: str, problems: _Problems
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for member, member_shape in shape.members.items():
        if member_shape.serialization.get("location"):
            continue
        wire = member_shape.serialization.get("name", member)
        if wire in value:
            name = _camel(member)
            out[member] = _parse_json_value(
                member_shape, value[wire], f"{where}.{name}" if where else name, problems
            )
    return out


def _from_text(shape: Shape, raw: str, where: str, problems: _Problems) -> Any:
    """A value from a URI label, query string or header."""
    kind = shape.type_name
    if kind == "boolean":
        return raw.lower() == "true"
    if kind in ("integer", "long"):
        try:
            number = int(raw)
        except ValueError:
            raise SerializationException(
                f"Value '{raw}' at '{where}' is not a valid {kind}"
            ) from None
        _check_range(shape, number, where, problems)
        return number
    if kind in ("double", "float"):
        return float(raw)
    if kind == "string":
        _check_string(shape, raw, where, problems)
    return raw


def parse_request(
    service: Service,
    route: Route,
    labels: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    body: bytes,
) -> dict[str, Any]:
    """The operation's input, keyed by member names, validated as AWS validates it."""
    try:
        return _parse_request(service, route, labels, query, headers, body)
    except (ValidationException, SerializationException) as error:
        raise service.request_error(error) from None


def _parse_request(
    service: Service,
    route: Route,
    labels: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    body: bytes,
) -> dict[str, Any]:
    op = route.operation
    shape = op.input_shape
    if shape is None:
        return {}
    # AWS lists the body's problems before those of the URI, query string and headers.
    problems, body_problems = _Problems(), _Problems()
    body_prefix = (op.name[0].lower() + op.name[1:] + "Input") if service.prefixes_input else ""
    params: dict[str, Any] = {}
    bound_query = {key for key, _ in route.query_literals}
    payload = shape.serialization.get("payload")

    for member, member_shape in shape.members.items():
        location = member_shape.serialization.get("location")
        wire = member_shape.serialization.get("name", member)
        if location == "uri":
            if wire in labels:
                params[member] = _from_text(member_shape, labels[wire], _camel(member), problems)
        elif location == "querystring":
            if member_shape.type_name == "map":
                continue  # filled below from whatever the other members leave
            bound_query.add(wire)
            if wire in query:
                values = query[wire]
                if member_shape.type_name == "list":
                    params[member] = list(values)
                else:
                    params[member] = _from_text(member_shape, values[-1], _camel(member), problems)
        elif location == "header":
            value = headers.get(wire.lower())
            if value is not None:
                params[member] = _from_text(member_shape, value, _camel(member), problems)
        elif location == "headers":
            prefix = wire.lower()
            params[member] = {
                k[len(prefix) :]: v for k, v in headers.items() if k.startswith(prefix)
            }

    for member, member_shape in shape.members.items():
        if (
            member_shape.serialization.get("location") == "querystring"
            and member_shape.type_name == "map"
        ):
            extra = {k: v[-1] for k, v in query.items() if k not in bound_query}
            if extra:
                params[member] = extra

    if payload:
        payload_shape = shape.members[payload]
        if payload_shape.type_name in ("blob", "string"):
            params[payload] = body
        elif body:
            params[payload] = _parse_json_value(
                payload_shape, _load_json(body), _camel(payload), body_problems
            )
    elif body:
        document = _load_json(body)
        if not isinstance(document, dict):
            raise SerializationException("Request body must be a JSON object")
        params.update(_parse_structure(shape, document, body_prefix, body_problems))

    for member in shape.required_members:
        if params.get(member) is None:
            location = shape.members[member].serialization.get("location")
            name = _camel(member)
            where = name if location or not body_prefix else f"{body_prefix}.{name}"
            problems.missing(where)
    body_problems.extend(problems)
    body_problems.raise_if_any()
    return params


def _camel(member: str) -> str:
    """Member names as AWS's validation messages write them: `FunctionName` is
    `functionName` (apigateway's members are camelCase already)."""
    return member[:1].lower() + member[1:]


def _load_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise SerializationException(f"Request body is not valid JSON: {e}") from None


# --- serialising ----------------------------------------------------------------------------


@dataclass(slots=True)
class WireResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _serialize_value(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for member, member_shape in shape.members.items():
            if member in value and value[member] is not None:
                wire = member_shape.serialization.get("name", member)
                out[wire] = _serialize_value(member_shape, value[member])
        return out
    if kind == "list":
        return [_serialize_value(shape.member, v) for v in value]
    if kind == "map":
        return {k: _serialize_value(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        if shape.serialization.get("timestampFormat") == "iso8601":
            return _iso8601(value)
        if isinstance(value, datetime.datetime):
            return int(value.timestamp())
        return value
    if kind == "blob":
        data = value.encode() if isinstance(value, str) else value
        return base64.b64encode(data).decode()
    return value


def _iso8601(value: Any) -> Any:
    """apigatewayv2 writes its timestamps as ISO 8601 text (`2024-05-01T12:00:00Z`); Tollway
    stores them as epoch seconds, like apigateway's."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = datetime.datetime.fromtimestamp(value, datetime.UTC)
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def serialize_response(route: Route, output: Mapping[str, Any] | None) -> WireResponse:
    op = route.operation
    status = int(op.http.get("responseCode", 200))
    headers: list[tuple[str, str]] = []
    shape = op.output_shape
    if shape is None or output is None:
        return WireResponse(status, headers, b"")
    body_members: dict[str, Any] = {}
    payload = shape.serialization.get("payload")
    body = b""
    for member, member_shape in shape.members.items():
        value = output.get(member)
        if value is None:
            continue
        location = member_shape.serialization.get("location")
        if location == "statusCode":
            status = int(value)
        elif location == "header":
            headers.append((member_shape.serialization.get("name", member), str(value)))
        elif location == "headers":
            prefix = member_shape.serialization.get("name", member)
            headers.extend((prefix + k, str(v)) for k, v in value.items())
        elif member == payload:
            if member_shape.type_name in ("blob", "string"):
                body = value.encode() if isinstance(value, str) else bytes(value)
            else:
                body = orjson.dumps(_serialize_value(member_shape, value))
        else:
            body_members[member] = value
    if not payload and status not in (204, 304):  # those statuses carry no body
        body = orjson.dumps(_serialize_value(shape, body_members))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return WireResponse(status, headers, body)


def serialize_error(service: Service | None, error: ServiceError) -> WireResponse:
    """AWS's error response: status, `x-amzn-ErrorType`, and the error shape's body."""
    body: dict[str, Any] = {"message": error.message}
    shape = service.error_shape(error.code) if service else None
    if shape is not None:
        body = {}
        for member, member_shape in shape.members.items():
            # apigatewayv2 names its members `Message` and writes them `message` on the wire.
            wire = member_shape.serialization.get("name", member)
            if member.lower() == "message":
                body[wire] = error.message
            elif member == "Type":
                body[wire] = "User"
            elif member in error.fields:
                body[wire] = error.fields[member]
    if service is not None and service.model.protocol == "json":
        body["__type"] = error.code  # where `json`-protocol SDKs read the code
    headers = [("x-amzn-ErrorType", error.code), ("Content-Type", "application/json")]
    return WireResponse(error.status, headers, orjson.dumps(body))
