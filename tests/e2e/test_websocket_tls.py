"""WebSocket APIs over TLS (`wss://`, spec §1.1, §13): the gateway's HTTPS listener
(`--tls-port`, its generated default certificate) upgrades WebSocket connections as the plain
listener does, and answers the client's pings."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.e2e.conftest import Server, start_server
from tests.e2e.ws_helpers import deploy_ws, mock_route, new_ws_api


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, int]]:
    root: Path = tmp_path_factory.mktemp("wss")
    server = start_server(root / "data", args=("--tls-port", "0"))
    line = next(x for x in server.lines if x.strip().startswith("gateway HTTPS:"))
    try:
        yield server, int(line.split()[2].rsplit(":", 1)[1])
    finally:
        server.stop()


def test_wss_connection_routes_and_answers_pings(tls_server: tuple[Server, int]) -> None:
    server, port = tls_server
    v2 = server.client("apigatewayv2")
    api_id = new_ws_api(v2, "wss")
    mock_route(v2, api_id, "echo", '{"over": "tls", "route": "$context.routeKey"}')
    deploy_ws(v2, api_id, "dev")
    # The default certificate is self-signed (CN tollway): the client trusts it for the test.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    url = f"wss://127.0.0.1:{port}/_aws/execute-api/{api_id}/dev"
    with connect(url, ssl=context, open_timeout=30) as ws:
        ws.send('{"action": "echo"}')
        assert ws.recv(timeout=30) == '{"over": "tls", "route": "echo"}'
        assert ws.ping().wait(timeout=30)  # the pong came back
