"""The rules AWS applies when a REST API is defined: defaults it fills in and checks it makes.

Both the control-plane operations (PutMethod, PutIntegration, ...) and the OpenAPI importer
build definitions through these functions, so an API defined by calls and the same API defined
by import come out identical, and both are refused with the same messages (spec §16.5).
"""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import urlsplit

from tollway.control.errors import BadRequestException, ConflictException, ValidationException
from tollway.model import ids
from tollway.model.gateway_responses import AWS_ENUM_ORDER
from tollway.model.gateway_responses import DEFAULTS as GATEWAY_RESPONSE_DEFAULTS
from tollway.model.rest import (
    DEFAULT_TIMEOUT_MILLIS,
    HTTP_METHODS,
    MIN_TIMEOUT_MILLIS,
    GatewayResponse,
    Integration,
    IntegrationResponse,
    Method,
    MethodResponse,
    RequestValidator,
    Resource,
    RestApiDefinition,
    is_greedy,
    is_variable,
)

ENDPOINT_TYPES = ("REGIONAL", "EDGE", "PRIVATE")
PASSTHROUGH_BEHAVIORS = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")
AUTHORIZATION_TYPES = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
CONTENT_HANDLING = ("CONVERT_TO_BINARY", "CONVERT_TO_TEXT")

_PATH_PART = re.compile(r"^(?:[a-zA-Z0-9._:,-]+|\{[a-zA-Z0-9._-]+\+?\})$")
_STATUS_CODE = re.compile(r"^[1-5]\d\d$")
_AWS_URI = re.compile(r"^arn:aws[a-zA-Z-]*:apigateway:[^:]+:(?P<service>[^:]+):(?P<kind>[^/]+)/")


def new_definition(
    *,
    name: str,
    created: int,
    description: str | None = None,
    version: str | None = None,
    binary_media_types: list[str] | None = None,
    minimum_compression_size: int | None = None,
    api_key_source: str | None = None,
    endpoint_configuration: dict[str, Any] | None = None,
    policy: str | None = None,
    tags: dict[str, str] | None = None,
    disable_execute_api_endpoint: bool | None = None,
    api_id: str | None = None,
) -> RestApiDefinition:
    """A new REST API with its root resource, as CreateRestApi makes it."""
    check_name(name)
    root_id = ids.root_resource_id()
    api: dict[str, Any] = {
        "id": api_id or ids.api_id(),
        "name": name,
        "createdDate": created,
        "apiKeySource": api_key_source or "HEADER",
        "endpointConfiguration": check_endpoint_configuration(endpoint_configuration),
        "disableExecuteApiEndpoint": bool(disable_execute_api_endpoint),
        "rootResourceId": root_id,
    }
    if description is not None:
        check_description(description)
        api["description"] = description
    if version is not None:
        api["version"] = version
    if binary_media_types:
        api["binaryMediaTypes"] = list(binary_media_types)
    if minimum_compression_size is not None:
        check_minimum_compression_size(minimum_compression_size)
        api["minimumCompressionSize"] = minimum_compression_size
    if policy is not None:
        api["policy"] = policy
    if tags:
        api["tags"] = dict(tags)
    return {
        "api": cast(Any, api),
        "resources": {root_id: {"id": root_id, "resourceMethods": {}}},
        "models": {},
        "requestValidators": {},
        "gatewayResponses": {},
        "extensions": {},
    }


def check_name(name: str) -> None:
    if not name or not name.strip():
        raise BadRequestException("Name cannot be empty")


def check_description(description: str) -> None:
    if description == "":
        raise BadRequestException("Description cannot be an empty string")


def check_minimum_compression_size(size: int) -> None:
    if not 0 <= size <= 10_485_760:
        raise BadRequestException(
            "Invalid minimum compression size, must be between 0 and 10485760"
        )


