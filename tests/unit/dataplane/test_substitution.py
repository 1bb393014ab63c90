"""`$context`/`$stageVariables` substitution for gateway-response templates and access logs."""

from __future__ import annotations

from tests.unit.dataplane.conftest import context, definition, stage

from tollway.dataplane.errors import MissingAuthenticationToken
from tollway.dataplane.substitution import compile_text


def test_variables_forms_and_missing_values() -> None:
    ctx = context(stage(definition(), variables={"s": "v"}))
    ctx.error = MissingAuthenticationToken()
    render = compile_text(
        "$context.stage ${context.stage} $stageVariables.s ${stageVariables.s} "
        "$context.error.messageString $context.nope $stageVariables.none.",
        {"s": "v"},
        missing="-",
    )
    assert render(ctx) == 'test test v v "Missing Authentication Token" - -.'


def test_text_without_variables_is_a_constant() -> None:
    ctx = context(stage(definition()))
    assert compile_text('{"plain": true}', {})(ctx) == '{"plain": true}'
