"""The gateway listener's WebSocket protocol: uvicorn's sans-I/O `websockets` implementation
with API Gateway's frame limit (spec §13.6).

AWS counterpart: WebSocket API quotas — "WebSocket frame size: 32 KB", "Message payload size:
128 KB", above either the connection is closed with 1009 (message too big). The message limit
is uvicorn's `ws_max_size` (set in app.py); frames are checked here as they arrive, before
they are joined into a message. Relies on uvicorn internals (`handle_text`, `handle_bytes`,
`handle_cont`, `handle_parser_exception`), so tests/e2e/test_websocket_limits.py asserts it end
to end.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

MAX_FRAME_BYTES = 32 * 1024
MAX_MESSAGE_BYTES = 128 * 1024
MESSAGE_TOO_BIG = 1009


class GatewayWebSocketProtocol(WebSocketsSansIOProtocol):
    def _too_big(self, event: Any) -> bool:
        if len(event.data) <= MAX_FRAME_BYTES:
            return False
        if not self.close_sent:
            self.conn.fail(MESSAGE_TOO_BIG, f"Frame size exceeds {MAX_FRAME_BYTES} bytes")
            self.handle_parser_exception()
        return True

    def handle_text(self, event: Any) -> None:
        if not self._too_big(event):
            super().handle_text(event)

    def handle_bytes(self, event: Any) -> None:
        if not self._too_big(event):
            super().handle_bytes(event)

    def handle_cont(self, event: Any) -> None:
        if not self._too_big(event):
            super().handle_cont(event)
