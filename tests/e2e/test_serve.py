"""`tollway serve` as a user runs it: the bundled example, restarts, shutdown, bad files."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import botocore.exceptions
import httpx
import pytest

from tests.e2e.conftest import (
    Server,
    create_function,
    deploy,
    function_api,
    start_server,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "petstore"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _api_id(server: Server) -> str:
    for line in server.lines:
        if "/_aws/execute-api/" in line:
            return line.split("/_aws/execute-api/")[1].split("/")[0]
    raise AssertionError(f"no invoke URL printed:\n{server.output()}")


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def test_the_bundled_example_serves_all_three_integrations(tmp_path: Path) -> None:
    # The example proxies to the control plane's health check on its default port; give it
    # a free port instead so the test cannot collide with anything.
    admin_port = _free_port()
    example = tmp_path / "petstore"
    shutil.copytree(EXAMPLE, example)
    spec = example / "petstore.yaml"
    spec.write_text(spec.read_text().replace("127.0.0.1:8081", f"127.0.0.1:{admin_port}"))
    command = [
        sys.executable,
        "-m",
        "tollway",
        "serve",
        str(spec),
        "--port",
        "0",
        "--admin-port",
        str(admin_port),
        "--data-dir",
        str(tmp_path / "data"),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = Server(process, tmp_path / "data")
    try:
        assert process.stdout is not None
        for line in process.stdout:
            server.lines.append(line.rstrip())
            if line.startswith("Ready."):
                break
        server.gateway = next(x.split()[-1] for x in server.lines if "gateway:" in x)
        api_id = _api_id(server)
        assert f"Deployed petstore ({api_id}) to stage dev:" in server.lines
        assert f"  http://{api_id}.execute-api.localhost:" in server.output()
        with httpx.Client(timeout=30) as http:
            status = http.get(server.url(api_id, "dev", "/status")).json()
            assert status["status"] == "ok" and status["stage"] == "dev"
            assert http.get(server.url(api_id, "dev", "/upstream")).json() == {"status": "ok"}
            cats = http.get(server.url(api_id, "dev", "/pets"), params={"type": "cat"})
            assert cats.json() == [{"id": "2", "type": "cat", "name": "Tom"}]
            assert http.get(server.url(api_id, "dev", "/pets/9")).status_code == 404
            created = http.post(server.url(api_id, "dev", "/pets"), json={"name": "Kit"})
            assert (created.status_code, created.json()["name"]) == (201, "Kit")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        if process.stdout is not None:
            process.stdout.close()


def test_health_answers_on_both_listeners(server: Server, http: httpx.Client) -> None:
    for base in (server.gateway, server.admin):
        response = http.get(f"{base}/_tollway/health")
        assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_everything_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_server(data)
    apigw, lam = first.client("apigateway"), first.client("lambda")
    name = f"fn-{uuid.uuid4().hex[:8]}"
    create_function(lam, name, "def handler(e, c):\n    return {'body': 'still here'}\n")
    api_id = function_api(apigw, name, name="kept")
    deployment = deploy(apigw, api_id, "prod", variables={"v": "1"})
    assert first.stop() == 0

    second = start_server(data)
    try:
        apigw, lam = second.client("apigateway"), second.client("lambda")
        assert [a["id"] for a in apigw.get_rest_apis()["items"]] == [api_id]
        stage = apigw.get_stage(restApiId=api_id, stageName="prod")
        assert (stage["deploymentId"], stage["variables"]) == (deployment, {"v": "1"})
        assert lam.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name
        response = httpx.get(second.url(api_id, "prod", "/"), timeout=30)
        assert (response.status_code, response.text) == (200, "still here")
    finally:
        second.stop()


def test_sigterm_finishes_requests_in_flight_and_ends_workers(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    apigw, lam = server.client("apigateway"), server.client("lambda")
    name = f"fn-{uuid.uuid4().hex[:8]}"
    slow = "import time\ndef handler(e, c):\n    time.sleep(1.5)\n    return {'body': 'done'}\n"
    create_function(lam, name, slow)
    api_id = function_api(apigw, name, name="slow")
    result: dict[str, Any] = {}

    def call() -> None:
        response = httpx.get(server.url(api_id, "test", "/"), timeout=30)
        result["answer"] = (response.status_code, response.text)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 10
    while not _children(server.process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # wait for the function's worker to start
    workers = _children(server.process.pid)
    assert workers
    time.sleep(0.3)
    assert server.stop(signal.SIGTERM) == 0
    caller.join(10)
    assert result["answer"] == (200, "done")
    assert "Tollway stopped." in server.output()
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


def test_a_broken_file_is_refused_and_nothing_is_stored(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "openapi: 3.0.1\ninfo: {title: broken}\npaths:\n  /a{b}:\n    get:\n"
        "      x-amazon-apigateway-integration: {type: http, httpMethod: GET, uri: 'nope'}\n"
    )
    data = tmp_path / "data"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tollway",
            "serve",
            str(broken),
            "--port",
            "0",
            "--admin-port",
            "0",
            "--data-dir",
            str(data),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "BadRequestException: Errors found during import:" in done.stderr
    assert "/a{b}" in done.stderr
    server = start_server(data)
    try:
        assert server.client("apigateway").get_rest_apis()["items"] == []
    finally:
        server.stop()


def test_unparsable_file_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: [unclosed\n")
    for target, message in (
        (bad, "cannot read it as JSON or YAML"),
        (tmp_path / "missing.yaml", "no such file"),
    ):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tollway",
                "serve",
                str(target),
                "--port",
                "0",
                "--admin-port",
                "0",
                "--data-dir",
                str(tmp_path / "d"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode in (1, 2)
        assert message in done.stderr


def test_settings_come_from_environment_variables(tmp_path: Path) -> None:
    spec = tmp_path / "api.yaml"
    spec.write_text(
        "openapi: 3.0.1\ninfo: {title: envapi}\npaths:\n  /:\n    get:\n"
        "      x-amazon-apigateway-integration:\n        type: mock\n"
        "        requestTemplates: {application/json: '{\"statusCode\": 200}'}\n"
        "        responses: {default: {statusCode: '200', responseTemplates: "
        '{application/json: \'{"account": "$context.accountId"}\'}}}\n'
    )
    server = start_server(
        tmp_path / "data",
        spec,
        env={
            "TOLLWAY_STAGE": "prod",
            "TOLLWAY_ACCOUNT_ID": "123456789012",
            "TOLLWAY_REGION": "eu-west-1",
        },
    )
    try:
        api_id = _api_id(server)
        assert f"Deployed envapi ({api_id}) to stage prod:" in server.lines
        response = httpx.get(server.url(api_id, "prod", "/"), timeout=30)
        assert response.json() == {"account": "123456789012"}
        apigw = server.client("apigateway")
        with pytest.raises(botocore.exceptions.ClientError) as error:
            apigw.get_rest_api(restApiId="missing")
        assert error.value.response["Error"]["Message"] == (
            "Invalid API identifier specified 123456789012:missing"
        )
    finally:
        server.stop()


def test_restarting_with_the_same_file_keeps_the_api_id(tmp_path: Path) -> None:
    spec = tmp_path / "api.json"
    spec.write_text(
        '{"swagger": "2.0", "info": {"title": "stable", "version": "1"}, "paths": {"/": {"get": '
        '{"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": '
        '{"type": "mock", "requestTemplates": {"application/json": "{\\"statusCode\\": 200}"}, '
        '"responses": {"default": {"statusCode": "200"}}}}}}}'
    )
    ids = []
    for _ in range(2):
        server = start_server(tmp_path / "data", spec)
        ids.append(_api_id(server))
        apis = server.client("apigateway").get_rest_apis()["items"]
        server.stop()
        assert [a["name"] for a in apis] == ["stable"]
    assert ids[0] == ids[1]


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tollway",
                "serve",
                "--port",
                str(port),
                "--admin-port",
                "0",
                "--data-dir",
                str(tmp_path / "d"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ},
        )
    assert done.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
