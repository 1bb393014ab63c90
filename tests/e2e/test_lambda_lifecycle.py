"""The life of a hosted Lambda function, end to end, through boto3's `lambda` client and
through the gateway (AWS_PROXY): cold and warm starts, concurrency, timeouts, crashes, the
memory limit, the environment and `context`, Event invocations and their retries, the
development loop (a directory reloaded on change), remote functions (another Lambda Invoke
API), `tollway logs` and the choice of interpreter by `Runtime`.

The module runs its own server: Event retries after 0.2 s (TOLLWAY_EVENT_RETRY_DELAY) and at
most two warm workers per function (TOLLWAY_FUNCTION_CONCURRENCY)."""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import (
    ACCOUNT,
    REGION,
    Server,
    function_api,
    start_server,
    zip_code,
)
from tests.e2e.conftest import (
    function_arn as arn,
)

ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"
INTERNAL_ERROR = {"message": "Internal server error"}
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
T = TypeVar("T")


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(
        tmp_path_factory.mktemp("lifecycle") / "data",
        env={"TOLLWAY_EVENT_RETRY_DELAY": "0.2", "TOLLWAY_FUNCTION_CONCURRENCY": "2"},
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def lam(server: Server) -> Any:
    return server.client("lambda")


@pytest.fixture(scope="module")
def apigw(server: Server) -> Any:
    return server.client("apigateway")


def unique() -> str:
    return f"life-{uuid.uuid4().hex[:10]}"


def make(lam: Any, source: str, *, name: str | None = None, **options: Any) -> str:
    """A Python function (module `app`) that API Gateway may invoke."""
    name = name or unique()
    options.setdefault("Runtime", "python3.11")
    options.setdefault("Code", {"ZipFile": zip_code({"app.py": source})})
    lam.create_function(FunctionName=name, Role=ROLE, Handler="app.handler", **options)
    permit(lam, name)
    return name


def permit(lam: Any, name: str) -> None:
    lam.add_permission(
        FunctionName=name,
        StatementId="apigateway",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:*/*/*/*",
    )


def invoke(lam: Any, name: str, event: Any = None, **options: Any) -> tuple[dict[str, Any], Any]:
    """(the response, the decoded payload)."""
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(), **options)
    raw = response["Payload"].read()
    return response, json.loads(raw) if raw else None


def request_id(response: dict[str, Any]) -> str:
    """The x-amzn-RequestId header of a boto3 response."""
    return str(response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])


def tail(response: dict[str, Any]) -> str:
    return base64.b64decode(response["LogResult"]).decode()


def wait_for(predicate: Callable[[], T], what: str, timeout: float = 10.0) -> T:
    """Polls `predicate` until it returns something truthy, or fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def report_fields(log: str, rid: str) -> dict[str, str]:
    """The fields of the REPORT line of `rid`, by name."""
    line = next(x for x in log.splitlines() if x.startswith(f"REPORT RequestId: {rid}\t"))
    return dict(field.split(": ", 1) for field in line.split("\t")[1:] if field)


def get(http: httpx.Client, server: Server, api_id: str, **query: str) -> httpx.Response:
    return http.get(server.url(api_id, "test", "/"), params=query)


# --- 1. cold and warm -----------------------------------------------------------------------

COUNTER = """
import json, os
count = 0
def handler(event, context):
    global count
    count += 1
    print(f"call {count} in {os.getpid()}")
    body = {"pid": os.getpid(), "count": count}
    if "httpMethod" in event:
        return {"statusCode": 200, "body": json.dumps(body)}
    return body
