"""AWS `patchOperations` for the Update* operations of `apigateway`.

AWS's patch is JSON-Patch-like but narrower: each resource type accepts a fixed set of paths,
each with its own operations; values are always strings, converted to the field's type;
`/` inside a path segment is written `~1`. A resource declares its paths as `PatchRule`s and
`apply_patches` interprets the operations against its document, raising AWS's messages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tollway.control.errors import BadRequestException, ServiceError

VALUE = "value"  # a scalar member: /name
MAP = "map"  # an entry of a map member: /requestParameters/<key>
SET = "set"  # an item of a list member used as a set: /binaryMediaTypes/<item>


def unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def split(path: str) -> list[str]:
    return [unescape(s) for s in path.split("/")[1:]] if path else []


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise BadRequestException(f"Invalid boolean value: {value}")


def to_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequestException(f"Invalid integer value: {value}") from None


def to_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise BadRequestException(f"Invalid double value: {value}") from None


def to_str(value: Any) -> str:
    return "" if value is None else str(value)


Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class PatchRule:
    member: str
    ops: frozenset[str]
    convert: Convert = to_str
    shape: str = VALUE

    @classmethod
    def value(
        cls, member: str, convert: Convert = to_str, ops: Iterable[str] = ("replace",)
    ) -> PatchRule:
        return cls(member, frozenset(ops), convert, VALUE)

    @classmethod
    def map(
        cls,
        member: str,
        convert: Convert = to_str,
        ops: Iterable[str] = ("add", "remove", "replace"),
    ) -> PatchRule:
        return cls(member, frozenset(ops), convert, MAP)

    @classmethod
    def set(cls, member: str, ops: Iterable[str] = ("add", "remove")) -> PatchRule:
        return cls(member, frozenset(ops), to_str, SET)


InvalidPath = Callable[[str, str], ServiceError]


def invalid_patch_path(op: str, path: str) -> ServiceError:
    return BadRequestException(f"Invalid patch path {path}")


def must_be_one_of(paths: list[str]) -> InvalidPath:
    """AWS's wording for resources that list their valid paths (spec §16.5)."""

    def error(op: str, path: str) -> ServiceError:
        if op != "replace":
            return BadRequestException(
                f"Invalid patch path  '{path}' specified for op '{op}'. "
                "Please choose supported operations"
            )
        return BadRequestException(
            f"Invalid patch path  '{path}' specified for op 'replace'. "
            f"Must be one of: [{', '.join(paths)}]"
        )

    return error


def apply_patches(
    target: dict[str, Any],
    operations: Iterable[Mapping[str, Any]],
    rules: Iterable[PatchRule],
    *,
    invalid: InvalidPath = invalid_patch_path,
    fallback: Callable[[dict[str, Any], Mapping[str, Any]], bool] | None = None,
) -> None:
    """Applies `operations` to `target` in order. `fallback` may handle paths the rules do
    not describe (and returns False when it does not handle one either)."""
    by_member = {r.member: r for r in rules}
    for operation in operations:
        op = operation.get("op", "")
        path = operation.get("path") or ""
        parts = split(path)
        rule = by_member.get(parts[0]) if parts else None
        if rule is not None and _apply(target, rule, op, parts, operation.get("value")):
            continue
        if fallback is not None and fallback(target, operation):
            continue
        raise invalid(op, path or "null")


def _apply(target: dict[str, Any], rule: PatchRule, op: str, parts: list[str], value: Any) -> bool:
    if op not in rule.ops:
        return False
    if rule.shape == VALUE:
        if len(parts) != 1:
            return False
        if op == "remove" or (op == "replace" and value is None):
            target.pop(rule.member, None)
        else:
            target[rule.member] = rule.convert(value)
        return True
    if len(parts) != 2:
        return False
    key = parts[1]
    if rule.shape == MAP:
        entries = target.setdefault(rule.member, {})
        if op == "remove":
            entries.pop(key, None)
        else:
            entries[key] = rule.convert(value)
        if not entries:
            target.pop(rule.member)
        return True
    items = target.setdefault(rule.member, [])
    if op == "add" and key not in items:
        items.append(key)
    elif op == "remove" and key in items:
        items.remove(key)
    if not items:
        target.pop(rule.member)
    return True
