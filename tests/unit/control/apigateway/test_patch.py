"""AWS patchOperations semantics for Update* operations."""

from __future__ import annotations

from typing import Any

import pytest

from tollway.control.apigateway.patch import PatchRule, apply_patches, must_be_one_of, to_bool
from tollway.control.errors import BadRequestException

RULES = [
    PatchRule.value("name"),
    PatchRule.value("flag", to_bool),
    PatchRule.map("params", to_bool),
    PatchRule.set("types"),
]


def test_values_maps_and_sets() -> None:
    target: dict[str, Any] = {"name": "a", "types": ["x/y"]}
    apply_patches(
        target,
        [
            {"op": "replace", "path": "/name", "value": "b"},
            {"op": "replace", "path": "/flag", "value": "true"},
            {"op": "add", "path": "/params/method.request.header.X", "value": "false"},
            {"op": "add", "path": "/types/image~1png"},
            {"op": "remove", "path": "/types/x~1y"},
        ],
        RULES,
    )
    assert target == {
        "name": "b",
        "flag": True,
        "params": {"method.request.header.X": False},
        "types": ["image/png"],
    }


def test_removing_the_last_entry_removes_the_member() -> None:
    target: dict[str, Any] = {"params": {"a": True}}
    apply_patches(target, [{"op": "remove", "path": "/params/a"}], RULES)
    assert target == {}


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "add", "path": "/name", "value": "x"},
        {"op": "replace", "path": "/nope"},
        {"op": "replace", "path": "/params"},
        {"op": "replace"},
    ],
)
def test_invalid_paths(operation: dict[str, Any]) -> None:
    with pytest.raises(BadRequestException) as error:
        apply_patches({}, [operation], RULES)
    assert error.value.message.startswith("Invalid patch path ")


def test_must_be_one_of_wording() -> None:
    with pytest.raises(BadRequestException) as error:
        apply_patches(
            {},
            [{"op": "replace", "path": "/invalidPath"}],
            RULES,
            invalid=must_be_one_of(["/name", "/schema"]),
        )
    assert error.value.message == (
        "Invalid patch path  '/invalidPath' specified for op 'replace'. "
        "Must be one of: [/name, /schema]"
    )
