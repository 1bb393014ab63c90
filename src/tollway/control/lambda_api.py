"""The `lambda` service subset Tollway hosts: CreateFunction, GetFunction(Configuration),
ListFunctions, UpdateFunctionCode/Configuration, DeleteFunction, Invoke, and the resource
policy (AddPermission, GetPolicy, RemovePermission).

Python runtimes only; code is a zip (`Code.ZipFile`). Versions, aliases, layers and
container images are later work: asking for them is answered NotImplemented, by name.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import datetime
import io
import re
import uuid
import zipfile
from typing import Any

import orjson

from tollway.control.errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    NotSupportedByTollway,
    RequestTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from tollway.control.operations import Call, OperationTable
from tollway.functions.registry import (
    FUNCTION_KIND,
    LATEST,
    FunctionRegistry,
    code_sha256,
    parse_function_ref,
    statement_json,
)
from tollway.store import ConcurrentModification, Delete, Record

ops = OperationTable("lambda")

MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
CODE_PATH = "/_tollway/functions/{}/code"
_ROLE = re.compile(r"^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PYTHON = re.compile(r"^python3\.\d+$")


def _registry(call: Call) -> FunctionRegistry:
    assert call.plane.functions is not None
    return call.plane.functions


def _timestamp(now: float) -> str:
    # Lambda's LastModified: `2026-11-21T18:50:19.000+0000`
    moment = datetime.datetime.fromtimestamp(now, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _not_found(call: Call, ref: str) -> ResourceNotFoundException:
    parsed = parse_function_ref(ref)
    name = parsed.name if parsed else ref
    return ResourceNotFoundException(f"Function not found: {_registry(call).arn(name)}")


def _load(call: Call, ref: str | None = None) -> Record:
    ref = ref or call.params["FunctionName"]
    parsed = parse_function_ref(ref)
    record = _registry(call).record(parsed.name) if parsed else None
    qualifier = call.params.get("Qualifier") or (parsed.qualifier if parsed else None)
    if record is None:
        raise _not_found(call, ref)
    if qualifier not in (None, LATEST):
        raise ResourceNotFoundException(
            f"Function not found: {_registry(call).arn(record.key)}:{qualifier}"
        )
    return record


def _save(call: Call, record: Record, body: dict[str, Any]) -> None:
    try:
        call.plane.store.commit([Record(FUNCTION_KIND, record.key, body, version=record.version)])
    except ConcurrentModification:
        raise ResourceConflictException(
            f"The operation cannot be performed at this time. An update is in progress for "
            f"resource: {record.body['configuration']['FunctionArn']}"
        ) from None
    _registry(call).forget(record.key)


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if archive.testzip() is not None:
                raise zipfile.BadZipFile
    except zipfile.BadZipFile:
        raise InvalidParameterValueException(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from None


def _code(call: Call, code: dict[str, Any]) -> tuple[dict[str, Any], str, int]:
    """Stores `Code` and returns (code reference, CodeSha256, CodeSize)."""
    if code.get("ImageUri"):
        raise NotSupportedByTollway("Tollway does not run container-image functions yet")
    if code.get("S3Bucket"):
        raise NotSupportedByTollway(
            "Tollway does not fetch function code from S3 yet; upload it with --zip-file"
        )
    data = code.get("ZipFile")
    if not data:
        raise InvalidParameterValueException("Please provide a source for function code.")
    _check_zip(data)
    digest = call.plane.store.put_blob(data)
    return {"blob": digest}, code_sha256(data), len(data)


def check_configuration(config: dict[str, Any]) -> None:
    runtime = config.get("Runtime")
    if not runtime or not _PYTHON.match(runtime):
        raise InvalidParameterValueException(
            f"Runtime {runtime} is not supported by Tollway yet: only Python runtimes "
            "(python3.x) run here"
        )
    if not 1 <= config["Timeout"] <= 900:
        raise ValidationException(
            f"1 validation error detected: Value '{config['Timeout']}' at 'timeout' failed to "
            "satisfy constraint: Member must have value less than or equal to 900"
        )
    if not 128 <= config["MemorySize"] <= 10240:
        raise ValidationException(
            f"1 validation error detected: Value '{config['MemorySize']}' at 'memorySize' "
            "failed to satisfy constraint: Member must have value greater than or equal to 128"
        )
    if not _ROLE.match(config.get("Role") or ""):
        raise ValidationException(
            f"1 validation error detected: Value '{config.get('Role')}' at 'role' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
        )
    if not config.get("Handler"):
        raise InvalidParameterValueException("Handler is required for Zip functions")


_CONFIGURABLE = (
    "Role",
    "Handler",
    "Description",
    "Timeout",
    "MemorySize",
    "Environment",
    "Runtime",
)


def new_configuration(
    call: Call, name: str, params: dict[str, Any], sha: str, size: int
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "FunctionName": name,
        "FunctionArn": _registry(call).arn(name),
        "Runtime": params.get("Runtime"),
        "Role": params.get("Role"),
        "Handler": params.get("Handler"),
        "CodeSize": size,
        "Description": params.get("Description") or "",
        "Timeout": params.get("Timeout") or 3,
        "MemorySize": params.get("MemorySize") or 128,
        "LastModified": _timestamp(call.plane.clock()),
        "CodeSha256": sha,
        "Version": LATEST,
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": str(uuid.uuid4()),
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
    }
    if params.get("Environment"):
        config["Environment"] = {"Variables": dict(params["Environment"].get("Variables") or {})}
    check_configuration(config)
    return config


@ops("CreateFunction")
def create_function(call: Call) -> dict[str, Any]:
    p = call.params
    name = p["FunctionName"]
    if not _NAME.match(name):
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?"
            r"(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
        )
    if p.get("Publish"):
        raise NotSupportedByTollway("Tollway does not publish function versions yet (Publish)")
    if p.get("PackageType", "Zip") != "Zip":
        raise NotSupportedByTollway("Tollway does not run container-image functions yet")
    if _registry(call).record(name) is not None:
        raise ResourceConflictException(f"Function already exist: {name}")
    code, sha, size = _code(call, p.get("Code") or {})
    config = new_configuration(call, name, p, sha, size)
    body = {"configuration": config, "code": code, "tags": dict(p.get("Tags") or {})}
    try:
        call.plane.store.commit([Record(FUNCTION_KIND, name, body)])
    except ConcurrentModification:
        raise ResourceConflictException(f"Function already exist: {name}") from None
    return config


@ops("GetFunction")
def get_function(call: Call) -> dict[str, Any]:
    record = _load(call)
    # AWS answers a presigned S3 URL; Tollway's admin listener serves the package itself.
    location = f"http://{call.headers.get('host', '127.0.0.1')}{CODE_PATH.format(record.key)}"
    out: dict[str, Any] = {
        "Configuration": record.body["configuration"],
        "Code": {"RepositoryType": "S3", "Location": location},
    }
    if record.body.get("tags"):
        out["Tags"] = record.body["tags"]
    return out


@ops("GetFunctionConfiguration")
def get_function_configuration(call: Call) -> dict[str, Any]:
    return dict(_load(call).body["configuration"])


@ops("ListFunctions")
def list_functions(call: Call) -> dict[str, Any]:
    configs = [r.body["configuration"] for r in call.plane.store.list(FUNCTION_KIND)]
    start = int(call.params.get("Marker") or 0)
    limit = call.params.get("MaxItems") or 50
    out: dict[str, Any] = {"Functions": configs[start : start + limit]}
    if start + limit < len(configs):
        out["NextMarker"] = str(start + limit)
    return out


@ops("UpdateFunctionCode")
def update_function_code(call: Call) -> dict[str, Any]:
    record = _load(call)
    if call.params.get("Publish"):
        raise NotSupportedByTollway("Tollway does not publish function versions yet (Publish)")
    code, sha, size = _code(call, call.params)
    body = copy.deepcopy(record.body)
    config = body["configuration"]
    config.update(
        CodeSha256=sha,
        CodeSize=size,
        RevisionId=str(uuid.uuid4()),
        LastModified=_timestamp(call.plane.clock()),
    )
    body["code"] = code
    _save(call, record, body)
    return dict(config)


@ops("UpdateFunctionConfiguration")
def update_function_configuration(call: Call) -> dict[str, Any]:
    record = _load(call)
    for unsupported in ("Layers", "VpcConfig", "FileSystemConfigs", "ImageConfig"):
        if call.params.get(unsupported):
            raise NotSupportedByTollway(f"Tollway does not support {unsupported} yet")
    body = copy.deepcopy(record.body)
    config = body["configuration"]
    for key in _CONFIGURABLE:
        if key in call.params:
            config[key] = call.params[key]
    if "Environment" in call.params:
        config["Environment"] = {
            "Variables": dict(call.params["Environment"].get("Variables") or {})
        }
    check_configuration(config)
    config.update(RevisionId=str(uuid.uuid4()), LastModified=_timestamp(call.plane.clock()))
    _save(call, record, body)
    return dict(config)


@ops("DeleteFunction")
def delete_function(call: Call) -> dict[str, Any]:
    record = _load(call)
    call.plane.store.commit([], [Delete(FUNCTION_KIND, record.key)])
    _registry(call).forget(record.key)
    return {"StatusCode": 204}


@ops("Invoke")
async def invoke(call: Call) -> dict[str, Any]:
    p = call.params
    record = _load(call)
    payload: bytes = p.get("Payload") or b"{}"
    if len(payload) > MAX_SYNC_PAYLOAD:
        raise RequestTooLargeException(
            f"Request must be smaller than {MAX_SYNC_PAYLOAD} bytes for the InvokeFunction "
            "operation"
        )
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError as e:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: Could not parse payload into json: {e}"
        ) from None
    invocation_type = p.get("InvocationType") or "RequestResponse"
    registry = _registry(call)
    if invocation_type == "DryRun":
        return {"StatusCode": 204}
    if invocation_type == "Event":
        task = asyncio.get_running_loop().create_task(registry.invoke(record, payload))
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)
        return {"StatusCode": 202}
    result = await registry.invoke(record, payload, request_id=call.request_id)
    out: dict[str, Any] = {
        "StatusCode": 200,
        "Payload": result.payload,
        "ExecutedVersion": result.executed_version,
    }
    if result.function_error:
        out["FunctionError"] = result.function_error
    if p.get("LogType") == "Tail":
        out["LogResult"] = base64.b64encode(result.log.encode()[-4096:]).decode()
    return out


@ops("AddPermission")
def add_permission(call: Call) -> dict[str, Any]:
    p = call.params
    record = _load(call)
    body = copy.deepcopy(record.body)
    policy = body.setdefault("policy", {"Version": "2012-10-17", "Id": "default", "Statement": []})
    if any(s.get("Sid") == p["StatementId"] for s in policy["Statement"]):
        raise ResourceConflictException(
            f"The statement id ({p['StatementId']}) provided already exists. Please provide a "
            "new statement id, or remove the existing statement."
        )
    principal = p["Principal"]
    statement: dict[str, Any] = {
        "Sid": p["StatementId"],
        "Effect": "Allow",
        "Principal": {"Service": principal}
        if principal.endswith(".amazonaws.com")
        else {"AWS": principal},
        "Action": p["Action"],
        "Resource": record.body["configuration"]["FunctionArn"],
    }
    if p.get("SourceArn"):
        statement["Condition"] = {"ArnLike": {"AWS:SourceArn": p["SourceArn"]}}
    policy["Statement"].append(statement)
    _save(call, record, body)
    return {"Statement": statement_json(statement)}


@ops("GetPolicy")
def get_policy(call: Call) -> dict[str, Any]:
    record = _load(call)
    policy = record.body.get("policy")
    if not policy or not policy["Statement"]:
        raise ResourceNotFoundException("The resource you requested does not exist.")
    return {
        "Policy": orjson.dumps(policy).decode(),
        "RevisionId": record.body["configuration"]["RevisionId"],
    }


@ops("RemovePermission")
def remove_permission(call: Call) -> None:
    record = _load(call)
    body = copy.deepcopy(record.body)
    statements = (body.get("policy") or {}).get("Statement", [])
    kept = [s for s in statements if s.get("Sid") != call.params["StatementId"]]
    if len(kept) == len(statements):
        raise ResourceNotFoundException(
            f"Statement {call.params['StatementId']} is not found in resource policy."
        )
    body["policy"]["Statement"] = kept
    _save(call, record, body)
