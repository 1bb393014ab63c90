"""Resource matching: AWS's precedence, method-aware fallback, slashes (spec §1.2-1.4)."""

from __future__ import annotations

import pytest

from tollway.dataplane.router import RouteNode


def tree(*routes: tuple[str, str]) -> RouteNode[str]:
    root: RouteNode[str] = RouteNode()
    for path, verb in routes:
        root.add([p for p in path.split("/") if p], verb, f"{verb} {path}")
    return root


def match(root: RouteNode[str], verb: str, path: str) -> tuple[str, dict[str, str]] | None:
    return root.match(verb, path)


def test_static_beats_parameter_beats_greedy() -> None:
    root = tree(("/pets/dog", "GET"), ("/pets/{id}", "GET"), ("/pets/{proxy+}", "GET"))
    assert match(root, "GET", "/pets/dog") == ("GET /pets/dog", {})
    assert match(root, "GET", "/pets/cat") == ("GET /pets/{id}", {"id": "cat"})
    assert match(root, "GET", "/pets/cat/1") == ("GET /pets/{proxy+}", {"proxy": "cat/1"})


def test_falls_back_to_greedy_sibling_when_the_static_branch_has_no_child() -> None:
    root = tree(("/part1", "GET"), ("/{param+}", "GET"), ("/part1/hardcoded-value", "GET"))
    assert match(root, "GET", "/part1") == ("GET /part1", {})
    assert match(root, "GET", "/part1/hardcoded-value") == ("GET /part1/hardcoded-value", {})
    assert match(root, "GET", "/part1/random-value") == (
        "GET /{param+}",
        {"param": "part1/random-value"},
    )


def test_matching_is_method_aware() -> None:
    root = tree(("/test", "POST"), ("/test/any", "ANY"), ("/{proxy+}", "OPTIONS"))
    assert match(root, "POST", "/test") == ("POST /test", {})
    assert match(root, "OPTIONS", "/test") == ("OPTIONS /{proxy+}", {"proxy": "test"})
    assert match(root, "OPTIONS", "/test/any") == ("ANY /test/any", {})


def test_explicit_method_beats_any_and_head_is_not_get() -> None:
    root = tree(("/r", "ANY"), ("/r", "GET"), ("/g", "GET"))
    assert match(root, "GET", "/r") == ("GET /r", {})
    assert match(root, "DELETE", "/r") == ("ANY /r", {})
    assert match(root, "HEAD", "/g") is None


@pytest.mark.parametrize("path", ["/res", "/res/", "//res", "/res//"])
def test_empty_segments_are_ignored(path: str) -> None:
    assert match(tree(("/res", "GET")), "GET", path) == ("GET /res", {})


def test_greedy_keeps_inner_double_slashes_but_not_the_trailing_one() -> None:
    root = tree(("/{proxy+}", "GET"))
    assert match(root, "GET", "/a//b/") == ("GET /{proxy+}", {"proxy": "a//b"})


def test_greedy_needs_at_least_one_segment_and_root_needs_a_method() -> None:
    root = tree(("/{proxy+}", "GET"))
    assert match(root, "GET", "/") is None
    assert match(tree(("/", "GET")), "GET", "/") == ("GET /", {})


def test_parameters_of_a_failed_branch_do_not_leak() -> None:
    root = tree(("/{a}/x", "GET"), ("/{a}", "POST"), ("/{p+}", "GET"))
    assert match(root, "GET", "/one/y") == ("GET /{p+}", {"p": "one/y"})


def test_values_stay_percent_encoded() -> None:
    root = tree(("/users/{email}", "GET"))
    assert match(root, "GET", "/users/test%2Balias@x.com") == (
        "GET /users/{email}",
        {"email": "test%2Balias@x.com"},
    )


def test_matching_is_case_sensitive() -> None:
    assert match(tree(("/Pets", "GET")), "GET", "/pets") is None
