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
    # Response headers the error adds, whatever the gateway response configures (a JWT
    # authorizer's `www-authenticate` challenge).
    headers: tuple[tuple[str, str], ...] = ()
    # the member the DEFAULT template's message is rendered under (AccessDenied: "Message")
    body_key = "message"
    # `x-amzn-ErrorType` when it differs from the type's default (SigV4's exception names)
    error_type: str | None = None
    # False: not a gateway response AWS lets an API customise; rendered with its own status
    # and `{"message": ...}` whatever the API's gateway responses say (MethodArnTooLong)
    customisable = True

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


# --- authorization (dataplane/auth) ---------------------------------------------------------


class Unauthorized(GatewayError):
    """401: no identity, an invalid or expired token, or an authorizer that said so."""

    response_type = "UNAUTHORIZED"


class AccessDenied(GatewayError):
    """403: a policy (the authorizer's, an IAM identity's, the resource policy) refused.

    AWS answers these with a capital-M body, `{"Message":"User is not authorized to access
    this resource"}` (spec §5.3, §5.5, §10.1), although GetGatewayResponse lists the usual
    `{"message":$context.error.messageString}` template: `body_key` makes the default
    template render so. A customised template (ACCESS_DENIED's own, or DEFAULT_4XX's)
    renders as written."""

    response_type = "ACCESS_DENIED"
    body_key = "Message"


class AuthorizerConfigurationError(GatewayError):
    """500: the authorizer could not be called or answered something unusable."""

    response_type = "AUTHORIZER_CONFIGURATION_ERROR"


class AuthorizerFailure(GatewayError):
    """500: the authorizer failed (spec §5.5)."""

    response_type = "AUTHORIZER_FAILURE"


class InvalidSignature(GatewayError):
    """403: a SigV4 signature that does not verify, or one that is not SigV4-shaped."""

    response_type = "INVALID_SIGNATURE"


class IncompleteSignature(InvalidSignature):
    """403: an Authorization header or presigned query string missing SigV4's parts."""

    error_type = "IncompleteSignatureException"


class UnrecognizedClient(InvalidSignature):
    """403: an access key (or session token) the identity store does not know."""

    error_type = "UnrecognizedClientException"


class ExpiredToken(GatewayError):
    """403: expired temporary credentials."""

    response_type = "EXPIRED_TOKEN"


class MethodArnTooLong(GatewayError):
    """414: the method ARN of a request that needs authorization is over 1600 bytes (spec
    §1.4, §12.3). AWS has no gateway response type for it, so no API can customise it: the
    status and the body `{"message":"Request URI too long"}` (the spec's wording) are fixed,
    without `x-amzn-ErrorType` (AWS's exception name for it is not recorded)."""

    response_type = "DEFAULT_4XX"  # `$context.error.responseType` in access logs
    status = 414
    customisable = False

    def __init__(self, length: int) -> None:
        super().__init__(
            "Request URI too long",
            log=f"the method ARN is {length} bytes, over the 1600 bytes authorization allows",
        )


class HeadersTooLarge(GatewayError):
    """431: a request over the header limit (spec §12.3): REST APIs count all header values,
    HTTP APIs the request line and header values, 10,240 bytes each. No gateway response
    type covers it. The status is the one users observed from API Gateway and the message
    the text they quote (UNCONFIRMED, docs/limits.md); both are fixed."""

    response_type = "DEFAULT_4XX"
    status = 431
    customisable = False

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"HTTP header is larger than {limit} bytes.",
            log=f"the request's headers are {size} bytes, over the {limit} bytes allowed",
        )


class UriTooLong(GatewayError):
    """414: a URL (path and query) over a regional API's 10,240 characters (spec §12.3). The
    body is the 414 AWS documents for an over-long method ARN (UNCONFIRMED for the URL)."""

    response_type = "DEFAULT_4XX"
    status = 414
    customisable = False

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(
            "Request URI too long",
            log=f"the URL is {length} characters, over the {limit} a regional API allows",
        )


class MissingSignature(MissingAuthenticationToken):
    """403: an AWS_IAM method or route called unsigned (REST: `Missing Authentication Token`;
    HTTP APIs answer `Forbidden`)."""


# --- API keys, usage plans, throttling (handlers/api_key.py, handlers/throttle.py) ----------


class InvalidApiKey(GatewayError):
    """403 `{"message":"Forbidden"}`: a missing, unknown or disabled API key, or one in no
    usage plan of this API stage (spec §5.9)."""

    response_type = "INVALID_API_KEY"


class QuotaExceeded(GatewayError):
    """429 `{"message":"Limit Exceeded"}`: the key's usage plan quota is used up (spec §6.3)."""

    response_type = "QUOTA_EXCEEDED"


class Throttled(GatewayError):
    """429 `{"message":"Too Many Requests"}`: a token bucket of some level is empty."""

    response_type = "THROTTLED"
