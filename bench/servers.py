"""The servers under test and their configuration: nginx (upstream, reverse proxy) and Tollway.

Everything is generated into the run's temporary directory: nginx gets its own prefix, config,
pid, error log and temp paths (never /etc/nginx), Tollway its own OpenAPI file, function code
and data directory. Each server is pinned to a core with `taskset` (which execs the command, so
the pid we hold is the server's own).
"""

from __future__ import annotations

import json
import re
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import authorizers
import traffic
from children import Child, Children

NGINX = "/usr/sbin/nginx"
REDIS = "/usr/bin/redis-server"
STAGE = "dev"
FUNCTION_NAME = "bench-hello"
FUNCTION_CODE = "functions/hello"  # its code directory, below the run's directory

# The same ~100-byte JSON document from every backend, so that scenarios differ only in the
# path a request takes, not in what it carries.
BODY = {
    "message": "hello from the benchmark",
    "service": "tollway-bench",
    "items": [1, 2, 3],
    "ok": True,
    "n": 42,
}
BODY_TEXT = json.dumps(BODY, separators=(",", ":"))

_START_TIMEOUT = 30.0
# Keep-alive connections are never closed for their request count: wrk and Tollway's pooled
# client reuse each connection for the whole run, as they do with Tollway (uvicorn has no such
# limit). nginx's default of 1000 would add reconnects to the nginx side only.
_KEEPALIVE_REQUESTS = 10_000_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _nginx_config(
    work: Path, name: str, port: int, location: str, extra_http: str = "", extra_server: str = ""
) -> str:
    temp = work / f"{name}-temp"
    temp.mkdir(exist_ok=True)
    return f"""\
worker_processes 1;
daemon off;
pid {work}/{name}.pid;
error_log {work}/{name}-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    keepalive_requests {_KEEPALIVE_REQUESTS};
    keepalive_timeout 120s;
{extra_http}
    server {{
        listen 127.0.0.1:{port};
        location / {{
{location}
        }}
{extra_server}
    }}
}}
"""


def upstream_config(work: Path, port: int, issuer: authorizers.JwtIssuer | None = None) -> str:
    """The upstream's fixed answer; with `issuer`, also the JWT issuer's discovery document
    and JWKS (static files) for the JWT authorizer scenario."""
    # nginx's `return` takes a quoted string; the body has no single quotes to escape.
    location = f"""\
            default_type application/json;
            return 200 '{BODY_TEXT}';"""
    extra = authorizers.issuer_locations(issuer) if issuer else ""
    return _nginx_config(work, "upstream", port, location, extra_server=extra)


def proxy_config(work: Path, port: int, upstream_port: int) -> str:
    upstream = f"""\
    upstream bench_upstream {{
        server 127.0.0.1:{upstream_port};
        keepalive 64;
        keepalive_requests {_KEEPALIVE_REQUESTS};
    }}"""
    location = """\
            proxy_pass http://bench_upstream;
            proxy_http_version 1.1;
            proxy_set_header Connection "";"""
    return _nginx_config(work, "proxy", port, location, upstream)


def start_nginx(children: Children, work: Path, name: str, config: str, core: int) -> Child:
    config_path = work / f"{name}.conf"
    config_path.write_text(config)
    # -e: nginx opens its error log before reading the config; keep even that one out of /var.
    command = [
        "taskset",
        "-c",
        str(core),
        NGINX,
        "-p",
        str(work),
        "-c",
        str(config_path),
        "-e",
        str(work / f"{name}-error.log"),
    ]
    return children.start(f"nginx-{name}", command, work / f"{name}.out", work)


def openapi_document(upstream_port: int) -> dict[str, Any]:
    """The benchmark API: one route per integration type, all answering BODY, the MOCK
    route again behind a cached Lambda authorizer (authorizers.py), and the HTTP_PROXY route
    again metered and cached (traffic.py)."""
    document = _integration_routes(upstream_port)
    authorizers.add_authorized_route(document, document["paths"]["/mock"]["get"])
    # The MOCK route again, answered from the stage cache (enable_stage_cache turns it on).
    document["paths"]["/mock-cached"] = {"get": document["paths"]["/mock"]["get"]}
    traffic.add_metered_route(document)
    return document


