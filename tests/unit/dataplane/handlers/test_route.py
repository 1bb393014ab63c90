"""The routing stage: resource and method selection, MISSING_AUTHENTICATION_TOKEN."""

from __future__ import annotations

import pytest
from tests.unit.dataplane.conftest import add, context, definition, stage

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.errors import ApiConfigurationError, MissingAuthenticationToken
from tollway.dataplane.handlers.route import ResourceRouter


async def test_fills_method_and_path_parameters() -> None:
    d = definition()
    add(d, "/pets/{id}", "GET")
    ctx = context(stage(d), "GET", "/pets/7")
    await ResourceRouter()(HandlerChain(), ctx)
    assert ctx.method is not None and ctx.method.resource_path == "/pets/{id}"
    assert ctx.path_parameters == {"id": "7"}


@pytest.mark.parametrize(("verb", "path"), [("GET", "/nope"), ("POST", "/pets/7")])
async def test_no_resource_or_no_method_is_missing_authentication_token(
    verb: str, path: str
) -> None:
    d = definition()
    add(d, "/pets/{id}", "GET")
    with pytest.raises(MissingAuthenticationToken) as error:
        await ResourceRouter()(HandlerChain(), context(stage(d), verb, path))
    assert error.value.message == "Missing Authentication Token"


async def test_a_method_that_did_not_compile_fails_with_api_configuration_error() -> None:
    d = definition()
    add(
        d, "/broken", "GET", {"type": "MOCK", "requestTemplates": {"application/json": "#if($a) x"}}
    )
    compiled = stage(d)
    assert any("configuration error on GET /broken" in w for w in compiled.warnings)
    with pytest.raises(ApiConfigurationError):
        await ResourceRouter()(HandlerChain(), context(compiled, "GET", "/broken"))
