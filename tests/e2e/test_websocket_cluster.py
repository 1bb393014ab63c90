"""WebSocket connections across gateway processes (`--state redis://...`): two processes on one
data directory and one private `redis-server` (this test's own; the machine's shared Redis is
never touched). A client connected to process A is reached through process B's `@connections`
(PostToConnection, GetConnection, DeleteConnection, and 410 once it is gone); a killed process's
connections are gone once its heartbeat expired; while Redis is down, B answers 503 for A's
connection and A still serves its own, and B reaches it again once Redis is back."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import Server, start_server
from tests.e2e.test_websocket import management
from tests.e2e.ws_helpers import deploy_ws, mock_route, new_ws_api, stage_url, ws_url
from tests.redis_server import PrivateRedis

TTL = "3"  # seconds a killed process's heartbeat outlives it


@dataclass
class Cluster:
    redis: PrivateRedis
    a: Server
    b: Server
    api_id: str
    state: tuple[str, ...]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("ws-cluster")
    redis = PrivateRedis(root)
    redis.start()
    state = ("--state", redis.url, "--websocket-node-ttl", TTL)
    a = start_server(root / "data", args=state)
    b: Server | None = None
    try:
        v2 = a.client("apigatewayv2")
        api_id = new_ws_api(v2, "cluster")
        mock_route(v2, api_id, "whoami", "$context.connectionId")
        deploy_ws(v2, api_id)
        b = start_server(root / "data", args=state)  # loads the API from the shared store
        yield Cluster(redis, a, b, api_id, state)
    finally:
        if b is not None:
            b.stop()
        a.stop()
        redis.stop()


def whoami(ws: ClientConnection) -> str:
    ws.send('{"action": "whoami"}')
    return str(ws.recv(timeout=30))


def wait_for(check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def connections_url(server: Server, api_id: str, connection_id: str) -> str:
    return stage_url(server, api_id, "dev") + "/@connections/" + connection_id.replace("=", "%3D")


def registered(server: Server, api_id: str, connection_id: str) -> Callable[[], bool]:
    """Whether `server` answers GetConnection 200 (registration in Redis is asynchronous)."""
    return lambda: httpx.get(connections_url(server, api_id, connection_id)).status_code == 200


def test_a_client_on_a_is_posted_to_read_and_deleted_through_b(cluster: Cluster) -> None:
    client: Any = management(cluster.b, cluster.api_id)
    with connect(ws_url(cluster.a, cluster.api_id, "dev"), open_timeout=30) as ws:
        connection_id = whoami(ws)
        wait_for(registered(cluster.b, cluster.api_id, connection_id))
        client.post_to_connection(ConnectionId=connection_id, Data=b"from b")
        assert ws.recv(timeout=30) == "from b"
        client.post_to_connection(ConnectionId=connection_id, Data=b"\x00\xff")
        assert ws.recv(timeout=30) == b"\x00\xff"
        # B answers from Redis what A answers from memory (lastActiveAt within a second).
        from_a = httpx.get(connections_url(cluster.a, cluster.api_id, connection_id)).json()
        wait_for(
            lambda: (
                httpx.get(connections_url(cluster.b, cluster.api_id, connection_id)).json()
                == from_a
            )
        )
        assert from_a["identity"] == {
            "sourceIp": "127.0.0.1",
            "userAgent": ws.request.headers["User-Agent"],
        }
        assert client.get_connection(ConnectionId=connection_id)["ConnectedAt"].year >= 2024
        client.delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=30)
        assert ws.close_code == 1000
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId=connection_id, Data=b"late")
    with pytest.raises(client.exceptions.GoneException):
        client.delete_connection(ConnectionId=connection_id)


def test_gone_through_b_once_the_client_left_a(cluster: Cluster) -> None:
    with connect(ws_url(cluster.a, cluster.api_id, "dev"), open_timeout=30) as ws:
        connection_id = whoami(ws)
        wait_for(registered(cluster.b, cluster.api_id, connection_id))
    # At once for a post (A answers it is not open), once A unregistered it for a lookup.
    gone = httpx.post(connections_url(cluster.b, cluster.api_id, connection_id), content=b"x")
    assert (gone.status_code, gone.headers["x-amzn-ErrorType"], gone.content) == (
        410,
        "GoneException",
        b"",
    )
    wait_for(lambda: not registered(cluster.b, cluster.api_id, connection_id)())
    looked_up = httpx.get(connections_url(cluster.b, cluster.api_id, connection_id))
    assert (looked_up.status_code, looked_up.headers["x-amzn-ErrorType"]) == (410, "GoneException")


def test_a_killed_process_connections_are_gone_after_its_heartbeat_expired(
    cluster: Cluster,
) -> None:
    c = start_server(cluster.a.data_dir, args=cluster.state)
    try:
        with connect(ws_url(c, cluster.api_id, "dev"), open_timeout=30) as ws:
            connection_id = whoami(ws)
            wait_for(registered(cluster.b, cluster.api_id, connection_id))
            c.process.send_signal(signal.SIGKILL)
            c.process.wait(30)
        wait_for(lambda: not registered(cluster.b, cluster.api_id, connection_id)())
        url = connections_url(cluster.b, cluster.api_id, connection_id)
        assert httpx.get(url).status_code == 410
        assert httpx.post(url, content=b"x").status_code == 410
        assert httpx.delete(url).status_code == 410
    finally:
        c.stop()


def test_redis_outage_b_answers_503_a_serves_its_own_then_recovers(cluster: Cluster) -> None:
    with connect(ws_url(cluster.a, cluster.api_id, "dev"), open_timeout=30) as ws:
        connection_id = whoami(ws)
        wait_for(registered(cluster.b, cluster.api_id, connection_id))
        cluster.redis.stop()
        try:
            from_b = httpx.post(connections_url(cluster.b, cluster.api_id, connection_id))
            assert from_b.status_code == 503
            assert from_b.headers["x-amzn-ErrorType"] == "ServiceUnavailableException"
            assert from_b.json() == {"message": "Service Unavailable"}
            # A still holds its connection: messages and its own @connections work.
            assert whoami(ws) == connection_id
            from_a = httpx.post(
                connections_url(cluster.a, cluster.api_id, connection_id), content=b"still here"
            )
            assert from_a.status_code == 200
            assert ws.recv(timeout=30) == "still here"
        finally:
            cluster.redis.start()  # empty: A registers its connection again
        wait_for(registered(cluster.b, cluster.api_id, connection_id))
        back = httpx.post(
            connections_url(cluster.b, cluster.api_id, connection_id), content=b"back"
        )
        assert back.status_code == 200
        assert ws.recv(timeout=30) == "back"