def check_endpoint_configuration(config: dict[str, Any] | None) -> dict[str, Any]:
    """Validates `endpointConfiguration` and fills AWS's defaults (EDGE, ipv4)."""
    config = dict(config or {})
    types = config.get("types") or ["EDGE"]
    if len(types) > 1:
        raise BadRequestException("Cannot create an api with multiple Endpoint Types.")
    if types[0] not in ENDPOINT_TYPES:
        raise BadRequestException(
            "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE"
        )
    config["types"] = list(types)
    ip_type = config.get("ipAddressType") or ("dualstack" if types[0] == "PRIVATE" else "ipv4")
    if ip_type not in ("ipv4", "dualstack"):
        raise BadRequestException("ipAddressType must be either ipv4 or dualstack.")
    if types[0] == "PRIVATE" and ip_type != "dualstack":
        raise BadRequestException("Only dualstack ipAddressType is supported for Private APIs.")
    config["ipAddressType"] = ip_type
    return config


def check_path_part(resources: dict[str, Resource], parent_id: str, path_part: str) -> None:
    """The checks CreateResource makes on a new child `path_part` of `parent_id`."""
    parent = resources[parent_id]
    if "pathPart" in parent and is_greedy(parent["pathPart"]):
        raise BadRequestException(
            "Cannot create a child of a resource with a greedy path variable: " + parent["pathPart"]
        )
    if not _PATH_PART.match(path_part or ""):
        raise BadRequestException(
            "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning "
            "and the end and an optional plus sign before the closing brace."
        )
    for sibling in resources.values():
        if sibling.get("parentId") != parent_id:
            continue
        sibling_part = sibling["pathPart"]
        if sibling_part == path_part:
            raise ConflictException(
                f"Another resource with the same parent already has this name: {path_part}"
            )
        if is_variable(path_part) and is_variable(sibling_part):
            raise BadRequestException(
                f"A sibling ({sibling_part}) of this resource already has a variable path "
                "part -- only one is allowed"
            )


def check_http_method(http_method: str | None) -> str:
    if not http_method:
        raise BadRequestException("Enumeration value for HttpMethod must be non-empty")
    if http_method not in HTTP_METHODS:
        raise BadRequestException(
            "Invalid HttpMethod specified. Valid options are " + ",".join(HTTP_METHODS)
        )
    return http_method


def check_status_code(status_code: str) -> None:
    if not _STATUS_CODE.match(status_code):
        raise ValidationException(
            f"1 validation error detected: Value '{status_code}' at 'statusCode' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d"
        )


def check_request_parameters(parameters: dict[str, Any] | None) -> None:
    """Method request parameters: names unique across querystring, header and path."""
    seen: set[str] = set()
    for key in parameters or {}:
        parts = key.split(".", 3)
        if len(parts) != 4 or parts[:2] != ["method", "request"] or not parts[3]:
            raise BadRequestException(
                f"Invalid mapping expression specified: Validation Result: warnings : [], "
                f"errors : [Invalid method request parameter name specified: {key}]"
            )
        name = parts[3]
        if name in seen:
            raise BadRequestException(
                "Parameter names must be unique across querystring, header and path"
            )
        seen.add(name)


def new_method(
    http_method: str,
    *,
    authorization_type: str | None = None,
    authorizer_id: str | None = None,
    api_key_required: bool | None = None,
    operation_name: str | None = None,
    request_parameters: dict[str, bool] | None = None,
    request_models: dict[str, str] | None = None,
    request_validator_id: str | None = None,
    authorization_scopes: list[str] | None = None,
) -> Method:
    """A method as PutMethod creates it (no responses, no integration yet)."""
    check_http_method(http_method)
    authorization_type = check_authorization_type(authorization_type or "NONE")
    if authorization_type in ("CUSTOM", "COGNITO_USER_POOLS") and not authorizer_id:
        raise BadRequestException(
            "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
            "COGNITO_USER_POOLS requires a valid authorizer."
        )
    check_request_parameters(request_parameters)
    method: dict[str, Any] = {
        "httpMethod": http_method,
        "authorizationType": authorization_type,
        "apiKeyRequired": bool(api_key_required),
    }
    optional = {
        "authorizerId": authorizer_id,
        "operationName": operation_name,
        "requestParameters": request_parameters or None,
        "requestModels": request_models or None,
        "requestValidatorId": request_validator_id,
        "authorizationScopes": authorization_scopes or None,
    }
    method.update({k: v for k, v in optional.items() if v is not None})
    return cast(Method, method)