"""


def log_pattern(printed: str, *, cold: bool, memory: int = 128, ending: str = "") -> str:
    init = r"Init Duration: (?P<init>\d+\.\d\d) ms\t" if cold else ""
    return (
        r"START RequestId: (?P<id>[0-9a-f-]{36}) Version: \$LATEST\n"
        + re.escape(printed)
        + r"\nEND RequestId: (?P=id)\n"
        r"REPORT RequestId: (?P=id)\tDuration: (?P<duration>\d+\.\d\d) ms\t"
        r"Billed Duration: (?P<billed>\d+) ms\t"
        rf"Memory Size: {memory} MB\tMax Memory Used: (?P<used>\d+) MB\t" + init + ending + r"\n"
    )


def test_a_cold_start_then_warm_invocations_of_the_same_process(
    server: Server, lam: Any, apigw: Any, http: httpx.Client
) -> None:
    name = make(lam, COUNTER)

    first, body = invoke(lam, name, LogType="Tail")
    pid = body["pid"]
    assert body == {"pid": pid, "count": 1}
    match = re.fullmatch(log_pattern(f"call 1 in {pid}", cold=True), tail(first))
    assert match is not None, tail(first)
    assert match["id"] == request_id(first)
    duration, init = float(match["duration"]), float(match["init"])
    assert init > 0
    # Billed since August 2025: init and invocation, rounded up to the millisecond.
    assert 0 <= int(match["billed"]) - (duration + init) < 1.02
    assert 0 < int(match["used"]) <= 128

    second, body = invoke(lam, name, LogType="Tail")
    assert body == {"pid": pid, "count": 2}
    match = re.fullmatch(log_pattern(f"call 2 in {pid}", cold=False), tail(second))
    assert match is not None, tail(second)
    assert match["id"] == request_id(second) != request_id(first)
    assert "Init Duration" not in tail(second)
    assert 0 <= int(match["billed"]) - float(match["duration"]) < 1.01

    # Through the gateway the same warm worker serves, its module state intact.
    api_id = function_api(apigw, name)
    for count in (3, 4):
        response = get(http, server, api_id)
        assert response.status_code == 200
        assert response.json() == {"pid": pid, "count": count}


def test_a_worker_idle_past_the_idle_timeout_ends_and_the_next_call_is_cold(
    tmp_path: Path,
) -> None:
    own = start_server(tmp_path / "data", env={"TOLLWAY_FUNCTION_IDLE_TIMEOUT": "0.3"})
    try:
        lam = own.client("lambda")
        name = make(lam, COUNTER)
        _, first = invoke(lam, name)
        _, warm = invoke(lam, name)
        assert warm == {"pid": first["pid"], "count": 2}

        def gone() -> bool:
            try:
                os.kill(first["pid"], 0)
            except ProcessLookupError:
                return True
            return False

        wait_for(gone, "the idle worker to end", timeout=5)
        response, cold = invoke(lam, name, LogType="Tail")
        assert cold["count"] == 1
        assert cold["pid"] != first["pid"]
        assert "\tInit Duration: " in tail(response)
    finally:
        own.stop()


# --- 2. concurrency -------------------------------------------------------------------------

RENDEZVOUS = """
import json, os, time
def handler(event, context):
    q = event["queryStringParameters"]
    open(os.path.join(q["dir"], q["me"]), "w").close()
    other = os.path.join(q["dir"], q["other"])
    deadline = time.monotonic() + 5
    while not os.path.exists(other) and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"statusCode": 200,
            "body": json.dumps({"pid": os.getpid(), "met": os.path.exists(other)})}
"""

SLEEPER = """
import json, os, time
def handler(event, context):
    started = time.time()
    time.sleep(float(event["queryStringParameters"]["sleep"]))
    return {"statusCode": 200,
            "body": json.dumps({"pid": os.getpid(), "start": started, "end": time.time()})}
"""


def parallel_gets(server: Server, api_id: str, queries: list[dict[str, str]]) -> list[Any]:
    def one(query: dict[str, str]) -> Any:
        with httpx.Client(timeout=30) as client:
            response = get(client, server, api_id, **query)
        assert response.status_code == 200, response.text
        return response.json()

    with ThreadPoolExecutor(len(queries)) as pool:
        return list(pool.map(one, queries))


def test_parallel_calls_run_at_once_in_different_workers(
    server: Server, lam: Any, apigw: Any, tmp_path: Path
) -> None:
    api_id = function_api(apigw, make(lam, RENDEZVOUS))
    started = time.monotonic()
    # Each call waits (up to 5 s) for the other to arrive: only simultaneous calls meet.
    a, b = parallel_gets(
        server,
        api_id,
        [
            {"dir": str(tmp_path), "me": "a", "other": "b"},
            {"dir": str(tmp_path), "me": "b", "other": "a"},
        ],
    )
    assert a["met"] is True and b["met"] is True
    assert a["pid"] != b["pid"]
    assert time.monotonic() - started < 4


def test_calls_beyond_the_concurrency_limit_queue_for_a_worker(
    server: Server, lam: Any, apigw: Any
) -> None:
    api_id = function_api(apigw, make(lam, SLEEPER))
    results = parallel_gets(server, api_id, [{"sleep": "0.5"}] * 3)
    # TOLLWAY_FUNCTION_CONCURRENCY=2: two workers; the third call waits for one of them.
    assert len({r["pid"] for r in results}) == 2
    results.sort(key=lambda r: r["start"])
    assert results[2]["start"] >= min(results[0]["end"], results[1]["end"])
    assert results[1]["start"] < results[0]["end"]


# --- 3. timeout -----------------------------------------------------------------------------

NAPPER = """
import json, os, time
def handler(event, context):
    q = event.get("queryStringParameters") or event
    if q.get("sleep"):
        print("sleeping")
        time.sleep(float(q["sleep"]))
    body = {"pid": os.getpid()}
    return {"statusCode": 200, "body": json.dumps(body)} if "httpMethod" in event else body
