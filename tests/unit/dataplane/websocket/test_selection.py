"""Selection expressions (spec §13.2): AWS's documented examples on
`{"service":"chat","action":"join"}`, escapes, missing paths, value rendering."""

from __future__ import annotations

from typing import Any

import pytest

from tollway.dataplane.websocket.selection import (
    SelectionError,
    Selector,
    parse_message,
    render,
)

MESSAGE = {"service": "chat", "action": "join"}


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("$request.body.action", "join"),
        ("${request.body.service}/${request.body.action}", "chat/join"),
        ("${request.body.action}-${request.body.invalidPath}", "join-"),
        ("action", "action"),
        ("\\$default", "$default"),
        ("$request.body.nothing", ""),
        ("cost \\$5 ${request.body.service}", "cost $5 chat"),
    ],
)
def test_documented_examples(expression: str, value: str) -> None:
    assert Selector(expression).evaluate(MESSAGE) == value


def test_nested_paths_and_indexes() -> None:
    body = {"a": {"b": [{"c": "deep"}, 2]}}
    assert Selector("$request.body.a.b[0].c").evaluate(body) == "deep"
    assert Selector("$request.body.a.b[1]").evaluate(body) == "2"
    assert Selector("$request.body.a.b[7]").evaluate(body) == ""
    assert Selector("$request.body.a.x.y").evaluate(body) == ""


def test_a_body_that_is_not_an_object_has_no_paths() -> None:
    assert Selector("$request.body.action").evaluate(["action"]) == ""
    assert Selector("$request.body.action").evaluate("join") == ""


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (["item1", "item2"], "[item1, item2]"),
        (True, "true"),
        (1.5, "1.5"),
        (7, "7"),
        (None, ""),
        ({"k": "v"}, "{k=v}"),
    ],
)
def test_values_render_as_text(value: Any, text: str) -> None:
    assert render(value) == text


def test_context_and_stage_variables() -> None:
    selector = Selector("${stageVariables.version}:${context.routeKey}")
    assert selector.evaluate({}, {"routeKey": "echo"}, {"version": "v2"}) == "v2:echo"
    assert not selector.reads_body
    assert Selector("$request.body.action").reads_body


def test_unsupported_variable_is_an_error() -> None:
    with pytest.raises(SelectionError, match=r"\$request.header.x"):
        Selector("${request.header.x}")


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ('{"action": "a"}', (True, {"action": "a"})),
        ("[1]", (True, [1])),
        ("plain text", (False, None)),
        ("", (False, None)),
        ('{"broken": ', (False, None)),
    ],
)
def test_parse_message(text: str, parsed: tuple[bool, Any]) -> None:
    assert parse_message(text) == parsed
