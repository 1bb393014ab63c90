"""What a mapping template sees of a request (`$input`, `$context`, `$stageVariables`), and
the overrides it writes (spec §4.6).

Built per rendering, lazily: `$context` is only assembled if the template reads it.

Overrides: a request template may `#set($context.requestOverride.header.X = ...)` (and
`.querystring.X`, `.path.X`), a response template `$context.responseOverride.status` and
`.header.X`. Each template sees only its own kind, made when it is first read, and the
integration stages apply what was set after the template ran (`apply_request_override`,
`apply_response_override`): after parameter mapping, winning over it. As on AWS an override
is final: setting the same parameter twice fails the template, and so the request, with a
500.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from tollway.dataplane.context import MappedRequest, RestContext, merge_headers
from tollway.dataplane.mapping.values import EvaluationError, java_str
from tollway.dataplane.mapping.vtl import TemplateInput
from tollway.dataplane.variables import context_map

REQUEST_OVERRIDE: Final = "requestOverride"
RESPONSE_OVERRIDE: Final = "responseOverride"


class _Overrides(dict[str, Any]):
    """One kind of override (`header`, `querystring`, `path`): each name set once. Header
    names are one parameter in any case."""

    __slots__ = ("_label", "_fold")

    def __init__(self, label: str, *, fold: bool = False) -> None:
        super().__init__()
        self._label = label
        self._fold = fold

    def __setitem__(self, name: Any, value: Any) -> None:
        key = str(name).lower() if self._fold else name
        taken = any(str(k).lower() == key for k in self) if self._fold else key in self
        if taken:
            raise EvaluationError(
                f"{self._label}.{name} is overridden more than once; API Gateway applies "
                "each override once (set a variable, and the override once at the end)"
            )
        super().__setitem__(name, value)


class _Status(dict[str, Any]):
    """`$context.responseOverride`: its `header` overrides and its `status`, set once."""

    __slots__ = ()

    def __setitem__(self, name: Any, value: Any) -> None:
        if name == "status" and "status" in self:
            raise EvaluationError(
                f"$context.{RESPONSE_OVERRIDE}.status is overridden more than once; API "
                "Gateway applies each override once (set a variable, and the override once "
                "at the end)"
            )
        super().__setitem__(name, value)


def _new_override(kind: str) -> dict[str, Any]:
    label = f"$context.{kind}"
    if kind == REQUEST_OVERRIDE:
        return {
            "header": _Overrides(f"{label}.header", fold=True),
            "querystring": _Overrides(f"{label}.querystring"),
            "path": _Overrides(f"{label}.path"),
        }
    status = _Status()
    dict.__setitem__(status, "header", _Overrides(f"{label}.header", fold=True))
    return status


class _LazyContext(Mapping[str, Any]):
    """`$context`: the request's variables, built on first read, and the override map of
    the template's kind (`override`, None until the template reads it)."""

    __slots__ = ("_ctx", "_kind", "override")

    def __init__(self, ctx: RestContext, kind: str) -> None:
        self._ctx = ctx
        self._kind = kind
        self.override: dict[str, Any] | None = None

    def __getitem__(self, key: str) -> Any:
        if key == self._kind:
            if self.override is None:
                self.override = _new_override(key)
            return self.override
        return context_map(self._ctx)[key]

    def __iter__(self) -> Iterator[str]:
        return iter(context_map(self._ctx))

    def __len__(self) -> int:
        return len(context_map(self._ctx))


def template_input(ctx: RestContext, body: bytes, kind: str) -> TemplateInput:
    """What a template renders from; `kind` is REQUEST_OVERRIDE for integration request
    templates, RESPONSE_OVERRIDE for integration response templates."""
    request = ctx.request
    return TemplateInput(
        body=body.decode("utf-8", "replace"),
        params={
            "path": ctx.path_parameters,
            "querystring": request.query,
            "header": {name: values[-1] for name, values in merge_headers(request.headers).items()},
        },
        context=_LazyContext(ctx, kind),
        stage_variables=ctx.stage.variables,
    )


def _written(data: TemplateInput) -> dict[str, Any] | None:
    context = data.context
    return context.override if isinstance(context, _LazyContext) else None


def apply_request_override(ctx: RestContext, data: TemplateInput) -> None:
    """The request template's overrides, onto the mapped integration request parameters."""
    override = _written(data)
    if override is None:
        return
    mapped = ctx.mapped if ctx.mapped is not None else MappedRequest()
    for name, value in override["header"].items():
        if value is not None:
            lowered = str(name).lower()
            for existing in [n for n in mapped.headers if n.lower() == lowered]:
                del mapped.headers[existing]
            mapped.headers[str(name)] = [java_str(value)]
    for name, value in override["querystring"].items():
        if value is not None:
            mapped.querystring[str(name)] = [java_str(value)]
    for name, value in override["path"].items():
        if value is not None:
            mapped.path[str(name)] = java_str(value)
    ctx.mapped = mapped


def apply_response_override(
    data: TemplateInput, status: int, headers: list[tuple[str, str]]
) -> tuple[int, list[tuple[str, str]]]:
    """The response template's overrides: the status (an integer 100-599, else ignored) and
    headers, replacing mapped ones of the same name."""
    override = _written(data)
    if override is None:
        return status, headers
    wanted = override.get("status")
    if isinstance(wanted, int) and not isinstance(wanted, bool) and 100 <= wanted <= 599:
        status = wanted
    for name, value in override["header"].items():
        if value is not None:
            lowered = str(name).lower()
            headers = [(k, v) for k, v in headers if k.lower() != lowered]
            headers.append((str(name), java_str(value)))
    return status, headers
