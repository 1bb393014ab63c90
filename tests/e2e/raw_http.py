"""Requests exactly as written, for the security tests: the path verbatim (httpx and most
clients resolve `..` and re-encode), headers repeated or in any case, bytes no client would
send (an obs-fold line, `Transfer-Encoding` beside `Content-Length`), from a chosen loopback
source address."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name.lower()]
        return found[-1] if found else None


def request_bytes(method: str, target: str, host: str,
                  headers: Sequence[tuple[str, str]] = (),
                  body: bytes = b"") -> bytes:  # fmt: skip
    """An HTTP/1.1 request: `headers` in order as given, `Content-Length` added when there is
    a body and no framing header among them."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in headers]
    framing = {name.lower() for name, _ in headers} & {"content-length", "transfer-encoding"}
    if body and not framing:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def send_raw(base_url: str, data: bytes, source: str = "127.0.0.1") -> RawResponse:
    """Sends `data` as it is to `base_url`'s host and port; the response."""
    parts = urlsplit(base_url)
    assert parts.hostname is not None and parts.port is not None
    sock = socket.create_connection((parts.hostname, parts.port), 30, (source, 0))
    try:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return RawResponse(response.status, response.getheaders(), response.read())
    finally:
        sock.close()


def send(base_url: str, method: str, target: str,
         headers: Sequence[tuple[str, str]] = (),
         body: bytes = b"", source: str = "127.0.0.1") -> RawResponse:  # fmt: skip
    """`method` on `target` (the path and query exactly as written) of `base_url`."""
    host = urlsplit(base_url).netloc
    return send_raw(base_url, request_bytes(method, target, host, headers, body), source)
