"""Concurrency and asynchronous invocation settings: Put/Get/DeleteFunctionConcurrency,
GetAccountSettings and the FunctionEventInvokeConfig operations.

Reserved concurrency is enforced by the FunctionHost (an invocation beyond it gets
TooManyRequestsException). The account is Lambda's default one: 1,000 concurrent executions,
of which at least 100 must stay unreserved.
"""

from __future__ import annotations

import copy
from typing import Any

from tollway.control.errors import (
    InvalidParameterValueException,
    NotSupportedByTollway,
    ResourceNotFoundException,
)
from tollway.control.lambda_api.common import load, named, ops, registry, save
from tollway.control.operations import Call
from tollway.functions.registry import FUNCTION_KIND, LATEST
from tollway.store import Record

ACCOUNT_CONCURRENCY = 1000
MINIMUM_UNRESERVED = 100


def _function_only(call: Call) -> Record:
    name, qualifier = named(call)
    if qualifier is not None:
        raise InvalidParameterValueException(
            "This operation is permitted on Lambda functions only. Aliases and versions do not "
            "support this operation. Please specify either a function name or an unqualified "
            "function ARN."
        )
    return load(call, name, LATEST)


def _reserved_elsewhere(call: Call, name: str) -> int:
    return sum(
        r.body.get("concurrency") or 0
        for r in call.plane.store.list(FUNCTION_KIND)
        if r.key != name
    )


@ops("PutFunctionConcurrency")
def put_function_concurrency(call: Call) -> dict[str, Any]:
    record = _function_only(call)
    wanted = call.params["ReservedConcurrentExecutions"]
    if ACCOUNT_CONCURRENCY - _reserved_elsewhere(call, record.key) - wanted < MINIMUM_UNRESERVED:
        raise InvalidParameterValueException(
            "Specified ReservedConcurrentExecutions for function decreases account's "
            "UnreservedConcurrentExecution below its minimum value of "
            f"[{MINIMUM_UNRESERVED}]."
        )
    body = copy.deepcopy(record.body)
    body["concurrency"] = wanted
    save(call, record, body)
    return {"ReservedConcurrentExecutions": wanted}


@ops("GetFunctionConcurrency")
def get_function_concurrency(call: Call) -> dict[str, Any]:
    record = _function_only(call)
    reserved = record.body.get("concurrency")
    return {} if reserved is None else {"ReservedConcurrentExecutions": reserved}


@ops("DeleteFunctionConcurrency")
def delete_function_concurrency(call: Call) -> None:
    record = _function_only(call)
    body = copy.deepcopy(record.body)
    body.pop("concurrency", None)
    save(call, record, body)


@ops("GetAccountSettings")
def get_account_settings(call: Call) -> dict[str, Any]:
    records = call.plane.store.list(FUNCTION_KIND)
    reserved = sum(r.body.get("concurrency") or 0 for r in records)
    code_size = sum(r.body["configuration"].get("CodeSize") or 0 for r in records)
    return {
        "AccountLimit": {
            "TotalCodeSize": 80_530_636_800,
            "CodeSizeUnzipped": 262_144_000,
            "CodeSizeZipped": 52_428_800,
            "ConcurrentExecutions": ACCOUNT_CONCURRENCY,
            "UnreservedConcurrentExecutions": ACCOUNT_CONCURRENCY - reserved,
        },
        "AccountUsage": {"TotalCodeSize": code_size, "FunctionCount": len(records)},
    }


# -- asynchronous invocation configuration ---------------------------------------------------

_EVENT_SETTINGS = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")


def _event_target(call: Call) -> tuple[Record, str]:
    name, qualifier = named(call)
    record = registry(call).record(name)
    qualifier = qualifier or LATEST
    known = (
        qualifier == LATEST
        or qualifier in (record.body.get("versions") or {})
        or (qualifier in (record.body.get("aliases") or {}))
        if record
        else False
    )
    if record is None or not known:
        raise ResourceNotFoundException("The function doesn't exist.")
    return record, qualifier


def _event_output(call: Call, name: str, qualifier: str, config: dict[str, Any]) -> dict[str, Any]:
    out = {"FunctionArn": registry(call).arn(name, qualifier), **config}
    out.setdefault("DestinationConfig", {"OnSuccess": {}, "OnFailure": {}})
    if any((out["DestinationConfig"].get(k) or {}) for k in ("OnSuccess", "OnFailure")):
        raise NotSupportedByTollway(
            "Tollway does not deliver asynchronous invocation records to destinations yet"
        )
    return out


def _put_event_config(call: Call, merge: bool) -> dict[str, Any]:
    record, qualifier = _event_target(call)
    given = {k: call.params[k] for k in _EVENT_SETTINGS if k in call.params}
    if not given:
        raise InvalidParameterValueException(
            "You must specify at least one of error handling or destination setting."
        )
    body = copy.deepcopy(record.body)
    configs = body.setdefault("eventInvokeConfig", {})
    config = dict(configs.get(qualifier) or {}) if merge else {}
    config.update(given)
    config["LastModified"] = call.plane.clock()
    out = _event_output(call, record.key, qualifier, config)
    configs[qualifier] = config
    save(call, record, body)
    return out


@ops("PutFunctionEventInvokeConfig")
def put_function_event_invoke_config(call: Call) -> dict[str, Any]:
    return _put_event_config(call, merge=False)


@ops("UpdateFunctionEventInvokeConfig")
def update_function_event_invoke_config(call: Call) -> dict[str, Any]:
    return _put_event_config(call, merge=True)


def _existing_event_config(call: Call) -> tuple[Record, str, dict[str, Any]]:
    name, qualifier = named(call)
    qualifier = qualifier or LATEST
    record = registry(call).record(name)
    config = ((record.body.get("eventInvokeConfig") or {}) if record else {}).get(qualifier)
    if record is None or config is None:
        raise ResourceNotFoundException(
            f"The function {registry(call).arn(name, qualifier)} doesn't have an EventInvokeConfig"
        )
    return record, qualifier, config


@ops("GetFunctionEventInvokeConfig")
def get_function_event_invoke_config(call: Call) -> dict[str, Any]:
    record, qualifier, config = _existing_event_config(call)
    return _event_output(call, record.key, qualifier, config)


@ops("DeleteFunctionEventInvokeConfig")
def delete_function_event_invoke_config(call: Call) -> None:
    record, qualifier, _ = _existing_event_config(call)
    body = copy.deepcopy(record.body)
    del body["eventInvokeConfig"][qualifier]
    save(call, record, body)


@ops("ListFunctionEventInvokeConfigs")
def list_function_event_invoke_configs(call: Call) -> dict[str, Any]:
    name, _ = named(call)
    record = load(call, name)
    configs = record.body.get("eventInvokeConfig") or {}
    return {
        "FunctionEventInvokeConfigs": [
            _event_output(call, record.key, q, c) for q, c in configs.items()
        ]
    }
