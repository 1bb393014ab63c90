"""The JSON side of `$input` (spec §4.5): the body as a document, and JSONPath on it.

Where AWS documents nothing, we chose:
- An empty (or all-whitespace) body is the empty object `{}`: `$input.json('$')` gives `{}`,
  as API Gateway's passthrough template shows for GET requests.
- A body that is not JSON is the JSON string of its text, as Velocity's permissive parser
  treats it: `$input.path('$')` returns the raw text (the `split('&')` idiom for form bodies
  relies on this), `$input.json('$')` returns it quoted, and `$input.path('$.x')` is null.
- Definite paths (no wildcard, filter, slice, union or `..`) yield one value or nothing;
  other paths yield the list of their matches, as Jayway JsonPath (AWS's) does. A path not
  starting with `$` is read as `$.` + path, as Jayway does.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, Final

import orjson
from jsonpath_ng import jsonpath as jp
from jsonpath_ng.ext.parser import parse as parse_jsonpath

from tollway.dataplane.mapping.values import EvaluationError

MISSING: Final = object()
"""What a definite path finds when nothing matches."""


def parse_body(body: str) -> Any:
    """The body as a JSON document, by the rules in the module docstring."""
    if not body or body.isspace():
        return {}
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:  # what orjson refuses but Java parsers accept: NaN, integers beyond 64 bits
        return json.loads(body)
    except ValueError:
        return body


# `$`, then any of `.name`, `['name']`, `["name"]`, `[index]`: the paths templates use most,
# evaluated without jsonpath-ng's per-match objects.
_SIMPLE_STEP = re.compile(
    r"""\.([^.\[\]\s'"*()@?,:]+)|\[\s*(-?\d+)\s*\]|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\]"""
)


class JsonPath:
    """A compiled JSONPath: `find` returns the value or `MISSING` (definite paths), or the
    list of matches (indefinite paths)."""

    __slots__ = ("_expr", "_steps", "definite")

    def __init__(self, text: str) -> None:
        if not text.startswith(("$", "@")):
            text = "$." + text if text else "$"
        self._steps = _simple_steps(text)
        self._expr: jp.JSONPath | None = None
        if self._steps is None:
            try:
                self._expr = parse_jsonpath(text)
            except Exception as exc:  # jsonpath-ng raises bare Exception subclasses
                raise EvaluationError(f"invalid JSONPath expression {text!r}: {exc}") from None
        self.definite = self._steps is not None or _is_definite(self._expr)

    def find(self, document: Any) -> Any:
        if self._steps is not None:
            value = document
            for step in self._steps:
                if isinstance(step, int):
                    if not isinstance(value, list) or not -len(value) <= step < len(value):
                        return MISSING
                elif not isinstance(value, dict) or step not in value:
                    return MISSING
                value = value[step]
            return value
        assert self._expr is not None
        matches = [match.value for match in self._expr.find(document)]
        if self.definite:
            return matches[0] if matches else MISSING
        return matches


def _simple_steps(text: str) -> tuple[str | int, ...] | None:
    if not text.startswith("$"):
        return None
    steps: list[str | int] = []
    pos = 1
    while pos < len(text):
        match = _SIMPLE_STEP.match(text, pos)
        if match is None:
            return None
        name, index, single, double = match.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(next(s for s in (name, single, double) if s is not None))
        pos = match.end()
    return tuple(steps)


def _is_definite(node: Any) -> bool:
    if isinstance(node, jp.Root | jp.This):
        return True
    if isinstance(node, jp.Child):
        return _is_definite(node.left) and _is_definite(node.right)
    if isinstance(node, jp.Fields):
        return len(node.fields) == 1 and node.fields[0] != "*"
    if isinstance(node, jp.Index):
        return len(node.indices) == 1
    return False


@functools.lru_cache(maxsize=1024)
def compile_path(text: str) -> JsonPath:
    """Paths are literals in almost every template, so compiling each once pays off."""
    return JsonPath(text)
