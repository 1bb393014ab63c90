"""Invoke a function that another Lambda Invoke API endpoint serves.

AWS counterpart: Lambda's Invoke operation (``POST /2015-03-31/functions/{FunctionName}/
invocations``), which is what API Gateway calls for a Lambda integration. Why: DESIGN.md lets a
function be remote, so a Tollway API can front functions in any language: AWS itself (requests
signed with SigV4, service ``lambda``) or a container running the Lambda Runtime Interface
Emulator (RIE, ``POST http://host:9000/2015-03-31/functions/function/invocations``). The outcome
is the same ``InvokeResult`` the local FunctionHost gives, so integrations need not care where a
function runs.

Lambda reports a function's own failure as HTTP 200 with ``X-Amz-Function-Error: Unhandled`` and
the error object as the payload; ``X-Amz-Log-Result`` carries the base64 log tail and
``X-Amz-Executed-Version`` the version that ran. The RIE reports none of that (read in
aws/aws-lambda-runtime-interface-emulator, cmd/aws-lambda-rie/handlers.go and util.go: the
invoke handler hands the sandbox a ``ResponseWriterProxy`` whose ``Header()`` returns a fresh map
on every call, so every header the sandbox sets is dropped, and it copies out only the body and
any status; reported upstream as issue #20 "Missing response header X-Amz-Function-Error", with
curl output, and #21 for timeouts):

- a handler exception comes back as HTTP 200, no function-error header, ``Content-Type:
  text/plain`` (Go's sniffing), body the runtime's error object (``errorType``, ``errorMessage``,
  ``stackTrace`` or ``trace``);
- a function timeout as HTTP 200 with the text ``Task timed out after N.00 seconds``;
- a runtime that crashed or failed its init (``ErrInvokeDoneFailed``, ``ErrInitDoneFailed``) as
  HTTP 502 with whatever error body rapid produced, possibly empty (issue #86);
- its own trouble (a second concurrent invoke, reservation errors) as 400, 500 or 504, empty.

So a 200 answer without ``X-Amz-Executed-Version`` (which Lambda sends with every synchronous
answer) is not trusted to mean success: a body that is an error object or the timeout text is a
function error ("Unhandled"), as Lambda would have said; the timeout gets Lambda's
``Sandbox.Timedout`` object. A 502 that is not one of Lambda's service errors and whose body is
empty or an error object is the function failing too (Lambda answers a crashed or failed-init
runtime with 200 and ``Runtime.ExitError`` or the init error). The price: a function behind such
an endpoint that *returns* an object with ``errorType`` and ``errorMessage`` reads as failed.

Everything else that is not 2xx is the Invoke operation failing, not the function: a
``RemoteInvokeError`` with the status and Lambda's error type (``x-amzn-ErrorType``, else the
body's ``__type``, else one implied by the status). An endpoint that cannot be reached or does
not answer in time is also a ``RemoteInvokeError``: 502 (the failure lies between Tollway and the
upstream, as a gateway's does) with type ``ServiceException``, Lambda's generic "the service
failed" error, which clients already treat as a server-side, retryable failure.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tollway.dataplane.context import Response
from tollway.dataplane.errors import GatewayError, IntegrationTimeout
from tollway.dataplane.integrations.upstream import UpstreamClient
from tollway.functions.errors import RemoteInvokeError
from tollway.functions.host import InvokeResult

INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
SERVICE_EXCEPTION = "ServiceException"

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Lambda's error types for the statuses an answer without one can carry (Invoke's error list).
_TYPE_BY_STATUS = {
    404: "ResourceNotFoundException",
    413: "RequestTooLargeException",
    415: "UnsupportedMediaTypeException",
    429: "TooManyRequestsException",
}
_RIE_TIMEOUT = re.compile(r"Task timed out after [0-9.]+ seconds")
_MAX_MESSAGE = 1000  # characters of a non-JSON error body kept in a message


@dataclass(frozen=True, slots=True)
class RemoteTarget:
    """Where a remote function is and how to call it."""

    endpoint: str  # "http://127.0.0.1:9000" (RIE) or "https://lambda.us-east-1.amazonaws.com"
    function_name: str  # name or ARN at that endpoint; the RIE answers to any, "function" by habit
    qualifier: str | None = None  # version or alias (the Invoke API's Qualifier)
    region: str = "us-east-1"  # the SigV4 signing region
    # (access key id, secret access key, session token); None sends the request unsigned.
    # Kept out of repr so a logged target does not leak the secret.
    credentials: tuple[str, str, str | None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        split = urlsplit(self.endpoint)
        try:
            _ = split.port  # a port that is not a number in range raises
        except ValueError as e:
            raise ValueError(f"Invalid Lambda endpoint {self.endpoint!r}: {e}") from None
        if split.scheme not in _DEFAULT_PORTS or not split.hostname:
            raise ValueError(f"Invalid Lambda endpoint {self.endpoint!r}: need http(s)://host")
        if split.query or split.fragment:
            raise ValueError(f"Invalid Lambda endpoint {self.endpoint!r}: no query or fragment")
        if not self.function_name:
            raise ValueError("A remote function needs a function name")

    @property
    def url(self) -> str:
        """The Invoke URL; the name is one path segment, so an ARN's colons are escaped."""
        url = (
            f"{self.endpoint.rstrip('/')}/2015-03-31/functions/"
            f"{quote(self.function_name, safe='')}/invocations"
        )
        if self.qualifier:
            url += f"?Qualifier={quote(self.qualifier, safe='')}"
        return url

    @property
    def host(self) -> str:
        """The Host header, set explicitly so the one signed is the one sent."""
        split = urlsplit(self.endpoint)
        host = split.hostname or ""
        if ":" in host:
            host = f"[{host}]"  # IPv6 literal
        port = split.port
        if port is None or port == _DEFAULT_PORTS[split.scheme]:
            return host
        return f"{host}:{port}"


