"""airspeed-ext's Velocity parser, with each parsed template adjusted to API Gateway.

airspeed-ext already behaves as API Gateway does where LocalStack recorded AWS's output:
undefined references print as empty text, an undefined reference in `#if` is true, `!null`
is false. After parsing, `parse` adjusts the template's own syntax tree (class by class, in
place) for what it does not cover; airspeed's module globals are left alone, so other users of
airspeed in the process see no change:

- `#foreach` refuses more than 1000 iterations (API Gateway's limit) with an error, iterates a
  map's values as Velocity does, and skips values that are not collections.
- `==` and `!=` treat null as the empty string, so for a missing `$r` both `$r == $null` and
  `$r == ""` hold (spec §4.5).
- `#stop` ends the render (the renderer writes to a plain `io.StringIO`, which has no stop
  flag).
- Map and list literals (`{}`, `[1, 2]`, `[1..5]`) build `VtlMap`/`VtlList`, so they print as
  Java does: `{bar=foo}`, `[one, foo, three]` (recorded on AWS).
- API Gateway does not offer `#macro`, `#evaluate` or `#return`: AWS renders a macro
  definition as nothing, and macro calls, `#evaluate(...)` and `#return(...)` as written.
- Calls named in `values.STRING_METHODS` (`trim()`, `toLowerCase()`, `split()`, ...) on a
  string follow Java.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterable, Mapping
from types import MethodType
from typing import Any, Final

from airspeed.operators import (
    ArrayLiteral,
    BinaryOperator,
    DictionaryLiteral,
    EvaluateDirective,
    ForeachDirective,
    LocalNamespace,
    MacroCall,
    MacroDefinition,
    NameOrCall,
    ReturnDirective,
    StopDirective,
    TemplateBody,
    TemplateExecutionError,
    _Element,
)

from tollway.dataplane.mapping.values import STRING_METHODS, EvaluationError, VtlList, VtlMap

MAX_FOREACH_ITERATIONS: Final = 1000


class Stopped(TemplateExecutionError):  # type: ignore[misc]
    """Raised by `#stop`. airspeed re-raises its own execution errors unwrapped, so this
    reaches the renderer as is, which keeps the output written so far."""

    def __init__(self) -> None:
        Exception.__init__(self, "#stop")


def foreach_items(iterable: Any) -> list[Any]:
    """What `#foreach` iterates: a map's values, a collection's items (a snapshot, as the
    body may change the collection), nothing for anything else; past API Gateway's limit an
    error."""
    if isinstance(iterable, Mapping):
        iterable = iterable.values()
    elif isinstance(iterable, str) or not isinstance(iterable, Iterable):
        return []
    items = list(itertools.islice(iterable, MAX_FOREACH_ITERATIONS + 1))
    if len(items) > MAX_FOREACH_ITERATIONS:
        raise EvaluationError(
            f"#foreach would run more than {MAX_FOREACH_ITERATIONS} iterations, API Gateway's limit"
        )
    return items


def set_loop_variables(scope: Any, index: int, last: int, name: str, item: Any) -> None:
    """An iteration's own names: the loop variable, `$velocityCount`, `$foreach.*`."""
    scope["velocityCount"] = index + 1
    scope["velocityHasNext"] = index < last
    scope["foreach"] = {
        "count": index + 1,
        "index": index,
        "hasNext": index < last,
        "first": index == 0,
        "last": index == last,
    }
    scope[name] = item


class _BoundedForeach(ForeachDirective):  # type: ignore[misc]
    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        items = foreach_items(self.value.calculate(namespace, loader))
        last = len(items) - 1
        for index, item in enumerate(items):
            local = LocalNamespace(namespace)
            set_loop_variables(local, index, last, self.loop_var_name, item)
            self.block.evaluate(stream, local, loader)


class _Stop(StopDirective):  # type: ignore[misc]
    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        raise Stopped()


