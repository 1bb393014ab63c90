"""state/resp.py: the limits script's own Redis connection, each test on asyncio's loop and
on uvloop (the server's: its transports are not asyncio's classes). Redis is the shared one
(keys under a prefix of this run, db 0 and db 5) or a private redis-server that a test
restarts, flushes scripts on, or protects with a password."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import uvloop
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from tests.redis_server import PrivateRedis, free_port, shared_redis_url, unique_prefix

from tollway.state.limits import OK, THROTTLED, Bucket, Quota
from tollway.state.limits_redis import RedisLimits
from tollway.state.redis import SOCKET_TIMEOUT, UNAVAILABLE, RedisState
from tollway.state.resp import RespClient, encode, lean_url

Run = Callable[[Callable[[], Awaitable[None]]], None]


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Run:
    """Runs a test's coroutine function on a new loop of the kind."""
    runner = uvloop.run if request.param == "uvloop" else asyncio.run
    return lambda test: runner(test())


@pytest.fixture
def prefix() -> str:
    return unique_prefix()


def _db(number: int) -> str:
    return shared_redis_url().rsplit("/", 1)[0] + f"/{number}"


@pytest.fixture
def shared(prefix: str) -> Iterator[Any]:
    """redis-py on the shared Redis, to check what the lean client wrote; cleans up after."""
    clients = [redis.Redis.from_url(_db(0)), redis.Redis.from_url(_db(5))]
    yield clients[0]
    for client in clients:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def test_commands_are_resp_arrays_of_bulk_strings() -> None:
    assert encode("SET", "k", 1) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n"
    assert encode(b"GET", "caf\u00e9") == b"*2\r\n$3\r\nGET\r\n$5\r\ncaf\xc3\xa9\r\n"


def test_plain_redis_urls_are_served_and_others_left_to_redis_py() -> None:
    assert lean_url("redis://127.0.0.1:6379/0") == {"host": "127.0.0.1", "port": 6379, "db": 0}
    assert lean_url("redis://user:p%40ss@h:7000?db=2") == {
        "host": "h",
        "port": 7000,
        "db": 2,
        "username": "user",
        "password": "p@ss",
    }
    assert lean_url("rediss://h:6380/0") is None
    assert lean_url("unix:///tmp/redis.sock?db=1") is None
    assert lean_url("redis://h:6379/0?client_name=x") is None
    assert RedisState("rediss://127.0.0.1:6380/0").resp is None


class _Spy:
    """A transport that records what is written (uvloop's `write` cannot be replaced)."""

    def __init__(self, transport: Any, writes: list[bytes]) -> None:
        self._transport = transport
        self._writes = writes

    def write(self, data: bytes) -> None:
        self._writes.append(bytes(data))
        self._transport.write(data)

    def abort(self) -> None:
        self._transport.abort()


def test_one_turns_commands_are_one_write_and_replies_come_back_in_order(
    run: Run, shared: Any, prefix: str
) -> None:
    key = f"{prefix}:n"
    writes: list[bytes] = []

    async def test() -> None:
        client = RespClient(shared_redis_url(), SOCKET_TIMEOUT)
        try:
            assert await client.call(encode("DEL", key)) == 0  # connected
            connection = client._connection
            assert connection is not None and connection._transport is not None
            connection._transport = _Spy(connection._transport, writes)  # type: ignore[assignment]
            calls = [client.call(encode("INCR", key)) for _ in range(50)]
            assert await asyncio.gather(*calls) == list(range(1, 51))
        finally:
            client.close()

    run(test)
    assert writes == [encode("INCR", key) * 50]
    assert shared.get(key) == b"50"


def test_an_error_reply_fails_only_its_command(run: Run, shared: Any, prefix: str) -> None:
    async def test() -> None:
        client = RespClient(shared_redis_url(), SOCKET_TIMEOUT)
        key = f"{prefix}:e"
        try:
            first, wrong, last = (
                client.call(encode("INCR", key)),
                client.call(encode("INCR")),
                client.call(encode("INCR", key)),
            )
            assert await first == 1
            with pytest.raises(ResponseError, match="wrong number of arguments") as raised:
                await wrong
            assert not isinstance(raised.value, UNAVAILABLE)
            assert await last == 2
        finally:
            client.close()

    run(test)


def test_a_caller_that_went_away_does_not_shift_the_replies(
    run: Run, shared: Any, prefix: str
) -> None:
    async def test() -> None:
        client = RespClient(shared_redis_url(), SOCKET_TIMEOUT)
        key = f"{prefix}:c"
        try:
            gone, kept = client.call(encode("INCR", key)), client.call(encode("INCR", key))
            gone.cancel()
            assert await kept == 2
        finally:
            client.close()

    run(test)


def test_a_db_number_in_the_url_selects_that_db(run: Run, shared: Any, prefix: str) -> None:
    key = f"{prefix}:db"

    async def test() -> None:
        client = RespClient(_db(5), SOCKET_TIMEOUT)
        try:
            assert await client.call(encode("SET", key, "five")) == b"OK"
        finally:
            client.close()

    run(test)
    db5 = redis.Redis.from_url(_db(5))
    assert db5.get(key) == b"five"
    db5.close()
    assert shared.exists(key) == 0  # not in db 0


