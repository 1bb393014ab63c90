"""The metering scenarios: the HTTP_PROXY route with API key + usage plan + throttle on, its
runtime state in this process's memory and in Redis.

`/proxy-metered` is the `/proxy` operation with `apiKeyRequired` (an `api_key` security
scheme, key source HEADER). After start-up the control plane (boto3, as a user would) adds an
API key, a usage plan on the stage with a plan throttle, a per-method throttle and a DAY
quota, and a stage method setting throttling the route: every level a request passes is
configured, with limits far above the load, so that nothing is refused and the row measures
what checking them costs. wrk sends the key in `x-api-key`.

The account throttle is raised for every benchmarked Tollway (`--account-throttle`): the
default 10,000 requests/s would refuse the fastest rows of a fast machine (it is checked on
every request all the same).

Each metered row is compared with the plain `/proxy` of the main Tollway in the same run
(targets ≥ 0.8 with memory state, ≥ 0.6 with Redis state).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # servers.py imports this module
    from servers import TollwayServer

API_KEY = "bench-api-key-0123456789abcdefghij"
KEY_HEADER = f"x-api-key: {API_KEY}"
ACCOUNT_THROTTLE = ("--account-throttle", "1000000,500000")
# Far above any load this machine can drive; checked on every request all the same.
RATE, BURST = 500_000.0, 250_000
QUOTA = 2_000_000_000
METERED = "proxy-metered"


def add_metered_route(document: dict[str, Any]) -> None:
    """`/proxy-metered`: a copy of `/proxy`'s operation that requires an API key."""
    proxy = document["paths"]["/proxy"]["get"]
    document["paths"][f"/{METERED}"] = {
        "get": {**copy.deepcopy(proxy), "security": [{"api_key": []}]}
    }
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["api_key"] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
    document["x-amazon-apigateway-api-key-source"] = "HEADER"


def configure(server: TollwayServer, stage: str) -> None:
    """The key, the plan and the route's stage throttle, through the control plane."""
    client = server.client("apigateway")
    key = client.create_api_key(name="bench", value=API_KEY, enabled=True)
    throttle = {"rateLimit": RATE, "burstLimit": BURST}
    plan = client.create_usage_plan(
        name="bench",
        apiStages=[
            {"apiId": server.api_id, "stage": stage, "throttle": {f"/{METERED}/GET": throttle}}
        ],
        throttle=throttle,
        quota={"limit": QUOTA, "period": "DAY"},
    )
    client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    route = f"/~1{METERED}/GET/throttling"
    client.update_stage(
        restApiId=server.api_id,
        stageName=stage,
        patchOperations=[
            {"op": "replace", "path": f"{route}/rateLimit", "value": str(RATE)},
            {"op": "replace", "path": f"{route}/burstLimit", "value": str(BURST)},
        ],
    )
