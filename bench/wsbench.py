"""Tollway's WebSocket benchmark: message round trips per second, and idle connections per
100 MiB of gateway memory.

    python bench/wsbench.py [--duration 10] [--connections 50] [--idle-connections 2000]
                              [--warmup 2] [--quiet-wait 30] [--quick]

One Tollway, pinned to core 0 (its function workers too), serves a WebSocket API made with
boto3: a two-way MOCK route (`echo`, its integration response answering the message) and a
two-way Lambda proxy route (`lambda`, a Python function returning the message as its body),
no `$connect` route. The load client (wsload.py, Python asyncio + websockets) runs pinned to
core 1, as wrk does for bench/run.py: many connections, each sending a message and awaiting
the reply before the next, for a warm-up and then the measured window.

nginx has no WebSocket echo to compare with, so the numbers are absolute: messages/s, the
round trip's p50/p99, and core 0's CPU (Tollway and its workers) per message, over the whole
load including its warm-up. Then the load client opens N idle connections and the report gives
Tollway's VmRSS before and with them held: KiB per connection and connections per 100 MiB.

The report is printed and written to bench/results/websocket-<time>.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import re
import resource
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from types import FrameType
from typing import Any

from children import Child, Children, descendants
from probes import CpuMeter, process_cpu_seconds, rss_kib
from report import machine
from report import write as write_report
from servers import NGINX
from wrk import WRK

SERVER_CORE, LOAD_CORE = 0, 1
REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
REGION, ACCOUNT, STAGE = "us-east-1", "000000000000", "bench"
MESSAGE = '{"action": "%s", "text": "hello"}'
QUIET_WINDOW, NOISY_SHARE = 1.0, 0.05
START_TIMEOUT = 30.0

FUNCTION = """
def handler(event, context):
    return {"statusCode": 200, "body": event["body"]}
"""


def start_tollway(children: Children, work: Path) -> tuple[Child, str, str]:
    """Tollway on core 0 (an idle timeout past the run: idle connections must stay)."""
    command = [
        "taskset", "-c", str(SERVER_CORE), sys.executable, "-m", "tollway", "serve",
        "--port", "0", "--admin-port", "0", "--data-dir", str(work / "data"),
        "--access-log", "off", "--log-level", "warning", "--websocket-idle-timeout", "3600",
        # the idle measurement opens its connections as fast as it can: no new-connection rate;
        # the account throttle's default 10,000 requests/s would answer the fastest rows with
        # "Too Many Requests" frames (it is checked on every message all the same)
        "--websocket-connection-rate", "-1", "--account-throttle", "1000000,500000",
    ]  # fmt: skip
    child = children.start("tollway", command, work / "tollway.out", work)
    gateway = re.compile(r"gateway:\s+(http://127\.0\.0\.1:\d+)")
    control = re.compile(r"control plane:\s+(http://127\.0\.0\.1:\d+)")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = child.log_path.read_text(errors="replace")
        found, admin = gateway.search(text), control.search(text)
        if found and admin and "Ready." in text:
            return child, found.group(1), admin.group(1)
        if child.process.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError(f"tollway did not start; its output:\n{child.log_tail()}")


def create_api(admin: str) -> str:
    """The benchmark's WebSocket API: `echo` (MOCK) and `lambda` (AWS_PROXY), both two-way."""
    import boto3  # the `bench` extra

    def client(service: str) -> Any:
        return boto3.client(
            service, endpoint_url=admin, region_name=REGION,
            aws_access_key_id="bench", aws_secret_access_key="bench",
        )  # fmt: skip

    v2, lam = client("apigatewayv2"), client("lambda")
    api_id = v2.create_api(
        Name="bench-ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    mock = v2.create_integration(
        ApiId=api_id, IntegrationType="MOCK", TemplateSelectionExpression="\\$default",
        RequestTemplates={"$default": '{"statusCode": 200}'},
    )["IntegrationId"]  # fmt: skip
    v2.create_integration_response(
        ApiId=api_id, IntegrationId=mock, IntegrationResponseKey="$default",
        # A MOCK has no backend body to pass on: its answer is the template, the message sent
        ResponseTemplates={"$default": MESSAGE % "echo"},
    )  # fmt: skip
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", FUNCTION)
    lam.create_function(
        FunctionName="bench-ws", Runtime=f"python{sys.version_info[0]}.{sys.version_info[1]}",
        Role=f"arn:aws:iam::{ACCOUNT}:role/bench", Handler="app.handler",
        Code={"ZipFile": code.getvalue()}, Timeout=10,
    )  # fmt: skip
    lam.add_permission(
        FunctionName="bench-ws", StatementId="apigateway", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*",
    )  # fmt: skip
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bench-ws"
    proxy = v2.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY",
        IntegrationUri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations",
    )["IntegrationId"]  # fmt: skip
    for key, integration in (("echo", mock), ("lambda", proxy)):
        route = v2.create_route(
            ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}",
            RouteResponseSelectionExpression="$default",
        )["RouteId"]  # fmt: skip
        v2.create_route_response(ApiId=api_id, RouteId=route, RouteResponseKey="$default")
    v2.create_stage(ApiId=api_id, StageName=STAGE)
    v2.create_deployment(ApiId=api_id, StageName=STAGE)
    return str(api_id)


