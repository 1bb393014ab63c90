"""REST authorizer identity-source expressions (spec §5.5, §5.6)."""

from __future__ import annotations

import pytest

from tollway.model.authorizers import (
    CONTEXT,
    HEADER,
    QUERYSTRING,
    STAGE_VARIABLE,
    IdentitySource,
    identity_sources,
    request_sources,
    token_source,
)


def test_token_source_is_one_header() -> None:
    assert token_source("method.request.header.Authorization") == IdentitySource(
        HEADER, "Authorization", "method.request.header.Authorization"
    )


@pytest.mark.parametrize(
    "expression",
    [
        None,
        "",
        "method.request.querystring.token",
        "method.request.header.A,method.request.header.B",
        "method.request.header.",
        "method.request.header.a b",
    ],
)
def test_token_source_refuses_anything_else(expression: str | None) -> None:
    with pytest.raises(ValueError, match=r"^Invalid token source expression: "):
        token_source(expression)


def test_request_sources_in_order_with_spaces_allowed() -> None:
    sources = request_sources(
        "method.request.header.X-User, method.request.querystring.q,stageVariables.s ,"
        "context.identity.sourceIp"
    )
    assert [(s.location, s.name) for s in sources] == [
        (HEADER, "X-User"),
        (QUERYSTRING, "q"),
        (STAGE_VARIABLE, "s"),
        (CONTEXT, "identity.sourceIp"),
    ]
    assert sources[1].expression == "method.request.querystring.q"


@pytest.mark.parametrize("expression", [None, "", "  "])
def test_request_sources_may_be_none(expression: str | None) -> None:
    assert request_sources(expression) == ()


@pytest.mark.parametrize(
    "expression",
    [
        "method.request.path.id",
        "method.request.header.A,,method.request.header.B",
        "method.request.body",
        "$request.header.A",
        "stageVariables.",
    ],
)
def test_request_sources_refuse_other_expressions(expression: str) -> None:
    with pytest.raises(ValueError, match=r"^Invalid identity source expression: "):
        request_sources(expression)


def test_identity_sources_by_type() -> None:
    assert identity_sources("COGNITO_USER_POOLS", "method.request.header.A")[0].name == "A"
    assert len(identity_sources("REQUEST", "context.a,context.b")) == 2
    with pytest.raises(ValueError):
        identity_sources("TOKEN", "context.a")
