"""REST API resource matching (spec §1.2-1.4), on a tree compiled once per deployment.

Precedence, as AWS applies it: at each level a static child beats a `{param}` child, which
beats a `{greedy+}` child; matching is method-aware and backtracks, so a request falls back to
a less specific sibling when the more specific branch has no resource or no method for the
verb (`OPTIONS /test` reaches `/{proxy+}` when `/test` only has POST). `ANY` serves every verb
the resource does not define explicitly; HEAD is not served by GET.

Paths are matched still percent-encoded. Empty segments are ignored (`/res/` and `//res` hit
`/res`), but a greedy parameter keeps the raw rest of the path, inner double slashes included,
without its trailing slash (`/a//b/` gives `proxy=a//b`).
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class RouteNode(Generic[T]):
    __slots__ = ("static", "param", "param_name", "greedy", "greedy_name", "methods")

    def __init__(self) -> None:
        self.static: dict[str, RouteNode[T]] = {}
        self.param: RouteNode[T] | None = None
        self.param_name = ""
        self.greedy: RouteNode[T] | None = None
        self.greedy_name = ""
        self.methods: dict[str, T] = {}

    def child(self, path_part: str) -> RouteNode[T]:
        """The child for a resource path part, created if needed."""
        if path_part.startswith("{") and path_part.endswith("+}"):
            if self.greedy is None:
                self.greedy, self.greedy_name = RouteNode(), path_part[1:-2]
            return self.greedy
        if path_part.startswith("{") and path_part.endswith("}"):
            if self.param is None:
                self.param, self.param_name = RouteNode(), path_part[1:-1]
            return self.param
        return self.static.setdefault(path_part, RouteNode())

    def add(self, path_parts: list[str], http_method: str, target: T) -> None:
        node = self
        for part in path_parts:
            node = node.child(part)
        node.methods[http_method] = target

    def match(self, http_method: str, path: str) -> tuple[T, dict[str, str]] | None:
        raw = path.split("/")
        # (segment, index into raw) for each non-empty segment
        segments = [(s, i) for i, s in enumerate(raw) if s]
        params: dict[str, str] = {}
        found = _match(self, http_method, raw, segments, 0, params)
        return (found, params) if found is not None else None


def _for_method(node: RouteNode[T], http_method: str) -> T | None:
    target = node.methods.get(http_method)
    return target if target is not None else node.methods.get("ANY")


def _match(
    node: RouteNode[T],
    http_method: str,
    raw: list[str],
    segments: list[tuple[str, int]],
    position: int,
    params: dict[str, str],
) -> T | None:
    if position == len(segments):
        return _for_method(node, http_method)
    segment, raw_index = segments[position]
    static = node.static.get(segment)
    if static is not None:
        found = _match(static, http_method, raw, segments, position + 1, params)
        if found is not None:
            return found
    if node.param is not None:
        found = _match(node.param, http_method, raw, segments, position + 1, params)
        if found is not None:
            params[node.param_name] = segment
            return found
    if node.greedy is not None:
        found = _for_method(node.greedy, http_method)
        if found is not None:
            params[node.greedy_name] = "/".join(raw[raw_index:]).rstrip("/")
            return found
    return None
