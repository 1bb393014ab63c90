"""FunctionHost with real worker processes running functions written to tmp_path."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import uvloop

from tollway.functions import host as host_module
from tollway.functions.errors import FunctionThrottled
from tollway.functions.host import FunctionHost, FunctionSpec, InvokeResult
from tollway.functions.interpreters import Interpreter, find_interpreter
from tollway.functions.worker import RUNTIME

APP = textwrap.dedent(
    """\
    import logging
    import os
    import signal
    import subprocess
    import sys
    import time

    HERE = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(HERE, "inits.log"), "a") as f:
        f.write("init\\n")
    count = 0


    def counter(event, context):
        global count
        count += 1
        return {"count": count, "pid": os.getpid()}


    def echo(event, context):
        return {
            "event": event,
            "aws_request_id": context.aws_request_id,
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
            "identity": context.identity,
            "client_context": context.client_context,
        }


    def environment(event, context):
        return {
            "env": dict(os.environ),
            "cwd": os.getcwd(),
            "sys_path": sys.path,
        }


    def _inner(value):
        raise ValueError(f"boom {value}")


    def fail(event, context):
        _inner(event["value"])


    def sleep(event, context):
        global count
        count += 1
        print(f"pid {os.getpid()}")
        with open(os.path.join(HERE, "started"), "w"):
            pass
        time.sleep(event["seconds"])
        with open(os.path.join(HERE, "finished"), "w"):
            pass
        return {"count": count, "pid": os.getpid()}


    def crash(event, context):
        global count
        count += 1
        if event.get("how") == "exit":
            sys.exit(3)
        if event.get("how") == "segfault":
            os.kill(os.getpid(), signal.SIGSEGV)
        return {"count": count, "pid": os.getpid()}


    def unserialisable(event, context):
        return {"ids": {1}}


    def decimals(event, context):
        import decimal

        return [decimal.Decimal("1.5"), decimal.Decimal("2")]


    def chatty(event, context):
        print("to stdout")
        print("to stderr", file=sys.stderr)
        os.write(2, b"raw fd 2\\n")
        subprocess.run(["echo", "from a child"], check=True)
        logging.getLogger().warning("careful")
        sys.stdout.write("no newline")
        return "ok"


    def rendezvous(event, context):
        open(os.path.join(HERE, event["me"]), "w").close()
        other = os.path.join(HERE, event["other"])
        deadline = time.time() + 5
        while not os.path.exists(other) and time.time() < deadline:
            time.sleep(0.005)
        return {"pid": os.getpid(), "met": os.path.exists(other)}


    def hog(event, context):
        block = bytearray(event["mib"] * 2**20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(event.get("hold", 0))
        return {"pid": os.getpid(), "size": len(block)}


    def spike(event, context):
        block = bytearray(event["mib"] * 2**20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        del block
        return {"pid": os.getpid()}


    def which_python(event, context):
        return {"version": list(sys.version_info[:2]), "executable": sys.executable}


    def record(event, context):
        with open(os.path.join(HERE, "order.log"), "a") as f:
            f.write(f"{event['n']}\\n")
        return {"pid": os.getpid()}


    def stdout_elsewhere(event, context):
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the runtime's marks go there too
        print(f"stderr {event['n']}", file=sys.stderr)
        return event["n"]


    def queued(event, context):
        print(f"printed {event['n']}")
        time.sleep(event.get("sleep", 0))
        if event.get("exit"):
            sys.exit(3)
        if event.get("mib"):
            block = bytearray(event["mib"] * 2**20)
            for i in range(0, len(block), 4096):
                block[i] = 1
            del block
        with open(os.path.join(HERE, "order.log"), "a") as f:
            f.write(f"{event['n']}\\n")
        remaining = context.get_remaining_time_in_millis()
        return {"n": event["n"], "pid": os.getpid(), "remaining": remaining}
    """
)
FAIL_LINE = APP.splitlines().index("def fail(event, context):") + 2
INNER_LINE = APP.splitlines().index("def _inner(value):") + 2


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text(APP)
    return code


@pytest.fixture
def lines() -> list[tuple[str, str]]:
    return []


@pytest.fixture
async def host(lines: list[tuple[str, str]]) -> AsyncIterator[FunctionHost]:
    host = FunctionHost(log_sink=lambda *text: lines.append(text), echo_output=False)
    yield host
    await host.close()


def make_spec(code_dir: Path, handler: str = "app.counter", **changes: object) -> FunctionSpec:
    """A spec whose revision is its handler: workers are shared only by the same handler."""
    changes.setdefault("revision", handler)
    spec = FunctionSpec(
        name="fn",
        arn="arn:aws:lambda:us-east-1:000000000000:function:fn",
        version="$LATEST",
        handler=handler,
        code_dir=code_dir,
    )
    return replace(spec, **changes)  # type: ignore[arg-type]


def body(result: InvokeResult) -> Any:
    return json.loads(result.payload)


PLATFORM_LINE = re.compile(r"^(START|END|REPORT) RequestId: .*\n", re.M)


def output(result: InvokeResult) -> str:
    """What the function printed: the log without Lambda's START, END and REPORT lines."""
    return PLATFORM_LINE.sub("", result.log)


def printed_pid(result: InvokeResult) -> int:
    match = re.search(r"^pid (\d+)$", result.log, re.M)
    assert match is not None, result.log
    return int(match.group(1))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def eventually(check: Callable[[], bool]) -> bool:
    """Whether ``check`` comes true within a few seconds (for what happens in the background)."""
    for _ in range(500):
        if check():
            return True
        await asyncio.sleep(0.01)
    return False


async def test_round_trip_with_event_and_context(host: FunctionHost, code_dir: Path) -> None:
    spec = make_spec(code_dir, "app.echo", memory_size=256)
    result = await host.invoke(spec, b'{"a": [1, "x"]}', request_id="req-1")
    assert result.function_error is None
    assert result.executed_version == "$LATEST"
    assert re.fullmatch(
        r"START RequestId: req-1 Version: \$LATEST\n"
        r"END RequestId: req-1\n"
        r"REPORT RequestId: req-1\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 256 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms\t\n",
        result.log,
    )
    out = body(result)
    stream = out.pop("log_stream_name")
    remaining = out.pop("remaining")
    assert out == {
        "event": {"a": [1, "x"]},
        "aws_request_id": "req-1",
        "function_name": "fn",
        "function_version": "$LATEST",
        "invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:fn",
        "memory_limit_in_mb": "256",
        "log_group_name": "/aws/lambda/fn",
        "identity": None,
        "client_context": None,
    }
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", stream)
    assert 0 < remaining <= 3000
    assert result.payload.startswith(b'{"event":{"a":[1,"x"]},"aws_request_id":"req-1",')


async def test_request_id_defaults_to_a_uuid(host: FunctionHost, code_dir: Path) -> None:
    out = body(await host.invoke(make_spec(code_dir, "app.echo"), b"{}"))
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", out["aws_request_id"]
    )


async def test_environment(
    host: FunctionHost, code_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOLLWAY_SERVER_SECRET", "not for functions")
    spec = make_spec(
        code_dir,
        "app.environment",
        memory_size=512,
        region="eu-west-1",
        environment={"GREETING": "hi", "AWS_REGION": "us-west-2", "_HANDLER": "x.y"},
    )
    out = body(await host.invoke(spec, b"{}"))
    env = out["env"]
    if env.get("LC_CTYPE") == "C.UTF-8":  # Python's locale coercion where en_US.UTF-8 is missing
        del env["LC_CTYPE"]
    task_root = str(code_dir)
    assert env["GREETING"] == "hi"
    assert {k: env[k] for k in env if k not in ("PATH", "AWS_LAMBDA_LOG_STREAM_NAME")} == {
        "GREETING": "hi",
        "_HANDLER": "app.environment",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_LAMBDA_FUNCTION_NAME": "fn",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/fn",
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": os.path.dirname(RUNTIME),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PYTHONPATH": task_root,
        **(
            {"LD_LIBRARY_PATH": os.environ["LD_LIBRARY_PATH"]}
            if "LD_LIBRARY_PATH" in os.environ
            else {}
        ),
    }
    assert env["PATH"] == os.environ["PATH"]
    assert re.fullmatch(
        r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", env["AWS_LAMBDA_LOG_STREAM_NAME"]
    )
    assert out["cwd"] == task_root
    assert out["sys_path"][0] == task_root
    assert os.path.dirname(RUNTIME) not in out["sys_path"]


async def test_user_modules_named_like_the_host_modules(host: FunctionHost, code_dir: Path) -> None:
    (code_dir / "code.py").write_text("MARK = 'user code'\n")
    (code_dir / "host.py").write_text(
        "import code\n\ndef handler(event, context):\n    return [__file__, code.MARK]\n"
    )
    result = await host.invoke(make_spec(code_dir, "host.handler"), b"{}")
    assert body(result) == [str(code_dir / "host.py"), "user code"]


async def test_handler_in_a_subdirectory(host: FunctionHost, code_dir: Path) -> None:
    (code_dir / "pkg" / "sub").mkdir(parents=True)
    (code_dir / "pkg" / "sub" / "mod.py").write_text("def go(event, context):\n    return 'deep'\n")
    result = await host.invoke(make_spec(code_dir, "pkg/sub/mod.go"), b"{}")
    assert result.payload == b'"deep"'


async def test_warm_worker_is_reused_and_init_runs_once(host: FunctionHost, code_dir: Path) -> None:
    spec = make_spec(code_dir)
    results = [body(await host.invoke(spec, b"{}")) for _ in range(3)]
    pid = results[0]["pid"]
    assert results == [{"count": n, "pid": pid} for n in (1, 2, 3)]
    assert (code_dir / "inits.log").read_text() == "init\n"


async def test_import_error(host: FunctionHost, code_dir: Path) -> None:
    result = await host.invoke(make_spec(code_dir, "nothere.handler"), b"{}", request_id="r1")
    assert result.function_error == "Unhandled"
    assert result.payload == (
        b"{\"errorMessage\":\"Unable to import module 'nothere': No module named 'nothere'\","
        b'"errorType":"Runtime.ImportModuleError","requestId":"r1","stackTrace":[]}'
    )
    assert output(result) == (
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'nothere': "
        "No module named 'nothere'\nTraceback (most recent call last):\n"
    )


async def test_exception_during_init(host: FunctionHost, code_dir: Path) -> None:
    (code_dir / "broken.py").write_text("raise KeyError('config')\n")
    result = await host.invoke(make_spec(code_dir, "broken.handler"), b"{}", request_id="r1")
    out = body(result)
    assert result.function_error == "Unhandled"
    assert (out["errorMessage"], out["errorType"], out["requestId"]) == (
        "'config'",
        "KeyError",
        "r1",
    )
    broken = code_dir / "broken.py"
    assert out["stackTrace"][-1] == (
        f"  File \"{broken}\", line 1, in <module>\n    raise KeyError('config')\n"
    )


async def test_missing_handler_keeps_the_worker(host: FunctionHost, code_dir: Path) -> None:
    spec = make_spec(code_dir, "app.nope")
    first = await host.invoke(spec, b"{}", request_id="r1")
    assert first.function_error == "Unhandled"
    assert body(first) == {
        "errorMessage": "Handler 'nope' missing on module 'app'",
        "errorType": "Runtime.HandlerNotFound",
        "requestId": "r1",
        "stackTrace": [],
    }
    await host.invoke(spec, b"{}")
    assert (code_dir / "inits.log").read_text() == "init\n"


async def test_exception_shape_and_the_worker_stays_warm(
    host: FunctionHost, code_dir: Path
) -> None:
    spec = make_spec(code_dir, "app.fail")
    result = await host.invoke(spec, b'{"value": 7}', request_id="r1")
    app = code_dir / "app.py"
    trace = [
        f'  File "{app}", line {FAIL_LINE}, in fail\n    _inner(event["value"])\n',
        f'  File "{app}", line {INNER_LINE}, in _inner\n    raise ValueError(f"boom {{value}}")\n',
    ]
    assert result.function_error == "Unhandled"
    assert (
        result.payload
        == json.dumps(
            {
                "errorMessage": "boom 7",
                "errorType": "ValueError",
                "requestId": "r1",
                "stackTrace": trace,
            },
            separators=(",", ":"),
        ).encode()
    )
    assert output(result) == (
        "[ERROR] ValueError: boom 7\nTraceback (most recent call last):\n"
        f'  File "{app}", line {FAIL_LINE}, in fail\n    _inner(event["value"])\n'
        f'  File "{app}", line {INNER_LINE}, in _inner\n    raise ValueError(f"boom {{value}}")\n'
    )
    await host.invoke(spec, b'{"value": 8}')
    assert (code_dir / "inits.log").read_text() == "init\n"


async def test_timeout_kills_the_worker(host: FunctionHost, code_dir: Path) -> None:
    spec = make_spec(code_dir, "app.sleep", timeout=0.5)
    result = await host.invoke(spec, b'{"seconds": 30}', request_id="r1")
    assert result.function_error == "Unhandled"
    assert result.payload == (
        b'{"errorType":"Sandbox.Timedout",'
        b'"errorMessage":"RequestId: r1 Error: Task timed out after 0.50 seconds"}'
    )
    pid = printed_pid(result)
    assert not alive(pid)
    assert re.fullmatch(
        r"START RequestId: r1 Version: \$LATEST\npid \d+\n"
        r"END RequestId: r1\nREPORT RequestId: r1\tDuration: \d+\.\d\d ms\t"
        r"Billed Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\t"
        r"Init Duration: \d+\.\d\d ms\tStatus: timeout\n",
        result.log,
    )
    after = body(await host.invoke(spec, b'{"seconds": 0}'))
    assert after == {"count": 1, "pid": after["pid"]}
    assert after["pid"] != pid


@pytest.mark.parametrize(
    ("how", "description"),
    [("exit", "exit status 3"), ("segfault", "signal: segmentation fault")],
)
async def test_runtime_exit(host: FunctionHost, code_dir: Path, how: str, description: str) -> None:
    spec = make_spec(code_dir, "app.crash")
    first = body(await host.invoke(spec, b"{}"))
    result = await host.invoke(spec, json.dumps({"how": how}).encode(), request_id="r1")
    assert result.function_error == "Unhandled"
    assert result.payload == (
        b'{"errorType":"Runtime.ExitError","errorMessage":'
        b'"RequestId: r1 Error: Runtime exited with error: ' + description.encode() + b'"}'
    )
    assert not alive(first["pid"])
    after = body(await host.invoke(spec, b"{}"))
    assert after["count"] == 1
    assert after["pid"] != first["pid"]


async def test_exit_during_init(host: FunctionHost, code_dir: Path) -> None:
    (code_dir / "quits.py").write_text("import sys\nprint('bye')\nsys.exit(2)\n")
    result = await host.invoke(make_spec(code_dir, "quits.handler"), b"{}", request_id="r1")
    assert (result.payload, result.function_error, result.executed_version) == (
        b'{"errorType":"Runtime.ExitError",'
        b'"errorMessage":"RequestId: r1 Error: Runtime exited with error: exit status 2"}',
        "Unhandled",
        "$LATEST",
    )
    assert output(result) == (
        "bye\nRequestId: r1 Error: Runtime exited with error: exit status 2\nRuntime.ExitError\n"
    )
    assert result.log.splitlines()[-1].endswith("\tStatus: error\tError Type: Runtime.ExitError")


async def test_unserialisable_result(host: FunctionHost, code_dir: Path) -> None:
    result = await host.invoke(make_spec(code_dir, "app.unserialisable"), b"{}", request_id="r1")
    assert result.function_error == "Unhandled"
    assert result.payload == (
        b'{"errorMessage":"Unable to marshal response: '
        b'Object of type set is not JSON serializable",'
        b'"errorType":"Runtime.MarshalError","requestId":"r1","stackTrace":[]}'
    )


async def test_decimals_become_numbers(host: FunctionHost, code_dir: Path) -> None:
    result = await host.invoke(make_spec(code_dir, "app.decimals"), b"{}")
    assert result.payload == b"[1.5,2]"


async def test_empty_and_invalid_payloads(host: FunctionHost, code_dir: Path) -> None:
    spec = make_spec(code_dir, "app.echo")
    assert body(await host.invoke(spec, b""))["event"] == {}
    result = await host.invoke(spec, b"not json", request_id="r1")
    assert result.function_error == "Unhandled"
    assert result.payload == (
        b'{"errorMessage":"Unable to unmarshal input: Expecting value: line 1 column 1 (char 0)",'
        b'"errorType":"Runtime.UnmarshalError","requestId":"r1","stackTrace":[]}'
    )


async def test_output_reaches_the_log_and_the_sink(
    host: FunctionHost, code_dir: Path, lines: list[tuple[str, str]]
) -> None:
    spec = make_spec(code_dir, "app.chatty")
    result = await host.invoke(spec, b"{}", request_id="r1")
    assert result.payload == b'"ok"'
    expected = ["to stdout", "to stderr", "raw fd 2", "from a child"]
    printed = output(result).splitlines()
    assert printed[:4] == expected
    assert re.fullmatch(
        r"\[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\tr1\tcareful", printed[4]
    )
    # A last line without a newline still ends before END.
    assert output(result).endswith("\tcareful\nno newline\n")
    assert result.log.startswith("START RequestId: r1 Version: $LATEST\n")
    assert "\nno newline\nEND RequestId: r1\nREPORT RequestId: r1\t" in result.log
    # The sink saw the same text as it happened: START with the first line printed, each
    # further line as it came, then END and REPORT.
    assert "".join(text for _, text in lines) == result.log
    assert {name for name, _ in lines} == {"fn"}
    assert lines[0] == ("fn", "START RequestId: r1 Version: $LATEST\nto stdout\n")
    assert lines[1:4] == [("fn", line + "\n") for line in expected[1:]]
    lines.clear()
    again = await host.invoke(spec, b"{}", request_id="r2")
    assert output(again).splitlines()[:4] == expected
    assert output(again).endswith("\tr2\tcareful\nno newline\n")
    assert "".join(text for _, text in lines) == again.log
    assert "Init Duration" not in again.log  # warm


async def test_without_a_sink_lines_go_to_the_function_logger(
    code_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    host = FunctionHost()
    try:
        with caplog.at_level(logging.INFO, logger="tollway.functions.fn"):
            await host.invoke(make_spec(code_dir, "app.sleep"), b'{"seconds": 0}')
    finally:
        await host.close()
    records = [r for r in caplog.records if r.name.startswith("tollway.functions")]
    assert {(r.name, r.levelno) for r in records} == {("tollway.functions.fn", logging.INFO)}
    assert [r.message.split()[0] for r in records] == ["START", "pid", "END", "REPORT"]


async def test_with_a_sink_output_is_echoed_to_the_function_logger(
    code_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    texts: list[str] = []
    host = FunctionHost(log_sink=lambda _, text: texts.append(text))
    try:
        with caplog.at_level(logging.INFO, logger="tollway.functions.fn"):
            await host.invoke(make_spec(code_dir, "app.sleep"), b'{"seconds": 0}')
    finally:
        await host.close()
    records = [r for r in caplog.records if r.name.startswith("tollway.functions")]
    # Only what the function printed: START/END/REPORT stay in the function's log.
    assert [r.message[:4] for r in records] == ["pid "]
    assert texts[0].startswith("START ") and texts[-1].startswith("END ")
    assert texts[0].endswith("\n") and texts[0].splitlines()[1].startswith("pid ")


async def test_concurrent_invocations_run_in_parallel(host: FunctionHost, code_dir: Path) -> None:
    spec = make_spec(code_dir, "app.rendezvous", timeout=10)
    a, b = await asyncio.gather(
        host.invoke(spec, b'{"me": "a", "other": "b"}'),
        host.invoke(spec, b'{"me": "b", "other": "a"}'),
    )
    out_a, out_b = body(a), body(b)
    assert out_a["met"] and out_b["met"]
    assert out_a["pid"] != out_b["pid"]


async def test_callers_queue_in_order_at_max_concurrency(code_dir: Path) -> None:
    host = FunctionHost(max_concurrency=1)
    try:
        spec = make_spec(code_dir, "app.record")
        results = await asyncio.gather(
            *(host.invoke(spec, json.dumps({"n": n}).encode()) for n in range(4))
        )
    finally:
        await host.close()
    assert len({r.payload for r in results}) == 1  # one worker served them all
    assert (code_dir / "order.log").read_text() == "0\n1\n2\n3\n"


async def test_cancelled_caller_leaves_the_invocation_running(code_dir: Path) -> None:
    host = FunctionHost(max_concurrency=1)
    try:
        spec = make_spec(code_dir, "app.sleep")
        task = asyncio.create_task(host.invoke(spec, b'{"seconds": 0.3}'))
        assert await eventually((code_dir / "started").exists)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not (code_dir / "finished").exists()
        after = await host.invoke(spec, b'{"seconds": 0}')
        assert (code_dir / "finished").exists()
        assert output(after).startswith("pid ")
        assert (code_dir / "inits.log").read_text() == "init\n"
    finally:
        await host.close()


async def test_retire_starts_fresh_workers(host: FunctionHost, code_dir: Path) -> None:
    spec = make_spec(code_dir)
    first = body(await host.invoke(spec, b"{}"))
    await host.retire("fn")
    assert not alive(first["pid"])
    second = body(await host.invoke(spec, b"{}"))
    assert second["count"] == 1
    assert second["pid"] != first["pid"]


async def test_new_revision_starts_fresh_workers(host: FunctionHost, code_dir: Path) -> None:
    first = body(await host.invoke(make_spec(code_dir, revision="a"), b"{}"))
    second = body(await host.invoke(make_spec(code_dir, revision="b"), b"{}"))
    assert second["count"] == 1
    assert second["pid"] != first["pid"]
    assert await eventually(lambda: not alive(first["pid"]))


async def test_idle_workers_end_after_idle_timeout(code_dir: Path) -> None:
    host = FunctionHost(idle_timeout=0.05)
    try:
        first = body(await host.invoke(make_spec(code_dir), b"{}"))
        assert await eventually(lambda: not alive(first["pid"]))
        second = body(await host.invoke(make_spec(code_dir), b"{}"))
        assert second["count"] == 1
    finally:
        await host.close()


async def test_close_leaves_no_processes(code_dir: Path) -> None:
    host = FunctionHost()
    counted = await asyncio.gather(*(host.invoke(make_spec(code_dir), b"{}") for _ in range(3)))
    pids = {body(r)["pid"] for r in counted}
    sleeper = make_spec(code_dir, "app.sleep", name="other")
    busy = asyncio.create_task(host.invoke(sleeper, b'{"seconds": 30}', request_id="r1"))
    assert await eventually((code_dir / "started").exists)
    await host.close()
    stopped = await busy
    pids.add(printed_pid(stopped))
    assert len(pids) == 4
    assert [pid for pid in pids if alive(pid)] == []
    assert stopped.payload == (
        b'{"errorType":"Runtime.ExitError",'
        b'"errorMessage":"RequestId: r1 Error: Runtime exited with error: signal: killed"}'
    )
    with pytest.raises(RuntimeError, match="FunctionHost is closed"):
        await host.invoke(make_spec(code_dir), b"{}")


async def test_large_payloads(host: FunctionHost, code_dir: Path) -> None:
    big = "x" * (4 << 20)
    result = await host.invoke(make_spec(code_dir, "app.echo"), json.dumps({"big": big}).encode())
    assert body(result)["event"] == {"big": big}


async def test_missing_code_directory_raises(host: FunctionHost, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await host.invoke(make_spec(tmp_path / "nowhere"), b"{}")


def test_runs_on_uvloop(code_dir: Path) -> None:
    async def main() -> tuple[InvokeResult, InvokeResult]:
        host = FunctionHost()
        try:
            spec = make_spec(code_dir)
            return await host.invoke(spec, b"{}"), await host.invoke(spec, b"{}")
        finally:
            await host.close()

    first, second = uvloop.run(main())
    pid = body(first)["pid"]
    assert body(second) == {"count": 2, "pid": pid}
    assert not alive(pid)


async def test_reserved_concurrency_throttles_beyond_it(host: FunctionHost, code_dir: Path) -> None:
    spec = make_spec(code_dir, "app.sleep", reserved_concurrency=1, timeout=10)
    busy = asyncio.create_task(host.invoke(spec, b'{"seconds": 1}'))
    assert await eventually((code_dir / "started").exists)
    assert host.in_flight("fn") == 1
    with pytest.raises(FunctionThrottled) as throttled:
        await host.invoke(spec, b'{"seconds": 0}')
    assert (throttled.value.function_name, throttled.value.reserved) == ("fn", 1)
    assert body(await busy)["count"] == 1
    assert host.in_flight("fn") == 0
    assert body(await host.invoke(spec, b'{"seconds": 0}'))["count"] == 2


async def test_reserved_concurrency_zero_throttles_everything(
    host: FunctionHost, code_dir: Path
) -> None:
    with pytest.raises(FunctionThrottled):
        await host.invoke(make_spec(code_dir, reserved_concurrency=0), b"{}")
    assert host.in_flight("fn") == 0


async def test_versions_have_their_own_pools(host: FunctionHost, code_dir: Path) -> None:
    latest = make_spec(code_dir)
    one = make_spec(code_dir, version="1")
    first = body(await host.invoke(latest, b"{}"))
    other = body(await host.invoke(one, b"{}", invoked_arn=latest.arn + ":live"))
    again = body(await host.invoke(latest, b"{}"))
    assert first["pid"] == again["pid"] != other["pid"]
    assert (first["count"], other["count"], again["count"]) == (1, 1, 2)


async def test_invoked_arn_and_version_reach_the_context(
    host: FunctionHost, code_dir: Path
) -> None:
    spec = make_spec(code_dir, "app.echo", version="3")
    out = body(await host.invoke(spec, b"{}", invoked_arn=spec.arn + ":live"))
    assert out["invoked_function_arn"] == spec.arn + ":live"
    assert out["function_version"] == "3"
    assert "[3]" in out["log_stream_name"]


async def test_a_worker_over_its_memory_is_killed(host: FunctionHost, code_dir: Path) -> None:
    spec = make_spec(code_dir, "app.hog", memory_size=128, timeout=10)
    result = await host.invoke(spec, b'{"mib": 300, "hold": 2}', request_id="r1")
    assert result.function_error == "Unhandled"
    assert body(result) == {
        "errorType": "Runtime.OutOfMemory",
        "errorMessage": "RequestId: r1 Error: Runtime exited with error: signal: killed",
    }
    assert "RequestId: r1 Error: Runtime exited with error: signal: killed\n" in result.log
    assert re.search(
        r"\tMax Memory Used: (\d+) MB\t.*Status: error\tError Type: Runtime.OutOfMemory\n$",
        result.log,
    )
    # Killed well before the hold ended, by the host's check, not by the timeout.
    duration = float(re.search(r"Duration: ([\d.]+) ms", result.log).group(1))  # type: ignore[union-attr]
    assert duration < 1500
    ok = await host.invoke(spec, b'{"mib": 10}')
    assert ok.function_error is None


async def test_a_short_spike_over_the_limit_fails_the_invocation(
    host: FunctionHost, code_dir: Path
) -> None:
    # Freed before the reply: the runtime's peak (ru_maxrss) still shows it.
    spec = make_spec(code_dir, "app.spike", memory_size=128)
    result = await host.invoke(spec, b'{"mib": 400}', request_id="r1")
    assert body(result)["errorType"] == "Runtime.OutOfMemory"
    pid = body(await host.invoke(spec, b'{"mib": 1}'))["pid"]
    assert pid > 0


async def test_max_memory_used_is_reported(host: FunctionHost, code_dir: Path) -> None:
    spec = make_spec(code_dir, "app.hog", memory_size=512)
    result = await host.invoke(spec, b'{"mib": 100}')
    used = int(re.search(r"Max Memory Used: (\d+) MB", result.log).group(1))  # type: ignore[union-attr]
    assert 100 <= used < 200


async def test_layers_are_on_the_path_later_layers_first(
    host: FunctionHost, code_dir: Path, tmp_path: Path
) -> None:
    runtime = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    first, second = tmp_path / "layer1", tmp_path / "layer2"
    for layer, word in ((first, "first"), (second, "second")):
        (layer / "python").mkdir(parents=True)
        (layer / "python" / "shared.py").write_text(f"WORD = {word!r}\n")
        site = layer / "python" / "lib" / runtime / "site-packages"
        site.mkdir(parents=True)
        (site / f"only_{word}.py").write_text("OK = True\n")
    (code_dir / "uses.py").write_text(
        "import shared, only_first, only_second\n"
        "def handler(event, context):\n    return shared.WORD\n"
    )
    spec = make_spec(code_dir, "uses.handler", layer_dirs=(first, second))
    assert body(await host.invoke(spec, b"{}")) == "second"


def _other_interpreter() -> Interpreter | None:
    for minor in (12, 13, 10, 9):
        if minor == sys.version_info[1]:
            continue
        found = find_interpreter(f"python3.{minor}")
        if found is not None:
            return found
    return None


async def test_a_function_runs_on_its_runtimes_interpreter(
    host: FunctionHost, code_dir: Path
) -> None:
    other = _other_interpreter()
    if other is None:
        pytest.skip("no Python 3.x other than the current one on this machine")
    spec = make_spec(code_dir, "app.which_python", runtime=other.runtime, interpreter=other)
    out = body(await host.invoke(spec, b"{}"))
    assert out["version"] == list(other.version)
    assert (code_dir / "inits.log").read_text() == "init\n"


async def test_a_silent_invocation_is_logged_in_one_piece(
    host: FunctionHost, code_dir: Path, lines: list[tuple[str, str]]
) -> None:
    spec = make_spec(code_dir)
    await host.invoke(spec, b"{}", request_id="r1")
    lines.clear()
    result = await host.invoke(spec, b"{}", request_id="r2")
    assert lines == [("fn", result.log)]
    assert result.log.startswith("START RequestId: r2 Version: $LATEST\nEND RequestId: r2\n")


async def test_a_function_imports_its_own_orjson_not_the_runtimes(
    host: FunctionHost, code_dir: Path
) -> None:
    # The runtime parses events with orjson when it can, but a bundled copy must win.
    (code_dir / "orjson.py").write_text("BUNDLED = True\n")
    (code_dir / "uses.py").write_text(
        "import orjson\ndef handler(event, context):\n"
        "    return {'bundled': getattr(orjson, 'BUNDLED', False), 'event': event}\n"
    )
    result = await host.invoke(make_spec(code_dir, "uses.handler"), b'{"n": 18446744073709551616}')
    # An integer beyond 64 bits (orjson refuses it) still parses, as json.loads parses it.
    assert body(result) == {"bundled": True, "event": {"n": 18446744073709551616}}


# -- queueing in a busy worker (short invocations at the concurrency limit) -----------------


def queued_call(n: int, **more: object) -> bytes:
    return json.dumps({"n": n, **more}).encode()


def most_pending(host: FunctionHost) -> int:
    return max((worker.pending for worker in host._workers), default=0)


@pytest.fixture
def short_on_a_busy_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The queueing tests learn that a trivial call is short; on a loaded machine one can
    take over the 1 ms threshold, which is not what they test. They count up to a second
    as short; test_long_invocations_do_not_queue_in_a_busy_worker keeps the real threshold."""
    monkeypatch.setattr(host_module, "QUEUE_BELOW_MS", 1000.0)


@pytest.mark.usefixtures("short_on_a_busy_machine")
async def test_short_invocations_queue_in_the_busy_worker_each_with_its_own_output(
    code_dir: Path, lines: list[tuple[str, str]]
) -> None:
    host = FunctionHost(max_concurrency=1, log_sink=lambda *text: lines.append(text))
    try:
        spec = make_spec(code_dir, "app.queued")
        await host.invoke(spec, queued_call(-1))  # the host learns the function is short
        lines.clear()
        calls = [
            asyncio.create_task(host.invoke(spec, queued_call(n), request_id=f"r{n}"))
            for n in range(20)
        ]
        await asyncio.sleep(0)  # every caller has sent or is waiting
        deepest = most_pending(host)
        results = await asyncio.gather(*calls)
    finally:
        await host.close()
    assert deepest > 1  # they were queued in the worker, not held in the host
    assert [body(r)["n"] for r in results] == list(range(20))
    assert len({body(r)["pid"] for r in results}) == 1
    assert (code_dir / "order.log").read_text() == "".join(f"{n}\n" for n in range(-1, 20))
    for n, result in enumerate(results):
        # Each invocation's output is its own, in its log and in the sink, despite the queue.
        assert output(result) == f"printed {n}\n"
        assert result.log.startswith(f"START RequestId: r{n} Version: $LATEST\nprinted {n}\n")
        assert ("fn", f"START RequestId: r{n} Version: $LATEST\nprinted {n}\n") in lines
        assert f"END RequestId: r{n}\nREPORT RequestId: r{n}\t" in result.log


@pytest.mark.usefixtures("short_on_a_busy_machine")
async def test_a_queued_invocations_timeout_starts_when_it_starts(code_dir: Path) -> None:
    host = FunctionHost(max_concurrency=1)
    try:
        spec = make_spec(code_dir, "app.queued", timeout=1.0)
        await host.invoke(spec, queued_call(-1))
        first = asyncio.create_task(host.invoke(spec, queued_call(0, sleep=0.6)))
        behind = asyncio.create_task(host.invoke(spec, queued_call(1, sleep=0.6)))
        await asyncio.sleep(0)
        deepest = most_pending(host)
        a, b = await asyncio.gather(first, behind)
    finally:
        await host.close()
    assert deepest == 2
    # 0.6 s each, one after the other, within a 1 s timeout each: neither timed out.
    assert (a.function_error, b.function_error) == (None, None)
    assert body(b)["remaining"] > 300  # its own second, not what was left of the first's


async def queued_behind(
    code_dir: Path, first: bytes, behind: list[int], **spec: object
) -> tuple[int, int, InvokeResult, list[InvokeResult]]:
    """On one warm worker: ``first``, then ``behind`` queued after it. The warm worker's pid,
    the deepest queue seen, and the results."""
    host = FunctionHost(max_concurrency=1)
    try:
        function = make_spec(code_dir, "app.queued", **spec)
        warm = body(await host.invoke(function, queued_call(-1)))["pid"]
        calls = [asyncio.create_task(host.invoke(function, first))]
        calls += [asyncio.create_task(host.invoke(function, queued_call(n))) for n in behind]
        await asyncio.sleep(0)
        deepest = most_pending(host)
        head, *others = await asyncio.gather(*calls)
    finally:
        await host.close()
    for n, result in zip(behind, others, strict=True):
        assert body(result)["n"] == n
        assert output(result) == f"printed {n}\n"  # printed once: it ran once, to the end
    return warm, deepest, head, others


@pytest.mark.usefixtures("short_on_a_busy_machine")
async def test_invocations_queued_behind_a_crash_run_on_a_new_worker(code_dir: Path) -> None:
    warm, deepest, crashed, others = await queued_behind(
        code_dir, queued_call(0, exit=True), [1, 2, 3]
    )
    assert deepest == 4
    assert json.loads(crashed.payload)["errorType"] == "Runtime.ExitError"
    assert output(crashed).startswith("printed 0\n")
    assert {body(r)["pid"] for r in others} - {warm} == {body(others[0])["pid"]}
    assert (code_dir / "order.log").read_text() == "-1\n1\n2\n3\n"


@pytest.mark.usefixtures("short_on_a_busy_machine")
async def test_invocations_queued_behind_one_over_its_memory_run_on_a_new_worker(
    code_dir: Path,
) -> None:
    warm, deepest, over, others = await queued_behind(
        code_dir, queued_call(0, mib=400), [1, 2], memory_size=128
    )
    assert deepest == 3
    assert json.loads(over.payload)["errorType"] == "Runtime.OutOfMemory"
    # What it printed, then the platform's line for the kill (not what the next one printed).
    assert output(over).startswith("printed 0\nRequestId: ")
    assert output(over).endswith(" Error: Runtime exited with error: signal: killed\n"
                                 "Runtime.OutOfMemory\n")  # fmt: skip
    assert warm not in {body(r)["pid"] for r in others}


@pytest.mark.usefixtures("short_on_a_busy_machine")
async def test_a_cancelled_queued_invocation_still_runs(code_dir: Path) -> None:
    host = FunctionHost(max_concurrency=1)
    try:
        spec = make_spec(code_dir, "app.queued")
        await host.invoke(spec, queued_call(-1))
        first = asyncio.create_task(host.invoke(spec, queued_call(0, sleep=0.2)))
        leaving = asyncio.create_task(host.invoke(spec, queued_call(1)))
        await asyncio.sleep(0)
        assert most_pending(host) == 2
        leaving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leaving
        await first
        assert await eventually(lambda: (code_dir / "order.log").read_text() == "-1\n0\n1\n")
        after = body(await host.invoke(spec, queued_call(2)))
        assert after["n"] == 2
    finally:
        await host.close()


async def test_long_invocations_do_not_queue_in_a_busy_worker(code_dir: Path) -> None:
    host = FunctionHost(max_concurrency=2)
    try:
        spec = make_spec(code_dir, "app.queued")
        await host.invoke(spec, queued_call(-1, sleep=0.01))  # 10 ms: not short
        calls = [
            asyncio.create_task(host.invoke(spec, queued_call(n, sleep=0.01))) for n in range(6)
        ]
        await asyncio.sleep(0)
        deepest = most_pending(host)
        results = await asyncio.gather(*calls)
    finally:
        await host.close()
    assert deepest == 1  # the others waited in the host for whichever worker freed first
    assert sorted(body(r)["n"] for r in results) == list(range(6))


async def test_output_without_marks_when_the_function_moves_its_stdout(
    host: FunctionHost, code_dir: Path
) -> None:
    spec = make_spec(code_dir, "app.stdout_elsewhere")
    for n in range(3):
        result = await host.invoke(spec, queued_call(n))
        assert result.payload == str(n).encode()
        assert output(result) == f"stderr {n}\n"
