"""Layers: PublishLayerVersion, GetLayerVersion(ByArn), ListLayers, ListLayerVersions,
DeleteLayerVersion.

A layer is one `layer` record holding its versions (numbers are never reused, as on Lambda);
each version's zip is a content-addressed blob. A function's worker has each of its layers'
`python/` and `python/lib/python3.X/site-packages` folders on its path, as Lambda's Python
runtime has them in `/opt` (functions.environment.layer_paths).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from tollway.control.errors import (
    InvalidParameterValueException,
    NotSupportedByTollway,
    ResourceNotFoundException,
    ValidationException,
)
from tollway.control.lambda_api.common import MISSING_RESOURCE, ops, registry, timestamp
from tollway.control.lambda_api.functions import check_zip
from tollway.control.operations import Call
from tollway.functions.registry import LAYER_KIND, code_sha256, parse_layer_arn
from tollway.store import ConcurrentModification, Record

LAYER_PATH = "/_tollway/layers/{}/{}/content"
_LAYER_NAME = re.compile(r"^[a-zA-Z0-9-_]+$")


def _layer_name(call: Call) -> str:
    name: str = call.params["LayerName"]
    if name.startswith("arn:"):
        match = re.match(r"^arn:aws[a-zA-Z-]*:lambda:[^:]*:\d{12}:layer:([a-zA-Z0-9-_]+)$", name)
        if match is None:
            raise ValidationException(
                f"1 validation error detected: Value '{name}' at 'layerName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: "
                r"(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|"
                r"[a-zA-Z0-9-_]+"
            )
        return match.group(1)
    return name


@ops("PublishLayerVersion")
def publish_layer_version(call: Call) -> dict[str, Any]:
    p = call.params
    name = _layer_name(call)
    content = p.get("Content") or {}
    if content.get("S3Bucket"):
        raise NotSupportedByTollway(
            "Tollway does not fetch layer content from S3; upload it with --zip-file"
        )
    data = content.get("ZipFile")
    if not data:
        raise InvalidParameterValueException("Please provide a source for layer content.")
    check_zip(data)
    digest = call.plane.store.put_blob(data)
    for _ in range(5):  # optimistic: retried if another publish of this layer won
        record = call.plane.store.get(LAYER_KIND, name)
        body: dict[str, Any] = (
            copy.deepcopy(record.body) if record else {"versions": {}, "lastVersion": 0}
        )
        version = int(body["lastVersion"]) + 1
        arn = registry(call).layer_arn(name)
        output: dict[str, Any] = {
            "Content": {
                "Location": LAYER_PATH.format(name, version),
                "CodeSha256": code_sha256(data),
                "CodeSize": len(data),
            },
            "LayerArn": arn,
            "LayerVersionArn": f"{arn}:{version}",
            "Description": p.get("Description") or "",
            "CreatedDate": timestamp(call.plane.clock()),
            "Version": version,
        }
        for key in ("CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo"):
            if key in p:
                output[key] = p[key]
        body["versions"][str(version)] = {"output": output, "blob": digest}
        body["lastVersion"] = version
        try:
            call.plane.store.commit(
                [Record(LAYER_KIND, name, body, version=record.version if record else 0)]
            )
        except ConcurrentModification:
            continue
        return _with_location(call, output)
    raise InvalidParameterValueException(f"Layer {name} is being changed; try again")


def _with_location(call: Call, output: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(output)
    host = call.headers.get("host", "127.0.0.1")
    out["Content"]["Location"] = f"http://{host}{out['Content']['Location']}"
    return out


def _version(call: Call, name: str, number: int) -> dict[str, Any]:
    if number < 1:
        raise InvalidParameterValueException("Layer Version Cannot be less than 1")
    record = call.plane.store.get(LAYER_KIND, name)
    entry = ((record.body.get("versions") or {}) if record else {}).get(str(number))
    if entry is None:
        raise ResourceNotFoundException(MISSING_RESOURCE)
    return entry  # type: ignore[no-any-return]


@ops("GetLayerVersion")
def get_layer_version(call: Call) -> dict[str, Any]:
    entry = _version(call, _layer_name(call), call.params["VersionNumber"])
    return _with_location(call, entry["output"])


@ops("GetLayerVersionByArn")
def get_layer_version_by_arn(call: Call) -> dict[str, Any]:
    parsed = parse_layer_arn(call.params["Arn"])
    if parsed is None:
        raise ValidationException(
            f"1 validation error detected: Value '{call.params['Arn']}' at 'arn' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            r"(arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}"
            r":layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:"
            r"[a-zA-Z0-9-_]+)"
        )
    entry = _version(call, parsed[0], int(parsed[1]))
    return _with_location(call, entry["output"])


def _list_item(output: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "LayerVersionArn",
        "Version",
        "Description",
        "CreatedDate",
        "CompatibleRuntimes",
        "CompatibleArchitectures",
        "LicenseInfo",
    )
    return {k: output[k] for k in keys if k in output}


def _matches(call: Call, output: dict[str, Any]) -> bool:
    runtime = call.params.get("CompatibleRuntime")
    architecture = call.params.get("CompatibleArchitecture")
    return (runtime is None or runtime in output.get("CompatibleRuntimes", [])) and (
        architecture is None or architecture in output.get("CompatibleArchitectures", [])
    )


@ops("ListLayerVersions")
def list_layer_versions(call: Call) -> dict[str, Any]:
    record = call.plane.store.get(LAYER_KIND, _layer_name(call))
    versions = (record.body.get("versions") or {}) if record else {}
    items = [
        _list_item(versions[v]["output"])
        for v in sorted(versions, key=int, reverse=True)
        if _matches(call, versions[v]["output"])
    ]
    return {"LayerVersions": items}


@ops("ListLayers")
def list_layers(call: Call) -> dict[str, Any]:
    layers = []
    for record in call.plane.store.list(LAYER_KIND):
        versions = record.body.get("versions") or {}
        matching = [
            versions[v]["output"]
            for v in sorted(versions, key=int, reverse=True)
            if _matches(call, versions[v]["output"])
        ]
        if matching:
            layers.append(
                {
                    "LayerName": record.key,
                    "LayerArn": registry(call).layer_arn(record.key),
                    "LatestMatchingVersion": _list_item(matching[0]),
                }
            )
    return {"Layers": layers}


@ops("DeleteLayerVersion")
def delete_layer_version(call: Call) -> None:
    name = _layer_name(call)
    record = call.plane.store.get(LAYER_KIND, name)
    number = str(call.params["VersionNumber"])
    if record is None or number not in (record.body.get("versions") or {}):
        return  # idempotent, as on Lambda
    body = copy.deepcopy(record.body)
    # Functions that use it keep working, as on Lambda: the blob stays, only the listing goes.
    body.setdefault("deleted", {})[number] = body["versions"].pop(number)
    call.plane.store.commit([Record(LAYER_KIND, name, body, version=record.version)])
