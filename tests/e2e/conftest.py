"""End-to-end fixtures: the real `tollway serve` in a subprocess on ephemeral ports, driven
by real clients (boto3 for the control plane, httpx for the data plane), with real upstream
servers on loopback and Lambda functions created through the Lambda API."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
ACCOUNT = "000000000000"
STARTUP_SECONDS = 30


@dataclass
class Server:
    """A running `tollway serve` process."""

    process: subprocess.Popen[str]
    data_dir: Path
    gateway: str = ""
    admin: str = ""
    lines: list[str] = field(default_factory=list)
    drain: threading.Thread | None = None

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.admin,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}, read_timeout=60),
        )

    def url(self, api_id: str, stage: str, path: str = "/") -> str:
        """The path-based invoke URL of a path of a stage."""
        return f"{self.gateway}/_aws/execute-api/{api_id}/{stage}{path}"

    def host(self, api_id: str) -> str:
        """The Host header of host-based invocation."""
        return f"{api_id}.execute-api.localhost"

    def output(self) -> str:
        return "\n".join(self.lines)

    def log(self) -> str:
        """What the server wrote to stderr (its Python logging) so far."""
        return (self.data_dir.parent / f"{self.data_dir.name}.stderr.log").read_text()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        finally:
            if self.drain is not None:
                self.drain.join(5)
            if self.process.stdout is not None:
                self.process.stdout.close()


def start_server(
    data_dir: Path, *files: Path, args: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> Server:
    command = [
        sys.executable,
        "-m",
        "tollway",
        "serve",
        *map(str, files),
        "--port",
        "0",
        "--admin-port",
        "0",
        "--data-dir",
        str(data_dir),
        *args,
    ]
    stderr = (data_dir.parent / f"{data_dir.name}.stderr.log").open("a")
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        bufsize=1,
        env={**os.environ, **(env or {})},
    )
    stderr.close()
    server = Server(process, data_dir)
    ready = threading.Event()

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.lines.append(line.rstrip("\n"))
            if line.startswith("Ready."):
                ready.set()
        ready.set()

    server.drain = threading.Thread(target=drain, daemon=True)
    server.drain.start()
    if not ready.wait(STARTUP_SECONDS) or process.poll() is not None:
        process.kill()
        log = (data_dir.parent / f"{data_dir.name}.stderr.log").read_text()
        raise RuntimeError(f"tollway did not start:\n{server.output()}\n{log}")
    for line in server.lines:
        if line.strip().startswith("gateway:"):
            server.gateway = line.split()[-1]
        if line.strip().startswith("control plane:"):
            server.admin = line.split()[2]
    return server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server shared by the tests that do not restart it."""
    running = start_server(tmp_path_factory.mktemp("shared") / "data")
    yield running
    running.stop()


@pytest.fixture(scope="session")
def apigw(server: Server) -> Any:
    return server.client("apigateway")


@pytest.fixture(scope="session")
def lam(server: Server) -> Any:
    return server.client("lambda")


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


# --- Lambda functions -----------------------------------------------------------------------


def zip_code(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, source in files.items():
            archive.writestr(name, source)
    return buffer.getvalue()


def lambda_uri(function_name: str) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"


def create_function(
    lam: Any,
    name: str,
    source: str,
    *,
    handler: str = "app.handler",
    timeout: int = 5,
    permit: bool = True,
    source_arn: str = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*/*/*/*",
    environment: dict[str, str] | None = None,
    **settings: Any,
) -> dict[str, Any]:
    """A Python function from `source` (module `app`), with API Gateway allowed to call it;
    `settings` are more CreateFunction members."""
    config: dict[str, Any] = lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=f"arn:aws:iam::{ACCOUNT}:role/lambda-role",
        Handler=handler,
        Code={"ZipFile": zip_code({"app.py": source})},
        Timeout=timeout,
        Environment={"Variables": environment or {}},
        **settings,
    )
    if permit:
        lam.add_permission(
            FunctionName=name,
            StatementId="apigateway",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=source_arn,
        )
    return config


# --- REST APIs ------------------------------------------------------------------------------


def new_api(apigw: Any, name: str = "e2e") -> tuple[str, str]:
    """A new REST API: (api id, root resource id)."""
    api = apigw.create_rest_api(name=name)
    return api["id"], api["rootResourceId"]


def add_method(
    apigw: Any, api_id: str, resource_id: str, verb: str, integration: dict[str, Any], **method: Any
) -> None:
    apigw.put_method(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=verb,
        authorizationType="NONE",
        **method,
    )
    apigw.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=verb, **integration)


def add_response(apigw: Any, api_id: str, resource: str, verb: str, status: str, *,
             pattern: str | None = None, templates: dict[str, str] | None = None,
             parameters: dict[str, str] | None = None) -> None:  # fmt: skip
    """A method response and its integration response (`parameters` are declared on both)."""
    apigw.put_method_response(
        restApiId=api_id, resourceId=resource, httpMethod=verb, statusCode=status,
        responseParameters=dict.fromkeys(parameters or {}, False),
    )  # fmt: skip
    extra: dict[str, Any] = {"responseTemplates": templates or {}}
    if pattern is not None:
        extra["selectionPattern"] = pattern
    if parameters:
        extra["responseParameters"] = parameters
    apigw.put_integration_response(restApiId=api_id, resourceId=resource, httpMethod=verb,
                                   statusCode=status, **extra)  # fmt: skip


