"""API Gateway mapping templates: the Velocity (VTL) bodies of REST integration requests and
responses (spec §4.4-4.6).

A template is compiled once, when its deployment is compiled: the size limit is checked, the
text parsed (by airspeed-ext, adjusted in `engine`) and the tree turned into a Python function
(`compiler`) shared by every request; the rare template the compiler leaves alone is
evaluated by airspeed, with the same output. A template with neither `$` nor `#` cannot do
anything but print itself, so it is not parsed at all and renders as its text. Per request,
`render` runs the function against variables that are built only when the template reads
them (`input.Variables`).

Quirks of API Gateway reproduced here and in the modules it uses: undefined references and
nulls print as empty text; maps print Java-style (`{foo=bar}`), lists from JSON as JSON and
template list literals Java-style (`[a, b]`); `#foreach` stops with an error past 1000
iterations; `#macro`, `#evaluate` and `#return` are not available.

Request and response overrides (spec §4.6) attach through `$context`: the renderer hands the
template the caller's `TemplateInput.context` mapping itself, never a copy, and airspeed's
`#set($context.responseOverride.status = 400)` assigns into the objects it finds there. The
integration stage makes them writable by putting fresh dicts under `context["requestOverride"]`
(with `header`, `querystring` and `path` dicts) and `context["responseOverride"]` (with a
`header` dict) before rendering, and reads them back afterwards; this module needs no change.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from airspeed import TemplateError as AirspeedError
from airspeed import TemplateExecutionError

from tollway.dataplane.mapping import engine
from tollway.dataplane.mapping.compiler import CompiledTemplate, Scope, compile_template
from tollway.dataplane.mapping.input import Variables
from tollway.dataplane.mapping.values import EvaluationError

MAX_TEMPLATE_BYTES: Final = 300 * 1024  # "Mapping template size: 300 KB" (API Gateway quotas)
_SNIPPET_CHARS: Final = 60


class TemplateError(Exception):
    """A template that cannot be compiled or rendered; `line`/`column` are 1-based when known."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(slots=True)
class TemplateInput:
    """What one render reads. Mappings are read, never copied (see the module docstring)."""

    body: str  # the raw payload as text ($input.body)
    # {"path": {...}, "querystring": {...}, "header": {...}}
    params: Mapping[str, Mapping[str, str]]
    # nested $context variables, e.g. {"requestId": ..., "identity": {"sourceIp": ...}}
    context: Mapping[str, Any]
    stage_variables: Mapping[str, str]


class MappingTemplate:
    """One compiled mapping template, immutable and shared by concurrent renders."""

    __slots__ = ("_compiled", "_root", "_text")

    def __init__(self, text: str, root: Any, *, interpret: bool = False) -> None:
        self._text = text
        self._root = root  # airspeed's TemplateBody, or None for static text
        self._compiled = None if root is None or interpret else compile_template(root)

    @classmethod
    def compile(cls, text: str, *, interpret: bool = False) -> MappingTemplate:
        """`text` parsed and compiled; with `interpret`, evaluated by airspeed at each render
        instead (the reference the compiled form is tested against)."""
        size = len(text) if text.isascii() else len(text.encode())
        if size > MAX_TEMPLATE_BYTES:
            raise TemplateError(
                f"Mapping template is {size} bytes; API Gateway allows at most "
                f"{MAX_TEMPLATE_BYTES} bytes (300 KB)"
            )
        if "$" not in text and "#" not in text:
            return cls(text, None)
        try:
            root = engine.parse(text)
        except AirspeedError as exc:
            message = str(exc)
            element = getattr(exc, "element", None)
            if element is not None and not element.next_text().strip():
                message = message.rsplit(", got:", 1)[0] + ", got: end of template"
            raise TemplateError(
                f"Invalid mapping template: {message}",
                line=getattr(exc, "line", None),
                column=getattr(exc, "column", None),
            ) from exc
        except RecursionError:
            raise TemplateError("Invalid mapping template: nested too deeply") from None
        return cls(text, root, interpret=interpret)

    @property
    def is_static(self) -> bool:
        """True when rendering returns the text as is, without the engine."""
        return self._root is None

    @property
    def text(self) -> str:
        """The template's text (what a static template renders, whatever the input)."""
        return self._text

    @property
    def is_compiled(self) -> bool:
        """True when rendering runs the compiled function rather than airspeed."""
        return self._compiled is not None

    def render(self, data: TemplateInput) -> str:
        compiled = self._compiled
        if compiled is not None:
            return self._run(compiled, data)
        root = self._root
        if root is None:
            return self._text
        out = io.StringIO()
        try:
            root.evaluate(out, Variables(data), engine.NO_LOADER)
        except engine.Stopped:
            pass
        except TemplateExecutionError as exc:
            raise self._runtime_error(exc.element, exc.start, exc.__cause__) from exc.__cause__
        except RecursionError:
            raise TemplateError("Mapping template failed: recursion too deep") from None
        return out.getvalue()

    def _run(self, compiled: CompiledTemplate, data: TemplateInput) -> str:
        pieces: list[str] = []
        try:
            compiled.render(Scope(Variables(data)), pieces.append)
        except engine.Stopped:
            pass
        except Exception as exc:
            element = compiled.element_of(exc.__traceback__)
            if element is None:
                raise TemplateError(f"Mapping template failed: {_detail(exc)}") from exc
            raise self._runtime_error(element, element.start, exc) from exc
        return "".join(pieces)

    def _runtime_error(self, element: Any, start: int, cause: BaseException) -> TemplateError:
        detail = _detail(cause)
        lines = element.my_text().strip().splitlines() or [""]
        snippet = lines[0]
        if len(snippet) > _SNIPPET_CHARS or len(lines) > 1:
            snippet = snippet[:_SNIPPET_CHARS] + " ..."
        # Elements inside a string literal are positioned within the literal, not the template.
        if element.full_text() is not self._text:
            return TemplateError(f"Mapping template failed in string literal `{snippet}`: {detail}")
        line = self._text.count("\n", 0, start) + 1
        column = start - self._text.rfind("\n", 0, start)
        return TemplateError(
            f"Mapping template failed at line {line}, column {column} in `{snippet}`: {detail}",
            line=line,
            column=column,
        )

    def __repr__(self) -> str:
        kind = "static" if self._root is None else "compiled" if self._compiled else "interpreted"
        return f"<MappingTemplate {kind} {len(self._text)} chars>"


def _detail(cause: BaseException) -> str:
    if isinstance(cause, EvaluationError):
        return str(cause)
    if isinstance(cause, RecursionError):
        return "recursion too deep"
    return f"{type(cause).__name__}: {cause}"
