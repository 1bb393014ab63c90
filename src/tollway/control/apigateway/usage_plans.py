"""Usage plans: CreateUsagePlan, GetUsagePlan(s), UpdateUsagePlan, DeleteUsagePlan
(spec §6.1, §16.1; AWS counterpart `/usageplans`).

A plan is account-wide, its own store record (kind `usageplan`). Its `apiStages` must name
existing REST APIs and stages (AWS's 404 `Invalid API Stage {api: X, stage: Y} specified for
usageplan P`). `throttle` is {burstLimit, rateLimit}, `quota` {limit, offset, period
DAY|WEEK|MONTH}; an API stage's `throttle` maps `{resourcePath}/{httpMethod}` to limits.
Messages the spec does not record (the quota period, a malformed method throttle key, the
limit of 20 method throttles per stage) are Tollway's own, worded like AWS's (UNCONFIRMED).
The gateway enforces a plan's throttles and quota (dataplane/handlers/throttle.py); every
change is announced to it (`commit_keys`), so it takes effect without a deployment.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from tollway.control.apigateway.documents import API_KIND, STAGE_KIND, commit_keys, paginate
from tollway.control.apigateway.patch import split, to_float, to_int
from tollway.control.errors import BadRequestException, LimitExceededException, NotFoundException
from tollway.control.operations import Call, OperationTable
from tollway.dataplane.usage_plans import PLAN_KEY_KIND, PLAN_KIND
from tollway.model import ids
from tollway.model.http_api import V2_API_KIND, V2_STAGE_KIND
from tollway.store import Delete, Record

ops = OperationTable("apigateway")

MAX_PLANS = 300
MAX_METHOD_THROTTLES = 20
PERIODS = ("DAY", "WEEK", "MONTH")
_METHOD_KEY = re.compile(r"^/.*/[A-Z*]+$")


def load_plan(call: Call, plan_id: str) -> Record:
    record = call.plane.store.get(PLAN_KIND, plan_id)
    if record is None:
        raise NotFoundException("Invalid Usage Plan ID specified")
    return record


def plan_key_record(call: Call, plan_id: str, key_id: str) -> Record:
    """The record attaching a key to a plan (at its current version when it exists)."""
    existing = call.plane.store.get(PLAN_KEY_KIND, key_id, plan_id)
    body = {"id": key_id, "type": "API_KEY"}
    return Record(PLAN_KEY_KIND, key_id, body, plan_id, existing.version if existing else 0)


def _throttle(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if value.get("burstLimit") is not None:
        out["burstLimit"] = int(value["burstLimit"])
    if value.get("rateLimit") is not None:
        out["rateLimit"] = float(value["rateLimit"])
    return out


def _quota(value: Mapping[str, Any]) -> dict[str, Any]:
    period = value.get("period")
    if period not in PERIODS:
        raise BadRequestException(
            f"Invalid quota period specified: {period}. Valid values are DAY, WEEK, MONTH"
        )
    out: dict[str, Any] = {"limit": int(value.get("limit") or 0), "period": period}
    if value.get("offset"):
        out["offset"] = int(value["offset"])
    return out


def _api_stage(call: Call, plan_id: str, stage: Mapping[str, Any]) -> dict[str, Any]:
    api_id, name = stage.get("apiId") or "", stage.get("stage") or ""
    store = call.plane.store
    if (
        store.get(API_KIND, api_id) is None or store.get(STAGE_KIND, name, api_id) is None
    ) and not _websocket_stage(store, api_id, name):
        raise NotFoundException(
            f"Invalid API Stage {{api: {api_id}, stage: {name}}} specified for usageplan {plan_id}"
        )
    out: dict[str, Any] = {"apiId": api_id, "stage": name}
    throttles = stage.get("throttle") or {}
    if len(throttles) > MAX_METHOD_THROTTLES:
        raise LimitExceededException(
            f"Too many method throttles for API stage {api_id}:{name}: at most "
            f"{MAX_METHOD_THROTTLES}"
        )
    for method in throttles:
        if not _METHOD_KEY.match(method):
            raise BadRequestException(
                f"Invalid method throttle key {method}: must be {{resourcePath}}/{{httpMethod}}"
            )
    if throttles:
        out["throttle"] = {m: _throttle(t) for m, t in throttles.items()}
    return out


def _websocket_stage(store: Any, api_id: str, name: str) -> bool:
    """A WebSocket API's stage: usage plans cover them too (API keys on `$connect`)."""
    api = store.get(V2_API_KIND, api_id)
    return (
        api is not None
        and api.body["Api"].get("ProtocolType") == "WEBSOCKET"
        and store.get(V2_STAGE_KIND, name, api_id) is not None
    )


def check_plan(call: Call, plan: dict[str, Any]) -> None:
    if not (plan.get("name") or "").strip():
        raise BadRequestException("Usage Plan name must be non-empty")
    stages = [_api_stage(call, plan["id"], s) for s in plan.get("apiStages") or []]
    seen = {(s["apiId"], s["stage"]) for s in stages}
    if len(seen) != len(stages):
        raise BadRequestException("Duplicate API Stage specified in the usage plan")
    plan["apiStages"] = stages