"""


def test_a_timed_out_invocation_is_sandbox_timedout_and_its_worker_replaced(
    server: Server, lam: Any, apigw: Any, http: httpx.Client
) -> None:
    name = make(lam, NAPPER, Timeout=1)
    _, warm = invoke(lam, name)

    started = time.monotonic()
    response, payload = invoke(lam, name, {"sleep": 5}, LogType="Tail")
    assert 1 <= time.monotonic() - started < 4
    rid = request_id(response)
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert payload == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {rid} Error: Task timed out after 1.00 seconds",
    }
    log = tail(response)
    match = re.fullmatch(log_pattern("sleeping", cold=False, ending="Status: timeout"), log)
    assert match is not None, log
    assert match["id"] == rid
    assert float(match["duration"]) >= 1000

    _, after = invoke(lam, name)
    assert after["pid"] != warm["pid"]

    api_id = function_api(apigw, name)
    timed_out = get(http, server, api_id, sleep="5")
    assert timed_out.status_code == 502
    assert timed_out.json() == INTERNAL_ERROR
    fine = get(http, server, api_id)
    assert fine.status_code == 200
    assert fine.json()["pid"] != after["pid"]


def test_a_timed_out_report_gives_the_timeout_as_its_duration(lam: Any) -> None:
    name = make(lam, NAPPER, Timeout=1)
    response, _ = invoke(lam, name, {"sleep": 5}, LogType="Tail")
    fields = report_fields(tail(response), request_id(response))
    assert fields["Status"] == "timeout"
    assert fields["Duration"] == "1000.00 ms"


def test_the_integration_timeout_races_the_function_timeout(
    server: Server, lam: Any, apigw: Any, http: httpx.Client
) -> None:
    # The function may run 10 s, the integration waits 0.5 s: API Gateway gives up first.
    name = make(lam, NAPPER, Timeout=10)
    api_id = function_api(apigw, name, timeoutInMillis=500)
    # Warm the worker first: a cold start on a loaded machine can itself take over 0.5 s,
    # which is not what this test is about.
    invoke(lam, name)
    warm = [get(http, server, api_id).status_code for _ in range(3)]
    assert 200 in warm, warm
    started = time.monotonic()
    response = get(http, server, api_id, sleep="3")
    assert time.monotonic() - started < 2
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    assert response.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    # The API answers again at once (another worker, or the same once it finished).
    assert get(http, server, api_id).status_code == 200


# --- 4. crash and recovery ------------------------------------------------------------------

CRASHER = """
import json, os, signal, sys
def handler(event, context):
    what = (event.get("queryStringParameters") or event).get("do")
    print("doing", what)
    if what == "exit":
        sys.exit(3)
    if what == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    body = {"pid": os.getpid()}
    return {"statusCode": 200, "body": json.dumps(body)} if "httpMethod" in event else body
