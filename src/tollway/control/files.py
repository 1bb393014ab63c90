"""The files given to `tollway serve`: imported and deployed at start.

Each file is an OpenAPI 2.0/3.0 document (JSON or YAML). It is imported through the same
operations a client would call: an API of the same name (`info.title`) already in the store
is overwritten in place (PutRestApi mode=overwrite, so its id and invoke URLs survive
restarts), otherwise a new one is imported (ImportRestApi); then it is deployed to the stage
(CreateDeployment; `--stage`, default `dev`).

A document with `x-amazon-apigateway-importexport-version` at its root (which AWS writes in
every HTTP API export and REST exports never carry; add `x-amazon-apigateway-importexport-version:
"1.0"` to a document of your own) is an HTTP API instead: it is imported with ImportApi (or
ReimportApi over the HTTP API of the same name) and served on an auto-deploying stage, the
`$default` stage unless `--stage` names one; an existing stage of that name is kept and
deployed (CreateDeployment) if it does not auto-deploy.

A file may also declare the Python functions behind its Lambda integrations, under the
Tollway extension `x-tollway-functions` (not sent to AWS's importer):

    x-tollway-functions:
      petstore-pets:               # the function name in the integration URI's ARN
        handler: app.handler
        code: functions/pets       # a directory, relative to the file
        runtime: python3.11        # optional; also timeout, memorySize, environment, layers
      other-language:
        endpoint: http://127.0.0.1:9000   # served by a Lambda Invoke API (e.g. the Runtime
        functionName: function            # Interface Emulator); functionName, profile optional

Such functions run from their directory as it is (saving a file there gives the next call new
workers with the new code), and get the
`apigateway.amazonaws.com` invoke permissions SAM would give them: for methods and for
authorizers.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tollway.control.apigateway import deployments, restapis
from tollway.control.apigateway.documents import API_KIND
from tollway.control.apigatewayv2 import deployments as v2_deployments
from tollway.control.apigatewayv2 import openapi, stages
from tollway.control.apigatewayv2.openapi_import import IMPORTEXPORT_VERSION
from tollway.control.errors import ServiceError
from tollway.control.lambda_api.functions import new_configuration, warn_about_runtime
from tollway.control.operations import Call, ControlPlane
from tollway.functions.registry import FUNCTION_KIND
from tollway.model import ids
from tollway.model.http_api import DEFAULT_STAGE, V2_API_KIND, V2_STAGE_KIND
from tollway.store import Record

EXTENSION = "x-tollway-functions"
DEFAULT_REST_STAGE = "dev"


class FileError(Exception):
    """A file given to serve could not be loaded; the message says which and why."""


@dataclass(frozen=True)
class LoadedApi:
    api_id: str
    name: str
    stage: str
    warnings: list[str]
    http_api: bool = False  # an HTTP API (apigatewayv2): `$default` has no stage segment


def _call(plane: ControlPlane, operation: str, params: dict[str, Any]) -> Call:
    return Call(plane, operation, params, {}, ids.request_id())


def load_file(plane: ControlPlane, path: Path, stage: str) -> LoadedApi:
    """Imports and deploys one file; `stage` empty: the default (`dev`, or `$default` for an
    HTTP API)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise FileError(f"{path}: cannot read it as JSON or YAML: {e}") from None
    if not isinstance(document, dict):
        raise FileError(f"{path}: not an OpenAPI document (expected a mapping at the top)")
    functions = document.pop(EXTENSION, None) or {}
    body = json.dumps(document).encode()
    name = (document.get("info") or {}).get("title")
    try:
        for function_name, declared in functions.items():
            _declare_function(plane, path.parent, function_name, declared)
        if IMPORTEXPORT_VERSION in document:
            return _load_http_api(plane, body, name, stage or DEFAULT_STAGE)
        stage = stage or DEFAULT_REST_STAGE
        existing = next(
            (r for r in plane.store.list(API_KIND) if r.body["api"]["name"] == name), None
        )
        if existing is not None:
            result = restapis.put_rest_api(
                _call(
                    plane,
                    "PutRestApi",
                    {"restApiId": existing.key, "mode": "overwrite", "body": body},
                )
            )
        else:
            result = restapis.import_rest_api(_call(plane, "ImportRestApi", {"body": body}))
        deployments.create_deployment(
            _call(
                plane,
                "CreateDeployment",
                {
                    "restApiId": result["id"],
                    "stageName": stage,
                    "description": f"tollway serve {path.name}",
                },
            )
        )
    except ServiceError as e:
        raise FileError(f"{path}: {e.code}: {e.message}") from None
    return LoadedApi(result["id"], result["name"], stage, list(result.get("warnings") or []))


