"""FunctionRegistry: the Lambda functions Tollway hosts, as Lambda's control plane sees them.

A function is one `function` record in the ConfigStore, so every change to it (code,
configuration, a version, an alias, a permission) is one atomic commit:

    configuration   $LATEST's FunctionConfiguration, in Lambda's shape
    code            {"blob": digest} (a zip, content-addressed in the store) or
                    {"localPath": dir} (a development directory, run as it is)
    remote          optional: another Lambda Invoke API serves it (functions.remote)
    policy          the resource policy of the unqualified function / $LATEST
    concurrency     reserved concurrency (PutFunctionConcurrency), if any
    versions        {"1": {"configuration", "code", "policy"?}, ...}: PublishVersion snapshots
    lastVersion     the last version number handed out (numbers are never reused)
    aliases         {"live": {"configuration": AliasConfiguration, "policy"?}}
    eventInvokeConfig  {qualifier: FunctionEventInvokeConfig}
    tags

Resource policies belong to a qualifier, as on Lambda: a permission added to the function
allows invoking it unqualified or as `$LATEST`; `function:live` needs one added with
`--qualifier live` (which is why API Gateway's docs have you add one per alias).

`target` resolves what a caller named (a name or ARN, maybe with `:version` or `:alias`; an
alias with a routing config picks its version by weight on each call) to a `Target`; `run`
invokes it: on the FunctionHost (a FunctionSpec built once per record version) or, for a
remote function, through the RemoteInvoker. `invoke_as_service` is how API Gateway calls a
function: the target's resource policy must allow the service principal for the calling
method's ARN (AddPermission), as on AWS.
"""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import hashlib
import io
import os
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tollway.functions.code import unpack_zip
from tollway.functions.errors import FunctionNotFound, InvocationDenied
from tollway.functions.events import EventInvoker
from tollway.functions.host import INIT_TIMEOUT, FunctionHost, FunctionSpec, InvokeResult
from tollway.functions.interpreters import interpreter_for
from tollway.functions.remote import RemoteInvoker, RemoteTarget
from tollway.functions.watch import DirectoryWatcher
from tollway.model import ids
from tollway.settings import Settings
from tollway.store import ConfigStore, Record

FUNCTION_KIND = "function"
LAYER_KIND = "layer"
LATEST = "$LATEST"

_ARN = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:(?P<region>[^:]*):)?(?:(?P<account>\d{12}):)?"
    r"(?:function:)?(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[A-Za-z0-9$_-]+))?$"
)
_LAYER_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:[^:]*:\d{12}:layer:(?P<name>[A-Za-z0-9_-]+):(?P<version>\d+)$"
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


def parse_layer_arn(arn: str) -> tuple[str, str] | None:
    """(layer name, version) of a layer version ARN."""
    match = _LAYER_ARN.match(arn)
    return (match.group("name"), match.group("version")) if match else None