def enable_stage_cache(server: TollwayServer) -> None:
    """The stage's cache on, for `GET /mock-cached` only (a method setting of its own)."""
    server.client("apigateway").update_stage(
        restApiId=server.api_id,
        stageName=STAGE,
        patchOperations=[
            {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
            {"op": "replace", "path": "/~1mock-cached/GET/caching/enabled", "value": "true"},
            {"op": "replace", "path": "/~1mock-cached/GET/caching/ttlInSeconds", "value": "3600"},
        ],
    )


def _integration_routes(upstream_port: int) -> dict[str, Any]:
    lambda_uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        f"arn:aws:lambda:us-east-1:000000000000:function:{FUNCTION_NAME}/invocations"
    )
    ok = {"200": {"description": "ok"}}
    return {
        "openapi": "3.0.1",
        "info": {"title": "tollway-bench", "version": "1.0"},
        "paths": {
            "/mock": {
                "get": {
                    "responses": ok,
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": '{"statusCode": 200}'},
                        "responses": {
                            "default": {
                                "statusCode": "200",
                                "responseTemplates": {"application/json": BODY_TEXT},
                            }
                        },
                    },
                }
            },
            # REST mapping at work: a validator (a required query parameter, a body model),
            # VTL request and response templates reading the request. Its URL carries
            # ?name=bench (MAPPED_QUERY); the response is BODY only when the template saw it.
            "/mock-mapped": {
                "get": {
                    "parameters": [
                        {
                            "name": "name",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Query"}}
                        }
                    },
                    "responses": ok,
                    "x-amazon-apigateway-request-validator": "all",
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {
                            "application/json": "#set($n = $input.params('name'))"
                            '{"statusCode": #if($n != "")200#{else}500#end}'
                        },
                        "responses": {
                            "default": {
                                "statusCode": "200",
                                "responseTemplates": {
                                    "application/json": "#set($n = $input.params('name'))"
                                    f'#if($n == "bench"){BODY_TEXT}#else{{}}#end'
                                },
                            }
                        },
                    },
                }
            },
            "/proxy": {
                "get": {
                    "responses": ok,
                    "x-amazon-apigateway-integration": {
                        "type": "http_proxy",
                        "httpMethod": "GET",
                        "uri": f"http://127.0.0.1:{upstream_port}/",
                    },
                }
            },
            "/lambda": {
                "get": {
                    "responses": ok,
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "httpMethod": "POST",
                        "uri": lambda_uri,
                    },
                }
            },
        },
        "x-tollway-functions": {
            FUNCTION_NAME: {"handler": "app.handler", "code": FUNCTION_CODE, "timeout": 10}
        },
        "x-amazon-apigateway-request-validators": {
            "all": {"validateRequestBody": True, "validateRequestParameters": True}
        },
        "components": {
            "schemas": {
                "Query": {
                    "type": "object",
                    "properties": {"limit": {"type": "integer", "minimum": 1}},
                }
            }
        },
    }


MAPPED_QUERY = "mock-mapped?name=bench"


FUNCTION_SOURCE = f'''\
"""The benchmark's Lambda function: the smallest proxy-integration answer."""

BODY = {BODY_TEXT!r}


def handler(event, context):
    return {{"statusCode": 200, "headers": {{"Content-Type": "application/json"}}, "body": BODY}}
'''


# The cold-start scenario's function: the "trivial handler", nothing imported.
COLD_FUNCTION = "bench-cold"
COLD_BODY = "ok"
COLD_SOURCE = '''\
"""The cold-start benchmark's function: as trivial as a handler gets."""


def handler(event, context):
    return {"statusCode": 200, "body": "ok"}
'''


@dataclass(frozen=True)
class TollwayServer:
    child: Child
    port: int
    api_id: str
    data_dir: Path
    admin_port: int = 0  # the control plane (Lambda API, boto3's endpoint_url)

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"

    def client(self, service: str) -> Any:
        """A boto3 client of this Tollway's control plane."""
        import boto3  # only the benchmark's driver needs it (the `bench` extra)

        return boto3.client(
            service,
            endpoint_url=self.admin_url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )

    def url(self, route: str) -> str:
        return f"http://127.0.0.1:{self.port}/_aws/execute-api/{self.api_id}/{STAGE}/{route}"


@dataclass(frozen=True)
class HttpApis:
    """The benchmark's two HTTP APIs (API Gateway v2) on one Tollway, each made by quick
    create (`CreateApi` with a `Target`: a `$default` route and an auto-deploying `$default`
    stage, so URLs have no stage segment)."""

    proxy_url: str  # HTTP_PROXY to the upstream nginx (the `$default` route forwards the path)
    lambda_url: str  # AWS_PROXY to FUNCTION_NAME, payload format 2.0
    jwt_url: str  # the HTTP_PROXY API again, its `$default` route behind a JWT authorizer


def create_http_apis(
    server: TollwayServer, upstream_url: str, issuer: authorizers.JwtIssuer
) -> HttpApis:
    client = server.client("apigatewayv2")
    base = f"http://127.0.0.1:{server.port}/_aws/execute-api"
    proxy = client.create_api(Name="bench-http-proxy", ProtocolType="HTTP", Target=upstream_url)
    function = client.create_api(
        Name="bench-http-lambda",
        ProtocolType="HTTP",
        Target=f"arn:aws:lambda:us-east-1:000000000000:function:{FUNCTION_NAME}",
    )
    # As on AWS, creating the API does not let it invoke the function: a resource policy must.
    server.client("lambda").add_permission(
        FunctionName=FUNCTION_NAME,
        StatementId=f"bench-http-{function['ApiId']}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:000000000000:{function['ApiId']}/*",
    )
    jwt_api = authorizers.create_jwt_api(client, upstream_url, issuer)
    return HttpApis(
        proxy_url=f"{base}/{proxy['ApiId']}/proxy",
        lambda_url=f"{base}/{function['ApiId']}/lambda",
        jwt_url=f"{base}/{jwt_api}/proxy",
    )


