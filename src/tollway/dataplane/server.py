"""The gateway listener: API Gateway's invoke endpoint over ASGI.

Finds the API and stage a request is for (endpoint.py), reads the body (at most 10 MB, the
payload limit of REST and HTTP APIs: more is REQUEST_TOO_LARGE, 413), checks the request
against the other limits (spec §12.3: REST's header values and URL, HTTP APIs' request line
and header values; 431 and 414, before any pipeline work), runs the REST pipeline
or, for an HTTP API, selects its stage (http_api/stages.py) and runs the HTTP API pipeline,
and sends what it produced. A request for no API Tollway knows gets a 404 saying how invoke
URLs look (AWS would not answer at all: the host would not resolve); an unknown stage of a
REST API is AWS's 403 "Missing Authentication Token", a path no stage of an HTTP API serves
its 404 "Not Found". WebSocket APIs (dataplane/websocket/): an upgrade at a stage's URL is a
connection (session.py); a plain request serves the `@connections` API (management.py), and
anything else gets 403 `{"message":"Forbidden"}`, as does an upgrade no WebSocket stage serves.

A request whose Host is a custom domain name goes by the domain's mappings instead
(domains.py); an mTLS domain serves only requests whose TLS connection was verified for it
(tls.py). An API with `disableExecuteApiEndpoint` (REST) / `DisableExecuteApiEndpoint` (HTTP)
in its deployment answers 403 `{"message":"Forbidden"}` on the default endpoint (both the
execute-api host and the `/_aws/execute-api/` form) and still serves its custom domains (AWS:
REST documented; HTTP APIs' answer UNCONFIRMED, the same chosen).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from tollway.asgi import read_body, send_response
from tollway.dataplane.chain import Pipeline
from tollway.dataplane.compile import unknown_stage
from tollway.dataplane.compression import compress_response
from tollway.dataplane.context import Request, Response, RestContext
from tollway.dataplane.domains import RESERVED_PATHS, CompiledDomain, DomainTable, route
from tollway.dataplane.endpoint import PATH_PREFIX, Endpoint, resolve
from tollway.dataplane.errors import GatewayError, HeadersTooLarge, RequestTooLarge, UriTooLong
from tollway.dataplane.handlers.gateway_response import render_error
from tollway.dataplane.http_api import errors as http_errors
from tollway.dataplane.http_api.compile import unserved_stage
from tollway.dataplane.http_api.compiled import HttpApiStages
from tollway.dataplane.http_api.context import HttpContext
from tollway.dataplane.http_api.stages import Selected, select_stage
from tollway.dataplane.http_protocol import HEADER_BYTES
from tollway.dataplane.registry import DeploymentRegistry
from tollway.dataplane.websocket.compiled import CompiledWsStage
from tollway.dataplane.websocket.management import MAX_DATA_BYTES, is_management, manage
from tollway.dataplane.websocket.session import WebSocketSessions, send_ws_refusal
from tollway.model import ids

log = logging.getLogger("tollway.dataplane")

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
MAX_HEADER_BYTES = 10_240  # REST: all header values; HTTP APIs: request line + header values
MAX_URL_LENGTH = 10_240  # a regional REST API's URL (path and query)
_HEALTH = b"/_tollway/health"
_FORBIDDEN = b'{"message":"Forbidden"}'


class _Via:
    """How a request reached its API: the custom domain's match, or the default endpoint."""

    __slots__ = ("base_path", "client_cert")

    def __init__(self, base_path: str | None, client_cert: dict[str, Any] | None) -> None:
        self.base_path = base_path
        self.client_cert = client_cert


_DEFAULT_ENDPOINT = _Via(None, None)


