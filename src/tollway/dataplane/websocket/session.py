"""One WebSocket connection from handshake to `$disconnect` (spec §13.2-13.6).

AWS counterpart: API Gateway's WebSocket connection lifecycle.
- Handshake: `$connect` authorization (authorize.py: AWS_IAM, a Lambda REQUEST authorizer),
  then the `$connect` integration; a refusal or a non-2xx answer refuses the
  upgrade with that status (the body `{"message": ...}`, or the function's `body`). The
  function's `Sec-WebSocket-Protocol` response header is the subprotocol the handshake
  returns. No `$connect` route: the connection is accepted.
- Messages: text only (a binary frame closes the connection with 1003); each is routed by the
  stage's selection expression (compiled.py) and handled in a task of its own, so a slow
  integration does not hold up the next message (AWS does not order them either). No route
  and no `$default`: the frame `{"message": "Forbidden", "connectionId":"...",
  "requestId":"..."}`; an integration that fails: `{"message": "Internal server error", ...}`
  (the shape reported from AWS, GitHub aws-samples/simple-websockets-chat-app#24; the
  spacing is AWS's as reported); a message the route's request models refuse:
  `{"message": "Invalid request body", ...}` (validation.py). A two-way route sends the
  integration's output back.
- API keys on `$connect`, route and account throttling, the new-connection rate: metering.py
  (after the `$connect` authorization; per message, before its validation and integration).
- Limits: messages over 128 KB (and frames over 32 KB) close with 1009 (protocol.py); a
  connection with no client message for the idle timeout (10 min), or open for the maximum
  duration (2 h), is closed with 1001 "Going away" (AWS's codes are UNCONFIRMED, spec App. A
  #9). Pings are answered by the protocol and do not count as activity.
- `$disconnect`: after the close, in the background (best effort, as on AWS: it never delays
  the close), with `disconnectStatusCode` (the close code; 1005 when the client sent none,
  1006 when the connection dropped) and `disconnectReason`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import orjson

from tollway.dataplane.context import Request
from tollway.dataplane.websocket.authorize import Refused
from tollway.dataplane.websocket.compiled import CONNECT, DISCONNECT, CompiledWsStage
from tollway.dataplane.websocket.events import (
    Connection,
    connect_event,
    disconnect_event,
    message_event,
    request_context,
)
from tollway.dataplane.websocket.integrations import IntegrationFailed
from tollway.dataplane.websocket.management_iam import ManagementIam
from tollway.dataplane.websocket.metering import WsMetering
from tollway.dataplane.websocket.selection import parse_message
from tollway.model import ids
from tollway.state.connections import ConnectionInfo, ConnectionRegistry

log = logging.getLogger("tollway.dataplane")

GOING_AWAY = 1001
UNSUPPORTED_DATA = 1003


@dataclass(frozen=True, slots=True)
class WsLimits:
    idle_timeout: float = 600.0  # seconds without a client message
    max_duration: float = 7200.0  # seconds a connection may stay open


def connection_id() -> str:
    """A connection id as AWS shows them (`R1kmxc2VNjMCFIA=`), without `/` so that it is one
    path segment of `@connections` URLs whether or not a client encodes it."""
    while "/" in (candidate := ids.extended_request_id()):
        pass
    return candidate


def error_frame(message: str, connection_id: str, request_id: str) -> str:
    return (
        f'{{"message": "{message}", "connectionId":"{connection_id}", "requestId":"{request_id}"}}'
    )


class _Socket:
    """The registry's handle on this connection (state/connections.py `Socket`)."""

    __slots__ = ("_send", "closed_by_server")

    def __init__(self, send: Any) -> None:
        self._send = send
        self.closed_by_server: tuple[int, str] | None = None

    async def send(self, data: bytes) -> bool:
        if self.closed_by_server is not None:
            return False
        try:
            text = data.decode()
        except UnicodeDecodeError:
            message: dict[str, Any] = {"type": "websocket.send", "bytes": data}
        else:
            message = {"type": "websocket.send", "text": text}
        try:
            await self._send(message)
        except Exception:  # the client is gone: uvicorn raises once the transport closed
            return False
        return True

    async def close(self, code: int, reason: str) -> None:
        if self.closed_by_server is None:
            self.closed_by_server = (code, reason)
            with contextlib.suppress(Exception):  # already closed by the client
                await self._send({"type": "websocket.close", "code": code, "reason": reason})


