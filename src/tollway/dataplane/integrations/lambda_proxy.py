"""AWS_PROXY integration with Lambda: the function gets the request as a payload 1.0 event
and answers with the HTTP response (spec §2.1-2.3).

The integration URI names the function
(`arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function-arn}/invocations`);
stage variables in it were substituted when the stage was compiled, so
`function:${stageVariables.alias}` names an alias or version. The function is looked up at
request time, so a function created or updated after the deployment is used at once.

Lambda's outcomes as API Gateway reports them: a function error (unhandled exception, timeout,
crash) or a malformed response is a 502; an invocation Lambda refuses (throttled by reserved
concurrency, no permission, no such function) a 500; the integration timeout (29 s by
default) racing a longer function timeout is a 504.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

import orjson

from tollway.dataplane.context import RestContext
from tollway.dataplane.errors import (
    ApiConfigurationError,
    IntegrationTimeout,
    LambdaInvocationFailed,
)
from tollway.dataplane.integrations.lambda_event import build_event, parse_response
from tollway.functions.errors import (
    FunctionNotFound,
    FunctionThrottled,
    InvocationDenied,
    RemoteInvokeError,
)

if TYPE_CHECKING:
    from tollway.dataplane.execution_log import ExecutionLog

log = logging.getLogger("tollway.dataplane")


class InvokeOutcome(Protocol):
    @property
    def payload(self) -> bytes: ...

    @property
    def function_error(self) -> str | None: ...


PRINCIPAL = "apigateway.amazonaws.com"


class FunctionInvoker(Protocol):
    """The Lambda host as API Gateway calls it (functions.registry.FunctionRegistry)."""

    def invoke_event_as_service(
        self, function_ref: str, payload: bytes, *, principal: str, source_arn: str
    ) -> str:
        """Queue an asynchronous (Event) invocation; its request id."""

    async def invoke_as_service(
        self,
        function_ref: str,
        payload: bytes,
        *,
        principal: str,
        source_arn: str,
        time_limit: float | None = None,
    ) -> InvokeOutcome:
        """Raises TimeoutError after `time_limit` seconds."""


@contextmanager
def lambda_refusals() -> Iterator[None]:
    """What Lambda refuses (no function, no permission, throttled, a remote failure), as API
    Gateway reports it: 500 API_CONFIGURATION_ERROR."""
    try:
        yield
    except FunctionNotFound as e:
        raise ApiConfigurationError(
            log=f"Execution failed due to configuration error: Invalid function: {e}"
        ) from None
    except InvocationDenied as e:
        raise ApiConfigurationError(
            log="Execution failed due to configuration error: Invalid permissions on "
            f"Lambda function ({e})"
        ) from None
    except FunctionThrottled as e:
        # Lambda rejected the invocation: API Gateway answers 500, not the 429.
        raise ApiConfigurationError(
            log=f"Lambda invocation failed with status: 429. Lambda request id: n/a ({e})"
        ) from None
    except RemoteInvokeError as e:
        raise ApiConfigurationError(
            log=f"Lambda invocation failed with status: {e.status} ({e.error_type}: {e.message})"
        ) from None


class _ApiStage(Protocol):
    @property
    def api_id(self) -> str: ...


class CallContext(Protocol):
    """What calling a function needs of a request's context (REST's or an HTTP API's)."""

    integration_latency: int | None
    integration_status: int | None
    integration_error: str | None

    @property
    def request_id(self) -> str: ...

    @property
    def trace_id(self) -> str: ...

    @property
    def stage(self) -> _ApiStage: ...

    @property
    def execution_log(self) -> ExecutionLog | None: ...


