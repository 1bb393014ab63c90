"""AWS's checks of REST parameter mappings when they are put (spec §4.2, §4.3): PutIntegration's
`requestParameters`, PutIntegrationResponse's `responseParameters`, their updates, and the same
mappings in an imported OpenAPI document.

- A request mapping's target must be `integration.request.{path|querystring|header}.NAME`; its
  source a valid expression (`method.request.*`, `stageVariables.*`, `context.*`, `'static'`,
  `method.request.body[.JSONPath]`), and a `method.request.{path|querystring|header}` source
  (or its `multivalue` form) must be a parameter the method declares.
- A response mapping's target must be a `method.response.header.NAME` the method response
  declares; its source a valid `integration.response.*`, `stageVariables.*`, `context.*` or
  `'static'` expression.

AWS refuses anything else with 400 `Invalid mapping expression specified: Validation Result:
warnings : [], errors : [...]`, naming the bad target (`Invalid mapping expression parameter
specified: ...`) or source (`Invalid mapping expression specified: ...`). The expressions are
parsed by the data plane's compiler (`dataplane.mapping.parameters`), so what is accepted here
is exactly what a deployment can run.
"""

from __future__ import annotations

from collections.abc import Mapping

from tollway.control.errors import BadRequestException
from tollway.dataplane.mapping.parameters import (
    REQUEST,
    RESPONSE,
    MappingError,
    compile_source,
)

_REQUEST_TARGETS = ("path", "querystring", "header")
# Where a method.request source must be declared: multivalue forms read the same parameter.
_DECLARED_AS = {
    "path": "path",
    "querystring": "querystring",
    "multivaluequerystring": "querystring",
    "header": "header",
    "multivalueheader": "header",
}


def _refused(error: str) -> BadRequestException:
    return BadRequestException(
        f"Invalid mapping expression specified: Validation Result: warnings : [], "
        f"errors : [{error}]"
    )


def check_request_mapping(
    declared: Mapping[str, bool] | None, request_parameters: Mapping[str, str] | None
) -> None:
    """`declared` is the method's `requestParameters` (`method.request.path.id` -> required)."""
    declared = declared or {}
    headers = {key.lower() for key in declared if key.startswith("method.request.header.")}
    for target, source in (request_parameters or {}).items():
        parts = target.split(".", 3)
        if len(parts) != 4 or parts[:2] != ["integration", "request"] or not parts[3]:
            raise _refused(f"Invalid mapping expression parameter specified: {target}")
        if parts[2] not in _REQUEST_TARGETS:
            raise _refused(f"Invalid mapping expression parameter specified: {target}")
        _check_source(source, REQUEST)
        if not source.startswith("method.request."):
            continue
        location, _, name = source[len("method.request.") :].partition(".")
        where = _DECLARED_AS.get(location)
        if where is None:
            continue  # the body: nothing to declare
        key = f"method.request.{where}.{name}"
        found = key.lower() in headers if where == "header" else key in declared
        if not found:
            raise _refused(f"Invalid mapping expression specified: {source}")


def check_response_mapping(
    declared: Mapping[str, bool] | None, response_parameters: Mapping[str, str] | None
) -> None:
    """`declared` is the method response's `responseParameters` (header -> required)."""
    declared_lower = {key.lower() for key in declared or {}}
    for target, source in (response_parameters or {}).items():
        if (
            not target.startswith("method.response.header.")
            or target == "method.response.header."
            or target.lower() not in declared_lower
        ):
            raise _refused(f"Invalid mapping expression parameter specified: {target}")
        _check_source(source, RESPONSE)


def _check_source(source: str, side: str) -> None:
    try:
        compile_source(source, side, {})
    except MappingError:
        raise _refused(f"Invalid mapping expression specified: {source}") from None
