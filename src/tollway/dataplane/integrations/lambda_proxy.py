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
from typing import Protocol

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


async def call_function(
    invoker: FunctionInvoker,
    function_ref: str,
    payload: bytes,
    source_arn: str,
    time_limit: float,
    ctx: RestContext,
) -> InvokeOutcome:
    """Invoke as API Gateway does (RequestResponse), Lambda's refusals turned into API
    Gateway's errors: 500 for what Lambda refuses, 504 for the integration timeout."""
    started = time.perf_counter()
    try:
        return await invoker.invoke_as_service(
            function_ref,
            payload,
            principal=PRINCIPAL,
            source_arn=source_arn,
            time_limit=time_limit,
        )
    except TimeoutError:
        raise IntegrationTimeout(log="Execution failed due to a timeout error") from None
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
    finally:
        ctx.integration_latency = int((time.perf_counter() - started) * 1000)


class LambdaProxyIntegration:
    proxy = True

    def __init__(
        self,
        *,
        function_ref: str,
        http_method: str,
        timeout_ms: int,
        invoker: FunctionInvoker,
        arn_prefix: str,
    ) -> None:
        self._function_ref = function_ref
        self._http_method = http_method
        self._timeout = timeout_ms / 1000
        self._invoker = invoker
        self._arn_prefix = arn_prefix  # arn:aws:execute-api:{region}:{account}:{api}/{stage}/

    async def invoke(self, ctx: RestContext) -> None:
        if self._http_method != "POST":
            # AWS invokes Lambda with the integration's method; only POST works.
            raise ApiConfigurationError(
                log="Execution failed due to configuration error: AWS_PROXY integrations "
                f"must use httpMethod POST, not {self._http_method}"
            )
        resource = ctx.method.resource_path if ctx.method else "/"
        source_arn = f"{self._arn_prefix}{ctx.request.method}{resource}"
        payload = orjson.dumps(build_event(ctx))
        result = await call_function(
            self._invoker, self._function_ref, payload, source_arn, self._timeout, ctx
        )
        ctx.integration_status = 200
        if result.function_error:
            ctx.integration_error = result.payload.decode("utf-8", "replace")
            raise LambdaInvocationFailed(
                "Lambda execution failed with status 200 due to customer function error: "
                + ctx.integration_error
            )
        ctx.response = parse_response(result.payload, ctx)