class WebSocketSessions:
    """Serves the WebSocket connections of every WebSocket API stage."""

    def __init__(
        self,
        connections: ConnectionRegistry,
        limits: WsLimits | None = None,
        metering: WsMetering | None = None,
        management_iam: ManagementIam | None = None,
    ) -> None:
        self.connections = connections
        self.limits = limits or WsLimits()
        self.metering = metering  # API keys, throttles, the new-connection rate (metering.py)
        self.management_iam = management_iam  # `@connections` IAM (management_iam.py)
        self._background: set[asyncio.Task[None]] = set()

    async def serve(
        self,
        stage: CompiledWsStage,
        scope: dict[str, Any],
        receive: Any,
        send: Any,
        domain_name: str,
        arn_prefix: str,
    ) -> None:
        first = await receive()
        if first["type"] != "websocket.connect":
            return
        now = time.time()
        client = scope.get("client") or ("", 0)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        conn = Connection(
            connection_id=connection_id(),
            api_id=stage.api_id,
            stage=stage.stage_name,
            domain_name=domain_name,
            source_ip=client[0],
            user_agent=None,
            connected_at=now,
            headers=headers,
            query_string=scope["query_string"].decode("latin-1"),
            stage_variables=stage.stage_variables,
        )
        conn.user_agent = conn.header("User-Agent")
        subprotocol = await self._connect(stage, conn, scope, send, arn_prefix)
        if subprotocol is False:
            return
        accept: dict[str, Any] = {"type": "websocket.accept"}
        if isinstance(subprotocol, str):
            accept["subprotocol"] = subprotocol
        await send(accept)
        socket = _Socket(send)
        info = ConnectionInfo(
            conn.connection_id, stage.api_id, stage.stage_name, now, now, conn.source_ip,
            conn.user_agent,
        )  # fmt: skip
        self.connections.add(info, socket)
        try:
            code, reason = await self._messages(stage, conn, info, receive, socket)
        finally:
            self.connections.remove(conn.connection_id)
        if stage.disconnect is not None and stage.disconnect.integration is not None:
            self._spawn(self._disconnect(stage, conn, code, reason))

    async def _connect(
        self,
        stage: CompiledWsStage,
        conn: Connection,
        scope: dict[str, Any],
        send: Any,
        arn_prefix: str,
    ) -> str | bool | None:
        """The accepted subprotocol (None: none), or False when the upgrade was refused."""
        context = request_context(conn, CONNECT, "CONNECT")
        try:
            if stage.refusal is not None:
                raise Refused(500, "Internal server error", stage.refusal)
            if stage.iam is not None:
                await stage.iam.authorize(conn, _handshake(scope, conn), arn_prefix + CONNECT)
            if stage.authorizer is not None:
                await stage.authorizer.authorize(conn, context, arn_prefix + CONNECT)
                context["authorizer"] = conn.authorizer
            if self.metering is not None:
                await self.metering.connect(stage, conn)
                context["identity"].update(conn.identity)  # the API key's, when one was used
            route = stage.connect
            if route is None or route.integration is None:
                return None
            try:
                outcome = await route.integration.call(CONNECT, connect_event(conn, context))
            except IntegrationFailed as e:
                raise Refused(e.status, "Internal server error", str(e)) from None
        except Refused as e:
            log.warning(
                "WebSocket API %s stage %s: $connect refused with %d: %s",
                stage.api_id, stage.stage_name, e.status, e,
            )  # fmt: skip
            await _refuse(send, e.status, orjson.dumps({"message": e.message}))
            return False
        if not 200 <= outcome.status < 300:
            await _refuse(send, outcome.status, (outcome.body or "").encode())
            return False
        return next(
            (v for k, v in outcome.headers.items() if k.lower() == "sec-websocket-protocol"),
            None,
        )

    async def _messages(
        self,
        stage: CompiledWsStage,
        conn: Connection,
        info: ConnectionInfo,
        receive: Any,
        socket: _Socket,
    ) -> tuple[int, str]:
        """Reads messages until the connection closes: its close code and reason."""
        limits = self.limits
        ends = info.connected_at + limits.max_duration
        tasks: set[asyncio.Task[None]] = set()
        while True:
            wait = min(info.last_active_at + limits.idle_timeout, ends) - time.time()
            try:
                message = await asyncio.wait_for(receive(), max(wait, 0))
            except TimeoutError:
                await socket.close(GOING_AWAY, "Going away")
                return GOING_AWAY, "Going away"
            if message["type"] == "websocket.disconnect":
                if socket.closed_by_server is not None:
                    return socket.closed_by_server
                return int(message.get("code") or 1005), str(message.get("reason") or "")
            if socket.closed_by_server is not None:
                continue  # closing: what still arrives is not handled
            text = message.get("text")
            if text is None:
                reason = "Binary frames are not supported"
                await socket.close(UNSUPPORTED_DATA, reason)
                return UNSUPPORTED_DATA, reason
            self.connections.touch(conn.connection_id, time.time())
            task = asyncio.create_task(self._message(stage, conn, socket, text))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def _message(
        self, stage: CompiledWsStage, conn: Connection, socket: _Socket, text: str
    ) -> None:
        is_json, body = parse_message(text)
        route = stage.route_for(body, is_json)
        context = request_context(conn, route.key if route else "", "MESSAGE")
        request_id = context["requestId"]
        if route is None:
            await _error(socket, conn, request_id, "Forbidden")
            return
        if self.metering is not None and not await self.metering.message(route):
            await _error(socket, conn, request_id, "Too Many Requests")
            return
        if route.validator is not None:
            failure = route.validator.failure(is_json, body, context)
            if failure is not None:
                log.warning("WebSocket API %s route %s (request %s): %s",
                            stage.api_id, route.key, request_id, failure)  # fmt: skip
                await _error(socket, conn, request_id, "Invalid request body")
                return
        if route.integration is None:
            log.warning("WebSocket route %s has no integration", route.key)
            await _error(socket, conn, request_id, "Internal server error")
            return
        try:
            outcome = await route.integration.call(route.key, message_event(context, text))
        except IntegrationFailed as e:
            log.warning(
                "WebSocket API %s route %s (request %s): %s",
                stage.api_id, route.key, request_id, e,
            )  # fmt: skip
            await _error(socket, conn, request_id, "Internal server error")
            return
        except Exception:
            log.exception("WebSocket API %s route %s failed", stage.api_id, route.key)
            await _error(socket, conn, request_id, "Internal server error")
            return
        if route.two_way and outcome.body is not None:
            await socket.send(outcome.body.encode())

    async def _disconnect(
        self, stage: CompiledWsStage, conn: Connection, code: int, reason: str
    ) -> None:
        route = stage.disconnect
        assert route is not None and route.integration is not None
        context = request_context(conn, DISCONNECT, "DISCONNECT")
        try:
            await route.integration.call(DISCONNECT, disconnect_event(conn, context, code, reason))
        except Exception as e:  # best effort: nobody is left to tell
            log.warning("WebSocket API %s $disconnect failed: %s", stage.api_id, e)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _handshake(scope: dict[str, Any], conn: Connection) -> Request:
    """The upgrade request as IAM verification reads it (its signature covers the GET)."""
    raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    server = scope.get("server") or ("", 0)
    return Request(
        "GET", raw_path, raw_path, conn.query_string, conn.headers, b"", conn.source_ip,
        conn.header("Host") or "", scope.get("scheme", "ws").replace("ws", "http"), server[1] or 0,
        raw_path,
    )  # fmt: skip


async def _error(socket: _Socket, conn: Connection, request_id: str, message: str) -> None:
    """Sends the client AWS's error frame (error_frame)."""
    await socket.send(error_frame(message, conn.connection_id, request_id).encode())


async def _refuse(send: Any, status: int, body: bytes) -> None:
    await send_ws_refusal(send, status, [("Content-Type", "application/json")], body)


async def send_ws_refusal(
    send: Any, status: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    """Refuses an upgrade with an HTTP response (the ASGI `websocket.http.response`)."""
    raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "websocket.http.response.start", "status": status, "headers": raw})
    await send({"type": "websocket.http.response.body", "body": body})
