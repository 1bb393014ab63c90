"""uvicorn's httptools protocol with three changes the gateway needs.

- Request header names keep the client's casing. ASGI servers lowercase them, but API
  Gateway hands Lambda functions the client's own casing (`Content-Type`, `tEsT-HEADeR`,
  spec §2.1) and functions look headers up by it. The two places uvicorn compares header
  names are made case-insensitive.
- A response goes out in one write. uvicorn writes the status line and headers, then the
  body, as two writes (two system calls, measured at ~4 µs a response in bench/); the header
  block is held back until the body arrives or the response completes.

And the listener's limits (spec §12.3, docs/limits.md), which uvicorn does not have:
- The header values' total is counted as they are parsed and handed to the gateway in the
  scope (`HEADER_BYTES`): server.py compares it with AWS's 10,240 bytes without a scan.
- A request head (request line and headers) still incomplete after `HEAD_CAP` bytes is
  refused at once with the gateway's 431 and the connection closed: httptools would buffer
  it without bound.
- Idle connections close after the idle timeout (uvicorn's keep-alive timeout, also armed
  when a connection opens, which uvicorn does not do), and so does a connection whose request
  head has not arrived whole within that time (a slow client holding the connection).


On the HTTPS listener, what the gateway needs of the TLS connection (the SNI name, the client
certificate of mutual TLS: dataplane/tls.py) is read once per connection and put into every
request's scope as `extensions["tls"]`.

All rely on uvicorn internals, so tests/e2e assert them end to end (header casing in Lambda
events; every e2e response passes through the coalescing; tests/e2e/test_listener_limits.py,
test_custom_domain_tls.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tollway.dataplane.tls import connection_info

HEADER_BYTES = "tollway.header_bytes"  # scope key: the request's header values, in bytes
HEAD_CAP = 64 * 1024
HEADERS_TOO_LARGE = b'{"message":"HTTP header is larger than 10240 bytes."}'


class _CoalescingTransport:
    """Holds a response's header block until the next write joins it to the body."""

    __slots__ = ("_pending", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._pending: bytes | None = None

    def write(self, data: bytes) -> None:
        if self._pending is not None:
            data, self._pending = self._pending + data, None
        elif (
            data.startswith(b"HTTP/1.1 ")
            and data.endswith(b"\r\n\r\n")
            and not data.startswith(b"HTTP/1.1 100")  # the client waits for it
            and not data.startswith(b"HTTP/1.1 101")  # a WebSocket upgrade: no body follows
        ):
            self._pending = data  # a header block: the body write follows
            return
        self._transport.write(data)

    def flush(self) -> None:
        if self._pending is not None:
            data, self._pending = self._pending, None
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CasePreservingHttpToolsProtocol(HttpToolsProtocol):
    _coalescing: _CoalescingTransport
    _header_bytes = 0  # header values of the request being parsed
    _head_bytes = 0  # bytes received while a request head is incomplete
    _in_head = True
    _discarding = False  # a head was refused: what else the client sends is dropped
    _head_timer: asyncio.TimerHandle | None = None
    _extensions: dict[str, Any] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._coalescing = _CoalescingTransport(transport)  # type: ignore[arg-type]
        super().connection_made(self._coalescing)  # type: ignore[arg-type]
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            self._extensions = {"tls": connection_info(ssl_object)}
        # uvicorn arms its idle timer after a response only: arm it for the first request too
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # still inside a head (a completed one resets the count as it is parsed)
        if self._in_head and self._head_bytes > HEAD_CAP and not self.transport.is_closing():
            self._refuse_head()

    def _refuse_head(self) -> None:
        self._stop_head_timer()
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"Content-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(HEADERS_TOO_LARGE), HEADERS_TOO_LARGE)
        )
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        # Closing with the client's bytes unread would send a reset, which can destroy the
        # answer before the client reads it: end our side, drop what still comes until the
        # client closes (or the idle timeout does).
        self.transport.write_eof()
        self._discarding = True
        self._head_timer = self.loop.call_later(self.timeout_keep_alive, self._head_timed_out)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._extensions is not None:
            self.scope["extensions"] = self._extensions
        self._header_bytes = 0
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self.timeout_keep_alive, self._head_timed_out)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        self._in_head = False
        self._head_bytes = 0
        self.scope[HEADER_BYTES] = self._header_bytes  # type: ignore[literal-required]
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True  # what follows is the next request's head

    def on_response_complete(self) -> None:
        # Responses without a body write (HEAD) complete here: send their header block.
        self._coalescing.flush()
        super().on_response_complete()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(value)
        if name.lower() == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def _get_upgrade(self) -> bytes | None:
        connection: list[bytes] = []
        upgrade = None
        for name, value in self.headers:
            lowered = name.lower()
            if lowered == b"connection":
                connection = [token.lower().strip() for token in value.split(b",")]
            elif lowered == b"upgrade":
                upgrade = value.lower()
        return upgrade if b"upgrade" in connection else None