def check_authorization_type(authorization_type: str) -> str:
    if authorization_type not in AUTHORIZATION_TYPES:
        raise BadRequestException(
            "Invalid authorization type specified. Valid options are "
            + ",".join(AUTHORIZATION_TYPES)
        )
    return authorization_type


def new_method_response(
    status_code: str,
    *,
    response_parameters: dict[str, bool] | None = None,
    response_models: dict[str, str] | None = None,
) -> MethodResponse:
    check_status_code(status_code)
    response: dict[str, Any] = {"statusCode": status_code}
    if response_parameters:
        response["responseParameters"] = dict(response_parameters)
    if response_models:
        response["responseModels"] = dict(response_models)
    return cast(MethodResponse, response)


def new_integration(resource_id: str, fields: dict[str, Any]) -> Integration:
    """An integration as PutIntegration stores it: AWS's checks and defaults.

    `fields` uses the Integration member names (`type`, `httpMethod`, `uri`, ...).
    """
    integration_type = fields.get("type")
    if integration_type not in ("HTTP", "AWS", "MOCK", "HTTP_PROXY", "AWS_PROXY"):
        raise ValidationException(
            f"1 validation error detected: Value '{integration_type}' at "
            "'putIntegrationInput.type' failed to satisfy constraint: Member must satisfy "
            "enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]"
        )
    integration: dict[str, Any] = {"type": integration_type}
    http_method = fields.get("httpMethod")
    uri = fields.get("uri")
    if integration_type != "MOCK":
        integration["httpMethod"] = check_http_method(http_method)
        check_integration_uri(integration_type, uri)
        integration["uri"] = uri
        integration["connectionType"] = fields.get("connectionType") or "INTERNET"
    elif http_method:
        integration["httpMethod"] = check_http_method(http_method)
    if integration.get("connectionType") == "VPC_LINK" and not fields.get("connectionId"):
        raise BadRequestException("connectionId must be provided when connectionType is VPC_LINK")
    passthrough = fields.get("passthroughBehavior") or "WHEN_NO_MATCH"
    if passthrough not in PASSTHROUGH_BEHAVIORS:
        raise BadRequestException(
            "Invalid passthrough behavior specified. Valid options are "
            + ",".join(PASSTHROUGH_BEHAVIORS)
        )
    timeout = fields.get("timeoutInMillis")
    timeout = DEFAULT_TIMEOUT_MILLIS if timeout is None else int(timeout)
    if not MIN_TIMEOUT_MILLIS <= timeout <= DEFAULT_TIMEOUT_MILLIS:
        raise BadRequestException("Timeout should be between 50 ms and 29000 ms")
    content_handling = fields.get("contentHandling")
    if content_handling is not None and content_handling not in CONTENT_HANDLING:
        raise ValidationException(
            f"1 validation error detected: Value '{content_handling}' at "
            "'putIntegrationInput.contentHandling' failed to satisfy constraint: Member must "
            "satisfy enum value set: [CONVERT_TO_BINARY, CONVERT_TO_TEXT]"
        )
    integration.update(
        {
            "passthroughBehavior": passthrough,
            "timeoutInMillis": timeout,
            "cacheNamespace": fields.get("cacheNamespace") or resource_id,
            "cacheKeyParameters": list(fields.get("cacheKeyParameters") or []),
        }
    )
    for key in ("connectionId", "credentials", "contentHandling", "tlsConfig"):
        if fields.get(key) is not None:
            integration[key] = fields[key]
    for key in ("requestParameters", "requestTemplates"):
        if fields.get(key):
            integration[key] = dict(fields[key])
    if fields.get("integrationResponses"):
        integration["integrationResponses"] = dict(fields["integrationResponses"])
    return cast(Integration, integration)


