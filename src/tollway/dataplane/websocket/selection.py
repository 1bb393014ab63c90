"""WebSocket selection expressions, compiled once per deployment (spec §13.2).

AWS counterpart: "Selection expressions in API Gateway WebSocket APIs". An expression is
either one variable (`$request.body.action`: the whole expression names it) or text with
`${...}` variables in it (`${request.body.service}/${request.body.action}`); `\\$` is a
literal dollar (`\\$default` is the static key `$default`); anything else is static text
(`action`). Variables are evaluated once, never recursively.

Variables: `request.body.<path>` (dotted keys, `[n]` indexes) of the JSON message,
`context.<name>` and `stageVariables.<name>`. What they give: a missing path (or a message
that is not a JSON object) "", strings as they are, numbers and booleans as JSON writes
them, arrays as `[item1, item2]` and objects as `{key=value}` (Java's rendering; AWS's
documented example is the array one, the object form is UNCONFIRMED). Whether a message is
JSON at all is the caller's business: non-JSON messages go to `$default` without evaluating.

Pattern expressions (`/2\\d\\d/`) are integration-response keys, not selection expressions,
and are not read here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

_WHOLE = re.compile(r"^\$((?:request|context|stageVariables)\.[^\s${}]+)$")
_PART = re.compile(r"\\\$|\$\{([^}]*)\}")
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
Path = tuple[str | int, ...]
Part = str | tuple[str, Path]  # static text, or (source, path)


class SelectionError(ValueError):
    """An expression Tollway cannot evaluate."""


def _variable(name: str) -> tuple[str, Path]:
    for source in ("request.body", "context", "stageVariables"):
        if name == source or name.startswith(source + "."):
            return source, parse_path(name[len(source) + 1 :])
    raise SelectionError(f"unsupported variable ${name} (request.body, context, stageVariables)")


class Selector:
    """One compiled selection expression."""

    __slots__ = ("expression", "_parts", "reads_body")

    def __init__(self, expression: str) -> None:
        self.expression = expression
        parts: list[Part] = []
        whole = _WHOLE.match(expression)
        if whole is not None:
            parts.append(_variable(whole.group(1)))
        else:
            end = 0
            for match in _PART.finditer(expression):
                parts.append(expression[end : match.start()])
                parts.append("$" if match.group(1) is None else _variable(match.group(1)))
                end = match.end()
            parts.append(expression[end:])
        self._parts = tuple(p for p in parts if p != "")
        self.reads_body = any(not isinstance(p, str) and p[0] == "request.body" for p in parts)

    def evaluate(
        self,
        body: Any,
        context: Mapping[str, Any] | None = None,
        stage_variables: Mapping[str, str] | None = None,
    ) -> str:
        """The expression's value for a parsed JSON message `body`."""
        out = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
                continue
            source, path = part
            root: Any = (
                body
                if source == "request.body"
                else (context or {})
                if source == "context"
                else (stage_variables or {})
            )
            out.append(render(lookup(root, path)))
        return "".join(out)


def parse_path(text: str) -> Path:
    """`a.b[0]` as the steps `lookup` follows: `("a", "b", 0)`."""
    return tuple(int(index) if index else key for key, index in _STEP.findall(text))


def lookup(root: Any, path: Path) -> Any:
    value = root
    for step in path:
        if isinstance(step, int):
            if not (isinstance(value, list) and step < len(value)):
                return None
        elif not (isinstance(value, dict) and step in value):
            return None
        value = value[step]
    return value


def render(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return orjson.dumps(value).decode()
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={render(v)}" for k, v in value.items()) + "}"
    return str(value)


def parse_message(text: str) -> tuple[bool, Any]:
    """(is JSON, the parsed value) of a message."""
    try:
        return True, orjson.loads(text)
    except orjson.JSONDecodeError:
        return False, None