@ops("CreateUsagePlan")
def create_usage_plan(call: Call) -> dict[str, Any]:
    if len(call.plane.store.list(PLAN_KIND)) >= MAX_PLANS:
        raise LimitExceededException("Usage Plan limit exceeded")
    p = call.params
    plan: dict[str, Any] = {"id": ids.short_id(), "name": p.get("name")}
    for member in ("description", "tags"):
        if p.get(member) is not None:
            plan[member] = p[member]
    plan["apiStages"] = list(p.get("apiStages") or [])
    if p.get("throttle"):
        plan["throttle"] = _throttle(p["throttle"])
    if p.get("quota"):
        plan["quota"] = _quota(p["quota"])
    check_plan(call, plan)
    commit_keys(call, [Record(PLAN_KIND, plan["id"], plan)])
    return plan


@ops("GetUsagePlan")
def get_usage_plan(call: Call) -> dict[str, Any]:
    return dict(load_plan(call, call.params["usagePlanId"]).body)


@ops("GetUsagePlans")
def get_usage_plans(call: Call) -> dict[str, Any]:
    """GetUsagePlans, with `keyId`: only the plans that key is in."""
    from tollway.control.apigateway.api_keys import load_key

    plans = [r.body for r in call.plane.store.list(PLAN_KIND)]
    key_id = call.params.get("keyId")
    if key_id:
        load_key(call, key_id)
        in_plans = {r.parent for r in call.plane.store.list(PLAN_KEY_KIND) if r.key == key_id}
        plans = [p for p in plans if p["id"] in in_plans]
    return paginate(call, plans)


def _patch(plan: dict[str, Any], operation: Mapping[str, Any]) -> None:
    op, path, value = operation.get("op"), operation.get("path") or "", operation.get("value")
    parts = split(path)
    member = parts[0] if parts else ""
    if len(parts) == 1 and member in ("name", "description", "productCode") and op == "replace":
        plan[member] = value
    elif parts == ["apiStages"] and op in ("add", "remove") and value:
        api_id, _, stage = str(value).partition(":")
        stages = plan["apiStages"]
        entry = {"apiId": api_id, "stage": stage}
        if op == "add":
            stages.append(entry)
        else:
            plan["apiStages"] = [s for s in stages if (s["apiId"], s["stage"]) != (api_id, stage)]
    elif member == "throttle" and len(parts) <= 2:
        _limits(plan, "throttle", parts[1:], op, value)
    elif member == "quota" and len(parts) <= 2:
        if op == "remove" and len(parts) == 1:
            plan.pop("quota", None)
        elif op == "replace" and len(parts) == 2 and parts[1] in ("limit", "offset", "period"):
            quota = plan.setdefault("quota", {"limit": 0, "period": "DAY"})
            quota[parts[1]] = value if parts[1] == "period" else to_int(value)
            plan["quota"] = _quota(quota)
        else:
            raise BadRequestException(f"Invalid patch path {path}")
    elif member == "apiStages" and len(parts) == 6 and parts[2] == "throttle":
        # /apiStages/{apiId}:{stage}/throttle/{resourcePath}/{httpMethod}/rateLimit|burstLimit
        api_id, _, stage = parts[1].partition(":")
        matching = [s for s in plan["apiStages"] if (s["apiId"], s["stage"]) == (api_id, stage)]
        if not matching:
            raise NotFoundException(
                f"Invalid API Stage {{api: {api_id}, stage: {stage}}} specified for usageplan "
                f"{plan['id']}"
            )
        throttles = matching[0].setdefault("throttle", {})
        method = f"{parts[3]}/{parts[4]}"
        _limits(throttles, method, parts[5:], op, value)
        if not throttles:
            del matching[0]["throttle"]
    else:
        raise BadRequestException(f"Invalid patch path {path}")


def _limits(owner: dict[str, Any], member: str, rest: list[str], op: Any, value: Any) -> None:
    """`/throttle` (remove) and `/throttle/rateLimit|burstLimit` (replace/add/remove)."""
    if not rest and op == "remove":
        owner.pop(member, None)
        return
    if len(rest) != 1 or rest[0] not in ("rateLimit", "burstLimit"):
        raise BadRequestException(f"Invalid patch path /{member}/{'/'.join(rest)}")
    limits = owner.setdefault(member, {})
    if op == "remove":
        limits.pop(rest[0], None)
    elif op in ("add", "replace"):
        limits[rest[0]] = to_float(value) if rest[0] == "rateLimit" else to_int(value)
    else:
        raise BadRequestException(f"Invalid patch operation {op} for /{member}/{rest[0]}")
    if not limits:
        owner.pop(member)


@ops("UpdateUsagePlan")
def update_usage_plan(call: Call) -> dict[str, Any]:
    record = load_plan(call, call.params["usagePlanId"])
    plan = copy.deepcopy(record.body)
    plan.setdefault("apiStages", [])
    for operation in call.params.get("patchOperations") or []:
        _patch(plan, operation)
    check_plan(call, plan)
    commit_keys(call, [Record(PLAN_KIND, plan["id"], plan, version=record.version)])
    return plan


@ops("DeleteUsagePlan")
def delete_usage_plan(call: Call) -> None:
    plan_id = load_plan(call, call.params["usagePlanId"]).key
    keys = [
        Delete(PLAN_KEY_KIND, r.key, plan_id) for r in call.plane.store.list(PLAN_KEY_KIND, plan_id)
    ]
    commit_keys(call, [], [Delete(PLAN_KIND, plan_id), *keys])
