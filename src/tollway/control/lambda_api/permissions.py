"""The resource policy: AddPermission, RemovePermission, GetPolicy.

Each qualifier has its own policy, as on Lambda: the unqualified function ($LATEST), each
version and each alias. A grant covers invocations through exactly the ARN it was added to.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import orjson

from tollway.control.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from tollway.control.lambda_api.common import (
    MISSING_RESOURCE,
    check_revision,
    load,
    named,
    new_revision,
    ops,
    registry,
    save,
)
from tollway.control.operations import Call
from tollway.functions.registry import LATEST, statement_json
from tollway.store import Record

_STATEMENT_ID = re.compile(r"^[a-zA-Z0-9-_]+$")
_PRINCIPAL = re.compile(
    r"^(\*|\d{12}|arn:aws[a-zA-Z-]*:iam::\d{12}:.+|[a-z0-9.-]+\.amazonaws\.com)$"
)


def holder(
    call: Call, record: Record, body: dict[str, Any], qualifier: str | None
) -> dict[str, Any]:
    """The part of the function's body that holds the qualifier's policy and revision."""
    if qualifier is None:
        return body
    if qualifier in (body.get("versions") or {}):
        return body["versions"][qualifier]  # type: ignore[no-any-return]
    if qualifier in (body.get("aliases") or {}):
        return body["aliases"][qualifier]  # type: ignore[no-any-return]
    if qualifier.isdigit():
        raise ResourceNotFoundException(
            f"Function not found: {registry(call).arn(record.key, qualifier)}"
        )
    raise ResourceNotFoundException(
        f"Cannot find alias arn: {registry(call).arn(record.key, qualifier)}"
    )


@ops("AddPermission")
def add_permission(call: Call) -> dict[str, Any]:
    p = call.params
    name, qualifier = named(call)
    record = load(call, name)
    if qualifier == LATEST:
        raise InvalidParameterValueException(
            "We currently do not support adding policies for $LATEST."
        )
    if not _STATEMENT_ID.match(p["StatementId"]):
        raise ValidationException(
            f"1 validation error detected: Value '{p['StatementId']}' at 'statementId' failed "
            "to satisfy constraint: Member must satisfy regular expression pattern: "
            "([a-zA-Z0-9-_]+)"
        )
    principal = p["Principal"]
    if not _PRINCIPAL.match(principal):
        raise InvalidParameterValueException(
            "The provided principal was invalid. Please check the principal and try again."
        )
    body = copy.deepcopy(record.body)
    part = holder(call, record, body, qualifier)
    check_revision(call, part["configuration"]["RevisionId"])
    policy = part.setdefault("policy", {"Version": "2012-10-17", "Id": "default", "Statement": []})
    if any(s.get("Sid") == p["StatementId"] for s in policy["Statement"]):
        raise ResourceConflictException(
            f"The statement id ({p['StatementId']}) provided already exists. Please provide a "
            "new statement id, or remove the existing statement."
        )
    allowed: Any
    if principal == "*":
        allowed = "*"
    elif principal.endswith(".amazonaws.com"):
        allowed = {"Service": principal}
    elif principal.isdigit():
        allowed = {"AWS": f"arn:aws:iam::{principal}:root"}
    else:
        allowed = {"AWS": principal}
    statement: dict[str, Any] = {
        "Sid": p["StatementId"],
        "Effect": "Allow",
        "Principal": allowed,
        "Action": p["Action"],
        "Resource": registry(call).arn(record.key, qualifier),
    }
    conditions: dict[str, Any] = {}
    if p.get("SourceAccount"):
        conditions["StringEquals"] = {"AWS:SourceAccount": p["SourceAccount"]}
    if p.get("SourceArn"):
        conditions["ArnLike"] = {"AWS:SourceArn": p["SourceArn"]}
    if conditions:
        statement["Condition"] = conditions
    policy["Statement"].append(statement)
    part["configuration"]["RevisionId"] = new_revision()
    save(call, record, body)
    return {"Statement": statement_json(statement)}


@ops("GetPolicy")
def get_policy(call: Call) -> dict[str, Any]:
    name, qualifier = named(call)
    record = load(call, name)
    part = holder(call, record, record.body, None if qualifier == LATEST else qualifier)
    policy = part.get("policy")
    if not policy or not policy["Statement"]:
        raise ResourceNotFoundException(MISSING_RESOURCE)
    return {
        "Policy": orjson.dumps(policy).decode(),
        "RevisionId": part["configuration"]["RevisionId"],
    }


@ops("RemovePermission")
def remove_permission(call: Call) -> None:
    name, qualifier = named(call)
    record = registry(call).record(name)
    if record is None:
        raise ResourceNotFoundException(f"No policy found for: {registry(call).arn(name)}")
    body = copy.deepcopy(record.body)
    part = holder(call, record, body, None if qualifier == LATEST else qualifier)
    check_revision(call, part["configuration"]["RevisionId"])
    statements = (part.get("policy") or {}).get("Statement", [])
    if not statements:
        raise ResourceNotFoundException("No policy is associated with the given resource.")
    kept = [s for s in statements if s.get("Sid") != call.params["StatementId"]]
    if len(kept) == len(statements):
        raise ResourceNotFoundException(
            f"Statement {call.params['StatementId']} is not found in resource policy."
        )
    part["policy"]["Statement"] = kept
    part["configuration"]["RevisionId"] = new_revision()
    save(call, record, body)