class LambdaIntegration:
    """What both Lambda integrations share: the function, the integration's method (only
    POST works: AWS invokes Lambda with it), its timeout, and how the function is called."""

    def __init__(
        self,
        *,
        function_ref: str,
        http_method: str,
        timeout_ms: int,
        invoker: FunctionInvoker,
        arn_prefix: str,
        endpoint_uri: str,
    ) -> None:
        self._function_ref = function_ref
        # Lambda's Invoke URL for the function, as the execution log names it
        self._endpoint_uri = endpoint_uri
        self._http_method = http_method
        self._timeout = timeout_ms / 1000
        self._invoker = invoker
        self._arn_prefix = arn_prefix  # arn:aws:execute-api:{region}:{account}:{api}/{stage}/

    def _source_arn(self, ctx: RestContext) -> str:
        """The caller's ARN the function's resource policy must allow; raises
        ApiConfigurationError for an integration method other than POST."""
        if self._http_method != "POST":
            raise ApiConfigurationError(
                log="Execution failed due to configuration error: Lambda integrations must "
                f"use httpMethod POST, not {self._http_method}"
            )
        resource = ctx.method.resource_path if ctx.method else "/"
        return f"{self._arn_prefix}{ctx.request.method}{resource}"

    def trace_request(
        self, ctx: CallContext, payload: bytes, source_arn: str, *extra: tuple[str, str]
    ) -> None:
        """The endpoint request lines of the execution log (only called when one is kept)."""
        assert ctx.execution_log is not None
        headers = [*_endpoint_headers(ctx, source_arn), *extra]
        ctx.execution_log.endpoint_request(self._endpoint_uri, headers, payload)

    async def _call(self, ctx: CallContext, payload: bytes, source_arn: str) -> InvokeOutcome:
        """Invoke as API Gateway does (RequestResponse): 504 past the integration timeout."""
        trace = ctx.execution_log
        if trace is not None:
            self.trace_request(ctx, payload, source_arn)
        started = time.perf_counter()
        try:
            with lambda_refusals():
                result = await self._invoker.invoke_as_service(
                    self._function_ref,
                    payload,
                    principal=PRINCIPAL,
                    source_arn=source_arn,
                    time_limit=self._timeout,
                )
        except TimeoutError:
            raise IntegrationTimeout(log="Execution failed due to a timeout error") from None
        finally:
            ctx.integration_latency = int((time.perf_counter() - started) * 1000)
        if trace is not None:
            headers = [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(result.payload))),
            ]
            if result.function_error:
                headers.append(("X-Amz-Function-Error", result.function_error))
            trace.endpoint_response(200, ctx.integration_latency, headers, result.payload)
        return result

    @staticmethod
    def _proxy_answer(ctx: CallContext, result: InvokeOutcome) -> bytes:
        """The function's answer to a proxy event: a function error (an unhandled exception,
        a timeout, a crash) fails the request, its payload the reason. Not a coroutine of its
        own around `_call`: one more await level per call measured ~9 µs more gateway CPU
        per AWS_PROXY request on one core (it shifts when the worker's replies are read)."""
        ctx.integration_status = 200
        if result.function_error:
            ctx.integration_error = result.payload.decode("utf-8", "replace")
            raise LambdaInvocationFailed(
                "Lambda execution failed with status 200 due to customer function error: "
                + ctx.integration_error
            )
        return result.payload


def _endpoint_headers(ctx: CallContext, source_arn: str) -> list[tuple[str, str]]:
    """What API Gateway sends Lambda's Invoke API, as its execution log shows it (Tollway
    calls its own function host, so there is no signature to show)."""
    api_id = ctx.stage.api_id
    return [
        ("x-amzn-apigateway-api-id", api_id),
        ("Accept", "application/json"),
        ("User-Agent", f"AmazonAPIGateway_{api_id}"),
        ("X-Amzn-Trace-Id", ctx.trace_id),
        ("x-amzn-lambda-integration-tag", ctx.request_id),
        ("X-Amz-Source-Arn", source_arn),
    ]


class LambdaProxyIntegration(LambdaIntegration):
    proxy = True

    async def invoke(self, ctx: RestContext) -> None:
        source_arn = self._source_arn(ctx)  # first: a method other than POST fails at once
        result = await self._call(ctx, orjson.dumps(build_event(ctx)), source_arn)
        ctx.response = parse_response(self._proxy_answer(ctx, result), ctx)
