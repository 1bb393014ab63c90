"""TestInvokeMethod's data-plane half: one method of an API's current definition, run in
process through the real REST pipeline, with its execution log.

AWS counterpart: TestInvokeMethod (the console's "Test" tab). AWS runs the method as it is
defined now, not as any stage serves it, in a stage of its own named `test-invoke-stage`
(`$context.stage`, the Lambda event's `requestContext.stage`, the `X-Amz-Source-Arn` a
function's policy sees) with the stage variables of the request. So the definition is
compiled by `compile_stage` as a deployment is, restricted to the one method (so the path
routes to it and to nothing else), and the request runs through `rest_stages()` like any
other but authorization: AWS's test invocations skip the method's authorization and the
resource policy (they are the API owner's own calls). The access log is left out too, as AWS
leaves test invocations out of it.

The recorder (`execution_log.ExecutionLog`) is set on this request's context only; the stages
write their lines to it. What the client would see is returned without the headers API
Gateway's front end adds (`x-amzn-RequestId`, `x-amz-apigw-id`), as TestInvokeMethod does.

The caller is not a client on the network: the request's source IP is AWS's placeholder
`test-invoke-source-ip` and its host `testPrefix.testDomainName` (so `domainPrefix` is
`testPrefix`), as in AWS's test events.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tollway.dataplane.chain import Pipeline
from tollway.dataplane.compile import compile_stage
from tollway.dataplane.context import Request, RestContext
from tollway.dataplane.execution_log import ExecutionLog, method_headers
from tollway.dataplane.handlers.authorize import MethodAuthorization
from tollway.dataplane.handlers.gateway_response import render_error
from tollway.dataplane.integrations import IntegrationServices
from tollway.dataplane.pipeline import rest_stages
from tollway.model.rest import RestApiDefinition, plain_stage, resource_path

TEST_STAGE = "test-invoke-stage"
TEST_DEPLOYMENT = "test-invoke-deployment-id"
TEST_SOURCE_IP = "test-invoke-source-ip"
TEST_HOST = "testPrefix.testDomainName"


@dataclass(frozen=True, slots=True)
class MethodTestResult:
    status: int
    body: bytes
    headers: list[tuple[str, str]]  # in order; a name may repeat
    latency_ms: int
    log: str


class MethodTester:
    """Runs TestInvokeMethod requests (wired in the composition root, used by the control
    plane's operation)."""

    def __init__(self, services: IntegrationServices) -> None:
        self._services = services
        stages = [s for s in rest_stages() if not isinstance(s, MethodAuthorization)]
        self._pipeline = Pipeline(stages, render_error, ())

    async def test_invoke(
        self,
        definition: RestApiDefinition,
        resource_id: str,
        http_method: str,
        *,
        path_with_query: str | None,
        body: bytes,
        headers: Sequence[tuple[str, str]],
        stage_variables: Mapping[str, str],
    ) -> MethodTestResult:
        started = time.perf_counter()
        stage = compile_stage(
            definition,
            TEST_DEPLOYMENT,
            plain_stage(TEST_STAGE, TEST_DEPLOYMENT, dict(stage_variables)),
            self._services,
            only=(resource_id, http_method),
        )
        if not path_with_query:
            path_with_query = resource_path(definition["resources"], resource_id)
        path, _, query = path_with_query.partition("?")
        path = "/" + path.lstrip("/")
        request = Request(
            method=http_method,
            path=path,
            stage_path=path,
            query_string=query,
            headers=list(headers),
            body=body,
            source_ip=TEST_SOURCE_IP,
            host=TEST_HOST,
            scheme="https",
            port=443,
        )
        ctx = RestContext(request, stage)
        ctx.execution_log = ExecutionLog(ctx.request_id)
        await self._pipeline.run(ctx)
        response = ctx.response
        assert response is not None
        return MethodTestResult(
            status=response.status,
            body=response.body,
            headers=method_headers(response.headers),
            latency_ms=int((time.perf_counter() - started) * 1000),
            log=ctx.execution_log.render(),
        )