"""


@pytest.mark.parametrize(
    ("what", "how"), [("exit", "exit status 3"), ("segv", "signal: segmentation fault")]
)
def test_a_crashed_runtime_is_runtime_exit_error_and_the_next_call_recovers(
    lam: Any, what: str, how: str
) -> None:
    name = make(lam, CRASHER)
    _, before = invoke(lam, name)

    response, payload = invoke(lam, name, {"do": what}, LogType="Tail")
    rid = request_id(response)
    assert response["FunctionError"] == "Unhandled"
    message = f"RequestId: {rid} Error: Runtime exited with error: {how}"
    assert payload == {"errorType": "Runtime.ExitError", "errorMessage": message}
    log = tail(response)
    pattern = log_pattern(
        f"doing {what}\n{message}\nRuntime.ExitError",
        cold=False,
        ending=r"Status: error\tError Type: Runtime\.ExitError",
    )
    assert re.fullmatch(pattern, log) is not None, log

    _, after = invoke(lam, name)
    assert after["pid"] != before["pid"]


def test_a_crash_through_the_gateway_is_502(
    server: Server, lam: Any, apigw: Any, http: httpx.Client
) -> None:
    api_id = function_api(apigw, make(lam, CRASHER))
    crashed = get(http, server, api_id, do="exit")
    assert crashed.status_code == 502
    assert crashed.json() == INTERNAL_ERROR
    assert get(http, server, api_id).status_code == 200


# --- 5. memory limit ------------------------------------------------------------------------

HOG = """
import os, time
def handler(event, context):
    block = bytearray(event.get("mb", 0) * 2**20)
    for i in range(0, len(block), 4096):
        block[i] = 1
    time.sleep(event.get("hold", 0))
    return {"pid": os.getpid(), "mb": len(block) // 2**20}
"""


def test_a_function_over_its_memory_size_is_killed(lam: Any) -> None:
    name = make(lam, HOG, MemorySize=128)
    _, before = invoke(lam, name)

    started = time.monotonic()
    response, payload = invoke(lam, name, {"mb": 300, "hold": 3}, LogType="Tail")
    assert time.monotonic() - started < 2  # killed while it ran, not after its hold
    rid = request_id(response)
    assert response["FunctionError"] == "Unhandled"
    assert payload == {
        "errorType": "Runtime.OutOfMemory",
        "errorMessage": f"RequestId: {rid} Error: Runtime exited with error: signal: killed",
    }
    log = tail(response)
    assert log.endswith("\tStatus: error\tError Type: Runtime.OutOfMemory\n"), log
    fields = report_fields(log, rid)
    assert fields["Memory Size"] == "128 MB"
    assert int(fields["Max Memory Used"].removesuffix(" MB")) >= 128

    # A spike freed before the handler returns still passed the limit: killed all the same.
    response, payload = invoke(lam, name, {"mb": 300})
    assert response["FunctionError"] == "Unhandled"
    assert payload["errorType"] == "Runtime.OutOfMemory"

    _, after = invoke(lam, name)
    assert after == {"pid": after["pid"], "mb": 0}
    assert after["pid"] != before["pid"]

    lam.update_function_configuration(FunctionName=name, MemorySize=512)
    response, payload = invoke(lam, name, {"mb": 300, "hold": 1}, LogType="Tail")
    assert "FunctionError" not in response
    assert payload["mb"] == 300
    fields = report_fields(tail(response), request_id(response))
    assert fields["Memory Size"] == "512 MB"
    assert 300 <= int(fields["Max Memory Used"].removesuffix(" MB")) <= 512


# --- 6. environment and context -------------------------------------------------------------

INTROSPECT = """
import os
def handler(event, context):
    return {
        "env": {k: os.environ.get(k) for k in (
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION", "AWS_LAMBDA_LOG_GROUP_NAME",
            "AWS_LAMBDA_LOG_STREAM_NAME", "GREETING")},
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(),
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
    }
"""


def check_context(seen: dict[str, Any], response: dict[str, Any], name: str, version: str) -> None:
    stream = seen["log_stream_name"]
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[" + re.escape(version) + r"\][0-9a-f]{32}", stream), (
        stream
    )
    assert seen["env"] == {
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_REGION": REGION,
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "GREETING": "hello",
    }
    assert seen["aws_request_id"] == request_id(response)
    assert seen["function_name"] == name
    assert seen["function_version"] == version
    assert seen["memory_limit_in_mb"] == "256"
    assert 0 < seen["remaining"] <= 7000
    assert seen["log_group_name"] == f"/aws/lambda/{name}"
    assert response["ExecutedVersion"] == version


def test_the_handler_sees_lambdas_environment_and_context(lam: Any) -> None:
    name = make(
        lam, INTROSPECT, MemorySize=256, Timeout=7, Environment={"Variables": {"GREETING": "hello"}}
    )
    response, seen = invoke(lam, name)
    check_context(seen, response, name, "$LATEST")
    assert seen["invoked_function_arn"] == arn(name)

    response, seen = invoke(lam, name, Qualifier="$LATEST")
    check_context(seen, response, name, "$LATEST")
    assert seen["invoked_function_arn"] == arn(name, "$LATEST")

    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    response, seen = invoke(lam, name, Qualifier="live")
    check_context(seen, response, name, "1")
    assert seen["invoked_function_arn"] == arn(name, "live")

    response, seen = invoke(lam, name, Qualifier="1")
    check_context(seen, response, name, "1")
    assert seen["invoked_function_arn"] == arn(name, "1")


RESERVED_MESSAGE = (
    "Lambda was unable to configure your environment variables because the environment "
    "variables you have provided contains reserved keys that are currently not supported for "
    "modification. Reserved keys used in this request: "
)


def create_error(lam: Any, **options: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as info:
        lam.create_function(
            FunctionName=unique(),
            Role=ROLE,
            Handler="app.handler",
            Runtime="python3.11",
            **options,
        )
    error = info.value.response
    return (
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["Error"]["Code"],
        error["Error"]["Message"],
    )


def test_a_reserved_environment_variable_is_refused(lam: Any) -> None:
    code = {"ZipFile": zip_code({"app.py": INTROSPECT})}
    for key in ("AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME", "_HANDLER"):
        assert create_error(lam, Code=code, Environment={"Variables": {key: "x"}}) == (
            400,
            "InvalidParameterValueException",
            RESERVED_MESSAGE + key,
        )


def test_several_reserved_environment_variables_are_listed_as_lambda_lists_them(
    lam: Any,
) -> None:
    code = {"ZipFile": zip_code({"app.py": INTROSPECT})}
    variables = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
    assert create_error(lam, Code=code, Environment={"Variables": variables}) == (
        400,
        "InvalidParameterValueException",
        RESERVED_MESSAGE + "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY",
    )


# --- 7. Event invocations -------------------------------------------------------------------

RECORDER = """
import os, time
def handler(event, context):
    with open(os.path.join(event["dir"], "calls"), "a") as calls:
        calls.write(f"{context.aws_request_id} {time.time()}\\n")
    if event.get("fail"):
        raise RuntimeError("always")
    return {"ok": True}
"""


def recorded(directory: Path) -> list[tuple[str, float]]:
    try:
        text = (directory / "calls").read_text()
    except FileNotFoundError:
        return []
    return [(rid, float(at)) for rid, at in (line.split() for line in text.splitlines())]


def gave_up(server: Server, name: str, rid: str, attempts: int) -> bool:
    return f"Event {rid} for {name} failed after {attempts} attempts" in server.log()


def test_an_event_invocation_is_202_and_runs_in_the_background(lam: Any, tmp_path: Path) -> None:
    name = make(lam, RECORDER)
    response, payload = invoke(lam, name, {"dir": str(tmp_path)}, InvocationType="Event")
    assert response["StatusCode"] == 202
    assert payload is None
    calls = wait_for(lambda: recorded(tmp_path), "the event to run")
    assert [rid for rid, _ in calls] == [request_id(response)]


def test_a_failing_event_is_tried_three_times(server: Server, lam: Any, tmp_path: Path) -> None:
    name = make(lam, RECORDER)
    response, _ = invoke(lam, name, {"dir": str(tmp_path), "fail": True}, InvocationType="Event")
    assert response["StatusCode"] == 202
    rid = request_id(response)
    wait_for(lambda: gave_up(server, name, rid, 3), "the retries to end")
    calls = recorded(tmp_path)
    assert [r for r, _ in calls] == [rid, rid, rid]  # retries keep the request id
    (_, first), (_, second), (_, third) = calls
    assert second - first >= 0.2  # TOLLWAY_EVENT_RETRY_DELAY
    assert third - second >= 0.4  # doubled


def test_maximum_retry_attempts_zero_tries_an_event_once(
    server: Server, lam: Any, tmp_path: Path
) -> None:
    name = make(lam, RECORDER)
    config = lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    assert config["MaximumRetryAttempts"] == 0
    assert config["FunctionArn"] == arn(name, "$LATEST")
    response, _ = invoke(lam, name, {"dir": str(tmp_path), "fail": True}, InvocationType="Event")
    rid = request_id(response)
    wait_for(lambda: gave_up(server, name, rid, 1), "the event to fail")
    assert [r for r, _ in recorded(tmp_path)] == [rid]


def test_a_dry_run_is_204_and_runs_nothing(lam: Any, tmp_path: Path) -> None:
    name = make(lam, RECORDER)
    response, payload = invoke(lam, name, {"dir": str(tmp_path)}, InvocationType="DryRun")
    assert response["StatusCode"] == 204
    assert payload is None
    # A synchronous call after it is the only one the function has seen.
    after, _ = invoke(lam, name, {"dir": str(tmp_path)})
    assert [r for r, _ in recorded(tmp_path)] == [request_id(after)]


# --- 8. development loop --------------------------------------------------------------------

DEV_SOURCE = """
import json, os
def handler(event, context):
    body = {{"value": {value!r}, "pid": os.getpid()}}
    return {{"statusCode": 200, "body": json.dumps(body)}} if "httpMethod" in event else body
"""


def test_a_development_directory_is_reloaded_on_the_next_call(
    server: Server, lam: Any, apigw: Any, http: httpx.Client, tmp_path: Path
) -> None:
    app = tmp_path / "app.py"
    app.write_text(DEV_SOURCE.format(value="first"))
    name = make(lam, "", Code={"S3Bucket": "hot-reload", "S3Key": str(tmp_path)})
    _, first = invoke(lam, name)
    assert first["value"] == "first"
    _, warm = invoke(lam, name)
    assert warm == first

    app.write_text(DEV_SOURCE.format(value="second version"))
    _, second = invoke(lam, name)  # no pause: the very next call sees the change
    assert second["value"] == "second version"
    assert second["pid"] != first["pid"]

    api_id = function_api(apigw, name)
    app.write_text(DEV_SOURCE.format(value="third, through the gateway"))
    response = get(http, server, api_id)
    assert response.status_code == 200
    assert response.json()["value"] == "third, through the gateway"


def test_an_edit_in_the_same_second_is_not_served_stale(lam: Any, tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(DEV_SOURCE.format(value="one"))
    saved = (int(time.time()) - 10) * 10**9  # a whole second, so both saves share it
    os.utime(app, ns=(saved, saved))
    name = make(lam, "", Code={"S3Bucket": "hot-reload", "S3Key": str(tmp_path)})
    _, first = invoke(lam, name)
    assert first["value"] == "one"

    app.write_text(DEV_SOURCE.format(value="two"))  # same size
    os.utime(app, ns=(saved + 500_000_000, saved + 500_000_000))  # saved within that second
    _, second = invoke(lam, name)
    assert second["pid"] != first["pid"]
    assert second["value"] == "two"


HOT_RELOAD_REFUSAL = (
    "S3Key must be an absolute path to a directory on the Tollway host for bucket hot-reload, "
)


def test_a_development_directory_must_be_an_absolute_existing_directory(
    lam: Any, tmp_path: Path
) -> None:
    (tmp_path / "file.py").write_text("")
    for key in ("relative/dir", str(tmp_path / "missing"), str(tmp_path / "file.py")):
        assert create_error(lam, Code={"S3Bucket": "hot-reload", "S3Key": key}) == (
            400,
            "InvalidParameterValueException",
            HOT_RELOAD_REFUSAL + f"not {key!r}",
        )


def test_a_development_directory_without_s3key_is_refused_as_empty(lam: Any) -> None:
    assert create_error(lam, Code={"S3Bucket": "hot-reload"}) == (
        400,
        "InvalidParameterValueException",
        HOT_RELOAD_REFUSAL + "not ''",
    )


# --- 9. remote functions --------------------------------------------------------------------


class _LambdaInvokeApi(BaseHTTPRequestHandler):
    """A Lambda Invoke API (as the Runtime Interface Emulator serves it, but reporting function
    errors as Lambda does): answers a proxy response echoing the event, or a function error
    when the event (or its query string) says `fail`."""

    protocol_version = "HTTP/1.1"
    seen: list[tuple[str, dict[str, str]]]

    def do_POST(self) -> None:
        self.seen.append((self.path, dict(self.headers.items())))
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        query = event.get("queryStringParameters") or event
        headers = {"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"}
        if query.get("fail"):
            body: dict[str, Any] = {"errorType": "Error", "errorMessage": "remote failure"}
            headers["X-Amz-Function-Error"] = "Unhandled"
        else:
            answer = {"remote": True, "path": event.get("path"), "said": query.get("say")}
            body = {"statusCode": 200, "body": json.dumps(answer)}
        data = json.dumps(body).encode()
        self.send_response(200)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def invoke_api() -> Iterator[tuple[str, list[tuple[str, dict[str, str]]]]]:
    """(its URL, the (path, headers) of each request it got)."""
    seen: list[tuple[str, dict[str, str]]] = []
    handler = type("Handler", (_LambdaInvokeApi,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def make_remote(lam: Any, endpoint: str) -> str:
    name = unique()
    config = lam.create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Role=ROLE,
        Handler="index.handler",
        Code={},
        Tags={"tollway:endpoint": endpoint, "tollway:function-name": "function"},
    )
    assert config["Runtime"] == "nodejs20.x"
    permit(lam, name)
    return name


def test_a_remote_function_is_invoked_through_its_invoke_api(
    server: Server,
    lam: Any,
    apigw: Any,
    http: httpx.Client,
    invoke_api: tuple[str, list[tuple[str, dict[str, str]]]],
) -> None:
    endpoint, seen = invoke_api
    name = make_remote(lam, endpoint)

    response, payload = invoke(lam, name, {"say": "hi"})
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert payload == {"statusCode": 200, "body": '{"remote": true, "path": null, "said": "hi"}'}
    path, headers = seen[-1]
    assert path == "/2015-03-31/functions/function/invocations"
    assert headers["X-Amz-Invocation-Type"] == "RequestResponse"

    response, payload = invoke(lam, name, {"fail": True})
    assert response["FunctionError"] == "Unhandled"
    assert payload == {"errorType": "Error", "errorMessage": "remote failure"}

    api_id = function_api(apigw, name)
    through = get(http, server, api_id, say="hello")
    assert through.status_code == 200
    assert through.json() == {"remote": True, "path": "/", "said": "hello"}
    failed = get(http, server, api_id, fail="1")
    assert failed.status_code == 502
    assert failed.json() == INTERNAL_ERROR


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_remote_function_whose_endpoint_is_down(
    server: Server, lam: Any, apigw: Any, http: httpx.Client
) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    name = make_remote(lam, endpoint)

    with pytest.raises(ClientError) as info:
        invoke(lam, name, {})
    error = info.value.response
    # Tollway's choice (functions/remote.py): a ServiceException, with 502 for the hop that
    # failed rather than the 500 of Lambda's own ServiceException.
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 502
    assert error["Error"]["Code"] == "ServiceException"
    assert error["Error"]["Message"].startswith(
        f"{endpoint} gave no answer to the invocation of function: "
    )

    response = get(http, server, function_api(apigw, name))
    assert response.status_code == 500
    assert response.json() == INTERNAL_ERROR


# --- 10. tollway logs -----------------------------------------------------------------------

TALKER = """
def handler(event, context):
    print("said:", event["say"])
    return "ok"
"""


def tollway_command(*args: str) -> list[str]:
    entry = Path(sys.executable).with_name("tollway")
    command = [str(entry)] if entry.exists() else [sys.executable, "-m", "tollway"]
    return [*command, *args]


def logs(server: Server, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        tollway_command("logs", name, *args, "--data-dir", str(server.data_dir)),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_tollway_logs_prints_an_invocations_lines(server: Server, lam: Any) -> None:
    name = make(lam, TALKER)
    response, _ = invoke(lam, name, {"say": "first words"})
    rid = request_id(response)

    def printed() -> list[str] | None:
        result = logs(server, name, "-n", "50")
        lines = result.stdout.splitlines()
        done = result.returncode == 0 and lines and f"REPORT RequestId: {rid}\t" in lines[-1]
        return lines if done else None

    lines = wait_for(printed, "the log to be written")
    assert len(lines) == 4
    for line in lines:
        assert re.match(STAMP, line), line
    text = [line[25:] for line in lines]
    assert text[:3] == [
        f"START RequestId: {rid} Version: $LATEST",
        "said: first words",
        f"END RequestId: {rid}",
    ]
    assert re.fullmatch(
        rf"REPORT RequestId: {rid}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\t",
        text[3],
    ), text[3]

    last_two = logs(server, name, "-n", "2")
    assert last_two.returncode == 0
    assert last_two.stdout.splitlines() == lines[2:]


def test_tollway_logs_of_an_unknown_function_fails(server: Server) -> None:
    result = logs(server, "never-invoked")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"tollway: no logs for function never-invoked in {server.data_dir / 'logs'}\n"
    )
    bad = logs(server, "../etc")
    assert (bad.returncode, bad.stdout, bad.stderr) == (
        2,
        "",
        "tollway: not a function name: '../etc'\n",
    )


def test_tollway_logs_follow_shows_new_lines(server: Server, lam: Any) -> None:
    name = make(lam, TALKER)
    before, _ = invoke(lam, name, {"say": "before"})
    wait_for(
        lambda: f"REPORT RequestId: {request_id(before)}" in logs(server, name, "-n", "1").stdout,
        "the first invocation's log",
    )
    follower = subprocess.Popen(
        tollway_command("logs", name, "--follow", "-n", "1", "--data-dir", str(server.data_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert follower.stdout is not None
        for line in follower.stdout:
            lines.put(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def next_line(deadline: float) -> str:
        try:
            return lines.get(timeout=max(deadline - time.monotonic(), 0.01))
        except queue.Empty:
            raise AssertionError("tollway logs --follow printed nothing new") from None

    try:
        deadline = time.monotonic() + 10
        # Its first line is the last one already written: it is following from there.
        assert f"REPORT RequestId: {request_id(before)}\t" in next_line(deadline)
        after, _ = invoke(lam, name, {"say": "after the follower started"})
        rid = request_id(after)
        seen = [next_line(deadline) for _ in range(4)]
        assert [line[25:] for line in seen[:3]] == [
            f"START RequestId: {rid} Version: $LATEST",
            "said: after the follower started",
            f"END RequestId: {rid}",
        ]
        assert re.match(STAMP + f"REPORT RequestId: {rid}\t", seen[3])
    finally:
        follower.terminate()
        follower.wait(10)
        reader.join(5)
        assert follower.stdout is not None and follower.stderr is not None
        follower.stdout.close()
        follower.stderr.close()


# --- 11. runtime selection ------------------------------------------------------------------

VERSION_REPORT = """
import os, sys
def handler(event, context):
    return {"version": list(sys.version_info[:2]), "env": os.environ["AWS_EXECUTION_ENV"]}
"""


def python_for(runtime: str) -> str | None:
    """An interpreter of `runtime` (python3.X) on this machine, found as Tollway looks."""
    minor = runtime.removeprefix("python")
    candidates = [shutil.which(runtime)]
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates += [str(p) for p in sorted(pyenv.glob(f"versions/*/bin/{runtime}"))]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == minor:
            return candidate
    return None


CURRENT = f"python{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.mark.parametrize("runtime", ["python3.12", "python3.9"])
def test_a_function_runs_on_the_interpreter_its_runtime_names(lam: Any, runtime: str) -> None:
    if runtime == CURRENT:
        pytest.skip(f"{runtime} is the interpreter running the tests")
    if python_for(runtime) is None:
        pytest.skip(f"no {runtime} on this machine")
    name = make(lam, VERSION_REPORT, Runtime=runtime)
    _, payload = invoke(lam, name)
    assert payload == {
        "version": [int(part) for part in runtime.removeprefix("python").split(".")],
        "env": f"AWS_Lambda_{runtime}",
    }


def test_a_runtime_missing_here_runs_on_the_current_interpreter(server: Server, lam: Any) -> None:
    absent = next(
        (r for r in ("python3.14", "python3.15", "python3.8") if python_for(r) is None), None
    )
    if absent is None:
        pytest.skip("every candidate runtime is installed here")
    name = make(lam, VERSION_REPORT, Runtime=absent)
    _, payload = invoke(lam, name)
    assert payload == {"version": list(sys.version_info[:2]), "env": f"AWS_Lambda_{absent}"}
    assert (
        f"function {name}: {absent} was not found on this machine (PATH or pyenv); the "
        f"function runs on Tollway's own interpreter, {CURRENT} ({sys.executable})"
    ) in server.log()
