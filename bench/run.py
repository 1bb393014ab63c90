"""Tollway's load benchmark: Tollway beside nginx as a reverse proxy, same upstream, same run.

    python bench/run.py [--duration 10] [--connections 50] [--repeat 1] [--quick]
                        [--cold-starts 20] [--warm-calls 200]

On this machine, in one run, with every process started here and stopped on the way out:

1. nginx as the upstream (a fixed ~100-byte JSON answer), pinned to core 1;
2. nginx as a reverse proxy to it (pooled keep-alive connections), pinned to core 0;
3. Tollway, pinned to core 0, serving a generated OpenAPI file with one MOCK (and one MOCK
   with a validator and templates), one HTTP_PROXY (to the same upstream) and one AWS_PROXY
   route (a trivial Python function), the MOCK route again behind a cached Lambda TOKEN
   authorizer, plus three HTTP APIs made by quick create on the same Tollway: HTTP_PROXY to
   the same upstream, the same behind a JWT authorizer (the upstream nginx serves the
   issuer's JWKS), and AWS_PROXY to the same function (payload 2.0);
4. the Python floor (floor.py), pinned to core 0: a bare uvicorn app on Tollway's server
   stack, answering directly and proxying with aiohttp, to show what the stack alone costs;
5. wrk, pinned to core 1, against each in turn: the upstream directly (a reference for what
   core 1 can give), the nginx proxy (the baseline), the two floor routes, Tollway's REST
   routes, its HTTP_PROXY again with the access log written to a file, and the HTTP API
   routes (the authorized ones with their token on every request);
6. Lambda hosting: AWS_PROXY on Tollways with exactly 1 and 2 warm workers
   (--function-concurrency), their workers on core 0 with Tollway and, in a second variant,
   moved to core 1 (Tollway alone on core 0); the 1-worker one again under one connection
   (latency); then cold starts of a trivial function through the gateway and the Lambda API
   (coldstart.py), and resident memory per warm worker.

The server under test always has core 0 to itself, while the load generator and the upstream
share core 1: the ratio to nginx then compares the two proxies' own per-request cost (the
"workers on core 1" rows excepted, which the report marks). Each
measured run follows an unmeasured warm-up at the same load (it starts the function's workers,
fills the connection pools). With --repeat N, N rounds of all scenarios run and each scenario
keeps its median run. The machine is shared, so each run first waits (bounded) for other
processes to go quiet, and the report names any that were busy during a run. The report
(requests/s, p50/p99, ratio to nginx and, for AWS_PROXY, to Tollway MOCK, cold starts, Tollway's
memory, CPU per core) is printed and written to bench/results/<time>.md.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import functools
import os
import shlex
import signal
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import coldstart
from authorizers import TOKEN_HEADER, JwtIssuer, make_issuer
from children import Child, Children, descendants
from probes import CpuMeter, MemorySample, MemorySampler, others_busy_seconds
from report import (
    BASELINE,
    CACHED,
    HTTP_API_LAMBDA,
    HTTP_API_PROXY,
    JWT_AUTHORIZED,
    LAMBDA_AUTHORIZED,
    MAPPED,
    METERED_LOGGED,
    METERED_MEMORY,
    METERED_REDIS,
    MOCK,
    REDIS_PROXY,
    REST_PROXY,
    Run,
    Scenario,
    machine,
    render,
)
from report import write as write_report
from servers import (
    FUNCTION_CODE,
    MAPPED_QUERY,
    NGINX,
    STAGE,
    TollwayServer,
    check_answer,
    create_http_apis,
    enable_stage_cache,
    free_port,
    proxy_config,
    start_floor,
    start_nginx,
    start_redis,
    start_tollway,
    upstream_config,
    wait_http_ok,
    write_api,
    write_cold_api,
)
from traffic import ACCOUNT_THROTTLE, KEY_HEADER, METERED, configure
from workers import affinity, function_workers, pin, pin_command
from wrk import WRK, run_wrk, wrk_command

SERVER_CORE = 0  # the server under test
LOAD_CORE = 1  # wrk and the upstream
REPO = Path(__file__).resolve().parent.parent
FUNCTION_WARM_REQUESTS = 5
# Other processes using more than this share of one core's time disturb a measurement.
NOISY_SHARE = 0.05
QUIET_WINDOW = 1.0  # seconds over which quiet is judged before each scenario


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds first")
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 3 s per scenario, 1 s warm-up"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measured runs per scenario; the report keeps the median (by requests/s)",
    )
    parser.add_argument(
        "--cold-starts",
        type=int,
        default=20,
        help="cold starts measured through each of the gateway and the Lambda API",
    )
    parser.add_argument(
        "--warm-calls",
        type=int,
        default=200,
        help="warm calls through each, timed one by one, beside the cold starts",
    )
    parser.add_argument(
        "--quiet-wait",
        type=int,
        default=20,
        help="seconds to wait, at most, for other processes to go idle before each run",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup = 3, 1
        args.cold_starts, args.warm_calls = min(args.cold_starts, 5), min(args.warm_calls, 50)
    if min(args.duration, args.connections, args.repeat, args.cold_starts, args.warm_calls) < 1:
        parser.error(
            "--duration, --connections, --repeat, --cold-starts, --warm-calls must be positive"
        )
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    return args


def _raise_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Turns `kill <pid>` into an exception, so the `finally` stops the servers as Ctrl-C does.
    raise SystemExit(128 + signum)


LOGGED = "Tollway HTTP_PROXY, access log to file"
AWS_PROXY = "Tollway AWS_PROXY, 10 workers (default)"
LATENCY = "Tollway AWS_PROXY, 1 worker, 1 connection (latency)"
DEFAULT_CONCURRENCY = 10  # Tollway's --function-concurrency default
# The function instances with a fixed number of workers keep them for the whole run.
KEEP_WARM = "3600"  # --function-idle-timeout, seconds


@dataclass(frozen=True)
class Target:
    """What a scenario loads: a URL, and the Tollway process behind it if any.

    Function scenarios also say how many workers serve (exactly, or at most) and on which
    core the workers must be; `connections` 0 means the run's --connections."""

    name: str
    url: str
    tollway: Child | None = None
    workers: int = 0
    exact_workers: bool = True
    workers_core: int = SERVER_CORE
    connections: int = 0
    headers: tuple[str, ...] = ()  # "Name: value", sent with every request (tokens)