def add_path(apigw: Any, api_id: str, root_id: str, path: str) -> str:
    """Creates the resources of `path` under the root; returns the last one's id."""
    parent = root_id
    existing = {
        r["path"]: r["id"] for r in apigw.get_resources(restApiId=api_id, limit=500)["items"]
    }
    current = ""
    for part in [p for p in path.split("/") if p]:
        current += "/" + part
        if current not in existing:
            existing[current] = apigw.create_resource(
                restApiId=api_id, parentId=parent, pathPart=part
            )["id"]
        parent = existing[current]
    return parent


def function_api(
    apigw: Any,
    function_name: str,
    *,
    stage: str = "test",
    name: str = "e2e",
    path: str = "/",
    verb: str = "GET",
    **integration: Any,
) -> str:
    """A REST API whose root `GET` (or `verb` on `path`) calls `function_name` through
    AWS_PROXY, deployed to `stage`; `integration` overrides PutIntegration's fields
    (timeoutInMillis, ...)."""
    api_id, root = new_api(apigw, name)
    root = add_path(apigw, api_id, root, path)
    fields = {
        "type": "AWS_PROXY",
        "integrationHttpMethod": "POST",
        "uri": lambda_uri(function_name),
        **integration,
    }
    add_method(apigw, api_id, root, verb, fields)
    deploy(apigw, api_id, stage)
    return api_id


def mock_method(
    apigw: Any, api_id: str, resource_id: str, verb: str, body: str, status: str = "200"
) -> None:
    add_method(
        apigw,
        api_id,
        resource_id,
        verb,
        {
            "type": "MOCK",
            "requestTemplates": {"application/json": f'{{"statusCode": {status}}}'},
        },
    )
    apigw.put_method_response(
        restApiId=api_id, resourceId=resource_id, httpMethod=verb, statusCode=status
    )
    apigw.put_integration_response(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=verb,
        statusCode=status,
        responseTemplates={"application/json": body},
    )


def deploy(apigw: Any, api_id: str, stage: str = "test", **kwargs: Any) -> str:
    return str(apigw.create_deployment(restApiId=api_id, stageName=stage, **kwargs)["id"])


# --- upstream HTTP servers ------------------------------------------------------------------


class _Echo(BaseHTTPRequestHandler):
    """Echoes the request as JSON; `/status/<code>` answers that status; `/slow?s=N` sleeps;
    `/headers` answers with transport headers a gateway must remap."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        status = 200
        if parts.path.startswith("/status/"):
            status = int(parts.path.rsplit("/", 1)[1])
        if parts.path == "/slow":
            time.sleep(float(parts.query.partition("=")[2] or 1))
        payload = json.dumps(
            {
                "method": self.command,
                "path": parts.path,
                "query": parts.query,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body": body.decode("utf-8", "replace"),
            }
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Upstream", "echo")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A gateway that timed out closes the connection mid-answer: expected, not news.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def serve_http(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A real HTTP server on loopback running `handler`, for the life of a fixture:
    yields `http://127.0.0.1:<port>`."""
    httpd = _QuietServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def upstream() -> Iterator[str]:
    """The echo server on loopback: `http://127.0.0.1:<port>`."""
    yield from serve_http(_Echo)


def access_log_entries(server: Server, marker: str, count: int) -> list[dict[str, Any]]:
    """The JSON access-log lines that mention `marker`, parsed, once `count` of them are
    written (the sink flushes about once a second; gives up after about 10 s)."""
    log = server.data_dir / "access.log"
    found: list[dict[str, Any]] = []
    for _ in range(100):
        lines = log.read_text().splitlines() if log.exists() else []
        found = [json.loads(line) for line in lines if marker in line]
        if len(found) == count:
            break
        time.sleep(0.1)
    return found


def aws_error(call: Any, /, **kwargs: Any) -> tuple[int, str, str]:
    """(HTTP status, error code, message) of a boto3 call that must fail."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def shape(response: dict[str, Any]) -> dict[str, Any]:
    """A boto3 response without its ResponseMetadata."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def status_of(response: dict[str, Any]) -> int:
    return int(response["ResponseMetadata"]["HTTPStatusCode"])


def function_arn(name: str, qualifier: str | None = None) -> str:
    base = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{base}:{qualifier}" if qualifier else base


# --- AWS services: moto's server mode -------------------------------------------------------


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    """moto's server mode on an ephemeral loopback port: every AWS service on one URL."""
    from moto.server import ThreadedMotoServer  # only the AWS service tests pay for moto

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def aws(moto: str, service: str) -> Any:
    """A boto3 client of moto, to set up and inspect what the gateway's calls did."""
    return boto3.client(
        service,
        endpoint_url=moto,
        region_name=REGION,
        aws_access_key_id="inspect",
        aws_secret_access_key="inspect",
    )


# --- IAM identities (tollway/auth) ----------------------------------------------------------


def serve_with_identities(
    factory: pytest.TempPathFactory, name: str, identities: str, *args: str
) -> Iterator[Server]:
    """A server of its own started with `identities` (the YAML of an identities file) as
    `--identities`, and `args`; for the life of a fixture."""
    root = factory.mktemp(name)
    (root / "identities.yaml").write_text(identities)
    running = start_server(
        root / "data", args=("--identities", str(root / "identities.yaml"), *args)
    )
    yield running
    running.stop()
