"""The REST authorization stage: a method's mode combined with the resource policy by AWS's
evaluation tables (spec §5.4), and who refuses."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tollway.dataplane.auth.arns import rest_method_arn
from tollway.dataplane.auth.outcome import Decision
from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import RestContext
from tollway.dataplane.errors import AccessDenied, GatewayError, MethodArnTooLong, Unauthorized
from tollway.dataplane.handlers.authorize import MethodAuthorization
from tollway.dataplane.handlers.route import ResourceRouter

from ..conftest import add, context, definition, stage

A, D, N = Decision.ALLOW, Decision.DENY, Decision.IMPLICIT  # N: no statement allowed


class FakeMode:
    def __init__(self, decision: Decision, *, policy_first: bool = False) -> None:
        self.decision = decision
        self.policy_first = policy_first
        self.calls = 0

    async def authorize(self, ctx: Any) -> Decision:
        self.calls += 1
        return self.decision

    def denied(self, ctx: Any, decision: Decision) -> GatewayError:
        return AccessDenied(f"mode refused ({decision.value})")


class FakePolicy:
    def __init__(self, decision: Decision, *, same_account: bool = True) -> None:
        self.decision = decision
        self._same = same_account

    def evaluate(self, ctx: RestContext) -> Decision:
        return self.decision

    def same_account(self, ctx: RestContext) -> bool:
        return self._same

    def denied(self, ctx: RestContext, decision: Decision) -> GatewayError:
        return AccessDenied(f"policy refused ({decision.value})")


def routed(mode: FakeMode | None, policy: FakePolicy | None, path: str = "/pets/7") -> RestContext:
    api = definition()
    add(api, "/pets/{id}", "GET")
    compiled = stage(api)
    compiled.resource_policy = policy
    ctx = context(compiled, "GET", path)
    asyncio.run(ResourceRouter()(HandlerChain(), ctx))
    assert ctx.method is not None
    ctx.method.authorization = mode
    return ctx


def run(ctx: RestContext) -> str:
    try:
        asyncio.run(MethodAuthorization()(HandlerChain(), ctx))
    except GatewayError as error:
        return str(error.message)
    return "pass"


def test_nothing_configured_passes() -> None:
    assert run(routed(None, None)) == "pass"


@pytest.mark.parametrize(
    ("mode", "expected"), [(A, "pass"), (N, "mode refused (implicit)"), (D, "mode refused (deny)")]
)
def test_a_mode_alone_decides(mode: Decision, expected: str) -> None:
    assert run(routed(FakeMode(mode), None)) == expected


@pytest.mark.parametrize(
    ("policy", "expected"),
    [(A, "pass"), (N, "policy refused (implicit)"), (D, "policy refused (deny)")],
)
def test_a_resource_policy_alone_needs_an_allow(policy: Decision, expected: str) -> None:
    assert run(routed(None, FakePolicy(policy))) == expected


@pytest.mark.parametrize(
    ("mode", "policy", "expected"),
    [  # spec §5.4 Table A (same account)
        (A, A, "pass"),
        (A, N, "pass"),
        (A, D, "policy refused (deny)"),
        (N, A, "pass"),
        (N, N, "mode refused (implicit)"),
        (N, D, "policy refused (deny)"),
        (D, A, "mode refused (deny)"),
        (D, N, "mode refused (deny)"),
        (D, D, "mode refused (deny)"),
    ],
)
def test_table_a_same_account(mode: Decision, policy: Decision, expected: str) -> None:
    assert run(routed(FakeMode(mode), FakePolicy(policy))) == expected


@pytest.mark.parametrize(
    ("mode", "policy", "expected"),
    [  # spec §5.4 Table B (another account): both must allow
        (A, A, "pass"),
        (A, N, "policy refused (implicit)"),
        (N, A, "mode refused (implicit)"),
        (A, D, "policy refused (deny)"),
    ],
)
def test_table_b_cross_account(mode: Decision, policy: Decision, expected: str) -> None:
    ctx = routed(FakeMode(mode), FakePolicy(policy, same_account=False))
    assert run(ctx) == expected


def test_a_policy_deny_is_checked_before_a_policy_first_mode_runs() -> None:
    mode = FakeMode(A, policy_first=True)
    assert run(routed(mode, FakePolicy(D))) == "policy refused (deny)"
    assert mode.calls == 0
    mode = FakeMode(A, policy_first=False)
    run(routed(mode, FakePolicy(D)))
    assert mode.calls == 1


def test_a_mode_raising_its_own_error_is_not_combined() -> None:
    class Raising(FakeMode):
        async def authorize(self, ctx: Any) -> Decision:
            raise Unauthorized()

    assert run(routed(Raising(A), FakePolicy(A))) == "Unauthorized"


def test_the_method_arn_names_the_verb_sent_and_the_routed_path() -> None:
    ctx = routed(None, None)
    assert rest_method_arn(ctx) == (
        "arn:aws:execute-api:us-east-1:000000000000:abc1234567/test/GET/pets/7"
    )


@pytest.mark.parametrize("path", ["/pets/7", "//pets/7", "/pets//7/", "/pets/7/"])
def test_the_method_arn_has_the_segments_the_router_matched(path: str) -> None:
    """`//pets/7` is served by `/pets/{id}`: its ARN must be the one a policy on
    `.../GET/pets/7` names, or a Deny could be walked around with an extra slash."""
    api = definition()
    add(api, "/pets/{id}", "GET")
    ctx = context(stage(api), "GET", path)
    asyncio.run(ResourceRouter()(HandlerChain(), ctx))
    assert ctx.method is not None
    assert rest_method_arn(ctx).endswith("/test/GET/pets/7")


# `arn:aws:execute-api:us-east-1:000000000000:abc1234567/test/GET/pets/` + the id
ARN_PREFIX = len("arn:aws:execute-api:us-east-1:000000000000:abc1234567/test/GET/pets/")


@pytest.mark.parametrize("policy", [None, FakePolicy(A)])
def test_a_method_arn_over_1600_bytes_is_414_before_anything_runs(
    policy: FakePolicy | None,
) -> None:
    mode = FakeMode(A, policy_first=True) if policy is None else None
    longest = routed(mode, policy, "/pets/" + "x" * (1600 - ARN_PREFIX))
    assert len(rest_method_arn(longest)) == 1600
    assert run(longest) == "pass"
    ctx = routed(mode, policy, "/pets/" + "x" * (1601 - ARN_PREFIX))
    with pytest.raises(MethodArnTooLong) as info:
        asyncio.run(MethodAuthorization()(HandlerChain(), ctx))
    assert (info.value.status, info.value.message) == (414, "Request URI too long")
    assert mode is None or mode.calls == 1  # only the 1600-byte request reached the mode


def test_a_long_method_arn_without_authorization_is_not_checked() -> None:
    assert run(routed(None, None, "/pets/" + "x" * 2000)) == "pass"
