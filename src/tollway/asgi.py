"""The two ASGI chores both listeners share: reading a request body up to a limit, and
sending a whole response (with its Content-Length, as AWS sends one) in one go."""

from __future__ import annotations

from typing import Any


async def read_body(receive: Any, limit: int) -> bytes | None:
    """The request body, or None if it is longer than `limit` bytes (the rest is read and
    dropped, so the connection stays usable)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        if not message.get("more_body"):
            break
    if size > limit:
        return None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def send_response(
    send: Any, status: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    raw = [(k.encode("latin-1", "replace"), v.encode("latin-1", "replace")) for k, v in headers]
    raw.append((b"Content-Length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
