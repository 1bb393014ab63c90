"""What a mapping template sees of a request (`$input`, `$context`, `$stageVariables`).

Built per rendering, lazily: `$context` is only assembled if the template reads it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tollway.dataplane.context import RestContext
from tollway.dataplane.mapping.vtl import TemplateInput
from tollway.dataplane.variables import context_map


class _LazyContext(Mapping[str, Any]):
    __slots__ = ("_ctx",)

    def __init__(self, ctx: RestContext) -> None:
        self._ctx = ctx

    def __getitem__(self, key: str) -> Any:
        return context_map(self._ctx)[key]

    def __iter__(self) -> Iterator[str]:
        return iter(context_map(self._ctx))

    def __len__(self) -> int:
        return len(context_map(self._ctx))


def template_input(ctx: RestContext, body: bytes) -> TemplateInput:
    request = ctx.request
    return TemplateInput(
        body=body.decode("utf-8", "replace"),
        params={
            "path": ctx.path_parameters,
            "querystring": request.query,
            "header": dict(request.headers),
        },
        context=_LazyContext(ctx),
        stage_variables=ctx.stage.variables,
    )
