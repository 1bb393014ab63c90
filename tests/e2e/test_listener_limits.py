"""The gateway listener's limits end to end, over raw sockets (spec §12.3, docs/limits.md):
REST's 10,240 bytes of header values and 10,240-character URL, HTTP APIs' 10,240 bytes of
request line and header values, a request head too large to buffer, idle connections and
clients that never finish their headers. Each limit is tried at the limit and one past it.
"""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import (
    Server,
    add_path,
    deploy,
    mock_method,
    new_api,
    start_server,
)
from tests.e2e.raw_http import RawResponse, send_raw

LIMIT = 10_240
TOO_LARGE = (431, b'{"message":"HTTP header is larger than 10240 bytes."}')


@pytest.fixture(scope="module")
def rest_api(apigw: Any) -> str:
    api_id, root = new_api(apigw, f"listener-{uuid.uuid4().hex[:8]}")
    mock_method(apigw, api_id, add_path(apigw, api_id, root, "/ok"), "GET", "fine")
    deploy(apigw, api_id, "prod")
    return api_id


@pytest.fixture(scope="module")
def http_api(server: Server, upstream: str) -> str:
    v2 = server.client("apigatewayv2")
    return str(v2.create_api(Name="listener", ProtocolType="HTTP", Target=upstream)["ApiId"])


def head(target: str, host: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def padded(target: str, host: str, values: int) -> bytes:
    """A GET whose header values (Host included) total `values` bytes."""
    filler = values - len(host)
    return head(target, host, [("X-Pad", "p" * filler)])


def netloc(server: Server) -> str:
    return urlsplit(server.gateway).netloc


def test_rest_header_values_up_to_10240_bytes_pass(server: Server, rest_api: str) -> None:
    target = f"/_aws/execute-api/{rest_api}/prod/ok"
    response = send_raw(server.gateway, padded(target, netloc(server), LIMIT))
    assert (response.status, response.body) == (200, b"fine")


def test_rest_header_values_over_10240_bytes_are_431(server: Server, rest_api: str) -> None:
    target = f"/_aws/execute-api/{rest_api}/prod/ok"
    response = send_raw(server.gateway, padded(target, netloc(server), LIMIT + 1))
    assert (response.status, response.body) == TOO_LARGE
    assert response.header("Content-Type") == "application/json"
    assert response.header("x-amzn-RequestId")
    assert response.header("x-amzn-ErrorType") is None  # no gateway response type covers it


def test_rest_header_names_do_not_count(server: Server, rest_api: str) -> None:
    target = f"/_aws/execute-api/{rest_api}/prod/ok"
    host = netloc(server)
    names = [(f"X-A-Long-Header-Name-{i:04d}", "") for i in range(200)]  # 5 KB of names
    data = head(target, host, [*names, ("X-Pad", "p" * (LIMIT - len(host)))])
    assert send_raw(server.gateway, data).status == 200


def test_rest_url_over_10240_characters_is_414(server: Server, rest_api: str) -> None:
    path = f"/_aws/execute-api/{rest_api}/prod/ok?q="
    at_limit = path + "x" * (LIMIT - len(path))
    response = send_raw(server.gateway, head(at_limit, netloc(server), []))
    assert (response.status, response.body) == (200, b"fine")
    response = send_raw(server.gateway, head(at_limit + "x", netloc(server), []))
    assert (response.status, response.body) == (414, b'{"message":"Request URI too long"}')
    assert response.header("x-amzn-RequestId")


def test_http_api_counts_the_request_line_with_the_header_values(
    server: Server, http_api: str
) -> None:
    target = f"/_aws/execute-api/{http_api}/echo"
    host = netloc(server)
    line = len(f"GET {target} HTTP/1.1")
    response = send_raw(server.gateway, padded(target, host, LIMIT - line))
    assert response.status == 200
    assert response.json()["path"] == "/echo"  # the upstream echoed it
    response = send_raw(server.gateway, padded(target, host, LIMIT - line + 1))
    assert (response.status, response.body) == TOO_LARGE
    assert response.header("apigw-requestid")


def test_the_connection_serves_again_after_a_431(server: Server, rest_api: str) -> None:
    target = f"/_aws/execute-api/{rest_api}/prod/ok"
    host = netloc(server)
    with connect(server) as sock:
        sock.sendall(padded(target, host, LIMIT + 1) + head(target, host, []))
        first, second = read_response(sock), read_response(sock)
    assert (first.status, second.status, second.body) == (431, 200, b"fine")


def test_a_head_too_large_to_buffer_is_refused_and_the_connection_closed(
    server: Server, rest_api: str
) -> None:
    with connect(server) as sock:
        sock.sendall(f"GET /_aws/execute-api/{rest_api}/prod/ok HTTP/1.1\r\n".encode())
        for i in range(100):  # 100 KB of headers, never finished
            try:
                sock.sendall(b"X-Pad-%d: %s\r\n" % (i, b"p" * 1000))
            except (BrokenPipeError, ConnectionResetError):
                break
        response = read_response(sock)
        assert (response.status, response.body) == TOO_LARGE
        assert response.header("Connection") == "close"
        assert read_rest(sock) == b""


# --- idle connections and slow clients: a server of their own with a 1 s idle timeout -----


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("impatient") / "data"
    running = start_server(Path(data), args=("--idle-timeout", "1"))
    yield running
    running.stop()


def test_an_idle_keep_alive_connection_is_closed(impatient: Server) -> None:
    with connect(impatient) as sock:
        sock.sendall(head("/_tollway/health", netloc(impatient), []))
        assert read_response(sock).status == 200
        # the server closes the idle connection: the read ends (the socket's own timeout is
        # 30 s, far past the server's 1 s, so this waits for the server, not for time)
        assert read_rest(sock) == b""


def test_a_connection_that_sends_nothing_is_closed(impatient: Server) -> None:
    with connect(impatient) as sock:
        assert read_rest(sock) == b""


def test_a_client_that_never_finishes_its_headers_is_closed(impatient: Server) -> None:
    with connect(impatient) as sock:
        sock.sendall(b"GET /_tollway/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        assert read_rest(sock) == b""


# --- raw socket helpers ----------------------------------------------------------------------


@contextlib.contextmanager
def connect(server: Server) -> Iterator[socket.socket]:
    parts = urlsplit(server.gateway)
    assert parts.hostname is not None and parts.port is not None
    sock = socket.create_connection((parts.hostname, parts.port), 30)
    try:
        yield sock
    finally:
        sock_buffer.pop(sock.fileno(), None)
        sock.close()


def read_response(sock: socket.socket) -> RawResponse:
    """One response off a socket that may carry more (Content-Length framed)."""
    data = sock_buffer.pop(sock.fileno(), b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    head_bytes, _, rest = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = [tuple(line.split(": ", 1)) for line in lines[1:]]
    length = int(next(v for k, v in headers if k.lower() == "content-length"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk
        rest += chunk
    sock_buffer[sock.fileno()] = rest[length:]
    return RawResponse(status, [(k, v) for k, v in headers], rest[:length])


sock_buffer: dict[int, bytes] = {}


def read_rest(sock: socket.socket) -> bytes:
    """What the server sends until it closes the connection."""
    data = sock_buffer.pop(sock.fileno(), b"")
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