class GatewayServer:
    def __init__(
        self,
        registry: DeploymentRegistry,
        pipeline: Pipeline[RestContext],
        *,
        account_id: str,
        region: str,
        http_pipeline: Pipeline[HttpContext],
        domains: DomainTable | None = None,
        websockets: WebSocketSessions | None = None,
    ) -> None:
        self.registry = registry
        self.websockets = websockets
        self.domains = domains
        self.pipeline = pipeline
        self.http_pipeline = http_pipeline
        self.account_id = account_id
        self.region = region
        self.ready = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await self._serve_websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            await self._serve(scope, receive, send)
        except Exception:
            # The pipeline renders its own failures; this is for anything around it. Never a
            # traceback or a server's own page to the client: AWS's 500, details in the log.
            request_id = ids.request_id()
            log.exception("request %s failed before reaching the pipeline", request_id)
            body = b'{"message": "Internal server error"}'
            await _send(
                send,
                Response(
                    500,
                    [
                        ("Content-Type", "application/json"),
                        ("x-amzn-RequestId", request_id),
                        ("x-amzn-ErrorType", "InternalServerErrorException"),
                    ],
                    body,
                ),
            )

    async def _serve(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        if raw_path == _HEALTH:
            status, body = (
                (200, b'{"status":"ok"}') if self.ready else (503, b'{"status":"starting"}')
            )
            await _send(send, Response(status, [("Content-Type", "application/json")], body))
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        host = next((v for k, v in headers if k.lower() == "host"), "")
        path = raw_path.decode("latin-1")
        endpoint, via, refusal = self._locate(scope, host, path)
        if refusal is not None:
            await _send(send, refusal)
            return
        assert endpoint is not None
        if (
            self.websockets is not None
            and (ws_api := self.registry.websocket_api(endpoint.api_id)) is not None
        ):
            await self._serve_ws_http(ws_api, endpoint, via, scope, receive, send, headers, host)
            return
        http_api = self.registry.http_api(endpoint.api_id)
        if http_api is not None:
            await self._serve_http(http_api, endpoint, via, scope, receive, send, headers, host)
            return
        stage = self.registry.lookup(endpoint.api_id, endpoint.stage_name)
        if stage is not None and stage.disable_execute_api_endpoint and via.base_path is None:
            await _send(send, _forbidden())
            return
        stage = stage or unknown_stage(
            endpoint.api_id, endpoint.stage_name, self.account_id, self.region
        )
        payload = await read_body(receive, MAX_PAYLOAD_BYTES)
        request = _request(scope, path, endpoint.path, endpoint.stage_path, headers, host, payload)
        request.base_path, request.client_cert = via.base_path, via.client_cert
        ctx = RestContext(request, stage)
        refused = _rest_limits(scope, raw_path)
        if refused is None and payload is None:
            refused = RequestTooLarge()
        if refused is not None:
            ctx.response = render_error(ctx, refused)
            self.pipeline.finish(ctx)
        else:
            await self.pipeline.run(ctx)
        assert ctx.response is not None
        minimum = stage.minimum_compression_size
        if minimum is not None:
            ctx.response = compress_response(
                ctx.response, request.header("Accept-Encoding"), minimum
            )
        await _send(send, ctx.response)

    def _locate(
        self, scope: dict[str, Any], host: str, path: str
    ) -> tuple[Endpoint | None, _Via, Response | None]:
        """The API and stage a request is for, how it came, or the answer when none is."""
        domain = self.domains.find(host) if self.domains and self.domains.domains else None
        if domain is not None:
            endpoint, via_domain, refusal = self._domain_endpoint(domain, scope, path)
            return endpoint, via_domain or _DEFAULT_ENDPOINT, refusal
        endpoint = resolve(host, path)
        if endpoint is None or not self.registry.knows(endpoint.api_id):
            return (
                None,
                _DEFAULT_ENDPOINT,
                _no_api(host, path, endpoint.api_id if endpoint else None),
            )
        return endpoint, _DEFAULT_ENDPOINT, None

    async def _serve_websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """A WebSocket upgrade: served when it is for a WebSocket API's stage, else refused
        with the answer a plain request to the same URL would get."""
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1")
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"host"), "")
        endpoint, via, refusal = self._locate(scope, host, path)
        stages = self.registry.websocket_api(endpoint.api_id) if endpoint is not None else None
        stage = stages.get(endpoint.stage_name) if stages is not None and endpoint else None
        if refusal is None and (
            stage is None
            or endpoint is None
            or endpoint.path != "/"
            or (stage.disable_execute_api_endpoint and via.base_path is None)
        ):
            refusal = _forbidden()
        if refusal is not None or self.websockets is None or stage is None or endpoint is None:
            await receive()  # websocket.connect
            response = refusal or _forbidden()
            await send_ws_refusal(send, response.status, response.headers, response.body)
            return
        if via.base_path is None and path.startswith(PATH_PREFIX):
            domain_name = f"{host}{PATH_PREFIX}{endpoint.api_id}"
        else:
            domain_name = host
        arn_prefix = (
            f"arn:aws:execute-api:{self.region}:{self.account_id}:{endpoint.api_id}/"
            f"{endpoint.stage_name}/"
        )
        await self.websockets.serve(stage, scope, receive, send, domain_name, arn_prefix)

    async def _serve_ws_http(
        self,
        stages: dict[str, CompiledWsStage],
        endpoint: Endpoint,
        via: _Via,
        scope: dict[str, Any],
        receive: Any,
        send: Any,
        headers: list[tuple[str, str]],
        host: str,
    ) -> None:
        """A plain HTTP request to a WebSocket API: the `@connections` API, else 403."""
        assert self.websockets is not None
        stage = stages.get(endpoint.stage_name)
        if (
            stage is None
            or not is_management(endpoint.path)
            or (stage.disable_execute_api_endpoint and via.base_path is None)
        ):
            await _send(send, _forbidden())
            return
        body = await read_body(receive, MAX_DATA_BYTES)
        iam = self.websockets.management_iam
        if iam is not None:  # `--identities`: calls must be signed and allowed
            raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
            request = _request(scope, raw_path, endpoint.path, "", headers, host, body)
            arn = iam.arn(endpoint.api_id, endpoint.stage_name, scope["method"], endpoint.path)
            refusal = iam.refusal(request, arn)
            if refusal is not None:
                await _send(send, refusal)
                return
        response = await manage(
            self.websockets.connections, endpoint.api_id, scope["method"], endpoint.path, body
        )
        await _send(send, response)

    def _domain_endpoint(
        self, domain: CompiledDomain, scope: dict[str, Any], path: str
    ) -> tuple[Endpoint | None, _Via | None, Response | None]:
        """Where a custom domain's mappings send the request, or the domain's own answer."""
        if path in RESERVED_PATHS:
            return None, None, Response(200, [], b"")
        client_cert = None
        if domain.mtls:
            tls = (scope.get("extensions") or {}).get("tls") or {}
            client_cert = tls.get("client_cert")
            # verified at the handshake, against this domain's truststore (tls.py)
            if tls.get("server_name") != domain.name or client_cert is None:
                return None, None, _forbidden()
        match = route(domain, path)
        if match is None or not self.registry.knows(match.endpoint.api_id):
            return None, None, _forbidden()
        return match.endpoint, _Via(match.base_path, client_cert), None

    async def _serve_http(
        self,
        api: HttpApiStages,
        endpoint: Endpoint,
        via: _Via,
        scope: dict[str, Any],
        receive: Any,
        send: Any,
        headers: list[tuple[str, str]],
        host: str,
    ) -> None:
        if via.base_path is None:
            selected = select_stage(api, endpoint)
            if selected is not None and selected.stage.disable_execute_api_endpoint:
                await _send(send, _forbidden())
                return
        else:  # a mapping names its stage; the path after the mapping key is routed whole
            found = api.stage(endpoint.stage_name)
            selected = Selected(found, endpoint.path) if found is not None else None
        payload = await read_body(receive, MAX_PAYLOAD_BYTES)
        path = selected.path if selected else endpoint.stage_path
        # stage_path is rawPath: the path as received, a named stage's segment included
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        request = _request(scope, raw_path, path, endpoint.stage_path, headers, host, payload)
        request.base_path, request.client_cert = via.base_path, via.client_cert
        # No stage for the path: a stage with no routes answers (404, logged like any other).
        stage = (
            selected.stage if selected else unserved_stage(api.api_id, self.account_id, self.region)
        )
        server = scope.get("server") or ("", 0)
        ctx = HttpContext(request, stage, gateway_ip=server[0] or "127.0.0.1")
        refused = _http_api_limits(scope, raw_path)
        if refused is None and payload is None:
            refused = RequestTooLarge()
        if refused is not None:
            ctx.response = http_errors.render_error(ctx, refused)
            self.http_pipeline.finish(ctx)
        else:
            await self.http_pipeline.run(ctx)
        assert ctx.response is not None
        await _send(send, ctx.response)


