"""The execution log of one request, as API Gateway writes it (spec §11.5).

AWS counterpart: the execution log of a REST API (CloudWatch group
`API-Gateway-Execution-Logs_{api}/{stage}`), and the `log` that TestInvokeMethod returns:

    Execution log for request 542762a3-b458-4c03-bf58-55f008af79a2
    Tue Jun 11 03:30:06 UTC 2024 : Starting execution for request: 542762a3-...
    Tue Jun 11 03:30:06 UTC 2024 : HTTP Method: GET, Resource Path: /pets/7
    Tue Jun 11 03:30:06 UTC 2024 : Method request path: {id=7}
    ...
    Tue Jun 11 03:30:08 UTC 2024 : Method completed with status: 200

Where it lives and why: an `ExecutionLog` hangs on the request context
(`RestContext.execution_log`) and the stages that know a line's values write it there (the
pipeline: start, failure, completion; routing: the method request; the HTTP and Lambda
integrations: the endpoint request and response; the method response). The attribute is None
for every request the gateway serves, so the hot path pays one `is not None` test per stage
and builds no strings; only TestInvokeMethod (`test_invoke.py`) sets one. Keeping the lines in
the stages, not in a reconstruction after the fact, makes the log say what the pipeline really
did, in AWS's order.

Maps are written as Java writes them (`{name=value, other=value}`), as AWS's are. A message
longer than 1024 characters (AWS truncates log events at 1024 bytes) is cut and ends
` [TRUNCATED]`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tollway.dataplane.context import Response, RestContext

MAX_MESSAGE = 1024
TRUNCATED = " [TRUNCATED]"
# Added by API Gateway's front end after the method response: not in the execution log, and
# not in what TestInvokeMethod returns.
EDGE_HEADERS = frozenset({"x-amzn-requestid", "x-amz-apigw-id"})


def timestamp(epoch: float) -> str:
    """`Sat Nov 21 12:00:00 UTC 2026`: Java's `Date.toString()` in UTC, as AWS prints it."""
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(epoch))


def java_map(pairs: Iterable[tuple[str, str]]) -> str:
    """`{a=1, b=2}`; a name given twice has its values joined with commas."""
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return "{" + ", ".join(f"{k}={v}" for k, v in joined.items()) + "}"


def text(body: bytes) -> str:
    return body.decode("utf-8", "replace")


def truncate(message: str) -> str:
    if len(message) <= MAX_MESSAGE:
        return message
    return message[: MAX_MESSAGE - len(TRUNCATED)] + TRUNCATED


class ExecutionLog:
    """The lines of one request's execution log, each stamped when it was written."""

    __slots__ = ("request_id", "lines", "_clock")

    def __init__(self, request_id: str, clock: Callable[[], float] = time.time) -> None:
        self.request_id = request_id
        self.lines: list[tuple[float, str]] = []
        self._clock = clock

    def add(self, message: str) -> None:
        self.lines.append((self._clock(), truncate(message)))

    def render(self) -> str:
        out = [f"Execution log for request {self.request_id}\n"]
        out.extend(f"{timestamp(when)} : {message}\n" for when, message in self.lines)
        return "".join(out)

    # -- the lines, in the order the stages write them ----------------------------------------

    def started(self, ctx: RestContext) -> None:
        """The pipeline, before its first stage."""
        self.add(f"Starting execution for request: {ctx.request_id}")
        self.add(f"HTTP Method: {ctx.request.method}, Resource Path: {ctx.request.path}")

    def method_request(self, ctx: RestContext) -> None:
        """Routing, once the method is known."""
        request = ctx.request
        self.add(f"Method request path: {java_map(ctx.path_parameters.items())}")
        query = ((k, ",".join(v)) for k, v in request.multi_query.items())
        self.add(f"Method request query string: {java_map(query)}")
        self.add(f"Method request headers: {java_map(request.headers)}")
        self.add(f"Method request body before transformations: {text(request.body)}")

    def endpoint_request(
        self, uri: str, headers: Iterable[tuple[str, str]], body: bytes | None
    ) -> None:
        """An integration, about to call its backend."""
        self.add(f"Endpoint request URI: {uri}")
        self.add(f"Endpoint request headers: {java_map(headers)}")
        self.add(f"Endpoint request body after transformations: {text(body or b'')}")
        self.add(f"Sending request to {uri}")

    def endpoint_response(
        self, status: int, latency_ms: int, headers: Iterable[tuple[str, str]], body: bytes
    ) -> None:
        """An integration, once its backend answered."""
        self.add(f"Received response. Status: {status}, Integration latency: {latency_ms} ms")
        self.add(f"Endpoint response headers: {java_map(headers)}")
        self.add(f"Endpoint response body before transformations: {text(body)}")

    def method_response(self, response: Response) -> None:
        """The method response stage: what the client gets (without the edge's headers)."""
        self.add(f"Method response body after transformations: {text(response.body)}")
        self.add(f"Method response headers: {java_map(method_headers(response.headers))}")

    def completed(self, ctx: RestContext) -> None:
        """The pipeline, after its last stage or a failure."""
        if ctx.error is None:
            self.add("Successfully completed execution")
        status = ctx.response.status if ctx.response is not None else 500
        self.add(f"Method completed with status: {status}")


def method_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """A response's headers as the method response has them: without those the edge adds."""
    return [(k, v) for k, v in headers if k.lower() not in EDGE_HEADERS]
