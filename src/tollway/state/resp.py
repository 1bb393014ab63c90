"""A lean Redis connection for the one command on the request path: the limits script.

redis-py spends most of a call's CPU in Python around the command (packing the arguments,
pipeline objects, response parsing, futures), not in Redis: measured here, the REST route with
an API key, a usage plan and throttling cost 128 us of gateway CPU per request on Redis state
against 91 us on memory state. `RespClient` does only what that call needs: the caller hands
in an already encoded command (RESP bytes, mostly precomputed, see limits_redis.py), the
commands of one event-loop turn go out in one `transport.write`, replies are parsed by
hiredis and resolve the callers' futures in order (Redis answers a connection's commands in
the order they were sent).

Failures look like redis-py's, so `RedisGuard` and the memory fallback work unchanged: a
refused or lost connection is `redis.exceptions.ConnectionError`; no reply for `timeout`
(redis.SOCKET_TIMEOUT, like redis-py's socket timeout) while commands wait is
`redis.exceptions.TimeoutError` and drops the connection (a late reply must not answer a later
command); both are in `UNAVAILABLE`. An error reply is `ResponseError` (`NoScriptError` for
NOSCRIPT). The next call after a failure connects again.

Only plain `redis://` URLs (host, port, db, username, password) are served here; for others
(`rediss://`, `unix://`, other options) `lean_url` returns None and the caller uses redis-py.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, cast

import hiredis
from redis.asyncio.connection import parse_url
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

_PLAIN = {"host", "port", "db", "username", "password"}


def lean_url(url: str) -> dict[str, Any] | None:
    """The connection settings of a plain redis:// URL (as redis-py reads them), else None."""
    if not url.startswith("redis://"):
        return None
    settings = dict(parse_url(url))
    if not settings.keys() <= _PLAIN:
        return None
    return settings


def encode(*parts: bytes | str | int) -> bytes:
    """One command as a RESP array of bulk strings."""
    return b"*%d\r\n" % len(parts) + b"".join(bulk(p) for p in parts)


def bulk(part: bytes | str | int) -> bytes:
    """One RESP bulk string: `$len\\r\\nvalue\\r\\n`."""
    data = part if isinstance(part, bytes) else str(part).encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


class RespClient:
    """Pipelined calls on one lazily (re)connected TCP connection."""

    def __init__(self, url: str, timeout: float) -> None:
        settings = lean_url(url)
        if settings is None:
            raise ValueError(f"not a plain redis:// URL: {url}")
        self.host = str(settings.get("host", "localhost"))
        self.port = int(settings.get("port", 6379))
        self.timeout = timeout
        # Sent first on every new connection, before any caller's command.
        self.hello: list[bytes] = []
        if settings.get("password") is not None:
            user = settings.get("username")
            auth = ("AUTH", user, settings["password"]) if user else ("AUTH", settings["password"])
            self.hello.append(encode(*auth))
        if settings.get("db"):
            self.hello.append(encode("SELECT", settings["db"]))
        self._connection: _Connection | None = None

    def call(self, command: bytes) -> asyncio.Future[Any]:
        """Sends an encoded command (in this loop turn's write); the future gets its reply."""
        connection = self._connection
        if connection is None or connection.closed:
            connection = self._connection = _Connection(self)
        return connection.send(command)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close(RedisConnectionError("Connection closed by the gateway"))
            self._connection = None


class _Connection(asyncio.Protocol):
    """One TCP connection: connecting (commands queue), open, then closed for good."""

    def __init__(self, client: RespClient) -> None:
        self._client = client
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._reader = hiredis.Reader()
        self._queued: list[bytes] = []  # not written yet (this loop turn, or while connecting)
        self._queued_futures: list[asyncio.Future[Any]] = []
        self._waiting: deque[asyncio.Future[Any]] = deque()  # written, in reply order
        self._ready = False  # connected, AUTH and SELECT done: commands may be written
        self._flush_scheduled = False
        self._timer: asyncio.TimerHandle | None = None
        self._progress = 0.0  # loop time of the last reply, or of a write when none waited
        self.closed = False
        self._connecting = self._loop.create_task(self._connect())
        self._connecting.add_done_callback(_ignore)

    def send(self, command: bytes) -> asyncio.Future[Any]:
        future = self._loop.create_future()
        self._queued.append(command)
        self._queued_futures.append(future)
        if not self._flush_scheduled and self._ready:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)
        return future

    async def _connect(self) -> None:
        client = self._client
        try:
            await asyncio.wait_for(
                self._loop.create_connection(lambda: self, client.host, client.port),
                client.timeout,
            )
            if self.closed:  # by the client, while connecting
                return
            if client.hello:
                # AUTH/SELECT replies come first; an error reply fails the connection.
                replies = [self._loop.create_future() for _ in client.hello]
                self._write(b"".join(client.hello), replies)
                for reply in replies:
                    await reply
        except asyncio.CancelledError:
            self.close(RedisConnectionError("Connection closed by the gateway"))
            raise
        except Exception as error:
            self.close(_unavailable(error, f"Error connecting to {client.host}:{client.port}"))
            return
        self._ready = True
        self._flush()

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self.closed or not self._queued:
            return
        commands, self._queued = self._queued, []
        futures, self._queued_futures = self._queued_futures, []
        self._write(b"".join(commands), futures)

    def _write(self, data: bytes, futures: list[asyncio.Future[Any]]) -> None:
        assert self._transport is not None
        if not self._waiting:
            self._progress = self._loop.time()  # the wait starts now, not at the last reply
        self._waiting.extend(futures)
        if self._timer is None:
            self._timer = self._loop.call_at(self._progress + self._client.timeout, self._check)
        self._transport.write(data)

    def _check(self) -> None:
        """No reply for `timeout` while commands wait: Redis is treated as unreachable."""
        self._timer = None
        if self.closed or not self._waiting:
            return
        deadline = self._progress + self._client.timeout
        if self._loop.time() >= deadline:
            self.close(RedisTimeoutError("Timeout reading from Redis"))
        else:
            self._timer = self._loop.call_at(deadline, self._check)

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop's is not an asyncio.Transport
        if self.closed:  # closed while connecting
            transport.abort()
            return
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        self._progress = self._loop.time()
        waiting = self._waiting
        while (reply := self._reader.gets()) is not False:
            if not waiting:
                self.close(RedisConnectionError("Redis sent a reply nobody asked for"))
                return
            future = waiting.popleft()
            if future.done():
                continue  # the caller went away
            if isinstance(reply, hiredis.ReplyError):
                future.set_exception(_reply_error(str(reply)))
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.close(RedisConnectionError(f"Connection to Redis lost: {exc or 'closed by Redis'}"))

    def close(self, error: Exception) -> None:
        """Fails every command not answered yet; the client's next call reconnects."""
        if self.closed:
            return
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
        if self._transport is not None:
            self._transport.abort()
        pending = [*self._waiting, *self._queued_futures]
        self._waiting.clear()
        self._queued, self._queued_futures = [], []
        for future in pending:
            if not future.done():
                future.set_exception(error)


def _reply_error(message: str) -> ResponseError:
    if message.startswith("NOSCRIPT"):
        return NoScriptError(message)
    return ResponseError(message)


def _unavailable(error: Exception, context: str) -> Exception:
    if isinstance(error, RedisConnectionError | RedisTimeoutError):
        return error
    if isinstance(error, TimeoutError):
        return RedisTimeoutError(f"{context}: timed out")
    return RedisConnectionError(f"{context}: {error}")


def _ignore(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()
