"""The CSV reading of ImportApiKeys and the usage plans' patch paths, without a server."""

from __future__ import annotations

from typing import Any

import pytest

from tollway.control.apigateway.api_keys import _rows
from tollway.control.apigateway.usage_plans import _patch
from tollway.control.errors import BadRequestException, NotFoundException


def test_rows_headers_case_insensitive_any_order_quoted_plans() -> None:
    body = b'\xef\xbb\xbfEnabled,Name,key,UsageplanIds\ntrue,First,abc,"c7y23b,glvrsr"\n\n'
    assert _rows(body) == [
        {"enabled": "true", "name": "First", "key": "abc", "usageplanids": "c7y23b,glvrsr"}
    ]


@pytest.mark.parametrize("body", [b"", b"Name\nx\n", b"\xff\xfe"])
def test_rows_refusals(body: bytes) -> None:
    with pytest.raises(BadRequestException):
        _rows(body)


def plan() -> dict[str, Any]:
    return {"id": "p1", "name": "n", "apiStages": [{"apiId": "a", "stage": "s"}]}


def test_method_throttle_paths_unescape_the_resource_path() -> None:
    target = plan()
    op = {
        "op": "replace",
        "path": "/apiStages/a:s/throttle/~1pets~1{id}/GET/burstLimit",
        "value": "4",
    }
    _patch(target, op)
    assert target["apiStages"][0]["throttle"] == {"/pets/{id}/GET": {"burstLimit": 4}}
    _patch(target, {**op, "op": "remove"})
    assert "throttle" not in target["apiStages"][0]


@pytest.mark.parametrize(
    ("op", "error"),
    [
        (
            {"op": "replace", "path": "/apiStages/b:s/throttle/~1/GET/rateLimit", "value": "1"},
            NotFoundException,
        ),
        ({"op": "replace", "path": "/throttle/other", "value": "1"}, BadRequestException),
        ({"op": "replace", "path": "/quota/limit", "value": "x"}, BadRequestException),
        ({"op": "replace", "path": "/id", "value": "x"}, BadRequestException),
        ({"op": "move", "path": "/throttle/rateLimit", "value": "1"}, BadRequestException),
    ],
)
def test_patch_refusals(op: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        _patch(plan(), op)
