"""API Gateway's gateway response types and their defaults (spec §10.1, §10.2).

A gateway response is what API Gateway sends when it fails a request itself (no route,
timeout, bad proxy response, ...). Each type has a default status, message and
`x-amzn-ErrorType`; 4XX/5XX types fall back to DEFAULT_4XX / DEFAULT_5XX customisations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
"""The body template of every default gateway response."""


@dataclass(frozen=True, slots=True)
class GatewayResponseDefault:
    response_type: str
    status: int | None  # DEFAULT_4XX / DEFAULT_5XX have no status of their own
    message: str | None
    error_type: str | None  # the x-amzn-ErrorType header value

    @property
    def fallback(self) -> str | None:
        """The DEFAULT_4XX/DEFAULT_5XX type whose customisation this type inherits."""
        if self.status is None:
            return None
        if self.response_type == "UNAUTHORIZED":
            return None  # the Doc lists no fallback for UNAUTHORIZED
        return "DEFAULT_4XX" if self.status < 500 else "DEFAULT_5XX"


def _d(
    t: str, status: int | None, message: str | None, error_type: str | None
) -> tuple[str, GatewayResponseDefault]:
    return t, GatewayResponseDefault(t, status, message, error_type)


DEFAULTS: dict[str, GatewayResponseDefault] = dict(
    [
        _d(
            "ACCESS_DENIED",
            403,
            "User is not authorized to access this resource",
            "AccessDeniedException",
        ),
        _d("API_CONFIGURATION_ERROR", 500, "Internal server error", "InternalServerErrorException"),
        _d("AUTHORIZER_CONFIGURATION_ERROR", 500, None, "AuthorizerConfigurationException"),
        _d("AUTHORIZER_FAILURE", 500, "Internal server error", "AuthorizerFailureException"),
        _d(
            "BAD_REQUEST_PARAMETERS",
            400,
            "Missing required request parameters",
            "BadRequestException",
        ),
        _d("BAD_REQUEST_BODY", 400, "Invalid request body", "BadRequestException"),
        _d("DEFAULT_4XX", None, None, None),
        _d("DEFAULT_5XX", None, None, None),
        _d(
            "EXPIRED_TOKEN",
            403,
            "The security token included in the request is expired",
            "ExpiredTokenException",
        ),
        _d(
            "INTEGRATION_FAILURE",
            504,
            "Network error communicating with endpoint",
            "InternalServerErrorException",
        ),
        _d(
            "INTEGRATION_TIMEOUT", 504, "Endpoint request timed out", "InternalServerErrorException"
        ),
        _d("INVALID_API_KEY", 403, "Forbidden", "ForbiddenException"),
        _d("INVALID_SIGNATURE", 403, "Forbidden", "InvalidSignatureException"),
        _d(
            "MISSING_AUTHENTICATION_TOKEN",
            403,
            "Missing Authentication Token",
            "MissingAuthenticationTokenException",
        ),
        _d("QUOTA_EXCEEDED", 429, "Limit Exceeded", "LimitExceededException"),
        _d("REQUEST_TOO_LARGE", 413, "Request Too Long", "RequestTooLargeException"),
        _d("RESOURCE_NOT_FOUND", 404, "Not Found", "ResourceNotFoundException"),
        _d("THROTTLED", 429, "Too Many Requests", "TooManyRequestsException"),
        _d("UNAUTHORIZED", 401, "Unauthorized", "UnauthorizedException"),
        _d("UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type", "BadRequestException"),
        _d("WAF_FILTERED", 403, "Forbidden", "WAFFilteredException"),
    ]
)

AWS_ENUM_ORDER = (
    "REQUEST_TOO_LARGE",
    "RESOURCE_NOT_FOUND",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "MISSING_AUTHENTICATION_TOKEN",
    "BAD_REQUEST_BODY",
    "INVALID_SIGNATURE",
    "INVALID_API_KEY",
    "BAD_REQUEST_PARAMETERS",
    "AUTHORIZER_FAILURE",
    "UNAUTHORIZED",
    "INTEGRATION_TIMEOUT",
    "ACCESS_DENIED",
    "DEFAULT_4XX",
    "DEFAULT_5XX",
    "WAF_FILTERED",
    "QUOTA_EXCEEDED",
    "THROTTLED",
    "API_CONFIGURATION_ERROR",
    "UNSUPPORTED_MEDIA_TYPE",
    "INTEGRATION_FAILURE",
    "EXPIRED_TOKEN",
)
"""The order AWS lists the types in, in its ValidationException message (spec §10.2)."""

LISTING_ORDER = tuple(sorted(DEFAULTS))


def effective_response(
    customised: Mapping[str, Mapping[str, Any]], response_type: str
) -> dict[str, Any]:
    """The gateway response a type has in an API, as GetGatewayResponse reports it.

    `customised` maps types to what PutGatewayResponse stored. A type the API did not
    customise inherits the status code, parameters and templates of a customised
    DEFAULT_4XX/DEFAULT_5XX, yet still reports `defaultResponse: true` (spec §10.2).
    """
    default = DEFAULTS[response_type]
    own = customised.get(response_type)
    if own is not None:
        out: dict[str, Any] = {"responseType": response_type, "defaultResponse": False}
        status = own.get("statusCode") or (str(default.status) if default.status else None)
        if status:
            out["statusCode"] = status
        out["responseParameters"] = dict(own.get("responseParameters") or {})
        out["responseTemplates"] = dict(
            own.get("responseTemplates") or {"application/json": DEFAULT_TEMPLATE}
        )
        return out
    inherited = customised.get(default.fallback or "", {})
    out = {"responseType": response_type, "defaultResponse": True}
    status = inherited.get("statusCode") or (str(default.status) if default.status else None)
    if status:
        out["statusCode"] = status
    out["responseParameters"] = dict(inherited.get("responseParameters") or {})
    out["responseTemplates"] = dict(
        inherited.get("responseTemplates") or {"application/json": DEFAULT_TEMPLATE}
    )
    return out
