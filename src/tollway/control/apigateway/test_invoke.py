"""TestInvokeMethod: a method of the API's current definition run once, with its execution log.

AWS counterpart: `POST /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}`
(spec §16.1, shapes §16.4). The API, resource and method must exist (AWS's NotFoundException
messages); the run itself is the data plane's (`dataplane/test_invoke.py`), so whatever the
gateway would answer, a 415, a validation failure or a 500 from a broken mapping, comes back
as the response's `status` and `body`, never as a control-plane error.

Request headers are `multiValueHeaders` (every value, in order) and `headers` (a name not
already given there). Response `headers` hold the last value of each name,
`multiValueHeaders` all of them.
"""

from __future__ import annotations

from typing import Any

from tollway.control.apigateway.documents import load_api, locate_method
from tollway.control.errors import NotSupportedByTollway
from tollway.control.operations import Call, OperationTable

ops = OperationTable("apigateway")


def request_headers(params: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, values in (params.get("multiValueHeaders") or {}).items():
        out.extend((name, value) for value in values)
    given = {name.lower() for name, _ in out}
    for name, value in (params.get("headers") or {}).items():
        if name.lower() not in given:
            out.append((name, value))
    return out


@ops("TestInvokeMethod")
async def test_invoke_method(call: Call) -> dict[str, Any]:
    p = call.params
    document = load_api(call)
    resource, method = locate_method(call, document)
    if p.get("clientCertificateId"):
        raise NotSupportedByTollway(
            "Tollway does not support client certificates (clientCertificateId) yet"
        )
    tester = call.plane.methods
    if tester is None:
        raise NotSupportedByTollway("This Tollway control plane runs without a data plane")
    result = await tester.test_invoke(
        document.definition,
        resource["id"],
        method["httpMethod"],
        path_with_query=p.get("pathWithQueryString"),
        body=(p.get("body") or "").encode(),
        headers=request_headers(p),
        stage_variables=p.get("stageVariables") or {},
    )
    multi: dict[str, list[str]] = {}
    for name, value in result.headers:
        multi.setdefault(name, []).append(value)
    return {
        "status": result.status,
        "body": result.body.decode("utf-8", "replace"),
        "headers": {name: values[-1] for name, values in multi.items()},
        "multiValueHeaders": multi,
        "log": result.log,
        "latency": result.latency_ms,
    }
