"""CORS and parameter mapping bound to the HTTP API pipeline's context (the seams of
compiled.py).

cors.py and parameters.py know nothing of `HttpContext`: they read small protocols and return
plain values. This module adapts both ways, once per compiled stage or route: the request the
pipeline holds is shown to the mappings as a `RequestInput` (its headers, query, body, the path
after the stage, the route's path parameters, the stage's variables, the HTTP API `$context`
variables of variables.py), and what they return is written back as the pipeline wants it
(`ctx.integration_request`, a `Response`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from tollway.dataplane.context import Response
from tollway.dataplane.http_api import cors, parameters
from tollway.dataplane.http_api.context import HttpContext, IntegrationRequest
from tollway.dataplane.http_api.variables import getter


class StageCors:
    """`CompiledHttpStage.cors`: the API's `CorsPolicy` for the pipeline."""

    __slots__ = ("policy",)

    def __init__(self, policy: cors.CorsPolicy) -> None:
        self.policy = policy

    def preflight(self, ctx: HttpContext) -> Response | None:
        # Routes come first (cors.py says why): only an OPTIONS request no route takes is
        # answered here. The route table is consulted for OPTIONS requests only.
        request = ctx.request
        if request.method != "OPTIONS" or ctx.stage.routes.match("OPTIONS", request.path):
            return None
        answer = self.policy.preflight(request.method, request.headers)
        if answer is None:
            return None
        return Response(answer.status, list(answer.headers), answer.body)

    def decorate(self, ctx: HttpContext, response: Response) -> None:
        response.headers = self.policy.apply(ctx.request.headers, response.headers)


class RequestView:
    """The pipeline's request as the mappings read it (`parameters.RequestInput`)."""

    __slots__ = ("_ctx",)

    def __init__(self, ctx: HttpContext) -> None:
        self._ctx = ctx

    @property
    def headers(self) -> Sequence[tuple[str, str]]:
        return self._ctx.request.headers

    @property
    def query(self) -> Mapping[str, Sequence[str]]:
        return self._ctx.request.multi_query

    @property
    def body(self) -> bytes:
        return self._ctx.request.body

    @property
    def path(self) -> str:
        return self._ctx.request.path

    @property
    def path_parameters(self) -> Mapping[str, str]:
        return self._ctx.path_parameters

    @property
    def stage_variables(self) -> Mapping[str, str]:
        return self._ctx.stage.variables

    def context_variable(self, name: str) -> Any:
        get = getter(name)
        return get(self._ctx) if get is not None else None


class RouteRequestMapping:
    """`CompiledRoute.request_parameters`: fills `ctx.integration_request` with what the
    mapping changed (headers, query string, path); the rest stays as the client sent it.
    HTTP_PROXY sends it (integrations.py), a Lambda event describes it (payload.py)."""

    __slots__ = ("_changes_headers", "_changes_query", "changes_path", "mapping")

    def __init__(self, mapping: parameters.RequestMapping) -> None:
        self.mapping = mapping
        locations = {op.location for op in mapping.operations}
        self._changes_headers = "header" in locations
        self._changes_query = "querystring" in locations
        self.changes_path = "path" in locations

    def apply(self, ctx: HttpContext) -> None:
        request = ctx.request
        parts = parameters.IntegrationRequestParts(
            headers=list(request.headers),
            query={k: list(v) for k, v in request.multi_query.items()},
        )
        self.mapping.apply(RequestView(ctx), parts)
        ctx.integration_request = IntegrationRequest(
            headers=parts.headers if self._changes_headers else None,
            query_string=_query_string(parts.query) if self._changes_query else None,
            path=parts.path if self.changes_path else None,
        )


class RouteResponseMapping:
    """`CompiledRoute.response_parameters`."""

    __slots__ = ("mapping",)

    def __init__(self, mapping: parameters.ResponseMapping) -> None:
        self.mapping = mapping

    def apply(self, ctx: HttpContext, response: Response) -> Response:
        if response.status not in self.mapping.by_status:
            return response
        mapped = self.mapping.apply(RequestView(ctx), response)
        return Response(mapped.status, mapped.headers, response.body)


def _query_string(query: dict[str, list[str]]) -> str:
    return "&".join(
        f"{quote(name, safe='')}={quote(value, safe='')}"
        for name, values in query.items()
        for value in values
    )
