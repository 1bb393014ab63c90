"""HTTP API route selection (spec §1.5): AWS's priority rules, the Doc's example table."""

from __future__ import annotations

import pytest

from tollway.dataplane.http_api.compiled import CompiledRoute
from tollway.dataplane.http_api.routes import RouteError, RouteTable, split_route_key
from tollway.dataplane.integrations.unsupported import UnsupportedIntegration


def table(*keys: str) -> RouteTable:
    routes = RouteTable()
    for key in keys:
        method, path = ("", "$default") if key == "$default" else split_route_key(key)
        routes.add(CompiledRoute(key, key, method, path, None, UnsupportedIntegration("x")))
    return routes


def selected(routes: RouteTable, method: str, path: str) -> tuple[str, dict[str, str]] | None:
    found = routes.match(method, path)
    return (found[0].route_key, found[1]) if found else None


DOC_ROUTES = ("GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}")


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/pets/dog/1", ("GET /pets/dog/1", {})),
        ("GET", "/pets/dog/2", ("GET /pets/dog/{id}", {"id": "2"})),
        ("GET", "/pets/cat/1", ("GET /pets/{proxy+}", {"proxy": "cat/1"})),
        ("POST", "/test/5", ("ANY /{proxy+}", {"proxy": "test/5"})),
    ],
)
def test_the_docs_example_table(
    method: str, path: str, expected: tuple[str, dict[str, str]]
) -> None:
    # Added in an order that is not the priority order, with $default among them.
    routes = table("ANY /{proxy+}", "$default", *reversed(DOC_ROUTES[:3]))
    assert selected(routes, method, path) == expected


def test_explicit_method_beats_any_on_the_same_path() -> None:
    routes = table("ANY /pets", "GET /pets")
    assert selected(routes, "GET", "/pets") == ("GET /pets", {})
    assert selected(routes, "DELETE", "/pets") == ("ANY /pets", {})


def test_a_full_match_beats_any_greedy_route() -> None:
    routes = table("GET /pets/{proxy+}", "GET /{kind}/{id}")
    assert selected(routes, "GET", "/pets/1") == ("GET /{kind}/{id}", {"kind": "pets", "id": "1"})


def test_the_longer_greedy_prefix_wins_then_the_explicit_method() -> None:
    routes = table("GET /{proxy+}", "ANY /pets/{proxy+}", "GET /pets/{proxy+}")
    assert selected(routes, "GET", "/pets/a/b") == ("GET /pets/{proxy+}", {"proxy": "a/b"})
    assert selected(routes, "PUT", "/pets/a") == ("ANY /pets/{proxy+}", {"proxy": "a"})
    assert selected(routes, "GET", "/cats/a") == ("GET /{proxy+}", {"proxy": "cats/a"})


def test_the_default_route_is_last_and_no_match_is_none() -> None:
    routes = table("GET /pets", "$default")
    assert selected(routes, "GET", "/pets") == ("GET /pets", {})
    assert selected(routes, "POST", "/pets") == ("$default", {})
    assert selected(routes, "GET", "/") == ("$default", {})
    assert selected(table("GET /pets"), "POST", "/pets") is None
    assert selected(table("GET /pets"), "GET", "/other") is None


def test_any_greedy_route_beats_the_default_route() -> None:
    routes = table("$default", "ANY /{proxy+}")
    assert selected(routes, "GET", "/a") == ("ANY /{proxy+}", {"proxy": "a"})


def test_static_segments_beat_variables_and_backtrack() -> None:
    routes = table("GET /pets/{id}/toys", "GET /pets/dog/food", "ANY /pets/dog")
    assert selected(routes, "GET", "/pets/dog") == ("ANY /pets/dog", {})
    # /pets/dog has no /toys child: the variable branch serves it.
    assert selected(routes, "GET", "/pets/dog/toys") == ("GET /pets/{id}/toys", {"id": "dog"})


def test_each_route_keeps_its_own_variable_names() -> None:
    routes = table("GET /pets/{id}", "DELETE /pets/{petId}")
    assert selected(routes, "GET", "/pets/7") == ("GET /pets/{id}", {"id": "7"})
    assert selected(routes, "DELETE", "/pets/7") == ("DELETE /pets/{petId}", {"petId": "7"})


def test_root_route_trailing_slashes_and_empty_segments() -> None:
    routes = table("GET /", "GET /pets", "ANY /files/{proxy+}", "GET /items/{id}")
    assert selected(routes, "GET", "/") == ("GET /", {})
    assert selected(routes, "GET", "/pets/") is None  # a trailing slash is another path
    assert selected(routes, "GET", "/files/") == ("ANY /files/{proxy+}", {"proxy": ""})
    assert selected(routes, "GET", "/files/a//b/") == ("ANY /files/{proxy+}", {"proxy": "a//b/"})
    assert selected(routes, "GET", "/items/") is None  # a variable is never empty
    assert selected(routes, "GET", "/files") is None  # {proxy+} needs a segment


def test_methods_are_exact_and_paths_still_encoded() -> None:
    routes = table("GET /pets/{id}")
    assert selected(routes, "HEAD", "/pets/1") is None  # GET does not serve HEAD
    assert selected(routes, "GET", "/pets/a%20b") == ("GET /pets/{id}", {"id": "a%20b"})


def test_bad_route_keys_are_refused() -> None:
    with pytest.raises(RouteError):
        split_route_key("GET")
    with pytest.raises(RouteError):
        table("GET /{proxy+}/child")