def test_a_password_in_the_url_authenticates(run: Run) -> None:
    server = PrivateRedis(None, "--requirepass", "s3cret")
    server.start()
    base = f"127.0.0.1:{server.port}"

    async def test() -> None:
        clients = [
            RespClient(f"redis://:s3cret@{base}/2", SOCKET_TIMEOUT),
            RespClient(f"redis://default:s3cret@{base}/2", SOCKET_TIMEOUT),
            RespClient(f"redis://:wrong@{base}/0", SOCKET_TIMEOUT),
            RespClient(f"redis://{base}/0", SOCKET_TIMEOUT),
        ]
        password, user_password, wrong, none = clients
        try:
            assert await password.call(encode("SET", "k", "v")) == b"OK"
            assert await user_password.call(encode("GET", "k")) == b"v"  # the same db 2
            with pytest.raises(UNAVAILABLE, match="WRONGPASS"):
                await wrong.call(encode("GET", "k"))
            with pytest.raises(ResponseError, match="NOAUTH"):
                await none.call(encode("GET", "k"))
        finally:
            for client in clients:
                client.close()

    try:
        run(test)
    finally:
        server.stop()


def test_connection_refused_is_unavailable(run: Run) -> None:
    port = free_port()  # nothing listens there

    async def test() -> None:
        client = RespClient(f"redis://127.0.0.1:{port}/0", SOCKET_TIMEOUT)
        calls = [client.call(encode("PING")) for _ in range(3)]
        for call in calls:
            with pytest.raises(RedisConnectionError, match=f"connecting to 127.0.0.1:{port}"):
                await call

    run(test)


def test_no_reply_in_time_is_a_timeout_and_the_next_call_connects_again(run: Run) -> None:
    async def test() -> None:
        dropped: list[asyncio.Event] = []

        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            dropped.append(asyncio.Event())
            await reader.read()  # never answers; returns when the client drops the connection
            dropped[-1].set()
            writer.close()

        server = await asyncio.start_server(silent, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = RespClient(f"redis://127.0.0.1:{port}/0", SOCKET_TIMEOUT)
        try:
            for attempt in (1, 2):
                with pytest.raises(RedisTimeoutError, match="Timeout reading from Redis") as e:
                    await client.call(encode("PING"))
                assert isinstance(e.value, UNAVAILABLE)
                assert len(dropped) == attempt
                await asyncio.wait_for(dropped[-1].wait(), 10)
        finally:
            client.close()
            server.close()
            await server.wait_closed()

    run(test)


def test_a_restarted_redis_is_unavailable_then_reconnected(
    run: Run, redis_server: PrivateRedis
) -> None:
    async def test() -> None:
        client = RespClient(redis_server.url, SOCKET_TIMEOUT)
        try:
            assert await client.call(encode("PING")) == b"PONG"
            redis_server.stop()
            with pytest.raises(UNAVAILABLE):
                await client.call(encode("PING"))
            redis_server.start()
            assert await client.call(encode("PING")) == b"PONG"
        finally:
            client.close()

    run(test)


def test_the_limits_command_is_the_one_redis_py_would_send(prefix: str) -> None:
    state = RedisState("redis://127.0.0.1:6379/0", prefix=prefix)  # never connects
    limits = RedisLimits(state, lambda: 1_700_000_000.5)
    lean = limits._lean
    assert lean is not None
    buckets = [Bucket("m", 2.5, 10), Bucket("account", 10_000.0, 5_000)]
    quota = Quota("plan:key", 100, "WEEK")  # 2023-11-14 is a Tuesday
    for levels, q in ((buckets, quota), (buckets[1:], None)):
        for _ in range(2):  # encoded, then from the caches
            command = lean.command(levels, q, 1_700_000_000.5)
            keys: list[str] = []
            args: list[Any] = ["1700000000.5"]
            if q is not None:
                keys += [f"{prefix}:{{limits}}:q:plan:key:2023-11-13"]
                keys += [f"{prefix}:{{limits}}:d:plan:key:2023-11-14"]
                args += ["1", 100, 7 * 86_400, 90 * 86_400]
            else:
                args.append("0")
            for bucket in levels:
                keys.append(f"{prefix}:{{limits}}:{bucket.key}")
                args += [repr(bucket.rate), bucket.burst, bucket.ttl]
            assert command == encode("EVALSHA", lean._sha, len(keys), *keys, *args)


def test_a_redis_without_the_script_gets_it_loaded_again(
    run: Run, redis_server: PrivateRedis
) -> None:
    async def test() -> None:
        state = RedisState(redis_server.url)
        limits = RedisLimits(state, lambda: 1_000_000.0)
        bucket = Bucket("b", 0.0, 2)
        sha = limits._lean._sha  # type: ignore[union-attr]
        try:
            assert await limits.acquire([bucket], None) == OK
            await state.client.script_flush()  # as after a restart: NOSCRIPT
            assert await state.client.script_exists(sha) == [False]
            assert await limits.acquire([bucket], None) == OK
            assert await limits.acquire([bucket], None) == THROTTLED
        finally:
            await state.close()

    run(test)


def test_a_unix_socket_url_counts_through_redis_py(run: Run, tmp_path: Path) -> None:
    socket_path = tmp_path / "redis.sock"
    server = PrivateRedis(None, "--unixsocket", str(socket_path))
    server.start()

    async def test() -> None:
        state = RedisState(f"unix://{socket_path}?db=0")
        assert state.resp is None
        limits = RedisLimits(state, lambda: 1_000_000.0)
        try:
            bucket = Bucket("b", 0.0, 1)
            assert await limits.acquire([bucket], None) == OK
            assert await limits.acquire([bucket], None) == THROTTLED
        finally:
            await state.close()

    try:
        run(test)
    finally:
        server.stop()
