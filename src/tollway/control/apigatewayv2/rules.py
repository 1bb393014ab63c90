"""The checks AWS makes on v2 API definitions (spec §1.5 route keys, §1.1 stage names, §3.1
and §3.2 integrations, §3.5 AWS service integrations, §4.8 parameter mapping, §9.2 CORS).

Both the operations and the OpenAPI importer define APIs through these functions, so an API
defined by calls and the same API imported come out alike and are refused alike. Messages
AWS is known to send are AWS's; where AWS's wording is not known the message is Tollway's
and says what is wrong (docs/compatibility.md lists which).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from tollway.control.apigateway.stages import check_variables
from tollway.control.errors import BadRequestException, ConflictException, NotFoundException
from tollway.dataplane.http_api.parameters import (
    validate_request_parameters,
    validate_response_parameters,
)
from tollway.dataplane.integrations.aws_subtypes import REGION, SUBTYPES
from tollway.model.arns import lambda_function_of
from tollway.model.http_api import DEFAULT_ROUTE, DEFAULT_STAGE

HTTP_METHODS = ("ANY", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")
HTTP_ROUTE_SELECTION = "${request.method} ${request.path}"
API_KEY_SELECTION = "$request.header.x-api-key"
HTTP_API_TYPES = ("AWS_PROXY", "HTTP_PROXY")
MIN_TIMEOUT = 50
HTTP_MAX_TIMEOUT = 30000
WEBSOCKET_MAX_TIMEOUT = 29000

_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_VARIABLE_VALUE = re.compile(r"^[A-Za-z0-9\-._~:/?#&=,]{0,2048}$")
_SEGMENT = re.compile(r"^(?:[A-Za-z0-9._:,~@!$&'()*;=-]+|\{[A-Za-z0-9._-]+\+?\})$")
_LAMBDA_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:lambda:[^:]+:\d{12}:function:[^/]+$")


# --- routes ---------------------------------------------------------------------------------


def _invalid_route_key(key: str) -> BadRequestException:
    return BadRequestException(
        f"Invalid route key: {key}. A route key is $default or an HTTP method "
        f"({', '.join(HTTP_METHODS)}) and a path, such as GET /pets/{{id}}"
    )


def check_route_key(key: str | None, *, http: bool) -> str:
    """`$default`, or `METHOD /path` with whole-segment `{var}`s and at most one greedy
    `{var+}`, last (HTTP APIs); WebSocket route keys are free-form selection keys."""
    if not key:
        raise BadRequestException("Route key is required")
    if not http or key == DEFAULT_ROUTE:
        return key
    method, _, path = key.partition(" ")
    if method not in HTTP_METHODS or not path.startswith("/"):
        raise _invalid_route_key(key)
    if path == "/":
        return key
    segments = path[1:].split("/")
    names: set[str] = set()
    for i, segment in enumerate(segments):
        if not _SEGMENT.match(segment):
            raise _invalid_route_key(key)
        if segment.endswith("+}") and i != len(segments) - 1:
            raise _invalid_route_key(key)
        if segment.startswith("{"):
            name = segment.strip("{}+")
            if name in names:
                raise _invalid_route_key(key)
            names.add(name)
    return key


def _variable(segment: str) -> str | None:
    return segment if segment.startswith("{") else None


def check_route_conflicts(key: str, others: Iterable[str]) -> None:
    """AWS's ConflictExceptions: the same key twice, or a path variable named differently
    at the same level of the route tree as another route's (AWS keeps one tree of paths for
    all methods)."""
    for other in others:
        if other == key:
            raise ConflictException(f"Route with key {key} already exists for this API")
    if key == DEFAULT_ROUTE:
        return
    path = key.partition(" ")[2].split("/")
    for other in others:
        if other == DEFAULT_ROUTE or " " not in other:
            continue
        other_path = other.partition(" ")[2].split("/")
        for mine, theirs in zip(path, other_path, strict=False):
            if _variable(mine) and _variable(theirs):
                if mine != theirs and mine.endswith("+}") == theirs.endswith("+}"):
                    raise ConflictException(
                        f'The provided route key "{key}" has a conflicting variable on the '
                        f'same hierarchical level as "{other}"'
                    )
            elif mine != theirs:
                break


# --- stages ---------------------------------------------------------------------------------


def check_stage_name(name: str) -> None:
    if name != DEFAULT_STAGE and not _STAGE_NAME.match(name or ""):
        raise BadRequestException("Stage name only allows a-zA-Z0-9_-")


def check_stage_variables(variables: Mapping[str, str] | None) -> None:
    """REST's checks with HTTP APIs' longer values (up to 2048 characters, may be empty)."""
    check_variables(variables, value_pattern=_VARIABLE_VALUE, value_length="up to 2048")


def check_route_settings(settings: Mapping[str, Any] | None, route_keys: Iterable[str]) -> None:
    known = set(route_keys)
    for key in settings or {}:
        if key not in known:
            raise NotFoundException(
                f"Unable to find Route by key {key} within the provided RouteSettings"
            )
    for value in (settings or {}).values():
        check_throttling(value)


def check_throttling(settings: Mapping[str, Any] | None) -> None:
    if not settings:
        return
    level = settings.get("LoggingLevel")
    if level is not None and level not in ("ERROR", "INFO", "OFF"):
        raise BadRequestException(
            f"Invalid logging level specified: {level}. Valid options are OFF, ERROR, INFO"
        )
    for member in ("ThrottlingBurstLimit", "ThrottlingRateLimit"):
        if (settings.get(member) or 0) < 0:
            raise BadRequestException(f"{member} must be greater than or equal to 0")


# --- CORS -----------------------------------------------------------------------------------


def check_cors(cors: Mapping[str, Any] | None) -> None:
    if not cors:
        return
    max_age = cors.get("MaxAge")
    if max_age is not None and not -1 <= max_age <= 86400:
        raise BadRequestException("maxAge must be between -1 and 86400 seconds")
    if cors.get("AllowCredentials") and "*" in (cors.get("AllowOrigins") or []):
        raise BadRequestException(
            "allowCredentials cannot be true when allowOrigins contains the wildcard '*'"
        )
    for method in cors.get("AllowMethods") or []:
        if method != "*" and method.upper() not in (*HTTP_METHODS[1:], "OPTIONS"):
            raise BadRequestException(f"Invalid method {method} in allowMethods")


# --- integrations ---------------------------------------------------------------------------


def is_lambda_target(uri: str) -> bool:
    """A Lambda function ARN (qualified or not) or a Lambda invocation URI."""
    return bool(_LAMBDA_ARN.match(uri) or lambda_function_of(uri))


def is_http_url(uri: str) -> bool:
    return re.match(r"^https?://[^/\s]+", uri) is not None


def check_timeout(timeout: int | None, *, http: bool) -> None:
    ceiling = HTTP_MAX_TIMEOUT if http else WEBSOCKET_MAX_TIMEOUT
    if timeout is not None and not MIN_TIMEOUT <= timeout <= ceiling:
        raise BadRequestException(f"Timeout should be between {MIN_TIMEOUT} ms and {ceiling} ms")


def check_request_parameters(parameters: Mapping[str, str] | None) -> None:
    """HTTP API request parameter mapping (spec §4.8), checked by compiling it as the data plane
    does (dataplane/http_api/parameters.py: keys, reserved headers, values)."""
    validate_request_parameters(parameters)


def check_response_parameters(parameters: Mapping[str, Mapping[str, str]] | None) -> None:
    validate_response_parameters(parameters)


def check_subtype(integration: Mapping[str, Any]) -> None:
    subtype = integration["IntegrationSubtype"]
    if subtype not in SUBTYPES:
        raise BadRequestException(
            f"Invalid integration subtype {subtype}. Valid subtypes are " + ", ".join(SUBTYPES)
        )
    if integration.get("IntegrationType") != "AWS_PROXY":
        raise BadRequestException("An integration subtype requires integration type AWS_PROXY")
    if integration.get("PayloadFormatVersion", "1.0") != "1.0":
        raise BadRequestException(
            "AWS service integrations support only payload format version 1.0"
        )
    spec = SUBTYPES[subtype]
    parameters = integration.get("RequestParameters") or {}
    for name in spec.required:
        if name not in parameters:
            raise BadRequestException(f"Parameter {name} is required for {subtype}")
    for name in parameters:
        if name not in spec.required and name not in spec.optional and name != REGION:
            raise BadRequestException(f"Parameter {name} is not supported for {subtype}")


def check_integration(integration: dict[str, Any], *, http: bool) -> None:
    """An HTTP API integration after defaults: AWS_PROXY to Lambda (or an AWS service with a
    subtype) or HTTP_PROXY to a URL; WebSocket integrations are stored as given."""
    kind = integration.get("IntegrationType")
    check_timeout(integration.get("TimeoutInMillis"), http=http)
    if not http:
        return
    if kind not in HTTP_API_TYPES:
        raise BadRequestException(
            f"Integration type {kind} is not supported for HTTP APIs. "
            "Valid types are AWS_PROXY, HTTP_PROXY"
        )
    if integration.get("IntegrationSubtype"):
        check_subtype(integration)
        return
    uri = integration.get("IntegrationUri") or ""
    version = integration.get("PayloadFormatVersion")
    if kind == "AWS_PROXY":
        if not is_lambda_target(uri):
            raise BadRequestException(
                f"Invalid integration URI specified: {uri}. An AWS_PROXY integration without "
                "a subtype takes a Lambda function ARN or invocation URI"
            )
        if version not in ("1.0", "2.0"):
            raise BadRequestException(
                f"Invalid payload format version {version}. Valid versions are 1.0, 2.0"
            )
    else:
        if integration.get("ConnectionType") != "VPC_LINK" and not is_http_url(uri):
            raise BadRequestException(f"Invalid HTTP endpoint specified for URI: {uri}")
        if version != "1.0":
            raise BadRequestException(
                f"Invalid payload format version {version}: HTTP_PROXY integrations support "
                "only 1.0"
            )
        if not integration.get("IntegrationMethod"):
            raise BadRequestException("IntegrationMethod is required for HTTP_PROXY integrations")
    check_request_parameters(integration.get("RequestParameters"))
    check_response_parameters(integration.get("ResponseParameters"))
