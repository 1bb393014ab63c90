"""Control-plane errors, named after the AWS exceptions SDKs map them to.

Operations raise these; the wire protocol (protocol.py) writes them as AWS does: the HTTP
status, `x-amzn-ErrorType: <code>`, and a JSON body built from the service model's error shape
(`{"message": ...}` for apigateway, `{"Type": "User", "Message": ...}` for lambda).
"""

from __future__ import annotations


class ServiceError(Exception):
    code = "InternalFailure"
    status = 500

    def __init__(self, message: str, **fields: str) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields  # other members of the error shape (Lambda's `Reason`, ...)


class BadRequestException(ServiceError):
    code = "BadRequestException"
    status = 400


class NotFoundException(ServiceError):
    code = "NotFoundException"
    status = 404


class ConflictException(ServiceError):
    code = "ConflictException"
    status = 409


class LimitExceededException(ServiceError):
    code = "LimitExceededException"
    status = 429


class ValidationException(ServiceError):
    """Request-shape validation (enum values, patterns): AWS's Coral-framework wording."""

    code = "ValidationException"
    status = 400


class SerializationException(ServiceError):
    """A JSON member of the wrong type, worded as AWS's Java deserialiser words it."""

    code = "SerializationException"
    status = 400


class UnknownOperationException(ServiceError):
    code = "UnknownOperationException"
    status = 404


class ServiceUnavailableException(ServiceError):
    """What a shared runtime state (Redis) that cannot be reached makes an operation answer."""

    code = "ServiceUnavailableException"
    status = 503


class NotSupportedByTollway(ServiceError):
    """An AWS operation or option Tollway does not implement yet. Said loudly, never skipped."""

    code = "NotImplementedException"
    status = 501


# Lambda's exceptions (service `lambda`).


class ResourceNotFoundException(ServiceError):
    code = "ResourceNotFoundException"
    status = 404


class ResourceConflictException(ServiceError):
    code = "ResourceConflictException"
    status = 409


class InvalidParameterValueException(ServiceError):
    code = "InvalidParameterValueException"
    status = 400


class InvalidRequestContentException(ServiceError):
    code = "InvalidRequestContentException"
    status = 400


class RequestTooLargeException(ServiceError):
    code = "RequestTooLargeException"
    status = 413


class RequestEntityTooLargeException(ServiceError):
    code = "RequestEntityTooLargeException"
    status = 413


class PreconditionFailedException(ServiceError):
    code = "PreconditionFailedException"
    status = 412


class TooManyRequestsException(ServiceError):
    code = "TooManyRequestsException"
    status = 429


class LambdaServiceException(ServiceError):
    code = "ServiceException"
    status = 500


CONCURRENT_MODIFICATION = (
    "Unable to complete operation due to concurrent modification. Please try again later."
)


# Refusals of the admin listener's SigV4 check (admin_auth.py), as AWS's endpoints send them.


class MissingAuthenticationTokenException(ServiceError):
    code = "MissingAuthenticationTokenException"
    status = 403


class IncompleteSignatureException(ServiceError):
    code = "IncompleteSignatureException"
    status = 403


class InvalidSignatureException(ServiceError):
    code = "InvalidSignatureException"
    status = 403


class UnrecognizedClientException(ServiceError):
    code = "UnrecognizedClientException"
    status = 403


class ExpiredTokenException(ServiceError):
    code = "ExpiredTokenException"
    status = 403


class AccessDeniedException(ServiceError):
    code = "AccessDeniedException"
    status = 403
