"""The composition root: builds the store, runtime state, function host, both listeners, and
runs them until a signal asks them to stop.

Concrete classes are chosen and wired only here. One process, one event loop (uvloop): the
gateway and the control plane are two uvicorn servers sharing it; functions run in worker
processes owned by the function host.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import uvicorn

from tollway import __version__
from tollway.auth.identities import IdentitiesError, StaticIdentities, load_identities
from tollway.control import acm
from tollway.control.admin_auth import AdminAuth
from tollway.control.apigateway import operations as apigateway_operations
from tollway.control.apigatewayv2 import operations as apigatewayv2_operations
from tollway.control.files import LoadedApi, load_file
from tollway.control.lambda_api import ops as lambda_operations
from tollway.control.operations import ControlPlane
from tollway.control.server import ControlServer
from tollway.dataplane.auth.jwks import JwksCache
from tollway.dataplane.auth.services import AuthServices
from tollway.dataplane.auth.test_invoke import AuthorizerTester
from tollway.dataplane.domains import DomainTable
from tollway.dataplane.handlers.access_log import AccessLog
from tollway.dataplane.http_api.pipeline import http_pipeline
from tollway.dataplane.http_protocol import CasePreservingHttpToolsProtocol
from tollway.dataplane.integrations import IntegrationServices
from tollway.dataplane.integrations.aws_service import AwsCredentials, AwsServices
from tollway.dataplane.integrations.upstream_httptools import HttpToolsUpstream
from tollway.dataplane.pipeline import rest_pipeline
from tollway.dataplane.registry import DeploymentRegistry
from tollway.dataplane.server import GatewayServer
from tollway.dataplane.test_invoke import MethodTester
from tollway.dataplane.tls import TlsContexts
from tollway.dataplane.usage_plans import KeyIndex, RequestLimits
from tollway.dataplane.websocket.management_iam import ManagementIam
from tollway.dataplane.websocket.metering import WsMetering, connection_bucket
from tollway.dataplane.websocket.protocol import MAX_MESSAGE_BYTES, GatewayWebSocketProtocol
from tollway.dataplane.websocket.session import WebSocketSessions, WsLimits
from tollway.functions.host import FunctionHost
from tollway.functions.logs import FunctionLogs
from tollway.functions.registry import FunctionRegistry
from tollway.functions.remote import RemoteInvoker
from tollway.model.http_api import DEFAULT_STAGE
from tollway.observability.access_log import AccessLogSink
from tollway.settings import Settings, parse_throttle
from tollway.state.authorizer_cache import AuthorizerCache, MemoryAuthorizerCache
from tollway.state.changes import LocalChangeFeed
from tollway.state.connections import MemoryConnections
from tollway.state.connections_redis import RedisConnections
from tollway.state.key_changes import RedisKeyChanges
from tollway.state.limits import Bucket, Limits, SettableClock
from tollway.state.limits_memory import MemoryLimits
from tollway.state.limits_redis import GuardedLimits, RedisLimits
from tollway.state.redis import RedisState
from tollway.state.redis_authorizer_cache import RedisAuthorizerCache
from tollway.state.redis_response_cache import RedisResponseCache
from tollway.state.response_cache import MemoryResponseCache, ResponseCache
from tollway.store.sqlite import SqliteStore

log = logging.getLogger("tollway")


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to Tollway (two servers share a loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _config(
    app: Any, protocol: Any, idle_timeout: float = 60.0, ws: Any = "none"
) -> uvicorn.Config:
    # Sockets are bound by Tollway (port 0 works, URLs are printed before serving); the event
    # loop is already running; lifespan events are not used. `ws`: the gateway's WebSocket
    # protocol (dataplane/websocket/protocol.py); the control plane has none.
    return uvicorn.Config(
        app,
        http=protocol,
        loop="none",
        ws=ws,
        ws_max_size=MAX_MESSAGE_BYTES,  # API Gateway's WebSocket message limit (protocol.py)
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        # a gateway connection's idle timeout (settings.idle_timeout; http_protocol.py)
        timeout_keep_alive=idle_timeout,  # type: ignore[arg-type]
        # API Gateway's sourceIp is the TCP peer; X-Forwarded-For must not rewrite it.
        proxy_headers=False,
    )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise SystemExit(f"tollway: cannot listen on {host}:{port}: {e.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _cognito_endpoint(endpoints: dict[str, str]) -> str | None:
    """Where Cognito user pools' keys come from: `--aws-endpoint cognito-idp=URL` (or `*`)."""
    return endpoints.get("cognito-idp") or endpoints.get("*")