def _load_http_api(plane: ControlPlane, body: bytes, name: Any, stage: str) -> LoadedApi:
    existing = next(
        (r for r in plane.store.list(V2_API_KIND) if r.body["Api"].get("Name") == name), None
    )
    if existing is not None:
        reimport = {"ApiId": existing.key, "Body": body.decode()}
        result = openapi.reimport_api(_call(plane, "ReimportApi", reimport))
    else:
        result = openapi.import_api(_call(plane, "ImportApi", {"Body": body.decode()}))
    api_id = result["ApiId"]
    current = plane.store.get(V2_STAGE_KIND, stage, api_id)
    if current is None:
        params: dict[str, Any] = {"ApiId": api_id, "StageName": stage, "AutoDeploy": True}
        stages.create_stage(_call(plane, "CreateStage", params))
    elif not current.body.get("AutoDeploy"):
        params = {"ApiId": api_id, "StageName": stage, "Description": "tollway serve"}
        v2_deployments.create_deployment(_call(plane, "CreateDeployment", params))
    warnings = [*result.get("Warnings", []), *result.get("ImportInfo", [])]
    return LoadedApi(api_id, result["Name"], stage, warnings, http_api=True)


def _directory_digest(directory: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for file in sorted(p for p in directory.rglob("*") if p.is_file()):
        data = file.read_bytes()
        digest.update(str(file.relative_to(directory)).encode() + b"\0" + data)
        size += len(data)
    return base64.b64encode(digest.digest()).decode(), size


def _declare_function(plane: ControlPlane, base: Path, name: str, declared: Any) -> None:
    remote = isinstance(declared, dict) and "endpoint" in declared
    if not isinstance(declared, dict) or (
        not remote and ("handler" not in declared or "code" not in declared)
    ):
        raise FileError(
            f"{EXTENSION}.{name} needs at least `handler` and `code` (or a remote `endpoint`)"
        )
    call = _call(plane, "CreateFunction", {})
    if remote:
        code: dict[str, Any] = {"none": True}
        sha, size = "", 0
    else:
        code_dir = (base / declared["code"]).resolve()
        if not code_dir.is_dir():
            raise FileError(f"{EXTENSION}.{name}: code directory {code_dir} does not exist")
        sha, size = _directory_digest(code_dir)
        code = {"localPath": str(code_dir)}
    params = {
        "Runtime": declared.get("runtime", "python3.11"),
        "Role": f"arn:aws:iam::{plane.settings.account_id}:role/tollway-serve",
        "Handler": declared.get("handler"),
        "Timeout": declared.get("timeout", 3),
        "MemorySize": declared.get("memorySize", 128),
        "Environment": {"Variables": dict(declared.get("environment") or {})},
        "Layers": list(declared.get("layers") or []),
    }
    try:
        config = new_configuration(call, name, params, sha, size, remote=remote)
    except ServiceError as e:
        raise FileError(f"{EXTENSION}.{name}: {e.code}: {e.message}") from None
    if not remote:
        warn_about_runtime(name, config["Runtime"])
    prefix = f"arn:aws:execute-api:{plane.settings.region}:{plane.settings.account_id}:"
    # Methods (`{api}/{stage}/{verb}/{path}`) and authorizers (`{api}/authorizers/{id}`).
    sources = {"tollway-serve-apigateway": "*/*/*/*",
               "tollway-serve-authorizers": "*/authorizers/*"}  # fmt: skip
    policy = {
        "Version": "2012-10-17",
        "Id": "default",
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": "lambda:InvokeFunction",
                "Resource": config["FunctionArn"],
                "Condition": {"ArnLike": {"AWS:SourceArn": prefix + source}},
            }
            for sid, source in sources.items()
        ],
    }
    body: dict[str, Any] = {"configuration": config, "code": code, "tags": {}, "policy": policy}
    if remote:
        body["remote"] = {
            key: declared[key]
            for key in ("endpoint", "functionName", "profile", "region")
            if declared.get(key)
        }
    existing = plane.store.get(FUNCTION_KIND, name)
    version = existing.version if existing is not None else 0
    plane.store.commit([Record(FUNCTION_KIND, name, body, version=version)])
    if plane.functions is not None:
        plane.functions.forget(name)
