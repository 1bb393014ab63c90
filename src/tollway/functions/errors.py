"""Why a function could not be invoked on behalf of an API (as opposed to the function
itself failing, which is an InvokeResult with a function error)."""

from __future__ import annotations


class FunctionNotFound(Exception):
    """No function with that name, version or alias exists."""


class InvocationDenied(Exception):
    """The function's resource policy does not let the caller invoke it (AWS: AccessDenied,
    which API Gateway reports as a 500)."""
