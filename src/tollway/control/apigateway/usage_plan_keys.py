"""Usage plan keys and usage: CreateUsagePlanKey, GetUsagePlanKey(s), DeleteUsagePlanKey,
GetUsage, UpdateUsage (spec §6.1, §6.2, §16.1; AWS counterpart `/usageplans/{id}/keys` and
`/usageplans/{id}/usage`).

A key attached to a plan is a record of kind `usageplankey` under the plan; its answer
(`id`, `type`, `value`, `name`) is read from the key itself. AWS allows a key in several plans
but only one plan per API stage: attaching a key to a plan that shares an API stage with
another of the key's plans is a ConflictException (message UNCONFIRMED, Tollway's own).

Usage: GetUsage and UpdateUsage read and set the gateway's quota counters (the runtime state,
state/limits.py): per day `[used, remaining]` for each key of a plan with a quota.
"""

from __future__ import annotations

import datetime
from typing import Any

from tollway.control.apigateway.api_keys import load_key
from tollway.control.apigateway.documents import commit_keys, paginate
from tollway.control.apigateway.usage_plans import load_plan, plan_key_record
from tollway.control.errors import (
    BadRequestException,
    ConflictException,
    NotFoundException,
    NotSupportedByTollway,
)
from tollway.control.operations import Call, OperationTable
from tollway.dataplane.usage_plans import PLAN_KEY_KIND, PLAN_KIND, plan_quota
from tollway.state import limits
from tollway.state.limits import Limits
from tollway.store import Delete, Record

ops = OperationTable("apigateway")


def _plan_key_output(call: Call, key_id: str) -> dict[str, Any]:
    key = load_key(call, key_id).body
    out = {"id": key_id, "type": "API_KEY", "value": key["value"]}
    if key.get("name") is not None:
        out["name"] = key["name"]
    return out


def _load_plan_key(call: Call) -> Record:
    plan_id = load_plan(call, call.params["usagePlanId"]).key
    record = call.plane.store.get(PLAN_KEY_KIND, call.params["keyId"], plan_id)
    if record is None:
        raise NotFoundException("Invalid Usage Plan Key identifier specified")
    return record


def _stages(plan: Record) -> set[tuple[str, str]]:
    return {(s["apiId"], s["stage"]) for s in plan.body.get("apiStages") or []}


@ops("CreateUsagePlanKey")
def create_usage_plan_key(call: Call) -> dict[str, Any]:
    plan = load_plan(call, call.params["usagePlanId"])
    if call.params.get("keyType") != "API_KEY":
        raise BadRequestException("Invalid key type specified. Valid values are API_KEY")
    key_id = load_key(call, call.params["keyId"]).key
    store = call.plane.store
    if store.get(PLAN_KEY_KIND, key_id, plan.key) is not None:
        raise ConflictException(f"Usage Plan {plan.key} already contains API Key {key_id}")
    for other in store.list(PLAN_KEY_KIND):
        if other.key != key_id:
            continue
        other_plan = store.get(PLAN_KIND, other.parent)
        shared = _stages(plan) & _stages(other_plan) if other_plan else set()
        if shared:
            api_id, stage = sorted(shared)[0]
            raise ConflictException(
                f"Usage Plan {plan.key} cannot be added because API Key {key_id} cannot "
                f"reference multiple Usage Plans with the same API Stage: {api_id}:{stage}"
            )
    commit_keys(call, [plan_key_record(call, plan.key, key_id)])
    return _plan_key_output(call, key_id)


@ops("GetUsagePlanKey")
def get_usage_plan_key(call: Call) -> dict[str, Any]:
    return _plan_key_output(call, _load_plan_key(call).key)


@ops("GetUsagePlanKeys")
def get_usage_plan_keys(call: Call) -> dict[str, Any]:
    plan_id = load_plan(call, call.params["usagePlanId"]).key
    name = call.params.get("nameQuery")
    keys = [_plan_key_output(call, r.key) for r in call.plane.store.list(PLAN_KEY_KIND, plan_id)]
    return paginate(call, [k for k in keys if not name or k.get("name", "").startswith(name)])


@ops("DeleteUsagePlanKey")
def delete_usage_plan_key(call: Call) -> None:
    record = _load_plan_key(call)
    commit_keys(call, [], [Delete(PLAN_KEY_KIND, record.key, record.parent)])


def _date(call: Call, member: str) -> str:
    value = call.params.get(member) or ""
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise BadRequestException(f"Invalid {member} specified: {value}") from None
    return str(value)


def _limits(call: Call) -> Limits:
    if call.plane.limits is None:
        raise NotSupportedByTollway("this control plane has no gateway to count usage")
    return call.plane.limits.limits


@ops("GetUsage")
async def get_usage(call: Call) -> dict[str, Any]:
    """Per-day `[used, remaining]` of each key of the plan (or of `keyId`) from the quota
    counters (state/limits.py). Keyed by API key id (spec §6.2: UNCONFIRMED, AWS's model says
    the key value). A plan without a quota counts nothing: its usage is empty."""
    plan = load_plan(call, call.params["usagePlanId"])
    start, end = _date(call, "startDate"), _date(call, "endDate")
    if start > end:
        raise BadRequestException("The start date must be before the end date")
    key_id = call.params.get("keyId")
    if key_id and call.plane.store.get(PLAN_KEY_KIND, key_id, plan.key) is None:
        raise NotFoundException("Invalid Usage Plan Key identifier specified")
    key_ids = (
        [key_id] if key_id else [r.key for r in call.plane.store.list(PLAN_KEY_KIND, plan.key)]
    )
    items: dict[str, Any] = {}
    first, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    for key in key_ids:
        quota = plan_quota(plan.body, key)
        if quota is not None:
            items[key] = await limits.usage(_limits(call), quota, first, last)
    return {"usagePlanId": plan.key, "startDate": start, "endDate": end, "items": items}


@ops("UpdateUsage")
async def update_usage(call: Call) -> dict[str, Any]:
    """`replace /remaining`: the key has that many requests left in the current quota period
    (the spec's best reading of AWS's patch, UNCONFIRMED). Answers the key's usage today."""
    record = _load_plan_key(call)
    plan = load_plan(call, record.parent)
    quota = plan_quota(plan.body, record.key)
    remaining: int | None = None
    for operation in call.params.get("patchOperations") or []:
        if operation.get("op") != "replace" or operation.get("path") != "/remaining":
            raise BadRequestException(f"Invalid patch path {operation.get('path')}")
        if not str(operation.get("value") or "").isdigit():
            raise BadRequestException(f"Invalid remaining value {operation.get('value')}")
        remaining = int(operation["value"])
    if quota is None:
        raise BadRequestException(f"Usage Plan {plan.key} has no quota to update")
    counters = _limits(call)
    if remaining is not None:
        await counters.set_remaining(quota, remaining)
    today = limits.utc_day(counters.clock())
    values = await limits.usage(counters, quota, today, today)
    day = today.isoformat()
    return {
        "usagePlanId": plan.key,
        "startDate": day,
        "endDate": day,
        "items": {record.key: values},
    }
