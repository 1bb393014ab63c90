"""HTTP API route selection (spec §1.5), on a table compiled once per deployment.

AWS's priority, in this order:
1. a full match of path and method, without a greedy variable: at each segment a static
   segment beats a `{variable}` (`GET /pets/dog/1` over `GET /pets/dog/{id}`), and on the
   matched path an explicit method beats `ANY`;
2. a route with a greedy variable `{name+}` (it matches one or more remaining segments): the
   one with the longest prefix before the variable first (Tollway's reading of "most
   specific"; AWS does not document it further), then an explicit method over `ANY`
   (`GET /pets/{proxy+}` beats `ANY /{proxy+}` for `GET /pets/cat/1`);
3. the `$default` route.
No match is 404 `{"message":"Not Found"}` (the caller raises it).

Paths are matched as received (still percent-encoded), segment by segment, so a trailing
slash counts: `/pets/` is not `GET /pets`, but `ANY /pets/{proxy+}` matches it with
`proxy` = "" (as a real event shows). A `{variable}` never matches an empty segment. Each
route keeps its own variable names, so `GET /pets/{id}` and `DELETE /pets/{petId}` coexist.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tollway.dataplane.http_api.compiled import CompiledRoute

ANY = "ANY"


@dataclass(slots=True)
class _Node:
    static: dict[str, _Node] = field(default_factory=dict)
    variable: _Node | None = None
    methods: dict[str, _Target] = field(default_factory=dict)  # full matches
    greedy: dict[str, _Target] = field(default_factory=dict)  # {name+} routes ending here


@dataclass(slots=True, frozen=True)
class _Target:
    route: CompiledRoute
    variables: tuple[tuple[int, str], ...]  # (segment index, name) of each {name}
    greedy: str | None  # the {name+} variable's name


class RouteError(ValueError):
    """A route key the table cannot hold (AWS would have refused it at CreateRoute)."""


def split_route_key(route_key: str) -> tuple[str, str]:
    """`"GET /pets/{id}"` -> (`"GET"`, `"/pets/{id}"`)."""
    method, _, path = route_key.partition(" ")
    if not method or not path.startswith("/"):
        raise RouteError(f"invalid route key '{route_key}'")
    return method, path


class RouteTable:
    def __init__(self) -> None:
        self._root = _Node()
        self.default: CompiledRoute | None = None
        self.keys: list[str] = []  # in the order they were added, for tests and warnings

    def add(self, route: CompiledRoute) -> None:
        self.keys.append(route.route_key)
        if route.route_key == "$default":
            self.default = route
            return
        parts = route.path.split("/")[1:] if route.path != "/" else []
        node = self._root
        variables: list[tuple[int, str]] = []
        greedy: str | None = None
        for index, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                if index != len(parts) - 1:
                    raise RouteError(f"greedy variable not last in '{route.route_key}'")
                greedy = part[1:-2]
                break
            if part.startswith("{") and part.endswith("}"):
                variables.append((index, part[1:-1]))
                if node.variable is None:
                    node.variable = _Node()
                node = node.variable
            else:
                node = node.static.setdefault(part, _Node())
        target = _Target(route, tuple(variables), greedy)
        (node.greedy if greedy is not None else node.methods)[route.method] = target

    def match(self, method: str, path: str) -> tuple[CompiledRoute, dict[str, str]] | None:
        segments = path[1:].split("/") if path != "/" else []
        found = _full(self._root, method, segments, 0)
        if found is None:
            found = _greedy(self._root, method, segments)
        if found is not None:
            return found.route, _parameters(found, segments)
        if self.default is not None:
            return self.default, {}
        return None


def _for_method(targets: dict[str, _Target], method: str) -> _Target | None:
    return targets.get(method) or targets.get(ANY)


def _full(node: _Node, method: str, segments: list[str], index: int) -> _Target | None:
    if index == len(segments):
        return _for_method(node.methods, method) if node.methods else None
    segment = segments[index]
    child = node.static.get(segment)
    if child is not None:
        found = _full(child, method, segments, index + 1)
        if found is not None:
            return found
    if node.variable is not None and segment:
        return _full(node.variable, method, segments, index + 1)
    return None


def _greedy(root: _Node, method: str, segments: list[str]) -> _Target | None:
    """The greedy route with the longest prefix (statics before variables at equal length)."""
    best: tuple[int, _Target] | None = None
    stack: list[tuple[_Node, int]] = [(root, 0)]
    while stack:
        node, index = stack.pop()
        if node.greedy and index < len(segments) and (best is None or index > best[0]):
            target = _for_method(node.greedy, method)
            if target is not None:
                best = (index, target)
        if index == len(segments):
            continue
        segment = segments[index]
        # Pushed in reverse priority: the static child is popped (and found) first.
        if node.variable is not None and segment:
            stack.append((node.variable, index + 1))
        child = node.static.get(segment)
        if child is not None:
            stack.append((child, index + 1))
    return best[1] if best is not None else None


def _parameters(target: _Target, segments: list[str]) -> dict[str, str]:
    params = {name: segments[index] for index, name in target.variables}
    if target.greedy is not None:
        prefix = len(target.route.path.split("/")) - 2  # segments before {name+}
        params[target.greedy] = "/".join(segments[prefix:])
    return params
