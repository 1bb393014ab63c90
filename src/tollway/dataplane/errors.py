"""Typed data-plane errors: one class per API Gateway gateway response type.

Stages raise these and never build error responses themselves; the gateway-response handler
renders them as the API's configured gateway response for the type (spec §10). `message` is
what `$context.error.message` holds; `log` is what API Gateway would write to the execution
log ("Execution failed due to configuration error: ..."), kept for Tollway's own log.
"""

from __future__ import annotations

from tollway.model.gateway_responses import DEFAULTS


class GatewayError(Exception):
    response_type = "DEFAULT_5XX"

    def __init__(
        self,
        message: str | None = None,
        *,
        log: str | None = None,
        validation_error: str | None = None,
    ) -> None:
        default = DEFAULTS[self.response_type].message
        self.message = message if message is not None else default
        self.log = log
        self.validation_error = validation_error  # $context.error.validationErrorString
        super().__init__(log or self.message or self.response_type)


class MissingAuthenticationToken(GatewayError):
    response_type = "MISSING_AUTHENTICATION_TOKEN"


class ResourceNotFound(GatewayError):
    response_type = "RESOURCE_NOT_FOUND"


class ApiConfigurationError(GatewayError):
    """A misconfigured API (bad mapping, unparsable MOCK status, no matching response...).
    Also what any unexpected failure inside Tollway is reported as."""

    response_type = "API_CONFIGURATION_ERROR"


class IntegrationFailure(GatewayError):
    response_type = "INTEGRATION_FAILURE"


class IntegrationTimeout(GatewayError):
    response_type = "INTEGRATION_TIMEOUT"


class RequestTooLarge(GatewayError):
    response_type = "REQUEST_TOO_LARGE"


class UnsupportedMediaType(GatewayError):
    response_type = "UNSUPPORTED_MEDIA_TYPE"


class BadRequestBody(GatewayError):
    response_type = "BAD_REQUEST_BODY"


class BadRequestParameters(GatewayError):
    response_type = "BAD_REQUEST_PARAMETERS"


class MalformedProxyResponse(GatewayError):
    """A Lambda proxy response API Gateway cannot use (spec §2.3): 502, with the
    API_CONFIGURATION_ERROR type's body and headers but its own status."""

    response_type = "API_CONFIGURATION_ERROR"
    status = 502

    def __init__(self, log: str) -> None:
        super().__init__(log=log)


class LambdaInvocationFailed(MalformedProxyResponse):
    """The function failed (an unhandled error, a timeout, a crash): 502 as well."""