class Tollway:
    def __init__(self, settings: Settings, *, out: TextIO = sys.stdout) -> None:
        self.settings = settings
        self.out = out
        self.identities, self.identity_warnings = _identities(settings)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = SqliteStore(settings.store_path)
        self.changes = LocalChangeFeed()
        # Runtime state: this process's memory, or one Redis shared by gateway processes.
        self.redis = (
            RedisState(settings.state_url, prefix=settings.state_prefix)
            if settings.state_url
            else None
        )
        self.response_cache, authorizer_cache = _caches(self.redis)
        self.function_logs = FunctionLogs(settings.logs_dir)
        self.host = FunctionHost(
            max_concurrency=settings.function_concurrency,
            idle_timeout=settings.function_idle_timeout,
            log_sink=self.function_logs.append,
        )
        self.upstream = HttpToolsUpstream()
        self.functions = FunctionRegistry(
            self.store, self.host, settings, RemoteInvoker(self.upstream)
        )
        services = IntegrationServices(
            self.upstream,
            self.functions,
            settings.region,
            settings.account_id,
            AwsServices(settings.aws_endpoint_urls, AwsCredentials(settings.aws_profile)),
            AuthServices(
                cache=authorizer_cache,
                jwks=JwksCache(self.upstream),
                cognito_endpoint=_cognito_endpoint(settings.aws_endpoint_urls),
                identities=self.identities,
            ),
            response_cache=self.response_cache,
        )
        self.registry = DeploymentRegistry(self.store, services)
        self.changes.subscribe(self.registry.reload)
        self.domains = DomainTable(self.store)
        self.changes.subscribe(self.domains.changed)
        self.tls = (
            TlsContexts(self.store, settings.tls_cert, settings.tls_key)
            if settings.tls_port >= 0
            else None
        )
        if self.tls is not None:
            self.changes.subscribe(self.tls.changed)
        self.limits = _limits(settings, self.store, self.redis)
        self.changes.subscribe_keys(self.limits.keys.changed)
        # Other processes sharing the store and Redis learn of key and plan changes too.
        self.key_changes = (
            RedisKeyChanges(self.redis, self.limits.keys.changed) if self.redis else None
        )
        if self.key_changes is not None:
            self.changes.subscribe_keys(self.key_changes.publish)
        self.access_log = AccessLogSink(settings.access_log, settings.access_log_path)
        # WebSocket connections: this process's, or registered in Redis for every process.
        self.connections: MemoryConnections | RedisConnections = (
            RedisConnections(self.redis, ttl=settings.websocket_node_ttl)
            if self.redis
            else MemoryConnections()
        )
        self.gateway = GatewayServer(
            self.registry,
            rest_pipeline([AccessLog(self.access_log)], self.limits),
            account_id=settings.account_id,
            region=settings.region,
            http_pipeline=http_pipeline([AccessLog(self.access_log)], self.limits),
            domains=self.domains,
            websockets=WebSocketSessions(
                self.connections,
                WsLimits(settings.websocket_idle_timeout, settings.websocket_max_duration),
                WsMetering(self.limits, connection_bucket(settings.websocket_connection_rate)),
                ManagementIam(self.identities, settings.region, settings.account_id)
                if settings.identities
                else None,
            ),
        )
        self.admin = (
            AdminAuth(self.identities, settings.region, settings.account_id)
            if settings.admin_auth_required
            else None
        )
        self.plane = ControlPlane(
            self.store,
            settings,
            self.changes,
            self.functions,
            MethodTester(services),
            authorizers=AuthorizerTester(services),
            admin=self.admin,
            limits=self.limits,
            response_cache=self.response_cache,
        )
        self.control = ControlServer(
            self.plane,
            [apigateway_operations(), apigatewayv2_operations(), lambda_operations, acm.ops],
            self.admin,
        )
        self._stop = asyncio.Event()

    def request_stop(self) -> None:
        self._stop.set()

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def serve(self, files: Sequence[Path] = ()) -> None:
        s = self.settings
        gateway_sock = _bind(s.host, s.port)
        admin_sock = _bind(s.admin_host, s.admin_port)
        gateway_port = gateway_sock.getsockname()[1]
        admin_port = admin_sock.getsockname()[1]
        tls_sock = _bind(s.host, s.tls_port) if self.tls is not None else None
        loaded = [load_file(self.plane, path, s.stage) for path in files]
        self.registry.load_all()
        self.domains.load()
        self.limits.keys.reload()
        self.access_log.start()

        gateway = self._gateway_server()
        control = _Server(_config(self.control, "httptools"))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.request_stop)
        servers = [gateway, control]
        tasks = [
            asyncio.create_task(gateway.serve(sockets=[gateway_sock])),
            asyncio.create_task(control.serve(sockets=[admin_sock])),
        ]
        key_changes = (
            asyncio.create_task(self.key_changes.run()) if self.key_changes is not None else None
        )
        if isinstance(self.connections, RedisConnections):
            self.connections.start()
        if self.tls is not None and tls_sock is not None:
            self.tls.load()
            https = self._gateway_server()
            https.config.load()
            https.config.ssl = self.tls.context  # uvicorn builds contexts from files only
            servers.append(https)
            tasks.append(asyncio.create_task(https.serve(sockets=[tls_sock])))
        while not all(server.started for server in servers):
            if any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.01)
        self.gateway.ready = self.control.ready = True
        self._banner(gateway_port, admin_port, loaded, tls_sock)
        stop = asyncio.create_task(self._stop.wait())
        await asyncio.wait([stop, *tasks], return_when=asyncio.FIRST_COMPLETED)
        self._print("Tollway is stopping: finishing requests in flight...")
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        stop.cancel()
        if key_changes is not None:
            key_changes.cancel()
        if isinstance(self.connections, RedisConnections):
            await self.connections.stop()
        await self.close()
        self._print("Tollway stopped.")

    async def close(self) -> None:
        await self.functions.events.close()
        self.functions.close()
        await self.host.close()
        self.function_logs.close()
        await self.upstream.close()
        await self.access_log.close()
        if self.redis is not None:
            await self.redis.close()
        self.store.close()

    def _gateway_server(self) -> _Server:
        """A gateway listener (plain HTTP, or HTTPS once given the TLS context)."""
        return _Server(
            _config(
                self.gateway,
                CasePreservingHttpToolsProtocol,
                self.settings.idle_timeout,
                GatewayWebSocketProtocol,
            )
        )

    def _banner(
        self,
        gateway_port: int,
        admin_port: int,
        loaded: list[LoadedApi],
        tls_sock: socket.socket | None = None,
    ) -> None:
        s = self.settings
        self._print(f"Tollway {__version__}")
        self._print(f"  gateway:       http://{s.host}:{gateway_port}")
        if tls_sock is not None:
            https_port = tls_sock.getsockname()[1]
            self._print(f"  gateway HTTPS: https://{s.host}:{https_port}  (custom domains by SNI)")
        self._print(
            f"  control plane: http://{s.admin_host}:{admin_port}"
            "  (boto3 endpoint_url / aws --endpoint-url)"
        )
        if self.admin is not None:
            self._print("                 calls must be SigV4-signed by admin keys")
        self._print(f"  data:          {s.data_dir.resolve()}")
        self._print(f"  state:         {s.state}")
        if s.limits_clock == "on":
            self._print(
                "  warning: the clock of throttling and quotas can be moved "
                "(POST /_tollway/clock): a testing aid, never for production"
            )
        if s.identities:
            self._print(f"  identities:    {len(self.identities)} access keys from {s.identities}")
        for warning in self.identity_warnings:
            self._print(f"  warning: {warning}")
        for api in loaded:
            kind = "HTTP API " if api.http_api else ""
            self._print(f"Deployed {kind}{api.name} ({api.api_id}) to stage {api.stage}:")
            # An HTTP API's $default stage is served without a stage segment.
            segment = "" if api.http_api and api.stage == DEFAULT_STAGE else f"{api.stage}/"
            self._print(f"  http://{api.api_id}.execute-api.localhost:{gateway_port}/{segment}")
            self._print(f"  http://{s.host}:{gateway_port}/_aws/execute-api/{api.api_id}/{segment}")
            for warning in api.warnings:
                self._print(f"  warning: {warning}")
        self._print("Ready.")


