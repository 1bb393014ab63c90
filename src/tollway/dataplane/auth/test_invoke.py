"""The data-plane half of TestInvokeAuthorizer and FlushStageAuthorizersCache (spec §5.5).

AWS counterpart: the console's authorizer "Test" (TestInvokeAuthorizer) and the stage's
"Flush authorizer cache" (FlushStageAuthorizersCache).

`AuthorizerTester.test_invoke` runs a TOKEN or REQUEST authorizer of the API's current
definition (not a deployment) once, on a request made of the test's headers, path, query
string and stage variables, through the same code the gateway runs (lambda_rest.py): the
same identity sources and validation, the same event, the same function call and answer
checks. It never reads or fills a stage's cache. The method ARN names the stage
`ESTestInvoke-stage` and the method `GET` (what AWS's test events show; UNCONFIRMED), the
path the test's. The outcome is reported, never raised:
- `clientStatus`: 200 when the function answered a usable policy (whatever it allows: no
  method is evaluated), 401 for a missing identity or an `Unauthorized` answer, 500 for any
  other failure;
- `principalId`, `policy` (the policy document as JSON text), `authorization` (the context's
  values, each as a one-item list; UNCONFIRMED), `latency` (ms) and an execution `log`.
`additionalContext` is not used; the log says so when one is given.

`flush` forgets a stage's cached answers (services.auth.cache).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from tollway.dataplane.auth.lambda_core import parse_policy_answer
from tollway.dataplane.auth.lambda_rest import build_lambda_rest
from tollway.dataplane.auth.services import AuthServices
from tollway.dataplane.compile import compile_stage
from tollway.dataplane.context import Request, RestContext
from tollway.dataplane.errors import GatewayError, Unauthorized
from tollway.dataplane.execution_log import ExecutionLog
from tollway.dataplane.integrations import IntegrationServices
from tollway.model.rest import Authorizer, RestApiDefinition, plain_stage
from tollway.state.authorizer_cache import MemoryAuthorizerCache

TEST_STAGE = "ESTestInvoke-stage"
TEST_DEPLOYMENT = "test-invoke-deployment-id"
TEST_SOURCE_IP = "test-invoke-source-ip"
TEST_HOST = "testPrefix.testDomainName"


@dataclass
class AuthorizerTestResult:
    client_status: int
    latency_ms: int
    log: str
    principal_id: str | None = None
    policy: str | None = None
    authorization: dict[str, list[str]] = field(default_factory=dict)

    def output(self) -> dict[str, Any]:
        """TestInvokeAuthorizerResponse's members."""
        out: dict[str, Any] = {
            "clientStatus": self.client_status,
            "log": self.log,
            "latency": self.latency_ms,
            "authorization": self.authorization,
        }
        if self.principal_id is not None:
            out["principalId"] = self.principal_id
        if self.policy is not None:
            out["policy"] = self.policy
        return out


class AuthorizerTester:
    """What the control plane asks of the gateway's authorizers (wired in app.py)."""

    def __init__(self, services: IntegrationServices) -> None:
        self._services = services

    async def flush(self, api_id: str, stage_name: str) -> None:
        await self._services.auth.cache.flush(api_id, stage_name)

    async def test_invoke(
        self,
        definition: RestApiDefinition,
        authorizer: Authorizer,
        *,
        path_with_query: str | None,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        stage_variables: Mapping[str, str],
        additional_context: Mapping[str, str] | None = None,
    ) -> AuthorizerTestResult:
        started = time.perf_counter()
        record = plain_stage(TEST_STAGE, TEST_DEPLOYMENT, dict(stage_variables))
        # A cache of its own: a test neither uses nor fills a stage's answers.
        services = dataclasses.replace(
            self._services, auth=AuthServices(MemoryAuthorizerCache(max_entries=1))
        )
        stage = compile_stage(definition, TEST_DEPLOYMENT, record, services, only=("", ""))
        path, _, query = (path_with_query or "/").partition("?")
        path = "/" + path.lstrip("/")
        request = Request("GET", path, path, query, list(headers), body, TEST_SOURCE_IP, TEST_HOST,
                          "https", 443)  # fmt: skip
        ctx = RestContext(request, stage)
        log = ExecutionLog(ctx.request_id)
        result = AuthorizerTestResult(client_status=200, latency_ms=0, log="")
        log.add(f"Starting authorizer: {authorizer['id']} for request: {ctx.request_id}")
        if additional_context:
            log.add("additionalContext is not used by Tollway")
        try:
            authorization = build_lambda_rest(definition, authorizer, record, services, [])
            values = authorization.identity(ctx)
            if values is None:
                raise Unauthorized(log="the identity sources are missing or do not validate")
            log.add(f"Incoming identity: {', '.join(values)}")
            event = authorization.event(ctx, values)
            log.add(f"Endpoint request body after transformations: {orjson.dumps(event).decode()}")
            called = await authorization.function.call(event)
            raw = orjson.dumps(called.answer).decode()
            log.add(f"Authorizer result body before parsing: {raw}")
            answer = parse_policy_answer(called.answer)
        except GatewayError as e:
            result.client_status = 401 if isinstance(e, Unauthorized) else 500
            log.add(f"Execution failed: {e.log or e.message}")
        except ValueError as e:  # an authorizer that cannot run (no Lambda function URI)
            result.client_status = 500
            log.add(f"Execution failed due to configuration error: {e}")
        else:
            result.principal_id = answer.principal_id
            result.policy = orjson.dumps(answer.policy_document).decode()
            result.authorization = {k: [v] for k, v in answer.context_strings().items()}
            log.add(f"Using valid authorizer policy for principal: {answer.principal_id}")
            log.add("Successfully completed authorizer execution")
        result.latency_ms = int((time.perf_counter() - started) * 1000)
        result.log = log.render()
        return result
