"""Why a function could not be invoked on behalf of an API (as opposed to the function
itself failing, which is an InvokeResult with a function error)."""

from __future__ import annotations


class FunctionNotFound(Exception):
    """No function with that name, version or alias exists."""


class InvocationDenied(Exception):
    """The function's resource policy does not let the caller invoke it (AWS: AccessDenied,
    which API Gateway reports as a 500)."""


class RemoteInvokeError(Exception):
    """A remote Lambda Invoke API endpoint refused or failed the invocation (AWS: the Invoke
    operation's own errors, such as ResourceNotFoundException or TooManyRequestsException), or
    could not be reached. The function may not have run; its own failures are not this."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(f"{error_type} ({status}): {message}")
        self.status = status
        self.error_type = error_type
        self.message = message


class FunctionThrottled(Exception):
    """The function is at its reserved concurrency (Lambda: TooManyRequestsException,
    "Rate Exceeded.", reason ReservedFunctionConcurrentInvocationLimitExceeded)."""

    def __init__(self, function_name: str, reserved: int) -> None:
        super().__init__(f"Rate Exceeded. ({function_name} has reserved concurrency {reserved})")
        self.function_name = function_name
        self.reserved = reserved
