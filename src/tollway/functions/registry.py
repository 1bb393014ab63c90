"""FunctionRegistry: the Lambda functions Tollway hosts, as Lambda's control plane sees them.

A function is one `function` record in the ConfigStore: its configuration in the shape of
Lambda's FunctionConfiguration, where its code is (a content-addressed blob in the store, or
a local directory for functions declared to `tollway serve`), its resource policy and tags.
Code blobs are unpacked once into the data directory. Invocations go to the FunctionHost
with a FunctionSpec built from the record (cached until the function changes).

`invoke_as_service` is how API Gateway calls a function: the function's resource policy must
allow the service principal for the calling method's ARN (AddPermission), as on AWS.
"""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tollway.functions.code import unpack_zip
from tollway.functions.errors import FunctionNotFound, InvocationDenied
from tollway.functions.host import FunctionHost, FunctionSpec, InvokeResult
from tollway.settings import Settings
from tollway.store import ConfigStore, Record

FUNCTION_KIND = "function"
LATEST = "$LATEST"

_ARN = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[^:]*):)?(?:(?P<account>\d{12}):)?"
    r"(?:function:)?(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[A-Za-z0-9$_-]+))?$"
)


@dataclass(frozen=True, slots=True)
class FunctionRef:
    name: str
    qualifier: str | None


def parse_function_ref(ref: str) -> FunctionRef | None:
    """A function name, partial ARN (`123456789012:function:f`) or ARN, maybe qualified."""
    match = _ARN.match(ref)
    if match is None:
        return None
    return FunctionRef(match.group("name"), match.group("qualifier"))


def code_sha256(data: bytes) -> str:
    """Lambda's CodeSha256: the base64 of the SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class FunctionRegistry:
    def __init__(self, store: ConfigStore, host: FunctionHost, settings: Settings) -> None:
        self._store = store
        self._host = host
        self._settings = settings
        self._specs: dict[str, tuple[int, FunctionSpec]] = {}
        # Records by name, so invoking does not read the store; every change goes through
        # `forget`, which drops the entry.
        self._records: dict[str, Record] = {}

    def arn(self, name: str) -> str:
        s = self._settings
        return f"arn:aws:lambda:{s.region}:{s.account_id}:function:{name}"

    def record(self, name: str) -> Record | None:
        record = self._records.get(name)
        if record is None:
            record = self._store.get(FUNCTION_KIND, name)
            if record is not None:
                self._records[name] = record
        return record

    def spec(self, record: Record) -> FunctionSpec:
        cached = self._specs.get(record.key)
        if cached is not None and cached[0] == record.version:
            return cached[1]
        config = record.body["configuration"]
        code = record.body["code"]
        if code.get("localPath"):
            code_dir = Path(code["localPath"])
        else:
            blob = self._store.get_blob(code["blob"])
            if blob is None:
                raise FunctionNotFound(f"the code of function {record.key} is missing")
            code_dir = unpack_zip(blob, self._settings.functions_dir)
        spec = FunctionSpec(
            name=config["FunctionName"],
            arn=config["FunctionArn"],
            version=LATEST,
            handler=config["Handler"],
            code_dir=code_dir,
            runtime=config["Runtime"],
            timeout=float(config["Timeout"]),
            memory_size=int(config["MemorySize"]),
            environment=dict((config.get("Environment") or {}).get("Variables") or {}),
            region=self._settings.region,
            revision=config["RevisionId"],
        )
        self._specs[record.key] = (record.version, spec)
        return spec

    def package(self, name: str) -> bytes | None:
        """The function's deployment package as a zip (GetFunction's Code.Location), or None
        if there is no such function."""
        record = self.record(name)
        if record is None:
            return None
        code = record.body["code"]
        if not code.get("localPath"):
            return self._store.get_blob(code["blob"])
        buffer = io.BytesIO()
        root = Path(code["localPath"])
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                archive.write(path, path.relative_to(root))
        return buffer.getvalue()

    def forget(self, name: str) -> None:
        """The function changed or was deleted: drop its spec and end its workers."""
        self._specs.pop(name, None)
        self._records.pop(name, None)
        task = asyncio.get_running_loop().create_task(self._host.retire(name))
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    def resolve(self, ref: str) -> Record:
        parsed = parse_function_ref(ref)
        record = self.record(parsed.name) if parsed else None
        if record is None or (parsed and parsed.qualifier not in (None, LATEST)):
            raise FunctionNotFound(f"Function not found: {ref}")
        return record

    async def invoke(
        self, record: Record, payload: bytes, *, request_id: str | None = None
    ) -> InvokeResult:
        return await self._host.invoke(self.spec(record), payload, request_id=request_id)

    async def invoke_as_service(
        self, function_ref: str, payload: bytes, *, principal: str, source_arn: str
    ) -> InvokeResult:
        record = self.resolve(function_ref)
        if not permits(record.body.get("policy"), principal, source_arn):
            raise InvocationDenied(
                f"{principal} may not invoke {record.key} for {source_arn}; allow it with: "
                f"aws lambda add-permission --function-name {record.key} --statement-id "
                f"apigateway --action lambda:InvokeFunction --principal {principal} "
                f"--source-arn '{source_arn}'"
            )
        return await self.invoke(record, payload)


def permits(policy: dict[str, Any] | None, principal: str, source_arn: str) -> bool:
    """Whether a function's resource policy allows `principal` to invoke it for
    `source_arn` (AWS's wildcard ARN matching: `*` and `?`)."""
    for statement in (policy or {}).get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        allowed = statement.get("Principal", {})
        if isinstance(allowed, dict):
            allowed = allowed.get("Service") or allowed.get("AWS")
        if allowed not in (principal, "*"):
            continue
        condition = statement.get("Condition", {}).get("ArnLike", {})
        pattern = condition.get("AWS:SourceArn")
        if pattern is None or fnmatch.fnmatchcase(source_arn, pattern):
            return True
    return False


def statement_json(statement: dict[str, Any]) -> str:
    return orjson.dumps(statement).decode()
