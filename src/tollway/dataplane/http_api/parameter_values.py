"""The values of HTTP API parameter mappings (spec §4.8): what a mapping reads, and its value
compiled into a `Template` of static text and variables (see `parameters` for the table of
variables and the choices made where AWS documents nothing).

AWS counterpart: the "value" column of "Transform API requests and responses for HTTP APIs".
A request's headers are indexed and its body parsed (first 100 KB, for JSONPaths) at most once,
whatever the number of mappings that read them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import orjson

from tollway.dataplane.mapping.jsonpath import MISSING, JsonPath, parse_body
from tollway.dataplane.mapping.parameters import MappingError
from tollway.dataplane.mapping.values import EvaluationError

BODY_LIMIT: Final = 100 * 1024
"""AWS applies a JSONPath to the first 100 KB of a body only."""

TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""An HTTP header name."""
_CONTEXT_NAME = re.compile(r"[A-Za-z0-9_.]+")
_BRACED = re.compile(r"\$\{([^}]*)\}")
_INVALID_PREFIX: Final = (
    "Invalid mapping expression specified: Validation Result: warnings : [], errors : ["
)


# What the mappings read. The data plane passes its own objects: anything with these members.


class RequestInput(Protocol):
    """The request as the client sent it (after routing)."""

    @property
    def headers(self) -> Sequence[tuple[str, str]]: ...
    @property
    def query(self) -> Mapping[str, Sequence[str]]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def path(self) -> str:
        """Without the stage."""
        ...

    @property
    def path_parameters(self) -> Mapping[str, str]: ...
    @property
    def stage_variables(self) -> Mapping[str, str]: ...
    def context_variable(self, name: str) -> Any:
        """A `$context` variable by its dotted name (`requestId`, `authorizer.claims.sub`);
        None when it has no value."""
        ...


class ResponseInput(Protocol):
    """The integration's response."""

    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Sequence[tuple[str, str]]: ...
    @property
    def body(self) -> bytes: ...


@dataclass
class MappingRequest:
    """A plain `RequestInput` (tests, and callers with no object of their own); the context is
    a nested mapping (`{"authorizer": {"claims": {...}}}`)."""

    headers: Sequence[tuple[str, str]] = ()
    query: Mapping[str, Sequence[str]] = field(default_factory=dict)
    body: bytes = b""
    path: str = "/"
    path_parameters: Mapping[str, str] = field(default_factory=dict)
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)

    def context_variable(self, name: str) -> Any:
        value: Any = self.context
        for part in name.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
        return value


@dataclass
class MappingResponse:
    """A plain `ResponseInput`."""

    status: int
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""


# Values: compiled templates.


class Sources:
    """One request's (and response's) values, with what is costly to find computed once."""

    __slots__ = ("_bodies", "_headers", "request", "response")

    def __init__(self, request: RequestInput, response: ResponseInput | None) -> None:
        self.request = request
        self.response = response
        self._headers: dict[str, dict[str, list[str]]] = {}
        self._bodies: dict[str, Any] = {}

    def header(self, side: str, name: str) -> str | None:
        index = self._headers.get(side)
        if index is None:
            index = {}
            for key, value in self._message(side).headers:
                index.setdefault(key.lower(), []).append(value)
            self._headers[side] = index
        values = index.get(name)
        return ",".join(values) if values else None

    def body_text(self, side: str) -> str:
        return self._message(side).body.decode("utf-8", "replace")

    def body_document(self, side: str) -> Any:
        if side not in self._bodies:
            cut = self._message(side).body[:BODY_LIMIT].decode("utf-8", "ignore")
            self._bodies[side] = parse_body(cut)
        return self._bodies[side]

    def _message(self, side: str) -> RequestInput | ResponseInput:
        if side == "response":
            assert self.response is not None  # response variables compile on that side only
            return self.response
        return self.request


class _Variable:
    """One `$...` variable, resolved to a function of the sources."""

    __slots__ = ("get", "text")

    def __init__(self, text: str, *, response_side: bool) -> None:
        self.text = text
        self.get = _compile_variable(text, response_side=response_side)


def _compile_variable(text: str, *, response_side: bool) -> Any:
    root, _, rest = text.partition(".")
    if root in ("request", "response") and (root == "request" or response_side):
        side = root
        location, dot, name = rest.partition(".")
        if location == "header" and name and TOKEN.fullmatch(name):
            lowered = name.lower()
            return lambda s: s.header(side, lowered)
        if location == "body":
            return _body_variable(side, name, bool(dot))
        if side == "request" and location == "querystring" and name:
            return lambda s: _joined(s.request.query.get(name))
        if side == "request" and location == "path":
            if not dot:
                return lambda s: s.request.path
            if name:
                return lambda s: s.request.path_parameters.get(name)
    elif root == "context" and _CONTEXT_NAME.fullmatch(rest) and not rest.startswith("."):
        return lambda s: _text(s.request.context_variable(rest))
    elif root == "stageVariables" and rest:
        return lambda s: s.request.stage_variables.get(rest)
    raise MappingError(_invalid_value(f"${text}"))  # reworded by Template with the whole value


def _body_variable(side: str, path: str, dotted: bool) -> Any:
    if not dotted:
        return lambda s: s.body_text(side)
    invalid = MappingError(_invalid_value(f"${side}.body.{path}"))
    if not path or ".." in path or "?(" in path:
        raise invalid
    try:
        compiled = JsonPath("$." + path)
    except EvaluationError:
        raise invalid from None
    if not compiled.definite:
        raise invalid

    def find(s: Sources) -> str | None:
        found = compiled.find(s.body_document(side))
        return None if found is MISSING else _text(found)

    return find


def _joined(values: Sequence[str] | None) -> str | None:
    return ",".join(values) if values else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _parse_template(source: str, *, response_side: bool) -> tuple[str | _Variable, ...]:
    if source.startswith("$") and "${" not in source:
        return (_Variable(source[1:], response_side=response_side),)
    parts: list[str | _Variable] = []
    pos = 0
    for match in _BRACED.finditer(source):
        if match.start() > pos:
            parts.append(source[pos : match.start()])
        parts.append(_Variable(match.group(1), response_side=response_side))
        pos = match.end()
    rest = source[pos:]
    if "${" in rest:  # an unclosed brace
        raise MappingError(_invalid_value(source))
    if rest:
        parts.append(rest)
    return tuple(parts)


class Template:
    """A compiled value: static text and variables. `render` is None when a variable has no
    value (the mapping is then skipped)."""

    __slots__ = ("_parts", "source")

    def __init__(self, source: str, *, response_side: bool = False) -> None:
        self.source = source
        try:
            self._parts = _parse_template(source, response_side=response_side)
        except MappingError:
            raise MappingError(_invalid_value(source)) from None

    @property
    def static(self) -> str | None:
        """The text of a value without variables."""
        if len(self._parts) == 1 and isinstance(self._parts[0], str):
            return self._parts[0]
        return None if self._parts else ""

    def render(self, sources: Sources) -> str | None:
        out = []
        for part in self._parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = part.get(sources)
            if value is None:
                return None
            out.append(value)
        return "".join(out)


def invalid(error: str) -> str:
    """AWS's wording of a refused mapping."""
    return f"{_INVALID_PREFIX}{error}]"


def _invalid_value(value: str) -> str:
    return invalid(f"Invalid mapping expression specified: {value}")
