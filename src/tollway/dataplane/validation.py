"""Request validation (REST): what a method's request validator checks, compiled at deployment.

AWS counterpart: API Gateway's basic request validation (spec §10.3). A method with a
`requestValidatorId` checks, as its validator says:

- parameters (`validateRequestParameters`): every `method.request.*` parameter declared
  required is present and not blank (`?q=` and an empty header count as missing). Failure:
  400 BAD_REQUEST_PARAMETERS, `Missing required request parameters: [a, b]`, the names in the
  order of their full keys (header, multivalueheader, multivaluequerystring, path,
  querystring). Header names are matched case-insensitively, as HTTP has them.
- the body (`validateRequestBody`): the JSON body against the model `requestModels` names for
  the request's media type, else for `$default`; no such model means nothing to check. An
  empty body is checked as `{}`; a body that is not JSON fails. Failure: 400
  BAD_REQUEST_BODY, `Invalid request body`.

Parameters are checked before the body. The details go to `$context.error
.validationErrorString`: for the body, the failures in the words of the Java validator API
Gateway uses (`[object has missing required properties (["name"])]`, `[instance type (string)
does not match any allowed primitive type (allowed: ["integer"])]`), joined with ", ".

Models are JSON Schema draft 4. A model refers to another model of the API by
`https://apigateway.amazonaws.com/restapis/{api-id}/models/{name}`. Each schema is compiled
once per deployment with fastjsonschema, which checks a valid body in microseconds; only a
failed body is checked again with jsonschema, whose errors say what failed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import fastjsonschema
import jsonschema
import orjson
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tollway.dataplane.context import RestContext
from tollway.dataplane.errors import BadRequestBody, BadRequestParameters

MODEL_URI = "https://apigateway.amazonaws.com/restapis/{api_id}/models/{name}"

# The full key's location, in the order AWS lists missing parameters.
_LOCATIONS = ("header", "multivalueheader", "multivaluequerystring", "path", "querystring")


class ModelError(ValueError):
    """A model that cannot be compiled (not JSON, not a schema, a reference to nothing)."""


@dataclass(frozen=True, slots=True)
class BodySchema:
    model: str
    check: Callable[[Any], Any]  # fastjsonschema: raises JsonSchemaException when invalid
    explain: jsonschema.protocols.Validator  # for the messages of an invalid body


@dataclass(frozen=True, slots=True)
class RequestValidation:
    """One method's checks; built by ``compile_validation``, run by ``validate``."""

    required: tuple[tuple[str, Callable[[RestContext], bool]], ...]  # (name, present?)
    bodies: dict[str, BodySchema] | None  # by media type (and `$default`); None: no check

    def validate(self, ctx: RestContext, media_type: str) -> None:
        missing = [name for name, present in self.required if not present(ctx)]
        if missing:
            message = f"Missing required request parameters: [{', '.join(missing)}]"
            raise BadRequestParameters(message, validation_error=message, log=message)
        if self.bodies is None:
            return
        schema = self.bodies.get(media_type) or self.bodies.get("$default")
        if schema is None:
            return
        try:
            body = orjson.loads(ctx.request.body or b"{}")
        except orjson.JSONDecodeError as e:
            raise _invalid_body(media_type, f"[Invalid JSON: {e}]") from None
        try:
            schema.check(body)
        except fastjsonschema.JsonSchemaException as e:
            # Where the two libraries disagree (rare), fastjsonschema's own words.
            failures = explain(schema.explain.iter_errors(body)) or [str(e)]
            raise _invalid_body(media_type, f"[{', '.join(failures)}]") from None


def _invalid_body(media_type: str, details: str) -> BadRequestBody:
    return BadRequestBody(
        validation_error=details,
        log=f"Request body does not match model schema for content type {media_type}: {details}",
    )


class Models:
    """An API's models as one deployment compiles them: each schema parsed, each body model
    compiled and the reference registry built once, however many methods use them."""

    def __init__(self, api_id: str, models: Mapping[str, Mapping[str, Any]]) -> None:
        self._api_id = api_id
        self._models = models
        self._prefix = MODEL_URI.format(api_id=api_id, name="")
        self._schemas: dict[str, dict[str, Any] | ModelError] = {}
        self._bodies: dict[str, BodySchema | ModelError] = {}
        self._registry: Registry[Any] | None = None

    def schema(self, name: str) -> dict[str, Any]:
        found = self._schemas.get(name)
        if found is None:
            try:
                found = _parse(name, self._models)
            except ModelError as e:
                found = e
            self._schemas[name] = found
        if isinstance(found, ModelError):
            raise found
        return found

    def body(self, name: str) -> BodySchema:
        found = self._bodies.get(name)
        if found is None:
            try:
                found = self._compile(name)
            except ModelError as e:
                found = e
            self._bodies[name] = found
        if isinstance(found, ModelError):
            raise found
        return found

    def _compile(self, name: str) -> BodySchema:
        schema = self.schema(name)

        def resolve(uri: str) -> Any:
            if not uri.startswith(self._prefix):
                raise ModelError(
                    f"the model {name} refers to {uri}, which is not a model of the API"
                )
            return self.schema(uri[len(self._prefix) :])

        draft4 = {"$schema": "http://json-schema.org/draft-04/schema#", **schema}
        try:
            check = fastjsonschema.compile(draft4, handlers={"https": resolve})
        except fastjsonschema.JsonSchemaDefinitionException as e:
            raise ModelError(f"the model {name} is not a valid schema: {e}") from None
        except ModelError:
            raise
        except Exception as e:  # a broken $ref, a bad regex...
            raise ModelError(f"the model {name} cannot be compiled: {e}") from None
        explain = jsonschema.Draft4Validator(schema, registry=self._reference_registry())
        return BodySchema(name, check, explain)

    def _reference_registry(self) -> Registry[Any]:
        if self._registry is None:
            resources = []
            for name in self._models:
                try:
                    schema = self.schema(name)
                except ModelError:
                    continue  # reported if a method uses it
                uri = MODEL_URI.format(api_id=self._api_id, name=name)
                resource = Resource.from_contents(schema, default_specification=DRAFT4)
                resources.append((uri, resource))
            self._registry = Registry().with_resources(resources)
        return self._registry


