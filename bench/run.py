"""Tollway's load benchmark: Tollway beside nginx as a reverse proxy, same upstream, same run.

    python bench/run.py [--duration 10] [--connections 50] [--repeat 1] [--quick]

On this machine, in one run, with every process started here and stopped on the way out:

1. nginx as the upstream (a fixed ~100-byte JSON answer), pinned to core 1;
2. nginx as a reverse proxy to it (pooled keep-alive connections), pinned to core 0;
3. Tollway, pinned to core 0, serving a generated OpenAPI file with one MOCK, one HTTP_PROXY
   (to the same upstream) and one AWS_PROXY route (a trivial Python function);
4. the Python floor (floor.py), pinned to core 0: a bare uvicorn app on Tollway's server
   stack, answering directly and proxying with aiohttp, to show what the stack alone costs;
5. wrk, pinned to core 1, against each in turn: the upstream directly (a reference for what
   core 1 can give), the nginx proxy (the baseline), the two floor routes, Tollway's three
   routes, and Tollway's HTTP_PROXY again with the access log written to a file.

The server under test always has core 0 to itself, while the load generator and the upstream
share core 1: the ratio to nginx then compares the two proxies' own per-request cost. Each
measured run follows an unmeasured warm-up at the same load (it starts the function's workers,
fills the connection pools). With --repeat N, N rounds of all scenarios run and each scenario
keeps its median run. The machine is shared, so each run first waits (bounded) for other
processes to go quiet, and the report names any that were busy during a run. The report
(requests/s, p50/p99, ratio to nginx, Tollway's memory, CPU per core) is printed and written
to bench/results/<time>.md.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import functools
import os
import signal
import sys
import tempfile
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from children import Child, Children, descendants
from probes import CpuMeter, MemorySample, MemorySampler, others_busy_seconds
from report import BASELINE, Run, Scenario, machine, render
from servers import (
    NGINX,
    TollwayServer,
    check_answer,
    free_port,
    proxy_config,
    start_floor,
    start_nginx,
    start_tollway,
    upstream_config,
    wait_http_ok,
    write_api,
)
from wrk import WRK, run_wrk, wrk_command

SERVER_CORE = 0  # the server under test
LOAD_CORE = 1  # wrk and the upstream
REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
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
        "--quiet-wait",
        type=int,
        default=20,
        help="seconds to wait, at most, for other processes to go idle before each run",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup = 3, 1
    if min(args.duration, args.connections, args.repeat) < 1 or args.warmup < 0:
        parser.error("--duration, --connections, --repeat must be positive, --warmup not <0")
    return args


def _raise_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Turns `kill <pid>` into an exception, so the `finally` stops the servers as Ctrl-C does.
    raise SystemExit(128 + signum)


LOGGED = "Tollway HTTP_PROXY, access log to file"


@dataclass(frozen=True)
class Target:
    """What a scenario loads: a URL, and the Tollway process behind it if any."""

    name: str
    url: str
    tollway: Child | None = None


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
        self.wait_for_quiet(name)
        if self.args.warmup:
            warmup = wrk_command(url, self.args.connections, self.args.warmup, LOAD_CORE)
            self.completed[url] += run_wrk(warmup, self.args.warmup).requests
        command = wrk_command(url, self.args.connections, self.args.duration, LOAD_CORE)
        print(f"bench: {name}: {self.args.duration} s of load on {url}", flush=True)
        sampler = MemorySampler(tollway.pid) if tollway else nullcontext()
        with CpuMeter(self._our_pids) as cpu, sampler:
            result = run_wrk(command, self.args.duration)
        self.completed[url] += result.requests
        memory = sampler.peak if isinstance(sampler, MemorySampler) else None
        print(
            f"bench: {name}: {result.requests_per_second:,.0f} requests/s, "
            f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms"
            + (f", ERRORS: {result.errors}" if result.errors else ""),
            flush=True,
        )
        return Scenario(name, url, command, result, cpu.usage, memory)

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
                    f"{name}: started on a busy machine (other processes used "
                    f"{others / QUIET_WINDOW:.0%} of a core) after waiting "
                    f"{self.args.quiet_wait} s for quiet."
                )
                return
            print(f"bench: {name}: waiting for other processes to go quiet", flush=True)

    def start_nginx_pair(self) -> tuple[str, str]:
        upstream_port, proxy_port = free_port(), free_port()
        upstream_conf = upstream_config(self.work, upstream_port)
        proxy_conf = proxy_config(self.work, proxy_port, upstream_port)
        upstream = start_nginx(self.children, self.work, "upstream", upstream_conf, LOAD_CORE)
        proxy = start_nginx(self.children, self.work, "proxy", proxy_conf, SERVER_CORE)
        for child in (upstream, proxy):
            self.run.server_commands[child.name] = child.command
        upstream_url = f"http://127.0.0.1:{upstream_port}/"
        proxy_url = f"http://127.0.0.1:{proxy_port}/"
        wait_http_ok(upstream_url, upstream)
        wait_http_ok(proxy_url, proxy)
        return upstream_url, proxy_url

    def start_tollway(self, api: Path, name: str, access_log: str) -> TollwayServer:
        server = start_tollway(self.children, self.work, api, name, access_log, SERVER_CORE)
        self.run.server_commands[name] = server.child.command
        return server

    def execute(self) -> Run:
        upstream_url, proxy_url = self.start_nginx_pair()
        upstream_port = int(upstream_url.rsplit(":", 1)[1].strip("/"))
        api = write_api(self.work, upstream_port)
        floor_child, floor = start_floor(self.children, self.work, upstream_url, SERVER_CORE)
        self.run.server_commands[floor_child.name] = floor_child.command
        tollway = self.start_tollway(api, "tollway", "off")
        time.sleep(1)  # let start-up work (imports, first GC) settle before the idle reading
        self.run.memory_idle = MemorySample.of(tollway.child.pid)
        # The access log costs per request: it gets its own Tollway, so that the main
        # scenarios measure the gateway alone. Idle, it costs the other runs nothing.
        logged = self.start_tollway(api, "tollway-access-log", "file")
        # The function's first invocations are cold starts; the measured runs want it warm
        # (the warm-up before each run then brings up the rest of its workers).
        for _ in range(FUNCTION_WARM_REQUESTS):
            check_answer(tollway.url("lambda"))
        self.run.memory_warm = MemorySample.of(tollway.child.pid)

        targets = [
            Target("upstream nginx (direct, reference)", upstream_url),
            Target(BASELINE, proxy_url),
            Target("Python floor: bare uvicorn app", floor + "mock"),
            Target("Python floor: uvicorn + aiohttp proxy", floor + "proxy"),
            Target("Tollway MOCK", tollway.url("mock"), tollway.child),
            Target("Tollway HTTP_PROXY", tollway.url("proxy"), tollway.child),
            Target("Tollway AWS_PROXY", tollway.url("lambda"), tollway.child),
            Target(LOGGED, logged.url("proxy"), logged.child),
        ]
        for target in targets:
            check_answer(target.url)
            self.completed[target.url] += 1
        # Rounds of every scenario, not every round of one scenario: a burst of load from
        # elsewhere on this shared machine then hits one run of several scenarios, and the
        # median of each scenario's runs leaves it out.
        runs: dict[str, list[Scenario]] = {t.name: [] for t in targets}
        for _ in range(self.args.repeat):
            for target in targets:
                runs[target.name].append(self.measure_once(target))
        self.run.scenarios = [self.keep_median(runs[t.name]) for t in targets]

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
    text = render(run, machine_lines)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{started.strftime('%Y%m%d-%H%M%SZ')}.md"
    path.write_text(text)
    print(text)
    print(f"bench: report written to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