def _limits(settings: Settings, store: SqliteStore, redis: RedisState | None) -> RequestLimits:
    """Throttling and quota state: this process's memory, or Redis with a memory fallback."""
    rate, burst = parse_throttle(settings.account_throttle)
    account = Bucket("account", rate, burst)
    clock: Callable[[], float] = SettableClock() if settings.limits_clock == "on" else time.time
    local = MemoryLimits(clock)
    limits: Limits = local
    if redis is not None:
        limits = GuardedLimits(RedisLimits(redis, clock), local, redis)
    return RequestLimits(KeyIndex(store, account), limits, account)


def _caches(redis: RedisState | None) -> tuple[ResponseCache, AuthorizerCache]:
    """The stage cache and the authorizer cache: in this process, or shared through Redis."""
    if redis is None:
        return MemoryResponseCache(), MemoryAuthorizerCache()
    return RedisResponseCache(redis), RedisAuthorizerCache(redis)


def _identities(settings: Settings) -> tuple[StaticIdentities, list[str]]:
    """The identity store of the identities file (none without one); refuses to start a
    control plane that must be signed with no admin key to sign it."""
    identities, warnings = StaticIdentities(), list[str]()
    if settings.identities:
        try:
            identities, warnings = load_identities(Path(settings.identities), settings.account_id)
        except IdentitiesError as e:
            raise SystemExit(f"tollway: {e}") from None
    if settings.admin_auth_required and not identities.has_admin():
        where = (
            f"listens on {settings.admin_host}, beyond loopback,"
            if settings.admin_auth == "auto"
            else "was asked to (--admin-auth on)"
        )
        raise SystemExit(
            f"tollway: the control plane {where} so it requires calls SigV4-signed by admin "
            "keys, and none are configured: give an identities file (--identities FILE) with "
            "an identity marked `admin: true`, or --admin-auth off to accept unsigned calls "
            "from anyone who can reach it"
        )
    return identities, warnings


def run(settings: Settings, files: Sequence[Path]) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency on every supported OS
        asyncio.run(Tollway(settings).serve(files))
    else:
        uvloop.run(Tollway(settings).serve(files))
