"""Functions: CreateFunction, GetFunction(Configuration), ListFunctions, UpdateFunctionCode,
UpdateFunctionConfiguration, DeleteFunction and the function's tags.

Code is a zip (`Code.ZipFile`), or — Tollway's development loop — a local directory, named the
way LocalStack's users already do: `Code={"S3Bucket": "hot-reload", "S3Key": "/abs/dir"}`.
A function may also be served elsewhere (functions.remote): tag it `tollway:endpoint` with the
URL of a Lambda Invoke API (AWS's, or a Runtime Interface Emulator container), optionally
`tollway:function-name` (the name there; the emulator's is `function`) and `tollway:profile`
(AWS credentials for signing). Such a function needs no code and may use any runtime.
"""

from __future__ import annotations

import copy
import io
import logging
import re
import zipfile
from pathlib import Path
from typing import Any

import orjson

from tollway.control.errors import (
    InvalidParameterValueException,
    NotSupportedByTollway,
    RequestEntityTooLargeException,
    ResourceConflictException,
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
    snapshot,
    timestamp,
)
from tollway.control.lambda_api.versions import delete_version, publish
from tollway.control.operations import Call
from tollway.functions.interpreters import fallback_warning
from tollway.functions.registry import (
    FUNCTION_KIND,
    LATEST,
    LAYER_KIND,
    code_sha256,
    parse_layer_arn,
)
from tollway.store import ConcurrentModification, Delete, Record

log = logging.getLogger("tollway.control")

CODE_PATH = "/_tollway/functions/{}/code"
HOT_RELOAD_BUCKET = "hot-reload"  # LocalStack's convention for "run this directory"
ZIPPED_LIMIT = 52_428_800
ENVIRONMENT_LIMIT = 4096
MAX_LAYERS = 5
REMOTE_TAGS = {
    "tollway:endpoint": "endpoint",
    "tollway:function-name": "functionName",
    "tollway:profile": "profile",
}
_ROLE = re.compile(r"^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PYTHON = re.compile(r"^python3\.\d+$")
# Lambda's reserved environment variables: a function may not set them.
RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)


def check_zip(data: bytes) -> None:
    if len(data) > ZIPPED_LIMIT:
        raise RequestEntityTooLargeException(
            f"Zipped size must be smaller than {ZIPPED_LIMIT} bytes"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if archive.testzip() is not None:
                raise zipfile.BadZipFile
    except zipfile.BadZipFile:
        raise InvalidParameterValueException(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from None


def store_code(call: Call, code: dict[str, Any], *, remote: bool = False) -> dict[str, Any]:
    """Stores `Code`; returns the code reference with its CodeSha256 and CodeSize."""
    if code.get("ImageUri"):
        raise NotSupportedByTollway(
            "Tollway does not run container-image functions; run the image with the Lambda "
            "Runtime Interface Emulator and tag the function tollway:endpoint instead"
        )
    if code.get("S3Bucket") == HOT_RELOAD_BUCKET:
        key = code.get("S3Key") or ""
        directory = Path(key)
        if not key or not directory.is_absolute() or not directory.is_dir():
            raise InvalidParameterValueException(
                f"S3Key must be an absolute path to a directory on the Tollway host for bucket "
                f"{HOT_RELOAD_BUCKET}, not {key!r}"
            )
        return {"localPath": str(directory), "sha": "hot-reloading-hash-not-available", "size": 0}
    if code.get("S3Bucket"):
        raise NotSupportedByTollway(
            "Tollway does not fetch function code from S3; upload it with --zip-file, or use "
            f"S3Bucket={HOT_RELOAD_BUCKET} with S3Key=/absolute/dir for a local directory"
        )
    data = code.get("ZipFile")
    if not data:
        if remote:
            return {"none": True, "sha": "", "size": 0}
        raise InvalidParameterValueException("Please provide a source for function code.")
    check_zip(data)
    digest = call.plane.store.put_blob(data)
    return {"blob": digest, "sha": code_sha256(data), "size": len(data)}


def _code_reference(stored: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stored.items() if k not in ("sha", "size")}


def _check_environment(config: dict[str, Any]) -> None:
    variables = (config.get("Environment") or {}).get("Variables") or {}
    reserved = [name for name in variables if name in RESERVED_VARIABLES]  # request order
    if reserved:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment "
            f"variables you have provided contains reserved keys that are currently not "
            f"supported for modification. Reserved keys used in this request: "
            f"{', '.join(reserved)}"
        )
    measured = orjson.dumps(variables).decode()
    if len(measured) > ENVIRONMENT_LIMIT:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided exceeded the 4KB limit. String measured: " + measured
        )


