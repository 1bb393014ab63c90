"""Plain `$context.x` / `$stageVariables.x` substitution, compiled once.

Gateway-response templates are not VTL (spec §10.2) and access-log formats are lines of
`$context` variables (spec §11.4); both are text with variables in it. `compile_text` splits
such text once into literal parts and getters, so rendering is a join.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from tollway.dataplane import variables
from tollway.dataplane.context import RestContext

C = TypeVar("C")

_VARIABLE = re.compile(
    r"\$(?:\{(context|stageVariables)\.([A-Za-z0-9_.]+)\}"
    r"|(context|stageVariables)\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*))"
)


def format_value(value: Any, missing: str) -> str:
    if value is None:
        return missing
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compile_text(
    text: str, stage_variables: Mapping[str, str], *, missing: str = ""
) -> Callable[[RestContext], str]:
    """REST's `$context` variables (variables.py) in `text`."""
    return compile_variables(text, stage_variables, variables.getter, missing=missing)


def compile_variables(
    text: str,
    stage_variables: Mapping[str, str],
    lookup: Callable[[str], Callable[[C], Any] | None],
    *,
    missing: str = "",
) -> Callable[[C], str]:
    """`text` with its variables resolved by `lookup` (a name to its getter, or None for a
    variable the API type does not have): REST's or HTTP APIs' `$context`."""
    parts: list[str | Callable[[C], Any]] = []
    position = 0
    for match in _VARIABLE.finditer(text):
        parts.append(text[position : match.start()])
        source = match.group(1) or match.group(3)
        name = match.group(2) or match.group(4)
        if source == "stageVariables":
            parts.append(stage_variables.get(name) or missing)
        else:
            get = lookup(name)
            parts.append(get if get is not None else missing)
        position = match.end()
    parts.append(text[position:])
    merged: list[str | Callable[[C], Any]] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif part != "":
            merged.append(part)
    if all(isinstance(p, str) for p in merged):
        constant = "".join(p for p in merged if isinstance(p, str))
        return lambda ctx: constant

    def render(ctx: C) -> str:
        return "".join(p if isinstance(p, str) else format_value(p(ctx), missing) for p in merged)

    return render
