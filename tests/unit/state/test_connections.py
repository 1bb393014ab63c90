"""The WebSocket connection registry: one contract for the in-process registry and the Redis
one, then what only the Redis one does: connections held by another node (another gateway
process) are looked up, posted to and closed through Redis; a dead node's connections are gone;
a Redis outage leaves local connections working and makes remote calls fail loudly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from tests.redis_server import PrivateRedis, delete_prefix, shared_redis_url, unique_prefix

from tollway.state.connections import ConnectionInfo, MemoryConnections, RegistryUnavailable
from tollway.state.connections_redis import RedisConnections
from tollway.state.redis import RedisState


class FakeSocket:
    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed: tuple[int, str] | None = None

    async def send(self, data: bytes) -> bool:
        if self.closed is not None:
            return False
        self.sent.append(data)
        return True

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def info(connection_id: str, user_agent: str | None = "test-agent") -> ConnectionInfo:
    return ConnectionInfo(
        connection_id, "api1", "dev", 1700000000.5, 1700000000.5, "127.0.0.1", user_agent
    )


async def eventually(check: Callable[[], Any], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


class Node:
    """A RedisConnections with its background task running."""

    def __init__(self, state: RedisState, ttl: float = 30.0) -> None:
        self.state = state
        self.registry = RedisConnections(state, ttl=ttl, reply_timeout=2.0, flush_interval=0.05)
        self.stopped = False
        self.registry.start()

    async def registered(self, connection_id: str) -> bool:
        return bool(await self.state.client.exists(self.state.key("ws", "conn", connection_id)))

    async def stop(self, leave: bool = True) -> None:
        if not self.stopped:
            self.stopped = True
            await self.registry.stop(leave)
            await self.state.close()


@pytest.fixture
async def redis_nodes() -> AsyncIterator[Callable[..., Node]]:
    url, prefix = shared_redis_url(), unique_prefix()
    nodes: list[Node] = []

    def make(ttl: float = 30.0) -> Node:
        nodes.append(Node(RedisState(url, prefix=prefix), ttl))
        return nodes[-1]

    yield make
    for node in nodes:
        await node.stop()
    delete_prefix(url, prefix)


@pytest.fixture(params=["memory", "redis"])
async def registry(request: pytest.FixtureRequest, redis_nodes: Any) -> Any:
    if request.param == "memory":
        return MemoryConnections()
    node = redis_nodes()
    return node.registry


# -- the contract --


async def test_an_added_connection_is_looked_up_posted_to_and_closed(registry: Any) -> None:
    socket = FakeSocket()
    registry.add(info("c1"), socket)
    assert await registry.info("c1") == info("c1")
    assert await registry.post("c1", b"hello")
    assert socket.sent == [b"hello"]
    assert await registry.close("c1", 1000, "")
    assert socket.closed == (1000, "")
    assert await registry.info("c1") is None


async def test_an_unknown_or_removed_connection_is_gone(registry: Any) -> None:
    assert await registry.info("nope") is None
    assert not await registry.post("nope", b"x")
    assert not await registry.close("nope", 1000, "")
    registry.add(info("c2"), FakeSocket())
    registry.remove("c2")
    assert await registry.info("c2") is None
    assert not await registry.post("c2", b"x")


async def test_touch_moves_last_active_at(registry: Any) -> None:
    registry.add(info("c3"), FakeSocket())
    registry.touch("c3", 1700000100.25)
    found = await registry.info("c3")
    assert found is not None
    assert found.last_active_at == 1700000100.25
    assert found.connected_at == 1700000000.5


# -- across nodes (Redis) --


async def test_another_node_looks_up_posts_to_and_closes_a_connection(redis_nodes: Any) -> None:
    a, b = redis_nodes(), redis_nodes()
    socket = FakeSocket()
    a.registry.add(info("x1"), socket)
    await eventually(lambda: b.registered("x1"))
    assert await b.registry.info("x1") == info("x1")
    assert await b.registry.post("x1", b"\x00binary\xff")
    assert socket.sent == [b"\x00binary\xff"]
    a.registry.touch("x1", 1700000200.0)

    async def touched() -> bool:
        found = await b.registry.info("x1")
        return found is not None and found.last_active_at == 1700000200.0

    await eventually(touched)
    assert await b.registry.close("x1", 1000, "")
    assert socket.closed == (1000, "")
    a.registry.remove("x1")  # as the session does once the socket closed
    await eventually(lambda: _not(b.registered("x1")))
    assert await b.registry.info("x1") is None
    assert not await b.registry.post("x1", b"late")


async def test_no_user_agent_survives_the_trip(redis_nodes: Any) -> None:
    a, b = redis_nodes(), redis_nodes()
    a.registry.add(info("x2", user_agent=None), FakeSocket())
    await eventually(lambda: b.registered("x2"))
    assert await b.registry.info("x2") == info("x2", user_agent=None)


async def test_a_closed_socket_is_gone_through_another_node(redis_nodes: Any) -> None:
    a, b = redis_nodes(), redis_nodes()
    socket = FakeSocket()
    socket.closed = (1001, "")  # the client left; the session has not removed it yet
    a.registry.add(info("x3"), socket)
    await eventually(lambda: b.registered("x3"))
    assert not await b.registry.post("x3", b"x")


async def test_a_dead_nodes_connections_are_gone_once_its_heartbeat_expired(
    redis_nodes: Any,
) -> None:
    a, b = redis_nodes(ttl=0.6), redis_nodes(ttl=0.6)
    a.registry.add(info("d1"), FakeSocket())
    await eventually(lambda: b.registered("d1"))
    await a.stop(leave=False)  # dies: no goodbye, its keys stay until the heartbeat expires

    async def gone() -> bool:
        return await b.registry.info("d1") is None

    await eventually(gone)
    assert not await b.registered("d1")  # removed on the way
    assert not await b.registry.post("d1", b"x")


async def test_posting_to_a_node_that_stopped_listening_is_gone(redis_nodes: Any) -> None:
    a, b = redis_nodes(), redis_nodes()
    a.registry.add(info("d2"), FakeSocket())
    await eventually(lambda: b.registered("d2"))
    await a.stop(leave=False)  # its subscription is gone though its heartbeat is not expired
    assert not await b.registry.post("d2", b"x")
    assert not await b.registered("d2")


async def test_the_sweep_removes_a_dead_nodes_connections(redis_nodes: Any) -> None:
    a, b = redis_nodes(ttl=0.3), redis_nodes(ttl=0.3)
    a.registry.add(info("d3"), FakeSocket())
    await eventually(lambda: b.registered("d3"))
    await a.stop(leave=False)
    await eventually(lambda: _not(b.registered("d3")), seconds=20)


async def test_a_node_leaving_unregisters_its_connections(redis_nodes: Any) -> None:
    a, b = redis_nodes(), redis_nodes()
    a.registry.add(info("l1"), FakeSocket())
    await eventually(lambda: b.registered("l1"))
    await a.stop()
    assert not await b.registered("l1")
    assert await b.registry.info("l1") is None


async def _not(check: Any) -> bool:
    return not await check


# -- a Redis outage --


async def test_outage_local_connections_work_remote_calls_fail_and_recovery_re_registers(
    tmp_path: Path,
) -> None:
    server = PrivateRedis(tmp_path)
    server.start()
    a = Node(RedisState(server.url, prefix="t"))
    b = Node(RedisState(server.url, prefix="t"))
    try:
        local, remote = FakeSocket(), FakeSocket()
        a.registry.add(info("o1"), local)
        b.registry.add(info("o2"), remote)
        await eventually(lambda: a.registered("o2"))
        server.stop()
        # Held here: still served.
        assert await a.registry.info("o1") == info("o1")
        assert await a.registry.post("o1", b"still")
        assert local.sent == [b"still"]
        # Held by the other node: a loud failure, not a 410.
        for call in (
            a.registry.info("o2"),
            a.registry.post("o2", b"x"),
            a.registry.close("o2", 1000, ""),
        ):
            with pytest.raises(RegistryUnavailable):
                await call
        a.registry.add(info("o3"), FakeSocket())  # accepted during the outage
        a.registry.remove("o1")  # closed during the outage
        server.start()  # empty: everything was lost with it

        async def recovered() -> bool:
            try:
                return await b.registry.info("o3") is not None
            except RegistryUnavailable:
                return False

        await eventually(recovered, seconds=20)
        await eventually(lambda: a.registered("o2"), seconds=20)
        assert await b.registry.info("o1") is None
        assert await a.registry.post("o2", b"back")
        assert remote.sent == [b"back"]
    finally:
        await a.stop()
        await b.stop()
        server.stop()


async def test_a_late_last_active_at_alone_is_no_connection(redis_nodes: Any) -> None:
    b = redis_nodes()
    await b.state.client.hset(b.state.key("ws", "conn", "p1"), "lastActiveAt", "1700000000.0")
    assert await b.registry.info("p1") is None
    assert not await b.registry.post("p1", b"x")