class RemoteInvoker:
    """Calls remote functions through the data plane's pooled upstream client, so invocations
    reuse keep-alive connections like every other outbound request of the gateway."""

    def __init__(self, client: UpstreamClient) -> None:
        self._client = client

    async def invoke(
        self,
        target: RemoteTarget,
        payload: bytes,
        *,
        invocation_type: str = "RequestResponse",
        # The client enforces it (time_limit), so the connection is dropped and not reused.
        timeout: float,  # noqa: ASYNC109
        request_id: str | None = None,
    ) -> InvokeResult:
        """Invoke the function once. ``request_id`` names the invocation in the error objects
        made up here (the Invoke API has no way to choose the remote request id); a new one is
        made when none is given. Raises RemoteInvokeError when the invocation itself fails."""
        if invocation_type not in INVOCATION_TYPES:
            raise ValueError(f"Unknown invocation type {invocation_type!r}")
        request_id = request_id or str(uuid.uuid4())
        url = target.url
        headers = [
            ("Host", target.host),
            ("Content-Type", "application/json"),
            ("X-Amz-Invocation-Type", invocation_type),
        ]
        if invocation_type == "RequestResponse":
            # Lambda returns a log tail for synchronous invocations only.
            headers.append(("X-Amz-Log-Type", "Tail"))
        if target.credentials is not None:
            headers = _signed(target, url, headers, payload)
        try:
            response = await self._client.send("POST", url, headers, payload, time_limit=timeout)
        except IntegrationTimeout:
            raise RemoteInvokeError(
                502,
                SERVICE_EXCEPTION,
                f"{target.endpoint} did not answer the invocation of {target.function_name} "
                f"within {timeout:g} seconds",
            ) from None
        except GatewayError as e:
            raise RemoteInvokeError(
                502,
                SERVICE_EXCEPTION,
                # Unreachable, or the connection broke or carried no valid HTTP answer.
                f"{target.endpoint} gave no answer to the invocation of {target.function_name}: "
                f"{e.log or e.message}",
            ) from None
        return _result(response, request_id, target)