def check_layers(call: Call, arns: list[str]) -> list[dict[str, Any]]:
    """The configuration's `Layers` entries for these layer version ARNs, checked as Lambda
    checks them."""
    if len(arns) > MAX_LAYERS:
        raise InvalidParameterValueException("Cannot reference more than 5 layers.")
    region = call.plane.settings.region
    seen: dict[str, str] = {}
    out = []
    for arn in arns:
        parsed = parse_layer_arn(arn)
        if parsed is None:
            raise ValidationException(
                f"1 validation error detected: Value '[{', '.join(arns)}]' at 'layers' failed "
                "to satisfy constraint: Member must satisfy constraint: [Member must have "
                "length less than or equal to 140, Member must have length greater than or "
                "equal to 1, Member must satisfy regular expression pattern: "
                r"(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|"
                r"(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+), Member must not be null]"
            )
        if arn.split(":")[3] != region:
            raise InvalidParameterValueException(
                "Layers are not in the same region as the function. Layers are expected to be "
                f"in region {region}."
            )
        name, version = parsed
        if name in seen:
            raise InvalidParameterValueException(
                "Two different versions of the same layer are not allowed to be referenced in "
                f"the same function. {seen[name]} and {arn} are versions of the same layer."
            )
        seen[name] = arn
        layer = call.plane.store.get(LAYER_KIND, name)
        entry = ((layer.body.get("versions") or {}) if layer else {}).get(version)
        if entry is None:
            raise InvalidParameterValueException(f"Layer version {arn} does not exist.")
        out.append({"Arn": arn, "CodeSize": entry["output"]["Content"]["CodeSize"]})
    return out


