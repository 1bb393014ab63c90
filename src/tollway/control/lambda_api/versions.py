"""Versions and aliases: PublishVersion, ListVersionsByFunction, deleting a version, and
CreateAlias / GetAlias / UpdateAlias / DeleteAlias / ListAliases.

A version is a frozen copy of $LATEST's configuration and code reference (code is
content-addressed, so it is not copied). Publishing when nothing changed since the last
version returns that version, as Lambda does. An alias names a version, optionally with a
routing config that sends a weighted share of invocations to one other version.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from tollway.control.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from tollway.control.lambda_api.common import (
    check_revision,
    load,
    named,
    new_revision,
    ops,
    page,
    registry,
    save,
    timestamp,
    unqualified,
)
from tollway.control.operations import Call
from tollway.functions.registry import LATEST
from tollway.store import Record

_ALIAS_NAME = re.compile(r"^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$")
# What makes two publications the same version: code and everything a caller configured.
_IDENTITY = (
    "CodeSha256",
    "Runtime",
    "Role",
    "Handler",
    "Description",
    "Timeout",
    "MemorySize",
    "Environment",
    "Layers",
    "Architectures",
)


def publish(call: Call, name: str, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Add a version of $LATEST to `body` (a copy is returned) unless the last version is
    the same; returns (body, version)."""
    body = copy.deepcopy(body)
    latest = body["configuration"]
    versions = body.setdefault("versions", {})
    last = str(body.get("lastVersion", 0))
    if last in versions:
        previous = versions[last]["configuration"]
        if all(previous.get(k) == latest.get(k) for k in _IDENTITY) and versions[last][
            "code"
        ] == body.get("code"):
            return body, last
    number = str(int(body.get("lastVersion", 0)) + 1)
    config = copy.deepcopy(latest)
    config.update(
        FunctionArn=registry(call).arn(name, number),
        Version=number,
        RevisionId=new_revision(),
        LastModified=timestamp(call.plane.clock()),
    )
    if call.params.get("Description") is not None and call.operation == "PublishVersion":
        config["Description"] = call.params["Description"]
    versions[number] = {"configuration": config, "code": copy.deepcopy(body["code"])}
    body["lastVersion"] = int(number)
    latest["RevisionId"] = new_revision()
    return body, number


@ops("PublishVersion")
def publish_version(call: Call) -> dict[str, Any]:
    record = unqualified(call)
    latest = record.body["configuration"]
    check_revision(call, latest["RevisionId"])
    sha = call.params.get("CodeSha256")
    if sha and sha != latest["CodeSha256"]:
        raise InvalidParameterValueException(
            f"CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST "
            f"({latest['CodeSha256']}). Please try again with the CodeSHA256 in $LATEST."
        )
    body, version = publish(call, record.key, record.body)
    if body != record.body:
        save(call, record, body)
    return dict(body["versions"][version]["configuration"])


@ops("ListVersionsByFunction")
def list_versions_by_function(call: Call) -> dict[str, Any]:
    record = unqualified(call)
    latest = dict(record.body["configuration"])
    latest["FunctionArn"] = registry(call).arn(record.key, LATEST)
    items = [latest]
    versions = record.body.get("versions") or {}
    items.extend(versions[v]["configuration"] for v in sorted(versions, key=int))
    return page(call, "Versions", items)


def delete_version(call: Call, record: Record, version: str) -> None:
    """DeleteFunction with a Qualifier: one published version."""
    body = copy.deepcopy(record.body)
    if version not in (body.get("versions") or {}):
        # Deleting what is not there (a version or an alias name) is quietly done.
        return
    using = sorted(
        name
        for name, alias in (body.get("aliases") or {}).items()
        if version in _versions_of(alias)
    )
    if using:
        raise ResourceConflictException(
            "Unable to delete version because the following aliases reference it: "
            f"[{', '.join(using)}]"
        )
    del body["versions"][version]
    (body.get("eventInvokeConfig") or {}).pop(version, None)
    save(call, record, body)


