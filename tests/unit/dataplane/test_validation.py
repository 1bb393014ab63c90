"""Request validation compiled from a method's validator, models and parameters (spec §10.3)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from tollway.dataplane.validation import ModelError, Models, compile_validation, explain

DRAFT4 = "http://json-schema.org/draft-04/schema#"
BOTH = {"validateRequestBody": True, "validateRequestParameters": True}


def models(**schemas: dict[str, Any]) -> Models:
    return Models(
        "a",
        {
            name: {
                "id": name,
                "name": name,
                "contentType": "application/json",
                "schema": json.dumps(schema),
            }
            for name, schema in schemas.items()
        },
    )


def failures(schema: dict[str, Any], instance: Any) -> list[str]:
    return explain(jsonschema.Draft4Validator({"$schema": DRAFT4, **schema}).iter_errors(instance))


@pytest.mark.parametrize(
    ("schema", "instance", "message"),
    [
        (
            {"type": "integer"},
            1.5,
            "instance type (number) does not match any allowed primitive "
            'type (allowed: ["integer"])',
        ),
        (
            {"type": ["string", "null"]},
            True,
            "instance type (boolean) does not match any "
            'allowed primitive type (allowed: ["null","string"])',
        ),
        (
            {"minimum": 5},
            3,
            "numeric instance is lower than the required minimum (minimum: 5, found: 3)",
        ),
        (
            {"minimum": 5, "exclusiveMinimum": True},
            5,
            "numeric instance is not strictly greater than the required minimum 5",
        ),
        (
            {"maximum": 5, "exclusiveMaximum": True},
            5,
            "numeric instance is not strictly lower than the required maximum 5",
        ),
        ({"maxLength": 2}, "abc", 'string "abc" is too long (length: 3, maximum allowed: 2)'),
        ({"pattern": "^a+$"}, "b", 'ECMA 262 regex "^a+$" does not match input string "b"'),
        (
            {"minItems": 2},
            [1],
            "array is too short: must have at least 2 elements but instance has 1 elements",
        ),
        (
            {"maxItems": 1},
            [1, 2],
            "array is too long: must have at most 1 elements but instance has 2 elements",
        ),
        (
            {"properties": {"a": {}}, "additionalProperties": False},
            {"a": 1, "z": 2, "b": 3},
            'object instance has properties which are not allowed by the schema: ["b","z"]',
        ),
        # No wording of the Java validator's here: jsonschema's own message.
        ({"multipleOf": 3}, 4, "4 is not a multiple of 3"),
    ],
)
def test_failures_in_the_java_validators_words(
    schema: dict[str, Any], instance: Any, message: str
) -> None:
    assert failures(schema, instance) == [message]


def test_missing_properties_make_one_message_per_object() -> None:
    schema = {
        "type": "object",
        "required": ["b", "a"],
        "properties": {"inner": {"type": "object", "required": ["x"]}},
    }
    assert failures(schema, {"inner": {}}) == [
        'object has missing required properties (["a","b"])',
        'object has missing required properties (["x"])',
    ]


def test_nothing_to_check_compiles_to_none() -> None:
    assert (
        compile_validation(
            validator=None,
            request_parameters={"method.request.querystring.q": True},
            request_models=None,
            models=models(),
        )
        is None
    )
    only_optional = compile_validation(
        validator=BOTH,
        request_parameters={"method.request.querystring.q": False},
        request_models={},
        models=models(),
    )
    assert only_optional is None


def test_required_parameters_in_the_order_of_their_full_keys() -> None:
    validation = compile_validation(
        validator=BOTH,
        request_parameters={
            "method.request.querystring.qs1": True,
            "method.request.path.issuer": True,
            "method.request.header.x-header-param": True,
            "method.request.multivaluequerystring.many": True,
        },
        request_models=None,
        models=models(),
    )
    assert validation is not None
    assert [name for name, _ in validation.required] == ["x-header-param", "many", "issuer", "qs1"]


def test_a_reference_to_another_model_is_followed() -> None:
    uri = "https://apigateway.amazonaws.com/restapis/a/models/Inner"
    validation = compile_validation(
        validator=BOTH,
        request_parameters=None,
        request_models={"application/json": "Outer"},
        models=models(
            Outer={"type": "object", "properties": {"in": {"$ref": uri}}}, Inner={"type": "integer"}
        ),
    )
    assert validation is not None and validation.bodies is not None
    check = validation.bodies["application/json"].check
    check({"in": 1})
    with pytest.raises(Exception, match="must be integer"):
        check({"in": "x"})


@pytest.mark.parametrize(
    ("request_models", "schemas", "error"),
    [
        ({"application/json": "Nope"}, {}, "the request model Nope does not exist"),
        (
            {"application/json": "Bad"},
            {"Bad": {"$ref": "https://example.com/x"}},
            "refers to https://example.com/x, which is not a model of the API",
        ),
        ({"application/json": "Bad"}, {"Bad": {"type": "nonsense"}}, "the model Bad"),
    ],
)
def test_models_that_cannot_be_compiled(
    request_models: dict[str, str], schemas: dict[str, Any], error: str
) -> None:
    with pytest.raises(ModelError, match=error):
        compile_validation(
            validator=BOTH,
            request_parameters=None,
            request_models=request_models,
            models=models(**schemas),
        )


def test_a_model_is_compiled_once_per_deployment_whatever_uses_it() -> None:
    compiled = models(Pet={"type": "object"})
    assert compiled.body("Pet") is compiled.body("Pet")
    with pytest.raises(ModelError, match="the request model Nope does not exist"):
        compiled.body("Nope")
