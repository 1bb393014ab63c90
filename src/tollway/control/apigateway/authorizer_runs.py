"""The authorizer operations that reach the gateway: TestInvokeAuthorizer and
FlushStageAuthorizersCache (spec §5.5, §16.1).

AWS counterparts: `POST /restapis/{id}/authorizers/{authorizer_id}` runs an authorizer of the
API's current definition once (its outcome is the response's `clientStatus`, never a
control-plane error); `DELETE /restapis/{id}/stages/{stage}/cache/authorizers` (202) empties
one stage's cached authorizer answers. The data plane does the work
(dataplane/auth/test_invoke.py). COGNITO_USER_POOLS authorizers cannot be test-invoked here
yet: NotImplemented, by name.
"""

from __future__ import annotations

from typing import Any

from tollway.control.apigateway.authorizers import get_authorizer
from tollway.control.apigateway.documents import load_api
from tollway.control.apigateway.stages import load_stage
from tollway.control.apigateway.test_invoke import request_headers
from tollway.control.errors import NotSupportedByTollway, ServiceUnavailableException
from tollway.control.operations import Call, OperationTable
from tollway.dataplane.auth.test_invoke import AuthorizerTester
from tollway.state.response_cache import CacheUnavailable

ops = OperationTable("apigateway")


def _tester(call: Call) -> AuthorizerTester:
    if call.plane.authorizers is None:
        raise NotSupportedByTollway("This Tollway control plane runs without a data plane")
    return call.plane.authorizers


@ops("TestInvokeAuthorizer")
async def test_invoke_authorizer(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    authorizer = get_authorizer(document.definition, p["authorizerId"])
    if authorizer["type"] == "COGNITO_USER_POOLS":
        raise NotSupportedByTollway(
            "Tollway does not support TestInvokeAuthorizer for COGNITO_USER_POOLS authorizers yet"
        )
    result = await _tester(call).test_invoke(
        document.definition,
        authorizer,
        path_with_query=p.get("pathWithQueryString"),
        headers=request_headers(p),
        body=(p.get("body") or "").encode(),
        stage_variables=p.get("stageVariables") or {},
        additional_context=p.get("additionalContext"),
    )
    return result.output()


@ops("FlushStageAuthorizersCache")
async def flush_stage_authorizers_cache(call: Call) -> None:
    document = load_api(call)
    load_stage(call, document.api_id, call.params["stageName"])
    try:
        await _tester(call).flush(document.api_id, call.params["stageName"])
    except CacheUnavailable as e:
        raise ServiceUnavailableException(str(e)) from None