def _versions_of(alias: dict[str, Any]) -> list[str]:
    config = alias["configuration"]
    weights = (config.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return [config["FunctionVersion"], *weights]


# -- aliases ---------------------------------------------------------------------------------


def _check_alias_target(
    call: Call, record: Record, version: str, routing: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Lambda's checks of an alias's version and routing config; the routing to store."""
    versions = record.body.get("versions") or {}
    if version != LATEST and version not in versions:
        raise ResourceNotFoundException(
            f"Function not found: {registry(call).arn(record.key, version)}"
        )
    weights = (routing or {}).get("AdditionalVersionWeights") or {}
    if not weights:
        return None
    if len(weights) > 1:
        raise InvalidParameterValueException(
            "Number of items in AdditionalVersionWeights cannot be greater than 1"
        )
    for extra, weight in weights.items():
        if not re.fullmatch(r"[0-9]+", extra):
            raise _weights_error(
                weights,
                "Map keys must satisfy constraint: [Member must have length less than or "
                "equal to 1024, Member must have length greater than or equal to 1, Member "
                "must satisfy regular expression pattern: [0-9]+, Member must not be null]",
            )
        if not 0.0 <= weight <= 1.0:
            raise _weights_error(
                weights,
                "Map value must satisfy constraint: [Member must have value less than or "
                "equal to 1.0, Member must have value greater than or equal to 0.0, Member "
                "must not be null]",
            )
        if version == LATEST:
            raise InvalidParameterValueException(
                "$LATEST is not supported for an alias pointing to more than 1 version"
            )
        if extra == version:
            raise InvalidParameterValueException(
                f"Invalid function version {extra}. Function version {extra} is already "
                "included in routing configuration."
            )
        if extra not in versions:
            raise ResourceNotFoundException(
                f"Function not found: {registry(call).arn(record.key, extra)}"
            )
    return {"AdditionalVersionWeights": dict(weights)}


def _weights_error(weights: dict[str, float], constraint: str) -> ValidationException:
    shown = ", ".join(f"{k}={v}" for k, v in weights.items())
    return ValidationException(
        f"1 validation error detected: Value '{{{shown}}}' at "
        f"'routingConfig.additionalVersionWeights' failed to satisfy constraint: {constraint}"
    )


def _alias_name(call: Call) -> str:
    name: str = call.params["Name"]
    if not _ALIAS_NAME.match(name):
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(?!^[0-9]+$)([a-zA-Z0-9-_]+)"
        )
    return name


@ops("CreateAlias")
def create_alias(call: Call) -> dict[str, Any]:
    name, _ = named(call)
    alias_name = _alias_name(call)
    version = call.params["FunctionVersion"]
    record = load(call, name, version)
    routing = _check_alias_target(call, record, version, call.params.get("RoutingConfig"))
    body = copy.deepcopy(record.body)
    aliases = body.setdefault("aliases", {})
    arn = registry(call).arn(record.key, alias_name)
    if alias_name in aliases:
        raise ResourceConflictException(f"Alias already exists: {arn}")
    alias: dict[str, Any] = {
        "AliasArn": arn,
        "Name": alias_name,
        "FunctionVersion": version,
        "Description": call.params.get("Description") or "",
        "RevisionId": new_revision(),
    }
    if routing:
        alias["RoutingConfig"] = routing
    aliases[alias_name] = {"configuration": alias}
    save(call, record, body)
    return dict(alias)


def _alias(call: Call, missing: str) -> tuple[Record, str]:
    name, _ = named(call)
    record = load(call, name)
    alias_name = call.params["Name"]
    if alias_name not in (record.body.get("aliases") or {}):
        raise ResourceNotFoundException(f"{missing}{registry(call).arn(record.key, alias_name)}")
    return record, alias_name


@ops("GetAlias")
def get_alias(call: Call) -> dict[str, Any]:
    record, alias_name = _alias(call, "Cannot find alias arn: ")
    return dict(record.body["aliases"][alias_name]["configuration"])


@ops("UpdateAlias")
def update_alias(call: Call) -> dict[str, Any]:
    record, alias_name = _alias(call, "Alias not found: ")
    body = copy.deepcopy(record.body)
    alias = body["aliases"][alias_name]["configuration"]
    check_revision(call, alias["RevisionId"])
    version = call.params.get("FunctionVersion") or alias["FunctionVersion"]
    routing = call.params.get("RoutingConfig")
    if routing is None:
        routing = alias.get("RoutingConfig")
    checked = _check_alias_target(call, record, version, routing)
    alias["FunctionVersion"] = version
    if call.params.get("Description") is not None:
        alias["Description"] = call.params["Description"]
    if checked:
        alias["RoutingConfig"] = checked
    else:
        alias.pop("RoutingConfig", None)
    alias["RevisionId"] = new_revision()
    save(call, record, body)
    return dict(alias)


@ops("DeleteAlias")
def delete_alias(call: Call) -> None:
    name, _ = named(call)
    record = load(call, name)
    body = copy.deepcopy(record.body)
    if body.get("aliases", {}).pop(call.params["Name"], None) is None:
        return  # Lambda answers 204 for an alias that is not there
    (body.get("eventInvokeConfig") or {}).pop(call.params["Name"], None)
    save(call, record, body)


@ops("ListAliases")
def list_aliases(call: Call) -> dict[str, Any]:
    record = unqualified(call)
    wanted = call.params.get("FunctionVersion")
    items = [
        dict(a["configuration"])
        for a in (record.body.get("aliases") or {}).values()
        if wanted is None or a["configuration"]["FunctionVersion"] == wanted
    ]
    return page(call, "Aliases", items)