def _header_bytes(scope: dict[str, Any]) -> int:
    """The header values' total: counted by the listener as it parsed them (http_protocol.py),
    or here for a server that does not count."""
    counted: int | None = scope.get(HEADER_BYTES)
    return counted if counted is not None else sum(len(v) for _, v in scope["headers"])


def _url_length(scope: dict[str, Any], raw_path: str | bytes) -> int:
    query: bytes = scope["query_string"]
    return len(raw_path) + (len(query) + 1 if query else 0)


def _rest_limits(scope: dict[str, Any], raw_path: str | bytes) -> GatewayError | None:
    """REST's URL and header limits (a regional API's: 10,240 characters, 10,240 bytes)."""
    length = _url_length(scope, raw_path)
    if length > MAX_URL_LENGTH:
        return UriTooLong(length, MAX_URL_LENGTH)
    size = _header_bytes(scope)
    return HeadersTooLarge(size, MAX_HEADER_BYTES) if size > MAX_HEADER_BYTES else None


def _http_api_limits(scope: dict[str, Any], raw_path: str | bytes) -> GatewayError | None:
    """HTTP APIs count the request line (`GET /path?query HTTP/1.1`) with the header values."""
    line = len(scope["method"]) + 1 + _url_length(scope, raw_path) + len(" HTTP/1.1")
    size = line + _header_bytes(scope)
    return HeadersTooLarge(size, MAX_HEADER_BYTES) if size > MAX_HEADER_BYTES else None


