"""What the `lambda` operations share: loading a function by what the caller named, saving it
as one commit, revision checks, and Lambda's timestamps and messages."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from tollway.control.errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from tollway.control.operations import Call, OperationTable
from tollway.functions.registry import FUNCTION_KIND, LATEST, FunctionRegistry, parse_function_ref
from tollway.store import ConcurrentModification, Record

ops = OperationTable("lambda")

MISSING_RESOURCE = "The resource you requested does not exist."
REVISION_MISMATCH = (
    "The Revision Id provided does not match the latest Revision Id. Call the "
    "GetFunction/GetAlias API to retrieve the latest Revision Id"
)


def registry(call: Call) -> FunctionRegistry:
    assert call.plane.functions is not None
    return call.plane.functions


def timestamp(now: float) -> str:
    """Lambda's LastModified: `2026-11-21T18:50:19.000+0000`."""
    moment = datetime.datetime.fromtimestamp(now, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def new_revision() -> str:
    return str(uuid.uuid4())


def named(call: Call, member: str = "FunctionName") -> tuple[str, str | None]:
    """(function name, qualifier) from the FunctionName member (a name or ARN, maybe
    qualified) and the Qualifier member; Lambda's error when the two disagree."""
    ref = call.params[member]
    parsed = parse_function_ref(ref)
    if parsed is None:
        raise ResourceNotFoundException(f"Function not found: {ref}")
    qualifier = call.params.get("Qualifier")
    if parsed.qualifier and qualifier and parsed.qualifier != qualifier:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    return parsed.name, qualifier or parsed.qualifier


def load(call: Call, name: str, qualifier: str | None = None) -> Record:
    """The function's record; ResourceNotFoundException (qualified as named) if missing."""
    record = registry(call).record(name)
    if record is None:
        raise ResourceNotFoundException(
            f"Function not found: {registry(call).arn(name, qualifier)}"
        )
    return record


def unqualified(call: Call) -> Record:
    name, qualifier = named(call)
    return load(call, name, qualifier)


def snapshot(call: Call, record: Record, qualifier: str | None) -> dict[str, Any]:
    """The configuration of $LATEST, a version or (through it) an alias, as named."""
    body = record.body
    if qualifier in (None, LATEST):
        return dict(body["configuration"])
    if qualifier in (body.get("versions") or {}):
        return dict(body["versions"][qualifier]["configuration"])
    alias = (body.get("aliases") or {}).get(qualifier)
    if alias is not None:
        version = alias["configuration"]["FunctionVersion"]
        config = snapshot(call, record, version)
        config["FunctionArn"] = registry(call).arn(record.key, qualifier)
        return config
    raise ResourceNotFoundException(
        f"Function not found: {registry(call).arn(record.key, qualifier)}"
    )


def check_revision(call: Call, current: str) -> None:
    expected = call.params.get("RevisionId")
    if expected and expected != current:
        raise PreconditionFailedException(REVISION_MISMATCH)


def save(call: Call, record: Record, body: dict[str, Any], *, retire: bool = False) -> None:
    """Commit the function's new body (optimistically: a concurrent change loses)."""
    try:
        call.plane.store.commit([Record(FUNCTION_KIND, record.key, body, version=record.version)])
    except ConcurrentModification:
        raise ResourceConflictException(
            "The operation cannot be performed at this time. An update is in progress for "
            f"resource: {record.body['configuration']['FunctionArn']}"
        ) from None
    registry(call).forget(record.key, retire=retire)


def page(call: Call, member: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """One page of a Lambda listing: `MaxItems` (default 50) from `Marker` (an offset here;
    opaque to clients), with `NextMarker` when more follow."""
    start = int(call.params.get("Marker") or 0)
    limit = call.params.get("MaxItems") or 50
    out: dict[str, Any] = {member: items[start : start + limit]}
    if start + limit < len(items):
        out["NextMarker"] = str(start + limit)
    return out