def check_integration_uri(integration_type: str, uri: str | None) -> None:
    if integration_type in ("HTTP", "HTTP_PROXY"):
        # Stage variables may stand for any part of the URL; check what is fixed.
        probe = re.sub(r"\$\{stageVariables\.[A-Za-z0-9_]+\}", "x", uri or "")
        parts = urlsplit(probe)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise BadRequestException("Invalid HTTP endpoint specified for URI")
        return
    if not uri:
        raise BadRequestException("Invalid ARN specified in the request")
    match = _AWS_URI.match(uri)
    if match is None or match.group("kind") not in ("path", "action"):
        if uri.startswith("arn:"):
            raise BadRequestException("AWS ARN for integration must contain path or action")
        raise BadRequestException("Invalid ARN specified in the request")
    if integration_type == "AWS_PROXY" and match.group("service") not in ("lambda", "firehose"):
        raise BadRequestException(
            "Integrations of type 'AWS_PROXY' currently only supports Lambda function and "
            "Firehose stream invocations."
        )


def new_integration_response(
    status_code: str,
    *,
    selection_pattern: str | None = None,
    response_parameters: dict[str, str] | None = None,
    response_templates: dict[str, str | None] | None = None,
    content_handling: str | None = None,
) -> IntegrationResponse:
    check_status_code(status_code)
    response: dict[str, Any] = {"statusCode": status_code}
    if selection_pattern is not None:
        response["selectionPattern"] = selection_pattern
    if response_parameters:
        response["responseParameters"] = dict(response_parameters)
    if response_templates:
        response["responseTemplates"] = dict(response_templates)
    if content_handling is not None:
        if content_handling not in CONTENT_HANDLING:
            raise BadRequestException(
                "Invalid content handling specified. Valid options are "
                + ",".join(CONTENT_HANDLING)
            )
        response["contentHandling"] = content_handling
    return cast(IntegrationResponse, response)


def new_resource(resources: dict[str, Resource], parent_id: str, path_part: str) -> Resource:
    """A checked new child resource (not yet added to `resources`)."""
    check_path_part(resources, parent_id, path_part)
    return {
        "id": ids.short_id(),
        "parentId": parent_id,
        "pathPart": path_part,
        "resourceMethods": {},
    }


_MODEL_NAME = re.compile(r"^[A-Za-z0-9]+$")


def check_model_name(name: str) -> None:
    if not name:
        raise BadRequestException("Model name must be non-empty")
    if not _MODEL_NAME.match(name):
        raise BadRequestException(
            f"Invalid model name specified: {name}. Model names must be alphanumeric"
        )


def new_request_validator(
    validator_id: str, name: str | None, body: bool | None, params: bool | None
) -> RequestValidator:
    if not name or not name.strip():
        raise BadRequestException("Request Validator name cannot be blank")
    return {
        "id": validator_id,
        "name": name,
        "validateRequestBody": bool(body),
        "validateRequestParameters": bool(params),
    }


def new_gateway_response(
    response_type: str,
    *,
    status_code: str | None = None,
    response_parameters: dict[str, Any] | None = None,
    response_templates: dict[str, Any] | None = None,
) -> GatewayResponse:
    """A customised gateway response, as PutGatewayResponse stores it."""
    if response_type not in GATEWAY_RESPONSE_DEFAULTS:
        raise ValidationException(
            f"1 validation error detected: Value '{response_type}' at 'responseType' failed to "
            "satisfy constraint: Member must satisfy enum value set: "
            f"[{', '.join(AWS_ENUM_ORDER)}]"
        )
    response: dict[str, Any] = {"responseType": response_type}
    if status_code is not None:
        check_status_code(status_code)
        response["statusCode"] = status_code
    for key, values in (("responseParameters", response_parameters),
                        ("responseTemplates", response_templates)):  # fmt: skip
        if values and any(v in (None, "") for v in values.values()):
            raise BadRequestException(f"Invalid null or empty value in {key}")
        if values:
            response[key] = dict(values)
    return cast(GatewayResponse, response)