def _request(
    scope: dict[str, Any],
    raw_path: str,
    path: str,
    stage_path: str,
    headers: list[tuple[str, str]],
    host: str,
    payload: bytes | None,
) -> Request:
    client = scope.get("client") or ("", 0)
    server = scope.get("server") or ("", 0)
    return Request(
        method=scope["method"],
        path=path,
        stage_path=stage_path,
        query_string=scope["query_string"].decode("latin-1"),
        headers=headers,
        body=payload or b"",
        source_ip=client[0],
        host=host,
        scheme=scope.get("scheme", "http"),
        port=server[1] or 0,
        raw_path=raw_path,
    )


def _no_api(host: str, path: str, api_id: str | None) -> Response:
    if api_id:
        message = f"Tollway serves no API with id '{api_id}'"
    else:
        message = (
            f"No API for host '{host}' and path '{path}': invoke URLs are "
            f"http://{{api-id}}.execute-api.<anything>/{{stage}}/... or "
            f"{PATH_PREFIX}{{api-id}}/{{stage}}/..."
        )
    body = orjson.dumps({"message": message})
    return Response(
        404, [("Content-Type", "application/json"), ("x-amzn-ErrorType", "NotFoundException")], body
    )


def _forbidden() -> Response:
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", ids.request_id()),
        ("x-amzn-ErrorType", "ForbiddenException"),
    ]
    return Response(403, headers, _FORBIDDEN)


async def _send(send: Any, response: Response) -> None:
    await send_response(send, response.status, response.headers, response.body)
