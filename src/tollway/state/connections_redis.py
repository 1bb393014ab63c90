"""The WebSocket connection registry shared by gateway processes through Redis (AWS
counterpart: the connection store behind API Gateway's `@connections` API, spec §13.5, which
reaches a connection whichever front-end host holds it).

Each process is a node with an id of its own (random per start). What Redis holds, all under
the `{ws}` hash tag (one Redis Cluster slot, so one node's keys change in one transaction):

- `ws:conn:<id>`, a hash per open connection: its node, API, stage, connectedAt, lastActiveAt,
  sourceIp, userAgent — what GetConnection answers for a connection on another node;
- `ws:node:<node>:conns`, the set of a node's connections, and `ws:nodes`, the set of nodes;
- `ws:node:<node>`, the node's heartbeat, renewed every `ttl / 3` and expiring after `ttl`.

A connection held by this process is always answered from memory (`MemoryConnections`), never
through Redis. PostToConnection and DeleteConnection for one held elsewhere are published on
the holding node's channel (`ws:node:<node>`) with a request id; the node delivers it and
publishes the answer (delivered or gone) on the asker's channel, so a 410 stays exact. A
message no node listens to (PUBLISH reaches nobody) is gone at once.

The client's last message time is kept in memory and written to Redis at most once a
`flush_interval` (default 1 s) for the connections that had messages: a message costs no Redis
write, and another node's GetConnection may show a `lastActiveAt` up to that much older.

A node that dies stops renewing its heartbeat: once it expired, its connections are gone (410):
a lookup that finds one deletes it, and every node sweeps the nodes without a heartbeat once in
a while.

While Redis is unreachable, connections held by this process keep working (messages, posts and
closes through this process's `@connections`); a call about a connection this process does not
hold raises `RegistryUnavailable` (the management API answers 503). Registrations missed in the
outage are made good when Redis answers again: the node re-registers every connection it holds
and drops those it no longer does.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import uuid
from typing import Any

import orjson

from tollway.state.connections import (
    ConnectionInfo,
    MemoryConnections,
    RegistryUnavailable,
    Socket,
)
from tollway.state.redis import UNAVAILABLE, RedisState

log = logging.getLogger("tollway.state")


class RedisConnections:
    """The connections this process holds, registered in Redis for every other process."""

    def __init__(
        self,
        state: RedisState,
        *,
        node_id: str | None = None,
        ttl: float = 30.0,
        reply_timeout: float = 2.0,
        flush_interval: float = 1.0,
    ) -> None:
        self._state = state
        self._client = state.client
        self._guard = state.guard
        self.node_id = node_id or uuid.uuid4().hex
        self.ttl = ttl
        self.reply_timeout = reply_timeout
        self.flush_interval = flush_interval
        self._local = MemoryConnections()
        self._touched: dict[str, float] = {}  # lastActiveAt not yet written to Redis
        self._replies: dict[str, asyncio.Future[bool]] = {}
        self._resync = True  # the first heartbeat registers the node (and any connection)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False
        self._nodes = state.key("ws", "nodes")

    def _conn_key(self, connection_id: str) -> str:
        return self._state.key("ws", "conn", connection_id)

    def _node_key(self, node: str, *rest: str) -> str:
        return self._state.key("ws", "node", node, *rest)

    # -- the interface (state/connections.py ConnectionRegistry) --

    def add(self, info: ConnectionInfo, socket: Socket) -> None:
        self._local.add(info, socket)
        self._spawn(self._register([info]))

    def remove(self, connection_id: str) -> None:
        self._local.remove(connection_id)
        self._touched.pop(connection_id, None)
        self._spawn(self._unregister([connection_id]))

    def touch(self, connection_id: str, now: float) -> None:
        self._local.touch(connection_id, now)
        self._touched[connection_id] = now

    def __len__(self) -> int:
        return len(self._local)

    async def info(self, connection_id: str) -> ConnectionInfo | None:
        local = await self._local.info(connection_id)
        if local is not None:
            return local
        fields = await self._call(self._client.hgetall(self._conn_key(connection_id)))
        if b"node" not in fields:  # none, or only a late lastActiveAt of one removed
            return None
        node = fields[b"node"].decode()
        if not await self._call(self._client.exists(self._node_key(node))):
            await self._forget(node, [connection_id])  # its node died: gone
            return None
        user_agent = fields.get(b"userAgent")
        return ConnectionInfo(
            connection_id,
            fields[b"api"].decode(),
            fields[b"stage"].decode(),
            float(fields[b"connectedAt"]),
            float(fields[b"lastActiveAt"]),
            fields[b"sourceIp"].decode(),
            user_agent.decode() if user_agent is not None else None,
        )

    async def post(self, connection_id: str, data: bytes) -> bool:
        if self._local.holds(connection_id):
            return await self._local.post(connection_id, data)
        return await self._remote("post", connection_id, data)

    async def close(self, connection_id: str, code: int, reason: str) -> bool:
        if self._local.holds(connection_id):
            return await self._local.close(connection_id, code, reason)
        return await self._remote("close", connection_id, b"", code, reason)

    # -- calls to other nodes --

    async def _call(self, awaitable: Any) -> Any:
        """One Redis call for a connection held elsewhere; an outage is `RegistryUnavailable`
        (without waiting for a timeout while the guard knows Redis is down)."""
        if not self._guard.should_try():
            awaitable.close()
            raise RegistryUnavailable("Redis is unreachable")
        try:
            result = await awaitable
        except UNAVAILABLE as e:
            self._guard.failed(e)
            self._resync = True
            raise RegistryUnavailable(str(e)) from e
        self._guard.succeeded()
        return result

    async def _remote(
        self, op: str, connection_id: str, data: bytes, code: int = 1000, reason: str = ""
    ) -> bool:
        node = await self._call(self._client.hget(self._conn_key(connection_id), "node"))
        if node is None:
            return False
        node = node.decode()
        request_id = uuid.uuid4().hex
        message = orjson.dumps(
            {"op": op, "id": connection_id, "data": base64.b64encode(data).decode(),
             "code": code, "reason": reason, "reply": self.node_id, "rid": request_id}
        )  # fmt: skip
        reply = asyncio.get_running_loop().create_future()
        self._replies[request_id] = reply
        try:
            listeners = await self._call(self._client.publish(self._node_key(node), message))
            if not listeners:  # the node is not listening: it died (or left)
                await self._forget(node, [connection_id])
                return False
            try:
                return await asyncio.wait_for(reply, self.reply_timeout)
            except TimeoutError:
                raise RegistryUnavailable(f"node {node} did not answer") from None
        finally:
            self._replies.pop(request_id, None)

    async def _answer(self, raw: bytes) -> None:
        """A message on this node's channel: a call to deliver, or the answer to one of ours."""
        message = orjson.loads(raw)
        if "ok" in message:
            future = self._replies.get(message["rid"])
            if future is not None and not future.done():
                future.set_result(bool(message["ok"]))
            return
        connection_id = message["id"]
        if message["op"] == "post":
            ok = await self._local.post(connection_id, base64.b64decode(message["data"]))
        else:
            ok = await self._local.close(connection_id, message["code"], message["reason"])
        if not ok and not self._local.holds(connection_id):
            await self._unregister([connection_id])  # stale: not held here any more
        answer = orjson.dumps({"rid": message["rid"], "ok": ok})
        with contextlib.suppress(*UNAVAILABLE):  # the asker times out
            await self._client.publish(self._node_key(message["reply"]), answer)

    # -- registration --

    async def _register(self, infos: list[ConnectionInfo]) -> None:
        pipe = self._client.pipeline(transaction=True)
        for info in infos:
            mapping = {
                "node": self.node_id, "api": info.api_id, "stage": info.stage,
                "connectedAt": repr(info.connected_at),
                "lastActiveAt": repr(info.last_active_at), "sourceIp": info.source_ip,
            }  # fmt: skip
            if info.user_agent is not None:
                mapping["userAgent"] = info.user_agent
            pipe.hset(self._conn_key(info.connection_id), mapping=mapping)
            pipe.sadd(self._node_key(self.node_id, "conns"), info.connection_id)
        await self._write(pipe)

    async def _unregister(self, connection_ids: list[str]) -> None:
        pipe = self._client.pipeline(transaction=True)
        pipe.delete(*(self._conn_key(c) for c in connection_ids))
        pipe.srem(self._node_key(self.node_id, "conns"), *connection_ids)
        await self._write(pipe)

    async def _write(self, pipe: Any) -> None:
        """A registration write; missed in an outage, it is made good by the next resync."""
        if self._resync or not self._guard.should_try():
            self._resync = True
            return
        try:
            await pipe.execute()
        except UNAVAILABLE as e:
            self._guard.failed(e)
            self._resync = True
        else:
            self._guard.succeeded()

    async def _forget(self, node: str, connection_ids: list[str]) -> None:
        """Deletes connections of a node that is gone."""
        pipe = self._client.pipeline(transaction=True)
        pipe.delete(*(self._conn_key(c) for c in connection_ids))
        pipe.srem(self._node_key(node, "conns"), *connection_ids)
        with contextlib.suppress(*UNAVAILABLE):
            await pipe.execute()

    async def _heartbeat(self) -> None:
        """Renews the heartbeat, writes lastActiveAt, and after an outage re-registers."""
        pipe = self._client.pipeline(transaction=True)
        # GET: a heartbeat found expired (this node stalled) means others may have swept this
        # node's connections: register them again.
        pipe.set(self._node_key(self.node_id), b"1", px=int(self.ttl * 1000), get=True)
        pipe.sadd(self._nodes, self.node_id)
        resync = self._resync
        if resync:
            pipe.smembers(self._node_key(self.node_id, "conns"))
        touched, self._touched = self._touched, {}
        for connection_id, at in touched.items():
            if self._local.holds(connection_id):
                pipe.hset(self._conn_key(connection_id), "lastActiveAt", repr(at))
        try:
            results = await pipe.execute()
            if results[0] is None and not resync:
                self._resync = True
            if resync:
                # From here on, connections added or removed are written as they come.
                self._resync = False
                held = self._local.infos()
                registered = {c.decode() for c in results[2]}
                stale = sorted(registered - held.keys())
                if stale:
                    await self._unregister(stale)
                if held:
                    await self._register(list(held.values()))
        except UNAVAILABLE as e:
            self._guard.failed(e)
            self._resync = True
            return
        self._guard.succeeded()

    async def _sweep(self) -> None:
        """Deletes the connections of nodes whose heartbeat expired."""
        nodes = [n.decode() for n in await self._client.smembers(self._nodes)]
        for node in nodes:
            if node == self.node_id or await self._client.exists(self._node_key(node)):
                continue
            conns = [c.decode() for c in await self._client.smembers(self._node_key(node, "conns"))]
            pipe = self._client.pipeline(transaction=True)
            if conns:
                pipe.delete(*(self._conn_key(c) for c in conns))
            pipe.delete(self._node_key(node, "conns"))
            pipe.srem(self._nodes, node)
            await pipe.execute()
            log.info("WebSocket node %s left: %d connections removed", node, len(conns))

    # -- background work: from start() to stop() --

    def start(self) -> None:
        """Joins the cluster: the background work runs until `stop`."""
        self._runner = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        """Listens on this node's channel, renews the heartbeat, writes lastActiveAt and sweeps
        dead nodes; survives Redis outages."""
        tick = min(self.flush_interval, self.ttl / 3)
        beats = 0
        while not self._stopping:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(self._node_key(self.node_id))
                while not self._stopping:
                    await self._heartbeat()
                    if self._guard.down:
                        raise ConnectionError("Redis is unreachable")
                    beats += 1
                    if beats % 30 == 0:
                        await self._sweep()
                    await self._drain(pubsub, tick)
            except UNAVAILABLE as e:
                self._guard.failed(e)
                self._resync = True
                await asyncio.sleep(self._guard.retry_after)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _drain(self, pubsub: Any, seconds: float) -> None:
        """Answers the messages that arrive for `seconds`."""
        deadline = asyncio.get_running_loop().time() + seconds
        while (left := deadline - asyncio.get_running_loop().time()) > 0 and not self._stopping:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None and message["type"] == "message":
                self._spawn(self._answer(message["data"]))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self, leave: bool = True) -> None:
        """Stops the background work and leaves the cluster: this node's connections are
        unregistered (best effort; `leave=False` leaves them to expire, as a crash would)."""
        self._stopping = True
        for task in [*self._tasks, *([self._runner] if self._runner else [])]:
            task.cancel()
        if self._runner is not None:
            # A cancellation redis-py's reads swallow is made good by the flag (one tick).
            await asyncio.wait([self._runner], timeout=5)
        if not leave:
            return
        ids = list(self._local.infos())
        pipe = self._client.pipeline(transaction=True)
        if ids:
            pipe.delete(*(self._conn_key(c) for c in ids))
        pipe.delete(self._node_key(self.node_id, "conns"), self._node_key(self.node_id))
        pipe.srem(self._nodes, self.node_id)
        with contextlib.suppress(*UNAVAILABLE):
            await pipe.execute()
