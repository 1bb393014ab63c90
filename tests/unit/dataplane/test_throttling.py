"""Stage and route throttle settings compiled to buckets (dataplane/throttling.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tollway.dataplane.throttling import http_route_bucket, rest_method_bucket
from tollway.state.limits import Bucket


def _setting(rate: Any, burst: Any) -> dict[str, Any]:
    return {"throttlingRateLimit": rate, "throttlingBurstLimit": burst, "metricsEnabled": False}


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, None),
        ({"*/*": _setting(5.0, 10)}, (5.0, 10)),
        ({"*/*": _setting(5.0, 10), "~1pets~1{id}/GET": _setting(1.0, 2)}, (1.0, 2)),
        ({"~1other/GET": _setting(1.0, 2)}, None),
        ({"*/*": _setting(10000.0, 5000)}, None),  # AWS's defaults: the account decides
        ({"*/*": _setting(-1.0, -1)}, None),  # Terraform's "disabled"
        ({"*/*": _setting(0.0, 0)}, (0.0, 0)),  # refuses everything, as on AWS
        ({"*/*": {"metricsEnabled": True}}, None),
    ],
)
def test_rest_method_settings(settings: dict[str, Any], expected: tuple[float, int] | None) -> None:
    bucket = rest_method_bucket(settings, "api", "prod", "/pets/{id}", "GET")
    if expected is None:
        assert bucket is None
    else:
        assert bucket == Bucket("m:api:prod:GET:/pets/{id}", *expected)


def test_http_route_settings_override_the_stage_default_member_by_member() -> None:
    stage = {
        "StageName": "$default",
        "DefaultRouteSettings": {"ThrottlingRateLimit": 50.0, "ThrottlingBurstLimit": 100},
        "RouteSettings": {"GET /pets": {"ThrottlingBurstLimit": 3}},
    }
    assert http_route_bucket(stage, "api", "GET /pets") == Bucket(
        "r:api:$default:GET /pets", 50.0, 3
    )
    assert http_route_bucket(stage, "api", "POST /pets") == Bucket(
        "r:api:$default:POST /pets", 50.0, 100
    )
    assert http_route_bucket({"StageName": "dev"}, "api", "GET /pets") is None
