"""The pooled HTTP/1.1 upstream client, against real servers on loopback."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tollway.dataplane.errors import ApiConfigurationError, IntegrationFailure, IntegrationTimeout
from tollway.dataplane.integrations.upstream_httptools import HttpToolsUpstream, _split_url

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    body = await reader.readexactly(length) if length else b""
    return head, body


class Backend:
    """A raw HTTP server whose answers each test scripts; counts connections."""

    def __init__(self, answer: Callable[[bytes, bytes], bytes | None]) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head, body = await _read_request(reader)
                self.requests.append(head + body)
                reply = self.answer(head, body)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
                if b"Connection: close" in reply:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"


@pytest.fixture
async def client() -> AsyncIterator[HttpToolsUpstream]:
    upstream = HttpToolsUpstream()
    yield upstream
    await upstream.close()


_SERVERS: list[asyncio.Server] = []


async def _serve(answer: Callable[[bytes, bytes], bytes | None]) -> Backend:
    backend = Backend(answer)
    backend.server = await asyncio.start_server(backend.handle, "127.0.0.1", 0)
    _SERVERS.append(backend.server)
    return backend


@pytest.fixture(autouse=True)
async def _close_servers() -> AsyncIterator[None]:
    yield
    await asyncio.sleep(0)  # let connection handlers see their peers close
    while _SERVERS:
        server = _SERVERS.pop()
        server.close()
        await server.wait_closed()


def _ok(body: bytes, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-B: 1\r\n%s\r\n%s" % (len(body), extra, body)


async def test_request_and_response_with_keep_alive_reuse(client: HttpToolsUpstream) -> None:
    backend = await _serve(lambda head, body: _ok(b"echo:" + body))
    for i in range(3):
        response = await client.send(
            "POST", f"{backend.url}/p?q={i}", [("X-A", "a")], b"data", time_limit=5
        )
        assert (response.status, response.body) == (200, b"echo:data")
        assert ("X-B", "1") in response.headers
    assert backend.connections == 1
    first = backend.requests[0]
    assert first.startswith(b"POST /p?q=0 HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{backend.url.rsplit(':', 1)[1]}".encode() in first
    assert b"X-A: a\r\n" in first and b"Content-Length: 4\r\n" in first


async def test_chunked_and_close_delimited_bodies(client: HttpToolsUpstream) -> None:
    chunked = await _serve(
        lambda h, b: (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        )
    )
    assert (await client.send("GET", chunked.url, [], None, time_limit=5)).body == b"abcde"
    until_close = await _serve(lambda h, b: b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall")
    assert (await client.send("GET", until_close.url, [], None, time_limit=5)).body == b"all"


async def test_gzip_bodies_are_decoded(client: HttpToolsUpstream) -> None:
    backend = await _serve(lambda h, b: _ok(gzip.compress(b"plain"), b"Content-Encoding: gzip\r\n"))
    assert (await client.send("GET", backend.url, [], None, time_limit=5)).body == b"plain"


async def test_a_connection_closed_while_idle_is_replaced(client: HttpToolsUpstream) -> None:
    answers = iter([_ok(b"one"), None, _ok(b"two")])
    backend = await _serve(lambda h, b: next(answers))
    assert (await client.send("GET", backend.url, [], None, time_limit=5)).body == b"one"
    # The server drops the kept-alive connection on the next request; the client retries.
    assert (await client.send("GET", backend.url, [], None, time_limit=5)).body == b"two"
    assert backend.connections == 2


async def test_head_responses_have_no_body(client: HttpToolsUpstream) -> None:
    backend = await _serve(lambda h, b: b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
    response = await client.send("HEAD", backend.url, [], None, time_limit=5)
    assert (response.status, response.body) == (200, b"")


async def test_timeout_refused_and_broken_responses(client: HttpToolsUpstream) -> None:
    async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.sleep(10)
        finally:
            writer.close()

    slow = await asyncio.start_server(never, "127.0.0.1", 0)
    _SERVERS.append(slow)
    with pytest.raises(IntegrationTimeout):
        await client.send(
            "GET", f"http://127.0.0.1:{slow.sockets[0].getsockname()[1]}/", [], None, time_limit=0.1
        )
    closed = await asyncio.start_server(never, "127.0.0.1", 0)
    port = closed.sockets[0].getsockname()[1]
    closed.close()
    await closed.wait_closed()
    with pytest.raises(IntegrationFailure):
        await client.send("GET", f"http://127.0.0.1:{port}/", [], None, time_limit=5)
    garbage = await _serve(lambda h, b: b"NOT HTTP AT ALL\r\n\r\n")
    with pytest.raises(IntegrationFailure):
        await client.send("GET", garbage.url, [], None, time_limit=5)
    cut = await _serve(
        lambda h, b: b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort"
    )
    with pytest.raises(IntegrationFailure):
        await client.send("GET", cut.url, [], None, time_limit=5)


@pytest.mark.parametrize(
    ("url", "parts"),
    [
        ("http://h/x?y=1", ("http", "h", 80, "/x?y=1")),
        ("https://h:8443", ("https", "h", 8443, "/")),
        ("http://user@[::1]:81/a", ("http", "::1", 81, "/a")),
    ],
)
def test_split_url(url: str, parts: tuple[str, str, int, str]) -> None:
    assert _split_url(url) == parts


@pytest.mark.parametrize("url", ["ftp://h/", "http://", "http://h:port/", "nothing"])
def test_unusable_urls(url: str) -> None:
    with pytest.raises(ApiConfigurationError):
        _split_url(url)
