"""The WebSocket connection registry: which connections are open, what GetConnection shows of
them, and how to reach each one (AWS counterpart: the connection store behind API Gateway's
`@connections` API, spec §13.5).

`ConnectionRegistry` is the interface the data plane uses (dataplane/websocket/); this module
also holds the in-process implementation, `MemoryConnections`, the default. The registry
shared by gateway processes (`--state redis://...`, with pub/sub to the process holding a
connection) is state/connections_redis.py: `post` and `close` are asynchronous and answer
False for a connection the registry does not hold open, so a caller cannot tell a local
delivery from a remote one; a connection held by this process is always delivered to
directly. `info`, `post` and `close` raise `RegistryUnavailable` when a connection held
elsewhere cannot be reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Socket(Protocol):
    """The open connection as this process holds it (dataplane/websocket/session.py)."""

    async def send(self, data: bytes) -> bool:
        """Sends one message (text when `data` is UTF-8, binary otherwise); False when the
        connection is already closed."""

    async def close(self, code: int, reason: str) -> None:
        """Closes the connection from the server side."""


@dataclass(slots=True)
class ConnectionInfo:
    """What GetConnection answers, and where the connection belongs."""

    connection_id: str
    api_id: str
    stage: str
    connected_at: float  # epoch seconds
    last_active_at: float  # epoch seconds: the last message from the client
    source_ip: str
    user_agent: str | None


class RegistryUnavailable(Exception):
    """A connection held by another gateway process cannot be reached: the shared registry
    (Redis), or that process, is not answering (the `@connections` API answers 503)."""


class ConnectionRegistry(Protocol):
    def add(self, info: ConnectionInfo, socket: Socket) -> None:
        """A connection accepted by this process."""

    def remove(self, connection_id: str) -> None:
        """A connection closed (by either side)."""

    def touch(self, connection_id: str, now: float) -> None:
        """The client sent a message (GetConnection's `lastActiveAt`)."""

    async def info(self, connection_id: str) -> ConnectionInfo | None:
        """The open connection with this id, or None."""

    async def post(self, connection_id: str, data: bytes) -> bool:
        """Sends `data` to the connection; False when it is not open."""

    async def close(self, connection_id: str, code: int, reason: str) -> bool:
        """Closes the connection; False when it is not open."""


class MemoryConnections:
    """The connections this process holds: all of them, on one node."""

    def __init__(self) -> None:
        self._open: dict[str, tuple[ConnectionInfo, Socket]] = {}

    def add(self, info: ConnectionInfo, socket: Socket) -> None:
        self._open[info.connection_id] = (info, socket)

    def remove(self, connection_id: str) -> None:
        self._open.pop(connection_id, None)

    def touch(self, connection_id: str, now: float) -> None:
        entry = self._open.get(connection_id)
        if entry is not None:
            entry[0].last_active_at = now

    def __len__(self) -> int:
        return len(self._open)

    def holds(self, connection_id: str) -> bool:
        return connection_id in self._open

    def infos(self) -> dict[str, ConnectionInfo]:
        """The open connections' info by id (a copy)."""
        return {cid: entry[0] for cid, entry in self._open.items()}

    async def info(self, connection_id: str) -> ConnectionInfo | None:
        entry = self._open.get(connection_id)
        return entry[0] if entry is not None else None

    async def post(self, connection_id: str, data: bytes) -> bool:
        entry = self._open.get(connection_id)
        return entry is not None and await entry[1].send(data)

    async def close(self, connection_id: str, code: int, reason: str) -> bool:
        entry = self._open.pop(connection_id, None)
        if entry is None:
            return False
        await entry[1].close(code, reason)
        return True
