"""A lean pooled HTTP/1.1 client for upstream requests: asyncio protocols + httptools.

Why not aiohttp (DESIGN's default): measured in bench/, aiohttp's per-request client work
(~190 µs on the benchmark machine) kept HTTP_PROXY below its throughput target; the gateway
needs only the small, well-defined part of HTTP a proxy uses. This client does that part:
keep-alive connections pooled per origin (reused last-in first-out), requests written in one
buffer, responses parsed by httptools (Content-Length, chunked, or until close), gzip/deflate
bodies decoded (as the gateway drops `Content-Encoding`), TLS with or without verification.
A reused connection the server closed meanwhile is retried once on a fresh one.

Errors are the gateway's: a timeout is INTEGRATION_TIMEOUT; a refused or broken connection
INTEGRATION_FAILURE; an unusable URL API_CONFIGURATION_ERROR. The time limit is one deadline
for the whole call: a connection's response waits on a timer at the deadline (one timer
handle per request: `asyncio.timeout`'s bookkeeping cost ~5% of an HTTP_PROXY request), and a
new connection's connect on `asyncio.timeout_at` of the same deadline.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib

import httptools

from tollway.dataplane.context import Response
from tollway.dataplane.errors import ApiConfigurationError, IntegrationFailure, IntegrationTimeout

IDLE_CONNECTIONS_PER_ORIGIN = 256
_DEFAULT_PORTS = {"http": 80, "https": 443}


class _Reused(Exception):
    """A pooled connection died before answering: safe to retry on a new one."""


class _Connection(asyncio.Protocol):
    __slots__ = (
        "transport", "parser", "status", "headers", "body", "waiter", "keep_alive", "closed",
        "_header_name", "_received", "_head",
    )  # fmt: skip

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[None] | None = None
        self.closed = False
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: list[tuple[str, str]] = []
        self.body: list[bytes] = []
        self.keep_alive = True
        self._received = False
        self._head = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as e:
            self._fail(IntegrationFailure(log=f"Execution failed: invalid HTTP response: {e}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if not self._received:
            waiter.set_exception(_Reused())
        elif self.status and not self._has_length():
            waiter.set_result(None)  # a body delimited by the end of the connection
        else:
            self._fail(IntegrationFailure(
                log="Execution failed due to a network error communicating with endpoint: "
                "the connection closed before the response was complete"))  # fmt: skip

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()
        if self._head:
            # A HEAD response has no body whatever its Content-Length says; the parser
            # would wait for one, so this connection is not reused.
            self.keep_alive = False
            self._finish()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self._finish()

    def _finish(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def _fail(self, error: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)
        self.keep_alive = False

    def _expire(self) -> None:
        self._fail(IntegrationTimeout(log="Execution failed due to a timeout error"))

    def _has_length(self) -> bool:
        return any(k.lower() in ("content-length", "transfer-encoding") for k, _ in self.headers)

    async def exchange(self, request: bytes, head: bool, deadline: float) -> Response:
        assert self.transport is not None
        self._reset()
        self._head = head
        loop = asyncio.get_running_loop()
        self.waiter = loop.create_future()
        timer = loop.call_at(deadline, self._expire)
        self.transport.write(request)
        try:
            await self.waiter
        finally:
            timer.cancel()
            self.waiter = None
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        return Response(self.status, self.headers, _decode(self.headers, body))

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _decode(headers: list[tuple[str, str]], body: bytes) -> bytes:
    for name, value in headers:
        if name.lower() == "content-encoding":
            encoding = value.strip().lower()
            try:
                if encoding == "gzip":
                    return zlib.decompress(body, 16 + zlib.MAX_WBITS)
                if encoding == "deflate":
                    return zlib.decompress(body)
            except zlib.error as e:
                raise IntegrationFailure(
                    log=f"Execution failed: bad {encoding} body: {e}"
                ) from None
    return body


def _split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) without a general-purpose URL parser."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in _DEFAULT_PORTS:
        raise ApiConfigurationError(log=f"Invalid endpoint address {url}")
    authority, slash, path = rest.partition("/")
    authority = authority.rpartition("@")[2]
    host, port = authority, _DEFAULT_PORTS[scheme]
    if authority.startswith("["):  # [IPv6]:port
        host, _, after = authority[1:].partition("]")
        if after.startswith(":"):
            port = int(after[1:])
    elif ":" in authority:
        host, _, port_text = authority.rpartition(":")
        if not port_text.isdigit():
            raise ApiConfigurationError(log=f"Invalid endpoint address {url}")
        port = int(port_text)
    if not host:
        raise ApiConfigurationError(log=f"Invalid endpoint address {url}")
    target = "/" + path if slash else "/"
    if "?" in authority:  # `http://host?x=1`
        raise ApiConfigurationError(log=f"Invalid endpoint address {url}")
    return scheme, host, port, target


class HttpToolsUpstream:
    def __init__(self) -> None:
        self._idle: dict[tuple[str, str, int, bool], list[_Connection]] = {}
        self._verified = ssl.create_default_context()
        self._unverified = ssl.create_default_context()
        self._unverified.check_hostname = False
        self._unverified.verify_mode = ssl.CERT_NONE

    async def send(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
        *,
        time_limit: float,
        verify_tls: bool = True,
    ) -> Response:
        scheme, host, port, target = _split_url(url)
        origin = (scheme, host, port, verify_tls)
        request = self._request(method, target, host, port, scheme, headers, body)
        deadline = asyncio.get_running_loop().time() + time_limit
        return await self._exchange(origin, request, method == "HEAD", deadline)

    async def _exchange(self, origin: tuple[str, str, int, bool], request: bytes,
                        head: bool, deadline: float) -> Response:  # fmt: skip
        idle = self._idle.setdefault(origin, [])
        while idle:
            connection = idle.pop()
            if connection.closed:
                continue
            try:
                response = await self._use(origin, connection, request, head, deadline)
            except _Reused:
                continue  # the server closed it while idle: try another or a new one
            return response
        try:
            async with asyncio.timeout_at(deadline):
                connection = await self._connect(origin)
        except TimeoutError:
            raise IntegrationTimeout(log="Execution failed due to a timeout error") from None
        try:
            return await self._use(origin, connection, request, head, deadline)
        except _Reused:
            raise IntegrationFailure(
                log="Execution failed due to a network error communicating with endpoint: "
                "the connection closed without a response"
            ) from None

    async def _use(self, origin: tuple[str, str, int, bool], connection: _Connection,
                   request: bytes, head: bool, deadline: float) -> Response:  # fmt: skip
        try:
            response = await connection.exchange(request, head, deadline)
        except BaseException:
            connection.close()  # a timed-out or failed exchange leaves the stream unusable
            raise
        idle = self._idle[origin]
        if (
            connection.keep_alive
            and not connection.closed
            and len(idle) < IDLE_CONNECTIONS_PER_ORIGIN
        ):
            idle.append(connection)
        else:
            connection.close()
        return response

    async def _connect(self, origin: tuple[str, str, int, bool]) -> _Connection:
        scheme, host, port, verify = origin
        context = None
        if scheme == "https":
            context = self._verified if verify else self._unverified
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                _Connection, host, port, ssl=context, server_hostname=host if context else None
            )
        except (OSError, ssl.SSLError) as e:
            raise IntegrationFailure(
                log=f"Execution failed due to a network error communicating with endpoint: {e}"
            ) from None
        return connection

    @staticmethod
    def _request(method: str, target: str, host: str, port: int, scheme: str,
                 headers: list[tuple[str, str]], body: bytes | None) -> bytes:  # fmt: skip
        lines = [f"{method} {target} HTTP/1.1"]
        if not any(name.lower() == "host" for name, _ in headers):
            default = _DEFAULT_PORTS[scheme] == port
            lines.append(f"Host: {host}" if default else f"Host: {host}:{port}")
        for name, value in headers:
            if "\r" in value or "\n" in value:
                raise ApiConfigurationError(log=f"Invalid value for header {name}")
            lines.append(f"{name}: {value}")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body or b'')}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        return head + body if body else head

    async def close(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