class _MapLiteral(DictionaryLiteral):  # type: ignore[misc]
    def calculate(self, namespace: Any, loader: Any) -> VtlMap:
        return VtlMap(
            (key.calculate(namespace, loader), value.calculate(namespace, loader))
            for key, value in self.local_data.items()
        )


class _ListLiteral(ArrayLiteral):  # type: ignore[misc]
    def calculate(self, namespace: Any, loader: Any) -> VtlList:
        return VtlList(self.values.calculate(namespace, loader))


class _UnavailableMacroDefinition(MacroDefinition):  # type: ignore[misc]
    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        pass


class _VerbatimMacroCall(MacroCall):  # type: ignore[misc]
    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        stream.write(self.my_text())


class _VerbatimEvaluate(EvaluateDirective):  # type: ignore[misc]
    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        stream.write(self.my_text())


class _VerbatimReturn(ReturnDirective):  # type: ignore[misc]
    def evaluate_raw(self, stream: Any, namespace: Any, loader: Any) -> None:
        stream.write(self.my_text())


class _JavaStringCall(NameOrCall):  # type: ignore[misc]
    def calculate(self, current_object: Any, loader: Any, top_namespace: Any) -> Any:
        if isinstance(current_object, str) and self.parameters is not None:
            arguments = self.parameters.calculate(top_namespace, loader)
            return STRING_METHODS[self.name](current_object, *arguments)
        return super().calculate(current_object, loader, top_namespace)


def _equals(left: Any, right: Any) -> bool:
    return ("" if left is None else left) == ("" if right is None else right)


def _differs(left: Any, right: Any) -> bool:
    return not _equals(left, right)


_OPERATORS: Final[Mapping[Any, Any]] = {operator.eq: _equals, operator.ne: _differs}


# Exact types: ReturnDirective subclasses EvaluateDirective, for one.
_REPLACEMENTS: Final[Mapping[type, type]] = {
    ForeachDirective: _BoundedForeach,
    StopDirective: _Stop,
    DictionaryLiteral: _MapLiteral,
    ArrayLiteral: _ListLiteral,
    MacroDefinition: _UnavailableMacroDefinition,
    MacroCall: _VerbatimMacroCall,
    EvaluateDirective: _VerbatimEvaluate,
    ReturnDirective: _VerbatimReturn,
}


def _adapt(root: Any) -> None:
    seen: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        pending.extend(_children(node))
        replacement = _REPLACEMENTS.get(type(node))
        if replacement is not None:
            node.__class__ = replacement
            if replacement is _ListLiteral:
                # ArrayLiteral.parse binds `calculate` on the instance; drop it so ours applies.
                vars(node).pop("calculate", None)
        elif type(node) is NameOrCall and node.name in STRING_METHODS:
            node.__class__ = _JavaStringCall
        elif type(node) is BinaryOperator and node.apply_to in _OPERATORS:
            node.apply_to = _OPERATORS[node.apply_to]


def _children(node: Any) -> list[Any]:
    """The elements `node` holds: as attributes, in lists, as dict keys and values
    (DictionaryLiteral), and behind bound methods (ParenthesizedExpression keeps its
    expression only as `self.calculate`)."""
    found: list[Any] = []
    values = list(vars(node).values())
    while values:
        value = values.pop()
        if isinstance(value, _Element):
            found.append(value)
        elif isinstance(value, MethodType):
            values.append(value.__self__)
        elif isinstance(value, list):
            values.extend(value)
        elif isinstance(value, dict):
            values.extend(value.keys())
            values.extend(value.values())
    return found


def parse(text: str) -> Any:
    """Parse `text` into an adjusted airspeed tree; raises airspeed's `TemplateSyntaxError`."""
    root = TemplateBody("<mapping template>", text)
    _adapt(root)
    return root


class _NoLoader:
    """`#include` and `#parse` have nothing to load: API Gateway templates stand alone."""

    def load_text(self, name: str) -> str:
        raise EvaluationError(f"#include/#parse of {name!r}: mapping templates cannot load files")

    def load_template(self, name: str) -> Any:
        return self.load_text(name)


NO_LOADER: Final = _NoLoader()