def check_answer(url: str, route: str) -> None:
    """One round trip before the load: an error frame is cheap and would inflate a number."""
    from websockets.sync.client import connect

    with connect(url, compression=None) as ws:
        ws.send(MESSAGE % route)
        reply = ws.recv(timeout=30)
    if reply != MESSAGE % route:
        raise RuntimeError(f"route {route} answered {reply!r}, not the message")


def load_command(*args: str) -> list[str]:
    return ["taskset", "-c", str(LOAD_CORE), sys.executable, str(HERE / "wsload.py"), *args]


class Bench:
    def __init__(self, args: argparse.Namespace, work: Path, children: Children) -> None:
        self.args, self.work, self.children = args, work, children
        self.rows: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.commands: list[str] = []

    def pids(self) -> list[int]:
        return [c.pid for c in self.children.started] + [
            p for c in self.children.started for p in descendants(c.pid)
        ]

    def server_cpu(self) -> float:
        pids = [self.tollway.pid, *descendants(self.tollway.pid)]
        return sum(process_cpu_seconds(p) for p in pids)

    def wait_for_quiet(self, name: str) -> None:
        from probes import others_busy_seconds

        deadline = time.monotonic() + self.args.quiet_wait
        while (busy := others_busy_seconds(self.pids, QUIET_WINDOW)) > NOISY_SHARE * QUIET_WINDOW:
            if time.monotonic() >= deadline:
                self.notes.append(
                    f"{name}: started on a busy machine (others used {busy / QUIET_WINDOW:.0%} "
                    f"of a core) after waiting {self.args.quiet_wait} s."
                )
                return
            print(f"bench: {name}: waiting for other processes to go quiet", flush=True)

    def execute(self) -> None:
        self.tollway, gateway, admin = start_tollway(self.children, self.work)
        self.commands.append(shlex.join(self.tollway.command))
        api_id = create_api(admin)
        url = f"{gateway.replace('http://', 'ws://')}/_aws/execute-api/{api_id}/{STAGE}"
        for route in ("echo", "lambda"):
            check_answer(url, route)
        for name, route in (("MOCK, two-way", "echo"), ("Lambda proxy, two-way", "lambda")):
            self.roundtrip(name, url, route)
        self.idle(url)

    def roundtrip(self, name: str, url: str, route: str) -> None:
        a = self.args
        command = load_command(
            "roundtrip", url, "--connections", str(a.connections), "--warmup", str(a.warmup),
            "--duration", str(a.duration), "--message", MESSAGE % route,
            "--expect", MESSAGE % route,
        )  # fmt: skip
        self.commands.append(shlex.join(command))
        self.wait_for_quiet(name)
        before = self.server_cpu()
        with CpuMeter(self.pids) as meter:
            done = subprocess.run(command, capture_output=True, text=True, check=True)
        result = json.loads(done.stdout)
        result["name"] = name
        result["server_cpu"] = self.server_cpu() - before
        result["others"] = meter.usage.others_seconds + meter.usage.stolen_seconds
        # The client's CPU over its run: near 100%, core 1 limited the rate, not Tollway.
        result["client_share"] = result["cpu_seconds"] / (a.warmup + a.duration)
        if result["client_share"] > 0.9:
            self.notes.append(
                f"{name}: the load client used {result['client_share']:.0%} of core 1: the "
                "rate may be the client's limit rather than Tollway's (see core 0's CPU)."
            )
        self.rows.append(result)
        if result["failed"] or result["unexpected"] or result["closed"]:
            self.notes.append(
                f"{name}: {result['failed']} connections failed to open, {result['unexpected']} "
                f"replies were not the message, {result['closed']} connections closed early."
            )

    def idle(self, url: str) -> None:
        count = self.args.idle_connections
        time.sleep(1)  # let the round-trip connections' teardown finish
        self.idle_before = rss_kib(self.tollway.pid)
        command = load_command("idle", url, "--connections", str(count))
        self.commands.append(shlex.join(command))
        holder = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout is not None
            self.idle_opened = json.loads(holder.stdout.readline() or '{"open": 0, "failed": 0}')
            time.sleep(2)  # the last handshakes' buffers settle
            self.idle_with = rss_kib(self.tollway.pid)
        finally:
            assert holder.stdin is not None
            holder.stdin.close()
            holder.wait(timeout=60)

    def render(self, machine_lines: list[str], started: dt.datetime) -> str:
        a = self.args
        title = f"# Tollway WebSocket benchmark, {started:%Y-%m-%d %H:%M} UTC"
        lines = [title, "", "## Machine", ""]
        lines += [f"- {line}" for line in machine_lines]
        lines += [
            "", "## Round trips", "",
            f"{a.connections} connections, each sending and awaiting the reply; {a.warmup:g} s "
            f"warm-up, then {a.duration:g} s measured. CPU per message: Tollway and its "
            "workers (core 0) over warm-up and measurement, divided by every reply.", "",
            "| route | messages/s | p50 ms | p99 ms | core 0 CPU µs/message "
            "| load client CPU | others' CPU s |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]  # fmt: skip
        for r in self.rows:
            per_message = r["server_cpu"] / max(r["all"], 1) * 1e6
            lines.append(
                f"| {r['name']} | {r['measured'] / r['seconds']:,.0f} | {r['p50_ms']:.2f} | "
                f"{r['p99_ms']:.2f} | {per_message:,.0f} | {r['client_share']:.0%} "
                f"| {r['others']:.1f} |"
            )
        opened = self.idle_opened["open"]
        delta = self.idle_with - self.idle_before
        if delta >= 1024:
            each, per_100 = f"{delta / max(opened, 1):.1f}", f"{opened * 100 * 1024 / delta:,.0f}"
        else:  # within allocator noise: a ratio would be meaningless
            each = per_100 = "n/a"
            self.notes.append(
                "Idle connections: VmRSS grew by under 1 MiB, too little to measure; "
                "use --idle-connections 2000 or more."
            )
        lines += [
            "", "## Idle connections", "",
            f"{opened:,} idle connections opened ({self.idle_opened['failed']} failed), no "
            "`$connect` route (gateway memory only).", "",
            "| Tollway VmRSS before | with them | KiB per connection | connections per 100 MiB |",
            "|---:|---:|---:|---:|",
            f"| {self.idle_before / 1024:.1f} MiB | {self.idle_with / 1024:.1f} MiB | "
            f"{each} | {per_100} |",
        ]  # fmt: skip
        lines += ["", "## Commands", "", *[f"    {c}" for c in self.commands]]
        if self.notes:
            lines += ["", "## Notes", "", *[f"- {n}" for n in self.notes]]
        return "\n".join(lines) + "\n"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, help="measured seconds per route (10)")
    parser.add_argument("--warmup", type=float, help="seconds before measuring (2)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--idle-connections", type=int, help="(2000)")
    parser.add_argument("--quiet-wait", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true", help="3 s, 500 idle: a smoke test")
    args = parser.parse_args(argv)
    # --quick changes the defaults only: options given as well still count.
    defaults = (3.0, 1.0, 500) if args.quick else (10.0, 2.0, 2000)
    for name, default in zip(("duration", "warmup", "idle_connections"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    return args


def _raise_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.sched_setaffinity(0, {LOAD_CORE})
    # Every connection is a descriptor in Tollway and in the load client (children inherit).
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    children = Children()
    started = dt.datetime.now(dt.UTC)
    machine_lines = [
        line for line in machine(REPO, NGINX, WRK) if not line.startswith(("nginx:", "wrk:"))
    ]
    with tempfile.TemporaryDirectory(prefix="tollway-bench-ws-") as temp:
        bench = Bench(args, Path(temp), children)
        try:
            bench.execute()
        except KeyboardInterrupt:
            print("bench: interrupted", file=sys.stderr)
            return 130
        finally:
            children.stop_all()
    text = bench.render(machine_lines, started)
    write_report(text, REPO, f"websocket-{started.strftime('%Y%m%d-%H%M%SZ')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
