"""Java-flavoured values for API Gateway mapping templates.

API Gateway runs templates on Apache Velocity, so the objects a template touches are Java
objects: a map prints as `{a=1, b=x}`, a list built in the template as `[a, b]`, and they
answer Java's methods (`size()`, `keySet()`, `put()`, `isEmpty()`, ...). JSON coming out of
`$input.path` / `$util.parseJson` keeps one observed difference (spec §4.5): its maps print
Java-style but its lists print as compact JSON (`{foo=[{"nested":"bar"}]}`).

The classes here subclass `dict`/`list`, so the engine indexes them natively; airspeed finds
their Java methods by attribute lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson


class EvaluationError(Exception):
    """A failure the template's author caused (bad JSON, loop too long, ...).

    Raised inside the engine; the renderer reports its message with the template position.
    """


def java_str(value: Any) -> str:
    """`String.valueOf(value)` as Velocity would print it."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_default(value: Any) -> str:
    return java_str(value)


def to_json(value: Any) -> str:
    """Compact JSON, as API Gateway's `$input.json` and JSON lists print."""
    return orjson.dumps(value, default=_json_default).decode()


class VtlMap(dict[Any, Any]):
    """A `java.util.Map` (insertion-ordered, like the LinkedHashMap Velocity builds)."""

    __slots__ = ()

    def __str__(self) -> str:
        return "{" + ", ".join(f"{java_str(k)}={java_str(v)}" for k, v in self.items()) + "}"

    def toString(self) -> str:
        return str(self)

    def size(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:
        return not self

    def containsKey(self, key: Any) -> bool:
        return key in self

    def containsValue(self, value: Any) -> bool:
        return value in self.values()

    def put(self, key: Any, value: Any) -> Any:
        previous = self.get(key)
        self[key] = value
        return previous

    def putAll(self, other: Mapping[Any, Any]) -> None:
        self.update(other)

    def remove(self, key: Any) -> Any:
        return self.pop(key, None)

    def keySet(self) -> VtlList:
        return VtlList(self)

    def entrySet(self) -> VtlList:
        return VtlList(MapEntry(k, v) for k, v in self.items())


class MapEntry:
    """A `Map.Entry`: `$e.key`, `$e.value`, `$e.getKey()`; prints `key=value`."""

    __slots__ = ("key", "value")

    def __init__(self, key: Any, value: Any) -> None:
        self.key = key
        self.value = value

    def getKey(self) -> Any:
        return self.key

    def getValue(self) -> Any:
        return self.value

    def __str__(self) -> str:
        return f"{java_str(self.key)}={java_str(self.value)}"


class VtlList(list[Any]):
    """A `java.util.ArrayList`, as template literals (`[1, 2]`, `[1..5]`) and `keySet()` make."""

    __slots__ = ()

    def __str__(self) -> str:
        return "[" + ", ".join(java_str(item) for item in self) + "]"

    def toString(self) -> str:
        return str(self)

    def size(self) -> int:
        return len(self)

    def isEmpty(self) -> bool:
        return not self

    def get(self, index: int) -> Any:
        return self[index]

    def contains(self, item: Any) -> bool:
        return item in self

    def indexOf(self, item: Any) -> int:
        try:
            return self.index(item)
        except ValueError:
            return -1

    # Java's add/addAll return true, which is why `$list.add(1)` prints "true" on AWS.
    def add(self, item: Any) -> bool:
        self.append(item)
        return True

    def addAll(self, items: Iterable[Any]) -> bool:
        self.extend(items)
        return True

    def set(self, index: int, item: Any) -> Any:
        previous = self[index]
        self[index] = item
        return previous


class JsonList(VtlList):
    """A JSON array from `$input.path`/`$util.parseJson`: prints as compact JSON."""

    __slots__ = ()

    def __str__(self) -> str:
        return to_json(self)


def to_vtl(value: Any) -> Any:
    """Wrap parsed JSON (plain dicts/lists) in the classes a template expects."""
    if isinstance(value, dict):
        return VtlMap({k: to_vtl(v) for k, v in value.items()})
    if isinstance(value, list):
        return JsonList([to_vtl(v) for v in value])
    return value


# --- java.lang.String methods --------------------------------------------------------------
# airspeed already gives strings length/replaceAll/startsWith/contains/substring/matches and
# Python's own methods; these add the Java ones templates use that Python lacks or spells
# differently. The engine consults this table only for calls whose name appears here.

_JAVA_WHITESPACE = "".join(chr(c) for c in range(33))  # String.trim() strips every char <= ' '
_JAVA_GROUP_REF = re.compile(r"\\(.)|\$(\d+)|\$\{(\w+)\}", re.S)


def _java_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
    """Java's `Matcher.replaceAll` replacement syntax: `$1`, `${name}`, `\\x` escapes."""

    def expand(match: re.Match[str]) -> str:
        def substitute(ref: re.Match[str]) -> str:
            if ref.group(1) is not None:
                return ref.group(1)
            group = ref.group(2) or ref.group(3)
            return match.group(int(group) if group.isdigit() else group) or ""

        return _JAVA_GROUP_REF.sub(substitute, replacement)

    return expand


def _split(text: str, regex: str, limit: int = 0) -> VtlList:
    # Java's split: regex separator; limit 0 drops trailing empty strings.
    parts = (
        re.split(regex, text, maxsplit=max(limit - 1, 0)) if limit > 0 else re.split(regex, text)
    )
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
        if not parts:
            parts = [""] if text == "" else []
    return VtlList(parts)


def _index_of(text: str, sub: str, start: int = 0) -> int:
    return text.find(sub, start)


def _last_index_of(text: str, sub: str) -> int:
    return text.rfind(sub)


def _equals(text: str, other: Any) -> bool:
    return isinstance(other, str) and text == other


def _equals_ignore_case(text: str, other: Any) -> bool:
    return isinstance(other, str) and text.casefold() == other.casefold()


STRING_METHODS: Mapping[str, Callable[..., Any]] = {
    "toLowerCase": str.lower,
    "toUpperCase": str.upper,
    "trim": lambda s: s.strip(_JAVA_WHITESPACE),
    "isEmpty": lambda s: not s,
    "equals": _equals,
    "equalsIgnoreCase": _equals_ignore_case,
    "endsWith": str.endswith,
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "charAt": lambda s, i: s[i],
    "concat": lambda s, other: s + java_str(other),
    "toString": lambda s: s,
    "split": _split,
    "replaceAll": lambda s, regex, rep: re.sub(regex, _java_replacement(rep), s),
    "replaceFirst": lambda s, regex, rep: re.sub(regex, _java_replacement(rep), s, count=1),
}