def check_configuration(config: dict[str, Any], *, remote: bool = False) -> None:
    runtime = config.get("Runtime")
    if not remote and (not runtime or not _PYTHON.match(runtime)):
        raise InvalidParameterValueException(
            f"Runtime {runtime} is not supported by Tollway's own host: only Python runtimes "
            "(python3.x) run here; serve other runtimes from a Runtime Interface Emulator and "
            "tag the function tollway:endpoint"
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
    if not config.get("Handler") and not remote:
        raise InvalidParameterValueException("Handler is required for Zip functions")
    _check_environment(config)


# Settings Lambda accepts that change nothing a local function could show: kept out of the
# configuration and named in a warning, so that a deployment tool that sets them still works.
IGNORED_SETTINGS = (
    "VpcConfig",
    "FileSystemConfigs",
    "DeadLetterConfig",
    "KMSKeyArn",
    "TracingConfig",
    "SnapStart",
    "CodeSigningConfigArn",
    "LoggingConfig",
    "EphemeralStorage",
    "ImageConfig",
)


def warn_about_ignored(name: str, params: dict[str, Any]) -> None:
    given = [key for key in IGNORED_SETTINGS if _is_set(params.get(key))]
    if given:
        log.warning(
            "function %s: Tollway does not apply %s (accepted, not enforced)",
            name,
            ", ".join(given),
        )


def _is_set(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_is_set(v) for v in value.values())
    if isinstance(value, list):
        return bool(value)
    return value not in (None, "", "PassThrough", "None", 512)


def warn_about_runtime(name: str, runtime: str | None) -> None:
    warning = fallback_warning(runtime or "")
    if warning:
        log.warning("function %s: %s", name, warning)


_CONFIGURABLE = ("Role", "Handler", "Description", "Timeout", "MemorySize", "Runtime")


def new_configuration(
    call: Call, name: str, params: dict[str, Any], sha: str, size: int, *, remote: bool = False
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "FunctionName": name,
        "FunctionArn": registry(call).arn(name),
        "Runtime": params.get("Runtime"),
        "Role": params.get("Role"),
        "Handler": params.get("Handler"),
        "CodeSize": size,
        "Description": params.get("Description") or "",
        "Timeout": params.get("Timeout") or 3,
        "MemorySize": params.get("MemorySize") or 128,
        "LastModified": timestamp(call.plane.clock()),
        "CodeSha256": sha,
        "Version": LATEST,
        "TracingConfig": {"Mode": "PassThrough"},
        "RevisionId": new_revision(),
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": list(params.get("Architectures") or ["x86_64"]),
        "EphemeralStorage": {"Size": 512},
    }
    if params.get("Environment"):
        config["Environment"] = {"Variables": dict(params["Environment"].get("Variables") or {})}
    if params.get("Layers"):
        config["Layers"] = check_layers(call, list(params["Layers"]))
    check_configuration(config, remote=remote)
    return config


def _remote(tags: dict[str, str]) -> dict[str, str] | None:
    remote = {key: tags[tag] for tag, key in REMOTE_TAGS.items() if tags.get(tag)}
    return remote if "endpoint" in remote else None


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
    if p.get("PackageType", "Zip") != "Zip":
        raise NotSupportedByTollway(
            "Tollway does not run container-image functions; run the image with the Lambda "
            "Runtime Interface Emulator and tag the function tollway:endpoint instead"
        )
    if registry(call).record(name) is not None:
        raise ResourceConflictException(f"Function already exist: {name}")
    warn_about_ignored(name, p)
    tags = dict(p.get("Tags") or {})
    remote = _remote(tags)
    stored = store_code(call, p.get("Code") or {}, remote=remote is not None)
    config = new_configuration(
        call, name, p, stored["sha"], stored["size"], remote=remote is not None
    )
    body: dict[str, Any] = {"configuration": config, "code": _code_reference(stored), "tags": tags}
    if remote:
        body["remote"] = remote
    else:
        warn_about_runtime(name, config["Runtime"])
    if p.get("Publish"):
        body, _ = publish(call, name, body)
    try:
        call.plane.store.commit([Record(FUNCTION_KIND, name, body)])
    except ConcurrentModification:
        raise ResourceConflictException(f"Function already exist: {name}") from None
    registry(call).forget(name)
    out = dict(body["configuration"])
    if p.get("Publish"):
        out["Version"] = str(body["lastVersion"])
    return out


@ops("GetFunction")
def get_function(call: Call) -> dict[str, Any]:
    name, qualifier = named(call)
    record = load(call, name, qualifier)
    config = snapshot(call, record, qualifier)
    version = config["Version"]
    # AWS answers a presigned S3 URL; Tollway's admin listener serves the package itself.
    host = call.headers.get("host", "127.0.0.1")
    location = f"http://{host}{CODE_PATH.format(record.key)}"
    if version != LATEST:
        location += f"?Qualifier={version}"
    if call.caller is not None and call.plane.admin is not None:
        location = call.plane.admin.presign(location, call.caller)
    out: dict[str, Any] = {
        "Configuration": config,
        "Code": {"RepositoryType": "S3", "Location": location},
    }
    if record.body.get("tags"):
        out["Tags"] = record.body["tags"]
    if record.body.get("concurrency") is not None:
        out["Concurrency"] = {"ReservedConcurrentExecutions": record.body["concurrency"]}
    return out


@ops("GetFunctionConfiguration")
def get_function_configuration(call: Call) -> dict[str, Any]:
    name, qualifier = named(call)
    return snapshot(call, load(call, name, qualifier), qualifier)


@ops("ListFunctions")
def list_functions(call: Call) -> dict[str, Any]:
    every_version = call.params.get("FunctionVersion") == "ALL"
    configs: list[dict[str, Any]] = []
    for record in call.plane.store.list(FUNCTION_KIND):
        configs.append(record.body["configuration"])
        if every_version:
            configs.extend(v["configuration"] for v in (record.body.get("versions") or {}).values())
    return page(call, "Functions", configs)


def _latest_for_update(call: Call) -> Record:
    name, qualifier = named(call)
    record = load(call, name, qualifier)
    if qualifier not in (None, LATEST):
        raise InvalidParameterValueException(
            "Updating a function's code or configuration is only possible on $LATEST; "
            f"{registry(call).arn(name, qualifier)} is a published version or alias."
        )
    check_revision(call, record.body["configuration"]["RevisionId"])
    return record


@ops("UpdateFunctionCode")
def update_function_code(call: Call) -> dict[str, Any]:
    record = _latest_for_update(call)
    body = copy.deepcopy(record.body)
    if call.params.get("ImageUri"):
        store_code(call, {"ImageUri": call.params["ImageUri"]})
    params = {k: call.params.get(k) for k in ("ZipFile", "S3Bucket", "S3Key")}
    stored = store_code(call, params, remote=bool(body.get("remote")))
    config = body["configuration"]
    config.update(
        CodeSha256=stored["sha"],
        CodeSize=stored["size"],
        RevisionId=new_revision(),
        LastModified=timestamp(call.plane.clock()),
    )
    body["code"] = _code_reference(stored)
    out = dict(config)
    if call.params.get("Publish"):
        body, version = publish(call, record.key, body)
        out = dict(body["versions"][version]["configuration"])
    save(call, record, body)
    return out


@ops("UpdateFunctionConfiguration")
def update_function_configuration(call: Call) -> dict[str, Any]:
    record = _latest_for_update(call)
    warn_about_ignored(record.key, call.params)
    body = copy.deepcopy(record.body)
    config = body["configuration"]
    for key in _CONFIGURABLE:
        if key in call.params:
            config[key] = call.params[key]
    if "Environment" in call.params:
        config["Environment"] = {
            "Variables": dict(call.params["Environment"].get("Variables") or {})
        }
    if "Layers" in call.params:
        layers = check_layers(call, list(call.params["Layers"] or []))
        if layers:
            config["Layers"] = layers
        else:
            config.pop("Layers", None)
    check_configuration(config, remote=bool(body.get("remote")))
    if "Runtime" in call.params and not body.get("remote"):
        warn_about_runtime(record.key, config["Runtime"])
    config.update(RevisionId=new_revision(), LastModified=timestamp(call.plane.clock()))
    save(call, record, body)
    return dict(config)


@ops("DeleteFunction")
def delete_function(call: Call) -> dict[str, Any]:
    name, qualifier = named(call)
    record = load(call, name)
    if qualifier == LATEST:
        raise InvalidParameterValueException(
            "$LATEST version cannot be deleted without deleting the function."
        )
    if qualifier is not None:
        delete_version(call, record, qualifier)
        return {"StatusCode": 204}
    call.plane.store.commit([], [Delete(FUNCTION_KIND, record.key)])
    registry(call).forget(record.key, retire=True)
    return {"StatusCode": 204}


def _tagged(call: Call) -> Record:
    resource = call.params["Resource"]
    name, qualifier = named(call, "Resource") if ":function:" in resource else (resource, None)
    if qualifier is not None:
        raise InvalidParameterValueException(
            "Tags on function aliases and versions are not supported. Please specify a "
            "function ARN."
        )
    return load(call, name)


@ops("TagResource")
def tag_resource(call: Call) -> None:
    record = _tagged(call)
    body = copy.deepcopy(record.body)
    body.setdefault("tags", {}).update(call.params.get("Tags") or {})
    save(call, record, body)


@ops("UntagResource")
def untag_resource(call: Call) -> None:
    record = _tagged(call)
    body = copy.deepcopy(record.body)
    for key in call.params.get("TagKeys") or []:
        body.setdefault("tags", {}).pop(key, None)
    save(call, record, body)


@ops("ListTags")
def list_tags(call: Call) -> dict[str, Any]:
    return {"Tags": dict(_tagged(call).body.get("tags") or {})}