def write_api(work: Path, upstream_port: int) -> Path:
    """The OpenAPI file and the function code it names (JSON is valid YAML)."""
    code = work / FUNCTION_CODE
    code.mkdir(parents=True, exist_ok=True)
    (code / "app.py").write_text(FUNCTION_SOURCE)
    authorizers.write_authorizer(work)
    api = work / "bench-api.json"
    api.write_text(json.dumps(openapi_document(upstream_port), indent=2))
    return api


def write_cold_api(work: Path) -> Path:
    """The cold-start API: one AWS_PROXY route to COLD_FUNCTION, its trivial handler."""
    code = work / "functions" / "cold"
    code.mkdir(parents=True, exist_ok=True)
    (code / "app.py").write_text(COLD_SOURCE)
    uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        f"arn:aws:lambda:us-east-1:000000000000:function:{COLD_FUNCTION}/invocations"
    )
    integration = {"type": "aws_proxy", "httpMethod": "POST", "uri": uri}
    document = {
        "openapi": "3.0.1",
        "info": {"title": "tollway-bench-cold", "version": "1.0"},
        "paths": {
            "/cold": {
                "get": {
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": integration,
                }
            }
        },
        "x-tollway-functions": {
            COLD_FUNCTION: {"handler": "app.handler", "code": "functions/cold", "timeout": 10}
        },
    }
    api = work / "bench-cold-api.json"
    api.write_text(json.dumps(document, indent=2))
    return api


def tollway_command(
    api: Path, data_dir: Path, access_log: str, extra: Sequence[str] = ()
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tollway",
        "serve",
        str(api),
        "--port",
        "0",
        "--admin-port",
        "0",
        "--data-dir",
        str(data_dir),
        "--access-log",
        access_log,
        "--log-level",
        "warning",
        *extra,
    ]


def start_tollway(
    children: Children,
    work: Path,
    api: Path,
    name: str,
    access_log: str,
    core: int,
    extra: Sequence[str] = (),
) -> TollwayServer:
    """Tollway pinned to `core`; `extra`: more `serve` options (--function-concurrency...)."""
    data_dir = work / f"{name}-data"
    command = ["taskset", "-c", str(core), *tollway_command(api, data_dir, access_log, extra)]
    child = children.start(name, command, work / f"{name}.out", work)
    # Port 0 lets Tollway pick free ports; the banner says which, and the API id.
    banner = re.compile(r"http://127\.0\.0\.1:(\d+)/_aws/execute-api/([^/\s]+)/" + STAGE + "/")
    control = re.compile(r"control plane: http://127\.0\.0\.1:(\d+)")
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        text = child.log_path.read_text(errors="replace")
        match, admin = banner.search(text), control.search(text)
        if match and admin:
            port, api_id = int(match.group(1)), match.group(2)
            server = TollwayServer(child, port, api_id, data_dir, int(admin.group(1)))
            wait_http_ok(f"http://127.0.0.1:{server.port}/_tollway/health", child)
            return server
        if child.process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not start; its output:\n{child.log_tail()}")


def start_redis(children: Children, work: Path, core: int) -> tuple[Child, str]:
    """A Redis of the run's own (nothing kept on disk), pinned to `core`: the runtime state
    of the Tollway measured with `--state redis://`."""
    port = free_port()
    command = [
        "taskset",
        "-c",
        str(core),
        REDIS,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(work),
    ]
    child = children.start("redis", command, work / "redis.out", work)
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return child, f"redis://127.0.0.1:{port}/0"
        except OSError:
            pass
        if child.process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"redis did not start; its output:\n{child.log_tail()}")


def wait_http_ok(url: str, child: Child, timeout: float = _START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(f"{child.name} exited; its output:\n{child.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as e:
            last_error = str(e)
        time.sleep(0.05)
    raise RuntimeError(f"{url} not ready after {timeout:.0f}s ({last_error})")


def check_answer(url: str, headers: Sequence[str] = ()) -> None:
    """One request before the load: the scenario must answer 200 with BODY, or it measures
    something else (an error page is cheap to serve). `headers`: "Name: value" lines."""
    request = urllib.request.Request(url, headers=dict(h.split(": ", 1) for h in headers))
    with urllib.request.urlopen(request, timeout=15) as response:
        status, text = response.status, response.read().decode()
    if status != 200 or json.loads(text) != BODY:
        raise RuntimeError(f"{url} answered {status} {text[:200]!r}, not the benchmark body")


def start_floor(children: Children, work: Path, upstream_url: str, core: int) -> tuple[Child, str]:
    """The bare uvicorn app of floor.py, and its base URL."""
    port = free_port()
    floor = Path(__file__).resolve().parent / "floor.py"
    command = [
        "taskset",
        "-c",
        str(core),
        sys.executable,
        str(floor),
        "--port",
        str(port),
        "--upstream",
        upstream_url,
    ]
    child = children.start("python-floor", command, work / "floor.out", work)
    base = f"http://127.0.0.1:{port}/"
    wait_http_ok(base + "mock", child)
    return child, base