def _signed(
    target: RemoteTarget, url: str, headers: list[tuple[str, str]], payload: bytes
) -> list[tuple[str, str]]:
    """The headers plus SigV4's (Authorization, X-Amz-Date, X-Amz-Security-Token)."""
    assert target.credentials is not None
    access_key, secret_key, token = target.credentials
    request = AWSRequest(method="POST", url=url, data=payload, headers=dict(headers))
    SigV4Auth(Credentials(access_key, secret_key, token), "lambda", target.region).add_auth(request)
    return [(str(name), str(value)) for name, value in request.headers.items()]


def _result(response: Response, request_id: str, target: RemoteTarget) -> InvokeResult:
    headers = {name.lower(): value for name, value in response.headers}
    status, body = response.status, response.body
    version = headers.get("x-amz-executed-version")
    log = _log_tail(headers.get("x-amz-log-result"))
    if 200 <= status < 300:
        function_error = headers.get("x-amz-function-error") or None
        if function_error is None and status == 200 and version is None:
            body, function_error = _emulator_outcome(body, request_id)
        return InvokeResult(body, function_error, log, version or "$LATEST")
    service_error = _service_error(status, headers, body)
    if service_error is not None:
        raise service_error
    if status == 502 and (not body.strip() or _is_error_object(body)):
        # The RIE's answer for a runtime that crashed or failed its init.
        if not body.strip():
            body = _error_object(
                "Runtime.ExitError",
                f"RequestId: {request_id} Error: Runtime exited without providing a reason",
            )
        return InvokeResult(body, "Unhandled", log, version or "$LATEST")
    text = body.decode("utf-8", "replace").strip()[:_MAX_MESSAGE]
    raise RemoteInvokeError(
        status,
        _TYPE_BY_STATUS.get(status, SERVICE_EXCEPTION),
        f"{target.endpoint} answered HTTP {status}" + (f": {text}" if text else ""),
    )


def _emulator_outcome(body: bytes, request_id: str) -> tuple[bytes, str | None]:
    """What an endpoint that does not report function errors (the RIE) meant by a 200."""
    if _is_error_object(body):
        return body, "Unhandled"
    if len(body) < 100:
        text = body.decode("utf-8", "replace").strip()
        if _RIE_TIMEOUT.fullmatch(text):
            timed_out = _error_object("Sandbox.Timedout", f"RequestId: {request_id} Error: {text}")
            return timed_out, "Unhandled"
    return body, None


def _service_error(status: int, headers: dict[str, str], body: bytes) -> RemoteInvokeError | None:
    """The Invoke operation's own error: `x-amzn-ErrorType` and/or a body like
    ``{"Type": "User", "message": "Function not found: ..."}``; None if the answer is not one."""
    document = _json_object(body)
    error_type = headers.get("x-amzn-errortype", "").split(":")[0].strip()
    amz_type = document.get("__type") if document is not None else None
    if not error_type and isinstance(amz_type, str):
        error_type = amz_type.rsplit("#", 1)[-1]  # "com.amazon...#ResourceNotFoundException"
    is_service_shape = document is not None and (
        "Type" in document or "message" in document or "Message" in document
    )
    if not error_type and not is_service_shape:
        return None
    message: str | None = None
    for key in ("message", "Message", "errorMessage"):
        value = document.get(key) if document is not None else None
        if isinstance(value, str):
            message = value
            break
    if message is None:
        message = body.decode("utf-8", "replace").strip()[:_MAX_MESSAGE]
    return RemoteInvokeError(
        status, error_type or _TYPE_BY_STATUS.get(status, SERVICE_EXCEPTION), message
    )


def _json_object(body: bytes) -> dict[str, object] | None:
    if not body.lstrip().startswith(b"{"):
        return None  # the common non-JSON answers, without a parse attempt
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return document if isinstance(document, dict) else None


def _is_error_object(body: bytes) -> bool:
    """Lambda's error object, as every runtime writes it (errorType and errorMessage)."""
    document = _json_object(body)
    return document is not None and "errorType" in document and "errorMessage" in document


def _error_object(error_type: str, message: str) -> bytes:
    return orjson.dumps({"errorType": error_type, "errorMessage": message})


def _log_tail(value: str | None) -> str:
    if not value:
        return ""
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""  # a malformed tail loses the log, not the invocation's result