def code_sha256(data: bytes) -> str:
    """Lambda's CodeSha256: the base64 of the SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


@dataclass(frozen=True, slots=True)
class Target:
    """One resolved invocation target: a function version, as some caller named it."""

    name: str
    version: str  # the version that runs ("$LATEST", "3"): Invoke's ExecutedVersion
    qualifier: str | None  # as named: None, "$LATEST", "3" or an alias
    invoked_arn: str  # the ARN the caller used (the context's invoked_function_arn)
    policy: dict[str, Any] | None  # the resource policy of that qualifier
    spec: FunctionSpec | None  # for a function this host runs
    remote: RemoteTarget | None  # for one another endpoint serves
    event_config: dict[str, Any] | None  # FunctionEventInvokeConfig of the qualifier


def pick_version(alias: dict[str, Any], chance: Callable[[], float] = random.random) -> str:
    """The version an alias sends one invocation to: its own, or one of its routing config's
    additional versions with that version's weight (Lambda's weighted aliases)."""
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    roll = chance()
    for version, weight in weights.items():
        if roll < weight:
            return str(version)
        roll -= weight
    return str(alias["FunctionVersion"])


class FunctionRegistry:
    def __init__(
        self,
        store: ConfigStore,
        host: FunctionHost,
        settings: Settings,
        remote: RemoteInvoker | None = None,
    ) -> None:
        self._store = store
        self._host = host
        self._settings = settings
        self._remote = remote
        self.events = EventInvoker(self, retry_delay=settings.event_retry_delay)
        self._specs: dict[tuple[str, str], tuple[int, int, FunctionSpec]] = {}
        # Records by name, so invoking does not read the store; every change goes through
        # `forget`, which drops the entry.
        self._records: dict[str, Record] = {}
        # Bumped when a development directory changes: new workers for the next call.
        self._generations: dict[str, int] = {}
        self._watcher: DirectoryWatcher | None = None  # made on first use, on the loop
        self._watched: dict[str, str] = {}  # function name -> its development directory
        # API Gateway's calls, resolved and allowed: (ref, principal, source ARN) -> (target,
        # development directory); emptied whenever any function changes.
        self._service_targets: dict[tuple[str, str, str], tuple[Target, str | None]] = {}

    def arn(self, name: str, qualifier: str | None = None) -> str:
        s = self._settings
        base = f"arn:aws:lambda:{s.region}:{s.account_id}:function:{name}"
        return f"{base}:{qualifier}" if qualifier else base

    def layer_arn(self, name: str, version: str | None = None) -> str:
        s = self._settings
        base = f"arn:aws:lambda:{s.region}:{s.account_id}:layer:{name}"
        return f"{base}:{version}" if version else base

    def record(self, name: str) -> Record | None:
        record = self._records.get(name)
        if record is None:
            record = self._store.get(FUNCTION_KIND, name)
            if record is not None:
                self._records[name] = record
        return record

    def changed(self, name: str) -> None:
        """The function's development directory changed: the next call gets new workers."""
        self._generations[name] = self._generations.get(name, 0) + 1
        self._service_targets.clear()

    def forget(self, name: str, *, retire: bool = False) -> None:
        """The function's record changed: drop what was cached. Workers of a version whose
        code or configuration changed end when the next call sees the new revision; `retire`
        (a deleted function) ends them all now."""
        self._records.pop(name, None)
        self._service_targets.clear()
        for key in [key for key in self._specs if key[0] == name]:
            del self._specs[key]
        if retire:
            if self._watcher is not None and self._watched.pop(name, None) is not None:
                self._watcher.unwatch(name)
            task = asyncio.get_running_loop().create_task(self._host.retire(name))
            task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    # -- resolving ---------------------------------------------------------------------------

    def target(self, ref: str, qualifier: str | None = None) -> Target:
        """What `ref` (and `qualifier`) names; FunctionNotFound with Lambda's message if
        nothing does."""
        parsed = parse_function_ref(ref)
        if parsed is None:
            raise FunctionNotFound(f"Function not found: {ref}")
        qualifier = qualifier or parsed.qualifier
        record = self.record(parsed.name)
        if record is None:
            raise FunctionNotFound(f"Function not found: {self.arn(parsed.name, qualifier)}")
        body = record.body
        local_path = body["code"].get("localPath")
        if local_path:
            self._check_directory(record.key, local_path)
        policy: dict[str, Any] | None
        if qualifier in (None, LATEST):
            version, policy = LATEST, body.get("policy")
        elif qualifier in (body.get("versions") or {}):
            version, policy = qualifier, body["versions"][qualifier].get("policy")
        elif qualifier in (body.get("aliases") or {}):
            alias = body["aliases"][qualifier]
            version, policy = pick_version(alias["configuration"]), alias.get("policy")
        else:
            raise FunctionNotFound(f"Function not found: {self.arn(record.key, qualifier)}")
        event_configs = body.get("eventInvokeConfig") or {}
        return Target(
            name=record.key,
            version=version,
            qualifier=qualifier,
            invoked_arn=self.arn(record.key, qualifier),
            policy=policy,
            spec=None if body.get("remote") else self.spec(record, version),
            remote=self._remote_target(body, qualifier),
            event_config=event_configs.get(qualifier or LATEST),
        )

    def _check_directory(self, name: str, directory: str) -> None:
        """Development directories: a file saved before this request was sent is seen by this
        call (the event loop has read the change before it runs the request; see
        ``DirectoryWatcher.check``), and new workers serve it."""
        if self._watched.get(name) != directory:
            if self._watcher is None:
                self._watcher = DirectoryWatcher(asyncio.get_running_loop())
            self._watcher.watch(name, [Path(directory)], self.changed)
            self._watched[name] = directory
        assert self._watcher is not None
        self._watcher.check(name, read_queue=False)

    def close(self) -> None:
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
            self._watched.clear()

    def _remote_target(self, body: dict[str, Any], qualifier: str | None) -> RemoteTarget | None:
        remote = body.get("remote")
        if not remote:
            return None
        return RemoteTarget(
            endpoint=remote["endpoint"],
            function_name=remote.get("functionName") or body["configuration"]["FunctionName"],
            qualifier=remote.get("qualifier") or (qualifier if qualifier != LATEST else None),
            region=remote.get("region") or self._settings.region,
            credentials=remote_credentials(remote) if _is_aws(remote["endpoint"]) else None,
        )

    def spec(self, record: Record, version: str = LATEST) -> FunctionSpec:
        generation = self._generations.get(record.key, 0)
        cached = self._specs.get((record.key, version))
        if cached is not None and cached[0] == record.version and cached[1] == generation:
            return cached[2]
        body = record.body
        if version == LATEST:
            config, code = body["configuration"], body["code"]
        else:
            snapshot = body["versions"][version]
            config, code = snapshot["configuration"], snapshot["code"]
        if code.get("localPath"):
            code_dir = Path(code["localPath"])
        else:
            code_dir = self._unpack(code["blob"], f"the code of function {record.key}")
        spec = FunctionSpec(
            name=config["FunctionName"],
            arn=self.arn(record.key),
            version=version,
            handler=config["Handler"],
            code_dir=code_dir,
            runtime=config["Runtime"],
            timeout=float(config["Timeout"]),
            memory_size=int(config["MemorySize"]),
            environment=dict((config.get("Environment") or {}).get("Variables") or {}),
            region=self._settings.region,
            revision=f"{_revision(config, code)}#{generation}",
            reserved_concurrency=body.get("concurrency"),
            layer_dirs=tuple(self._layer_dir(layer["Arn"]) for layer in config.get("Layers", [])),
            interpreter=interpreter_for(config["Runtime"]),
            development=bool(code.get("localPath")),
        )
        self._specs[(record.key, version)] = (record.version, generation, spec)
        return spec

    def _unpack(self, digest: str, what: str) -> Path:
        blob = self._store.get_blob(digest)
        if blob is None:
            raise FunctionNotFound(f"{what} is missing from the store")
        return unpack_zip(blob, self._settings.functions_dir)

    def _layer_dir(self, arn: str) -> Path:
        parsed = parse_layer_arn(arn)
        layer = self._store.get(LAYER_KIND, parsed[0]) if parsed else None
        # A deleted layer version keeps working for the functions that use it, as on Lambda.
        versions = {**layer.body.get("deleted", {}), **layer.body["versions"]} if layer else {}
        if parsed is None or parsed[1] not in versions:
            raise FunctionNotFound(f"Layer version {arn} does not exist.")
        return self._unpack(versions[parsed[1]]["blob"], f"layer {arn}")

    # -- invoking ----------------------------------------------------------------------------

    async def run(
        self, target: Target, payload: bytes, *, request_id: str | None = None
    ) -> InvokeResult:
        """Invoke a resolved target synchronously. Raises FunctionThrottled (reserved
        concurrency) and, for remote functions, RemoteInvokeError."""
        if target.remote is not None:
            if self._remote is None:
                raise FunctionNotFound(f"remote functions are not available ({target.name})")
            return await self._remote.invoke(
                target.remote, payload, timeout=self._remote_timeout(target), request_id=request_id
            )
        assert target.spec is not None
        return await self._host.invoke(
            target.spec, payload, request_id=request_id, invoked_arn=target.invoked_arn
        )

    def _remote_timeout(self, target: Target) -> float:
        record = self.record(target.name)
        timeout = record.body["configuration"]["Timeout"] if record else 3
        return float(timeout) + 5.0  # the remote enforces the function's timeout itself

    async def invoke_as_service(
        self,
        function_ref: str,
        payload: bytes,
        *,
        principal: str,
        source_arn: str,
        time_limit: float | None = None,
    ) -> InvokeResult:
        """Invoke as API Gateway does: allowed by the target's resource policy, and given up
        (TimeoutError) after `time_limit` seconds, the integration's timeout."""
        target = self._allowed_target((function_ref, principal, source_arn))
        spec = target.spec
        # The function's own timeout (after an init of at most max(10 s, timeout)) ends it
        # first when it is shorter: then no second timer is needed on this path.
        if spec and time_limit and max(INIT_TIMEOUT, spec.timeout) + spec.timeout < time_limit:
            time_limit = None
        if time_limit is None:
            return await self.run(target, payload)
        async with asyncio.timeout(time_limit):
            return await self.run(target, payload)

    def invoke_event_as_service(
        self, function_ref: str, payload: bytes, *, principal: str, source_arn: str
    ) -> str:
        """Queue an asynchronous (Event) invocation as API Gateway does, allowed by the
        target's resource policy; the invocation's request id."""
        target = self._allowed_target((function_ref, principal, source_arn))
        request_id = ids.request_id()
        self.events.submit(target, payload, request_id)
        return request_id

    def _allowed_target(self, key: tuple[str, str, str]) -> Target:
        cached = self._service_targets.get(key)
        if cached is not None:
            if cached[1] is not None:  # a development directory: saved files win
                self._check_directory(cached[0].name, cached[1])
            cached = self._service_targets.get(key)  # the check may have dropped it
        return cached[0] if cached is not None else self._service_target(key)

    def _service_target(self, key: tuple[str, str, str]) -> Target:
        function_ref, principal, source_arn = key
        target = self.target(function_ref)
        if not permits(target.policy, principal, source_arn):
            named = target.name + (f":{target.qualifier}" if target.qualifier else "")
            qualifier = f" --qualifier {target.qualifier}" if target.qualifier else ""
            raise InvocationDenied(
                f"{principal} may not invoke {named} for {source_arn}; allow it with: "
                f"aws lambda add-permission --function-name {target.name}{qualifier} "
                f"--statement-id apigateway --action lambda:InvokeFunction "
                f"--principal {principal} --source-arn '{source_arn}'"
            )
        record = self.record(target.name)
        assert record is not None
        aliases = record.body.get("aliases") or {}
        alias = aliases.get(target.qualifier or "", {}).get("configuration", {})
        if not (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights"):
            # Resolved once per API method and function until the function changes.
            self._service_targets[key] = (target, record.body["code"].get("localPath"))
        return target

    def package(self, name: str, version: str = LATEST) -> bytes | None:
        """The function's deployment package as a zip (GetFunction's Code.Location), or None
        if there is no such function or version."""
        record = self.record(name)
        if record is None:
            return None
        if version == LATEST:
            code = record.body["code"]
        elif version in (record.body.get("versions") or {}):
            code = record.body["versions"][version]["code"]
        else:
            return None
        if not code.get("localPath"):
            return self._store.get_blob(code["blob"])
        buffer = io.BytesIO()
        root = Path(code["localPath"])
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                archive.write(path, path.relative_to(root))
        return buffer.getvalue()


# What a worker depends on: a change to any of these needs new workers (a new permission or
# tag changes the function's RevisionId but not what runs).
_WORKER_INPUTS = ("Handler", "Runtime", "Timeout", "MemorySize", "Environment", "Layers")


def _revision(config: dict[str, Any], code: dict[str, Any]) -> str:
    inputs = [code, [config.get(key) for key in _WORKER_INPUTS]]
    return hashlib.sha256(orjson.dumps(inputs)).hexdigest()[:16]


def _is_aws(endpoint: str) -> bool:
    host = endpoint.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


def remote_credentials(remote: dict[str, Any]) -> tuple[str, str, str | None] | None:
    """Credentials for signing calls to AWS: the remote's `profile` from the shared AWS
    config files, else the standard AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
    AWS_SESSION_TOKEN variables of Tollway's environment. Resolved per call site rarely
    enough (remote functions only) that no cache is needed."""
    profile = remote.get("profile")
    if profile:
        import botocore.session  # only remote functions with a profile pay for it

        credentials = botocore.session.Session(profile=profile).get_credentials()
        if credentials is None:
            return None
        frozen = credentials.get_frozen_credentials()
        return frozen.access_key, frozen.secret_key, frozen.token
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        return key, secret, os.environ.get("AWS_SESSION_TOKEN")
    return None


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
