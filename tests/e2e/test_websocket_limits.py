"""WebSocket limits end to end (spec §13.6): 32 KB frames and 128 KB messages (close 1009),
the idle timeout and the maximum connection duration (close 1001), on a server of its own
with small configured values."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.e2e.conftest import Server, start_server
from tests.e2e.ws_helpers import deploy_ws, mock_route, new_ws_api, ws_url

IDLE = 3.0
MAX_DURATION = 6.0


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("ws-limits") / "data",
        args=(
            "--websocket-idle-timeout",
            str(IDLE),
            "--websocket-max-duration",
            str(MAX_DURATION),
        ),
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def api(limited: Server) -> str:
    v2 = limited.client("apigatewayv2")
    api_id = new_ws_api(v2, "limits")
    mock_route(v2, api_id, "$default", "#set($n = $input.body.length())$n")
    deploy_ws(v2, api_id)
    return api_id


def closed_code(ws: ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=60)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def open_ws(server: Server, api_id: str) -> Any:
    return connect(ws_url(server, api_id, "dev"), open_timeout=30, max_size=None)


def test_fragmented_message_under_128_kb_is_served(limited: Server, api: str) -> None:
    with open_ws(limited, api) as ws:
        ws.send(["a" * 30_000] * 4)  # four 30,000-byte frames: 120,000 bytes
        assert ws.recv(timeout=30) == "120000"


def test_message_over_128_kb_closes_with_1009(limited: Server, api: str) -> None:
    with open_ws(limited, api) as ws:
        ws.send(["a" * 30_000] * 5)  # frames within 32 KB, 150,000 bytes in all
        assert closed_code(ws) == 1009


def test_frame_over_32_kb_closes_with_1009(limited: Server, api: str) -> None:
    with open_ws(limited, api) as ws:
        ws.send("a" * (32 * 1024 + 1))
        assert closed_code(ws) == 1009


def test_idle_connection_is_closed_with_1001(limited: Server, api: str) -> None:
    with open_ws(limited, api) as ws:
        ws.send("ping")
        assert ws.recv(timeout=30) == "4"
        assert closed_code(ws) == 1001


def test_busy_connection_is_closed_at_the_maximum_duration(limited: Server, api: str) -> None:
    with open_ws(limited, api) as ws:
        answers = 0
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.send(json.dumps({"n": answers}))
                ws.recv(timeout=60)
                answers += 1
                time.sleep(IDLE / 6)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        # messages kept it past the idle timeout: it was the duration that ended it
        assert answers * IDLE / 6 > IDLE