@dataclass(frozen=True)
class LambdaInstance:
    """A Tollway with a fixed number of function workers, for the AWS_PROXY rows."""

    name: str  # the process's name in the report's commands
    label: str  # how the report names it
    workers: int
    workers_core: int


LAMBDA_INSTANCES = [
    LambdaInstance("tollway-1-worker", "1 worker, on core 0 with Tollway", 1, SERVER_CORE),
    LambdaInstance("tollway-2-workers", "2 workers, on core 0 with Tollway", 2, SERVER_CORE),
    LambdaInstance("tollway-1-worker-split", "1 worker, on core 1", 1, LOAD_CORE),
    LambdaInstance("tollway-2-workers-split", "2 workers, on core 1", 2, LOAD_CORE),
]


class Bench:
    def __init__(
        self, args: argparse.Namespace, work: Path, children: Children, started: dt.datetime
    ) -> None:
        self.args = args
        self.work = work
        self.children = children
        self.run = Run(
            date=started.strftime("%Y-%m-%d %H:%M:%S UTC"),
            duration=args.duration,
            connections=args.connections,
            warmup=args.warmup,
            repeat=args.repeat,
        )
        self.completed: collections.Counter[str] = collections.Counter()  # requests, by URL

    def _our_pids(self) -> list[int]:
        pids = [c.pid for c in self.children.started]
        return pids + [d for pid in pids for d in descendants(pid)]

    def keep_median(self, runs: list[Scenario]) -> Scenario:
        """Of a scenario's measured runs (--repeat), the one with the median throughput."""
        runs = sorted(runs, key=lambda s: s.result.requests_per_second)
        scenario = runs[len(runs) // 2]
        scenario.all_rps = [s.result.requests_per_second for s in runs]
        peaks = [s.memory for s in runs if s.memory is not None]
        if peaks:
            scenario.memory = functools.reduce(MemorySample.max, peaks)
        for each in runs:
            self._note_trouble(each)
        return scenario

    def measure_once(self, target: Target) -> Scenario:
        """Warm-up, then one measured wrk run, with CPU metered and Tollway's memory sampled."""
        name, url, tollway = target.name, target.url, target.tollway
        connections = target.connections or self.args.connections
        self.wait_for_quiet(name)
        if self.args.warmup:
            warmup = wrk_command(url, connections, self.args.warmup, LOAD_CORE, target.headers)
            self.completed[url] += run_wrk(warmup, self.args.warmup).requests
        workers = self.place_workers(target)
        command = wrk_command(url, connections, self.args.duration, LOAD_CORE, target.headers)
        print(f"bench: {name}: {self.args.duration} s of load on {url}", flush=True)
        sampler = MemorySampler(tollway.pid) if tollway else nullcontext()
        with CpuMeter(self._our_pids) as cpu, sampler:
            result = run_wrk(command, self.args.duration)
        self.completed[url] += result.requests
        if workers is not None:
            self.check_workers(target, workers, "after")
        memory = sampler.peak if isinstance(sampler, MemorySampler) else None
        print(
            f"bench: {name}: {result.requests_per_second:,.0f} requests/s, "
            f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms"
            + (f", ERRORS: {result.errors}" if result.errors else ""),
            flush=True,
        )
        return Scenario(
            name,
            url,
            command,
            result,
            cpu.usage,
            memory,
            connections=connections,
            workers=target.workers,
            split=target.workers_core != SERVER_CORE,
            exact_workers=target.exact_workers,
        )

    def place_workers(self, target: Target) -> list[int] | None:
        """Before a function scenario's measured run: its workers on their core, checked.

        Returns the worker pids, None for scenarios without function workers."""
        if not (target.workers and target.tollway):
            return None
        workers = function_workers(target.tollway.pid, FUNCTION_CODE)
        if target.workers_core != SERVER_CORE:
            pin(workers, target.workers_core)
        self.check_workers(target, workers, "before")
        return workers

    def check_workers(self, target: Target, before: list[int], when: str) -> None:
        """Notes a function scenario whose workers are not what it claims to measure."""
        assert target.tollway is not None
        now = function_workers(target.tollway.pid, FUNCTION_CODE)
        problems = []
        if target.exact_workers and len(now) != target.workers:
            problems.append(f"{len(now)} workers instead of {target.workers}")
        if target.exact_workers and when == "after" and now != before:
            problems.append(f"workers changed during the run (pids {before} -> {now})")
        if not target.exact_workers and len(now) > target.workers:
            problems.append(f"{len(now)} workers, more than {target.workers}")
        misplaced = [pid for pid in now if affinity(pid) != {target.workers_core}]
        if misplaced:
            problems.append(f"workers {misplaced} not on core {target.workers_core} only")
        if problems:
            self.run.notes.append(f"{target.name}, {when} the measured run: {'; '.join(problems)}.")

    def _note_trouble(self, scenario: Scenario) -> None:
        name, result, cpu = scenario.name, scenario.result, scenario.cpu
        if result.errors:
            self.run.notes.append(f"{name}: wrk measured errors: {result.errors}.")
        if cpu.others_seconds > NOISY_SHARE * self.args.duration:
            busiest = "; ".join(f"{cmd} ({sec:.1f} s)" for cmd, sec in cpu.top_others)
            self.run.notes.append(
                f"{name}: other processes used {cpu.others_seconds:.1f} s of CPU during a "
                f"{self.args.duration} s run ({result.requests_per_second:,.0f} requests/s), "
                "which is likely low" + (f"; the busiest: {busiest}" if busiest else "") + "."
            )
        if cpu.stolen_seconds > NOISY_SHARE * self.args.duration:
            self.run.notes.append(
                f"{name}: the hypervisor took {cpu.stolen_seconds:.1f} s of CPU (steal time: "
                f"other virtual machines) during a {self.args.duration} s run "
                f"({result.requests_per_second:,.0f} requests/s), which is likely low."
            )

    def wait_for_quiet(self, name: str) -> None:
        """Starts a scenario only once processes outside the benchmark are (nearly) idle.

        The machine is shared: a test suite running on core 0 takes CPU from the server under
        test. Waiting is bounded; a scenario that could not wait says so in the report.
        """
        deadline = time.monotonic() + self.args.quiet_wait
        while True:
            others = others_busy_seconds(self._our_pids, QUIET_WINDOW)
            if others <= NOISY_SHARE * QUIET_WINDOW:
                return
            if time.monotonic() >= deadline:
                self.run.notes.append(
                    f"{name}: started on a busy machine (other processes and the hypervisor "
                    f"used {others / QUIET_WINDOW:.0%} of a core) after waiting "
                    f"{self.args.quiet_wait} s for quiet."
                )
                return
            print(f"bench: {name}: waiting for other processes to go quiet", flush=True)

    def start_nginx_pair(self) -> tuple[str, str, JwtIssuer]:
        """The upstream (which also serves the JWT issuer's files) and the nginx proxy."""
        upstream_port, proxy_port = free_port(), free_port()
        issuer = make_issuer(upstream_port)
        upstream_conf = upstream_config(self.work, upstream_port, issuer)
        proxy_conf = proxy_config(self.work, proxy_port, upstream_port)
        upstream = start_nginx(self.children, self.work, "upstream", upstream_conf, LOAD_CORE)
        proxy = start_nginx(self.children, self.work, "proxy", proxy_conf, SERVER_CORE)
        for child in (upstream, proxy):
            self.run.server_commands[child.name] = child.command
        upstream_url = f"http://127.0.0.1:{upstream_port}/"
        proxy_url = f"http://127.0.0.1:{proxy_port}/"
        wait_http_ok(upstream_url, upstream)
        wait_http_ok(proxy_url, proxy)
        return upstream_url, proxy_url, issuer

    def start_tollway(
        self, api: Path, name: str, access_log: str, extra: tuple[str, ...] = ()
    ) -> TollwayServer:
        extra = (*ACCOUNT_THROTTLE, *extra)
        server = start_tollway(self.children, self.work, api, name, access_log, SERVER_CORE, extra)
        self.run.server_commands[name] = server.child.command
        return server

    def start_metered(
        self, api: Path, name: str, access_log: str, state: str = ""
    ) -> TollwayServer:
        """A Tollway with the traffic scenarios' key, plan and stage settings (traffic.py)."""
        extra = ("--state", state) if state else ()
        server = self.start_tollway(api, name, access_log, extra)
        configure(server, STAGE)
        return server

    def start_lambda_instance(self, api: Path, instance: LambdaInstance) -> TollwayServer:
        """A Tollway with exactly `instance.workers` warm workers, placed and sampled.

        A few requests in a row, then a short burst at the run's load, start every worker;
        they are kept for the whole run (a long idle timeout). Workers inherit Tollway's
        affinity (core 0): for the split variant they are moved to their core now, and again
        before each measured run should one have been replaced."""
        extra = (
            "--function-concurrency",
            str(instance.workers),
            "--function-idle-timeout",
            KEEP_WARM,
        )
        server = self.start_tollway(api, instance.name, "off", extra)
        url = server.url("lambda")
        for _ in range(FUNCTION_WARM_REQUESTS):
            check_answer(url)
        burst = max(self.args.warmup, 1)
        run_wrk(wrk_command(url, self.args.connections, burst, LOAD_CORE), burst)
        workers = function_workers(server.child.pid, FUNCTION_CODE)
        if len(workers) != instance.workers:
            self.run.notes.append(
                f"{instance.label}: {len(workers)} workers after warm-up, not {instance.workers}."
            )
        if instance.workers_core != SERVER_CORE:
            pinned = pin(workers, instance.workers_core)
            self.run.pin_commands += [
                shlex.join(pin_command(pid, instance.workers_core)) for pid in workers
            ]
            if pinned != workers:
                self.run.notes.append(f"{instance.label}: could not pin workers {workers}.")
        time.sleep(0.5)
        self.run.worker_memory.append(
            (instance.label, "after warm-up", MemorySample.of(server.child.pid))
        )
        return server

    def measure_cold_starts(self) -> None:
        """The cold-start scenario (coldstart.py) on its own Tollway, once, on a quiet machine."""
        api = write_cold_api(self.work)
        extra = ("--function-idle-timeout", str(coldstart.IDLE_TIMEOUT))
        server = self.start_tollway(api, "tollway-cold-start", "off", extra)
        name = "cold starts"
        self.wait_for_quiet(name)
        print(
            f"bench: {name}: {self.args.cold_starts} through the gateway and "
            f"{self.args.cold_starts} through the Lambda API",
            flush=True,
        )
        started = time.monotonic()
        with CpuMeter(self._our_pids) as cpu:
            cold = coldstart.measure(
                server, self.args.cold_starts, self.args.warm_calls, self._our_pids
            )
        elapsed = time.monotonic() - started
        self.run.cold = cold
        self.run.cold_url = server.url("cold")
        self.run.worker_memory.append(
            ("cold-start server", "after the warm calls", MemorySample.of(server.child.pid))
        )
        self.children.stop(server.child)
        if cold.problems:
            self.run.notes.append(f"Cold starts: {'; '.join(cold.problems)}.")
        if cold.repeated or cold.disturbed:
            self.run.notes.append(
                f"Cold starts: {cold.repeated} first calls measured again because other "
                f"processes used over {coldstart.DISTURBED * 1000:.0f} ms of CPU during them"
                + (
                    f"; {cold.disturbed} kept although disturbed {coldstart.RETRIES + 1} times"
                    if cold.disturbed
                    else ""
                )
                + "."
            )
        others = cpu.usage.others_seconds
        if others > NOISY_SHARE * elapsed:
            busiest = "; ".join(f"{cmd} ({sec:.1f} s)" for cmd, sec in cpu.usage.top_others)
            self.run.notes.append(
                f"Cold starts: other processes used {others:.1f} s of CPU during the "
                f"{elapsed:.0f} s of measurement (mostly waits between calls; each first "
                "call is checked on its own), which may have slowed the warm calls"
                + (f"; the busiest: {busiest}" if busiest else "")
                + "."
            )
        self.run.cold_cpu = cpu.usage
        print(
            f"bench: {name}: first call through the gateway, median "
            f"{coldstart.percentile(cold.gateway_first_ms, 0.5):.1f} ms; Invoke's Init "
            f"Duration, median {coldstart.percentile(cold.invoke_init_ms, 0.5):.1f} ms",
            flush=True,
        )

    def execute(self) -> Run:
        upstream_url, proxy_url, issuer = self.start_nginx_pair()
        upstream_port = int(upstream_url.rsplit(":", 1)[1].strip("/"))
        api = write_api(self.work, upstream_port)
        floor_child, floor = start_floor(self.children, self.work, upstream_url, SERVER_CORE)
        self.run.server_commands[floor_child.name] = floor_child.command
        tollway = self.start_metered(api, "tollway", "off")
        time.sleep(1)  # let start-up work (imports, first GC) settle before the idle reading
        self.run.memory_idle = MemorySample.of(tollway.child.pid)
        # The access log costs per request: it gets its own Tollway, so that the main
        # scenarios measure the gateway alone. Idle, it costs the other runs nothing.
        logged = self.start_metered(api, "tollway-access-log", "file")
        # Runtime state in Redis (a Redis of the run's own, on the load core): its own Tollway.
        redis, redis_url = start_redis(self.children, self.work, LOAD_CORE)
        self.run.server_commands[redis.name] = redis.command
        shared = self.start_metered(api, "tollway-redis-state", "off", redis_url)
        # The function's first invocations are cold starts; the measured runs want it warm
        # (the warm-up before each run then brings up the rest of its workers).
        for _ in range(FUNCTION_WARM_REQUESTS):
            check_answer(tollway.url("lambda"))
        self.run.memory_warm = MemorySample.of(tollway.child.pid)
        http_apis = create_http_apis(tollway, upstream_url, issuer)
        enable_stage_cache(tollway)
        # AWS_PROXY with a fixed number of workers: on core 0 with Tollway, then moved to
        # core 1 (Tollway alone on core 0). One Tollway each, so that no scenario changes
        # another's workers.
        lambdas = {
            instance.name: (instance, self.start_lambda_instance(api, instance))
            for instance in LAMBDA_INSTANCES
        }

        def aws_proxy(instance_name: str, name: str, connections: int = 0) -> Target:
            instance, server = lambdas[instance_name]
            return Target(
                name,
                server.url("lambda"),
                server.child,
                workers=instance.workers,
                workers_core=instance.workers_core,
                connections=connections,
            )

        targets = [
            Target("upstream nginx (direct, reference)", upstream_url),
            Target(BASELINE, proxy_url),
            Target("Python floor: bare uvicorn app", floor + "mock"),
            Target("Python floor: uvicorn + aiohttp proxy", floor + "proxy"),
            Target(MOCK, tollway.url("mock"), tollway.child),
            Target(MAPPED, tollway.url(MAPPED_QUERY), tollway.child),
            Target(CACHED, tollway.url("mock-cached"), tollway.child),
            Target(
                LAMBDA_AUTHORIZED,
                tollway.url("mock-authorized"),
                tollway.child,
                headers=(TOKEN_HEADER,),
            ),
            Target(REST_PROXY, tollway.url("proxy"), tollway.child),
            Target(METERED_MEMORY, tollway.url(METERED), tollway.child, headers=(KEY_HEADER,)),
            Target(REDIS_PROXY, shared.url("proxy"), shared.child),
            Target(METERED_REDIS, shared.url(METERED), shared.child, headers=(KEY_HEADER,)),
            Target(
                AWS_PROXY,
                tollway.url("lambda"),
                tollway.child,
                workers=DEFAULT_CONCURRENCY,
                exact_workers=False,
            ),
            Target(LOGGED, logged.url("proxy"), logged.child),
            Target(METERED_LOGGED, logged.url(METERED), logged.child, headers=(KEY_HEADER,)),
            Target(HTTP_API_PROXY, http_apis.proxy_url, tollway.child),
            Target(JWT_AUTHORIZED, http_apis.jwt_url, tollway.child, headers=(issuer.header,)),
            Target(
                HTTP_API_LAMBDA,
                http_apis.lambda_url,
                tollway.child,
                workers=DEFAULT_CONCURRENCY,
                exact_workers=False,
            ),
            aws_proxy("tollway-1-worker", "Tollway AWS_PROXY, 1 worker"),
            aws_proxy("tollway-2-workers", "Tollway AWS_PROXY, 2 workers"),
            aws_proxy("tollway-1-worker-split", "Tollway AWS_PROXY, 1 worker on core 1"),
            aws_proxy("tollway-2-workers-split", "Tollway AWS_PROXY, 2 workers on core 1"),
            aws_proxy("tollway-1-worker", LATENCY, connections=1),
        ]
        for target in targets:
            check_answer(target.url, target.headers)
            self.completed[target.url] += 1
        # Rounds of every scenario, not every round of one scenario: a burst of load from
        # elsewhere on this shared machine then hits one run of several scenarios, and the
        # median of each scenario's runs leaves it out.
        runs: dict[str, list[Scenario]] = {t.name: [] for t in targets}
        for _ in range(self.args.repeat):
            for target in targets:
                runs[target.name].append(self.measure_once(target))
        self.run.scenarios = [self.keep_median(runs[t.name]) for t in targets]
        self.run.worker_memory.append(
            (
                f"{DEFAULT_CONCURRENCY} workers (default)",
                "after the load",
                MemorySample.of(tollway.child.pid),
            )
        )
        for instance, server in lambdas.values():
            self.run.worker_memory.append(
                (instance.label, "after the load", MemorySample.of(server.child.pid))
            )
        for _, server in lambdas.values():
            self.children.stop(server.child)
        self.measure_cold_starts()

        self.children.stop(logged.child)  # flushes its access log
        log_path = logged.data_dir / "access.log"
        written = len(log_path.read_bytes().splitlines()) if log_path.exists() else 0
        self.run.notes.append(
            f"{LOGGED}: {written:,} access log lines written for the "
            f"{self.completed[logged.url('proxy')]:,} requests wrk and the checks completed "
            "(warm-ups included; requests in flight when wrk stops are logged, not counted)."
        )
        return self.run


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    # Ctrl-C raises KeyboardInterrupt even when started from a shell that ignored SIGINT for
    # background jobs (Python keeps an inherited "ignore").
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # This script (its memory sampler, its reading of /proc) stays off the server's core.
    os.sched_setaffinity(0, {LOAD_CORE})
    children = Children()
    started = dt.datetime.now(dt.UTC)
    machine_lines = machine(REPO, NGINX, WRK)
    with tempfile.TemporaryDirectory(prefix="tollway-bench-") as temp:
        try:
            run = Bench(args, Path(temp), children, started).execute()
        except KeyboardInterrupt:
            print("bench: interrupted", file=sys.stderr)
            return 130
        finally:
            # Before the directory holding their files goes, on success or not.
            children.stop_all()
    write_report(render(run, machine_lines), REPO, started.strftime("%Y%m%d-%H%M%SZ"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