def compile_validation(
    *,
    validator: Mapping[str, Any] | None,
    request_parameters: Mapping[str, bool] | None,
    request_models: Mapping[str, str] | None,
    models: Models,
) -> RequestValidation | None:
    """The checks a method's validator asks for (None: nothing to check). Raises ModelError."""
    if validator is None:
        return None
    required: list[tuple[str, Callable[[RestContext], bool]]] = []
    if validator.get("validateRequestParameters"):
        declared = sorted(key for key, needed in (request_parameters or {}).items() if needed)
        for key in declared:
            location, _, name = key.removeprefix("method.request.").partition(".")
            if location in _LOCATIONS:
                required.append((name, _presence(location, name)))
    bodies: dict[str, BodySchema] | None = None
    if validator.get("validateRequestBody"):
        bodies = {
            media_type.lower(): models.body(name)
            for media_type, name in (request_models or {}).items()
        }
    if not required and not bodies:
        return None
    return RequestValidation(tuple(required), bodies)


def _presence(location: str, name: str) -> Callable[[RestContext], bool]:
    if location in ("header", "multivalueheader"):
        return lambda ctx: any(v.strip() for v in ctx.request.header_values(name))
    if location in ("querystring", "multivaluequerystring"):
        return lambda ctx: any(v.strip() for v in ctx.request.multi_query.get(name, ()))
    return lambda ctx: bool((ctx.path_parameters or {}).get(name))


def _parse(name: str, models: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    model = models.get(name)
    if model is None:
        raise ModelError(f"the request model {name} does not exist")
    try:
        schema = json.loads(model.get("schema") or "{}")
    except ValueError as e:
        raise ModelError(f"the model {name} is not JSON: {e}") from None
    if not isinstance(schema, dict):
        raise ModelError(f"the model {name} is not a JSON object")
    return schema


# -- messages ------------------------------------------------------------------------------------


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def explain(errors: Iterable[jsonschema.ValidationError]) -> list[str]:
    """The failures as the Java validator API Gateway uses words them, in schema order; a
    keyword it has no wording for here gets jsonschema's message."""
    out: list[str] = []
    objects_missing: set[tuple[Any, ...]] = set()
    for error in errors:
        if error.validator == "required":  # one error per name here, one message there
            where = tuple(error.absolute_path)
            if where not in objects_missing:
                objects_missing.add(where)
                required: Any = error.validator_value
                present: Any = error.instance
                names = sorted(n for n in required if n not in present)
                out.append(f"object has missing required properties ({_json(names)})")
            continue
        out.append(_message(str(error.validator), error.validator_value, error.instance, error))
    return out


def _message(keyword: str, expected: Any, instance: Any, error: Any) -> str:
    if keyword == "type":
        allowed = sorted(expected if isinstance(expected, list) else [expected])
        return (
            f"instance type ({_type_name(instance)}) does not match any allowed primitive "
            f"type (allowed: {_json(allowed)})"
        )
    if keyword == "enum":
        return (
            f"instance value ({_json(instance)}) not found in enum "
            f"(possible values: {_json(expected)})"
        )
    if keyword == "additionalProperties":
        extra = sorted(set(instance) - set(error.schema.get("properties", {})))
        return f"object instance has properties which are not allowed by the schema: {_json(extra)}"
    if keyword == "minimum":
        if error.schema.get("exclusiveMinimum"):
            return f"numeric instance is not strictly greater than the required minimum {expected}"
        return (
            "numeric instance is lower than the required minimum "
            f"(minimum: {_json(expected)}, found: {_json(instance)})"
        )
    if keyword == "maximum":
        if error.schema.get("exclusiveMaximum"):
            return f"numeric instance is not strictly lower than the required maximum {expected}"
        return (
            "numeric instance is greater than the required maximum "
            f"(maximum: {_json(expected)}, found: {_json(instance)})"
        )
    if keyword == "minLength":
        return (
            f"string {_json(instance)} is too short (length: {len(instance)}, required "
            f"minimum: {expected})"
        )
    if keyword == "maxLength":
        return (
            f"string {_json(instance)} is too long (length: {len(instance)}, maximum "
            f"allowed: {expected})"
        )
    if keyword == "pattern":
        return f"ECMA 262 regex {_json(expected)} does not match input string {_json(instance)}"
    if keyword == "minItems":
        return (
            f"array is too short: must have at least {expected} elements but instance has "
            f"{len(instance)} elements"
        )
    if keyword == "maxItems":
        return (
            f"array is too long: must have at most {expected} elements but instance has "
            f"{len(instance)} elements"
        )
    return str(error.message)
