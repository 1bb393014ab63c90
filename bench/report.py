"""The benchmark's report: Markdown, with the machine, the commands, the numbers and targets."""

from __future__ import annotations

import platform
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from coldstart import ColdStarts, percentile
from probes import CpuUsage, MemorySample
from wrk import WrkResult

# Tollway's throughput as a share of nginx's reverse proxy, from the project's goals.
TARGETS = {"Tollway MOCK": 0.15, "Tollway HTTP_PROXY": 0.10}
BASELINE = "nginx reverse proxy"
MOCK = "Tollway MOCK"
# The REST mapping issue's target: a MOCK route with a validator and request and response
# templates, as a share of the same run's plain MOCK (templates compiled, not parsed per call).
MAPPED = "Tollway MOCK with a validator and templates"
MAPPED_SHARE_OF_MOCK = 0.6
REST_PROXY = "Tollway HTTP_PROXY"
# The stage cache issue's target: a MOCK route answered from the stage cache, as a share of
# the same run's plain MOCK (a hit must cost less than running the integration).
CACHED = "Tollway MOCK answered from the stage cache"
CACHED_SHARE_OF_MOCK = 0.9
HTTP_API_PROXY = "Tollway HTTP API, HTTP_PROXY"
# The authorization issue's targets: a route behind a cached Lambda authorizer, and one
# behind a JWT authorizer, as shares of the same route without authorization in the same run.
LAMBDA_AUTHORIZED = "Tollway MOCK behind a cached Lambda TOKEN authorizer"
JWT_AUTHORIZED = "Tollway HTTP API, HTTP_PROXY behind a JWT authorizer"
AUTHORIZED_SHARE = 0.8
METERED_MEMORY = "Tollway HTTP_PROXY + API key, usage plan, throttle (memory state)"
METERED_REDIS = "Tollway HTTP_PROXY + API key, usage plan, throttle (Redis state)"
METERED_LOGGED = "Tollway HTTP_PROXY + API key, usage plan, throttle + access log to file"
REDIS_PROXY = "Tollway HTTP_PROXY (Redis state)"
METERED_SHARE = {METERED_MEMORY: 0.8, METERED_REDIS: 0.6}
HTTP_API_LAMBDA = "Tollway HTTP API, AWS_PROXY (payload 2.0), 10 workers (default)"
# The Lambda hosting issue's targets: warm AWS_PROXY throughput as a share of the same run's
# Tollway MOCK, and a trivial handler's cold start.
AWS_PROXY_SHARE_OF_MOCK = 0.5
COLD_START_MS = 150.0


@dataclass
class Scenario:
    name: str
    url: str
    command: list[str]
    result: WrkResult
    cpu: CpuUsage
    memory: MemorySample | None = None  # Tollway scenarios: the peak during the run(s)
    all_rps: list[float] = field(default_factory=list)  # every measured run, with --repeat
    connections: int = 0  # wrk's; 0: the run's
    workers: int = 0  # function scenarios: the workers serving (exactly, or at most)
    split: bool = False  # the workers on the load core, Tollway alone on the server core
    exact_workers: bool = True


@dataclass
class Run:
    date: str
    duration: int
    connections: int
    warmup: int
    repeat: int
    server_commands: dict[str, list[str]] = field(default_factory=dict)
    scenarios: list[Scenario] = field(default_factory=list)
    memory_idle: MemorySample | None = None  # after start, before any request
    memory_warm: MemorySample | None = None  # after the warm-up, before the measured runs
    notes: list[str] = field(default_factory=list)
    # (Tollway instance, when, sample): memory per warm worker of each function instance
    worker_memory: list[tuple[str, str, MemorySample]] = field(default_factory=list)
    pin_commands: list[str] = field(default_factory=list)  # moving workers to core 1
    cold: ColdStarts | None = None
    cold_cpu: CpuUsage | None = None
    cold_url: str = ""


def _command_version(command: list[str]) -> str:
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (completed.stdout + completed.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def _cpu_model() -> str:
    text = Path("/proc/cpuinfo").read_text()
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
    return match.group(1).strip() if match else platform.processor() or "unknown"


def _tollway_revision(repo: Path) -> str:
    def git(*args: str) -> str:
        # --no-optional-locks: reading the status must not write the index.
        completed = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(repo), *args],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return completed.stdout.strip() if completed.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "no commit"
    dirty = git("status", "--porcelain", "--", "src")
    return f"{commit}{' + uncommitted changes in src/' if dirty else ''}"


def machine(repo: Path, nginx: str, wrk: str) -> list[str]:
    from os import cpu_count

    return [
        f"CPU: {_cpu_model()}, {cpu_count()} cores",
        f"Kernel: {platform.system()} {platform.release()}",
        f"Python: {sys.version.split()[0]} ({sys.executable})",
        f"nginx: {_command_version([nginx, '-v']).removeprefix('nginx version: ')}",
        f"wrk: {_command_version([wrk, '-v']).split(' Copyright')[0]}",
        f"Tollway: {_tollway_revision(repo)}",
        f"Load average at start: {Path('/proc/loadavg').read_text().split()[:3]}",
    ]


def write(text: str, repo: Path, name: str) -> None:
    """Prints a report and writes it to bench/results/<name>.md (git-ignored)."""
    results = repo / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"{name}.md"
    path.write_text(text)
    print(text)
    print(f"bench: report written to {path.relative_to(repo)}")


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def _ms(value: float) -> str:
    return f"{value * 1000:.0f} µs" if value < 1 else f"{value:.2f} ms"


def _verdict(met: bool) -> str:
    return "met" if met else "**NOT met**"


def _connections(s: Scenario, run: Run) -> int:
    return s.connections or run.connections


def _nginx_ratio(s: Scenario, run: Run, base_rps: float) -> str:
    if _connections(s, run) != run.connections:
        return f"n/a ({_connections(s, run)} connection{'s' if _connections(s, run) > 1 else ''})"
    if not base_rps:
        return "n/a"
    return f"{s.result.requests_per_second / base_rps:.3f}" + ("†" if s.split else "")


def render(run: Run, machine_lines: list[str]) -> str:
    baseline = next((s for s in run.scenarios if s.name == BASELINE), None)
    base_rps = baseline.result.requests_per_second if baseline else 0.0
    repeated = run.repeat > 1
    lines = [f"# Tollway benchmark, {run.date}", ""]
    lines += [f"- {line}" for line in machine_lines]
    lines += [
        f"- Load: wrk, 1 thread, {run.connections} connections, {run.duration} s per measured "
        f"run, each after a {run.warmup} s unmeasured warm-up at the same load"
        + (
            f"; {run.repeat} runs per scenario, the table shows the median run (by requests/s)"
            if repeated
            else ""
        ),
        "- Pinning: the server under test on core 0 (Tollway, its function workers, or the nginx "
        "proxy); the upstream nginx and wrk on core 1. Exception, the rows marked † ('workers "
        "on core 1'): Tollway alone on core 0, its function workers moved to core 1 (beside "
        "wrk) after warm-up",
        "",
        "## Results",
        "",
        f"| scenario | requests/s | p50 | p99 | ratio to {BASELINE} | errors |"
        + (" all runs, requests/s |" if repeated else ""),
        "|---|---:|---:|---:|---:|---|" + ("---|" if repeated else ""),
    ]
    for s in run.scenarios:
        r = s.result
        ratio = _nginx_ratio(s, run, base_rps)
        every = " ".join(f"{rps:,.0f}" for rps in s.all_rps)
        lines.append(
            f"| {s.name} | {r.requests_per_second:,.0f} | {_ms(r.p50_ms)} | {_ms(r.p99_ms)} "
            f"| {ratio} | {r.errors or 'none'} |" + (f" {every} |" if repeated else "")
        )
    if any(s.split for s in run.scenarios):
        lines += ["", _SPLIT_NOTE]
    lines += ["", "Targets (Tollway ÷ nginx reverse proxy requests/s):", ""]
    for name, target in TARGETS.items():
        scenario = next((s for s in run.scenarios if s.name == name), None)
        if scenario is None or not base_rps:
            continue
        share = scenario.result.requests_per_second / base_rps
        verdict = "met" if share >= target else "NOT met"
        lines.append(f"- {name}: {share:.3f} against a target of {target:.2f}: {verdict}")
    lines += _mapping(run)
    lines += _caching(run)
    lines += _http_apis(run, base_rps)
    lines += _authorizers(run)
    lines += _traffic(run)
    lines += _lambda_hosting(run, base_rps)
    lines += _memory(run)
    lines += [
        "",
        "## CPU during each scenario",
        "",
        "Busy share of each core (100% = saturated). 'Other processes' is CPU time used by "
        "processes outside the benchmark during the run (the machine is shared); more than a "
        "few percent of a core makes that row's numbers low. 'Stolen' is steal time: CPU the "
        "hypervisor gave to other virtual machines while this one wanted it; it lowers a row "
        "the same way and no process here shows it.",
        "",
        "'Core 0 per request' is core 0's busy time divided by the requests served: with core "
        "0 saturated, the cost that bounds the throughput (for the rows with workers on core 1, "
        "the gateway process's cost alone).",
        "",
        "| scenario | core 0 busy | core 1 busy | core 0 per request | benchmark CPU "
        "| other processes | stolen by the hypervisor |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    cpu_rows = [(s.name, s.cpu, s.result.requests_per_second) for s in run.scenarios]
    if run.cold_cpu is not None:
        cpu_rows.append(("cold starts (the whole measurement, mostly idle)", run.cold_cpu, 0.0))
    for name, c, rps in cpu_rows:
        core0 = c.busy_percent.get("cpu0", 0)
        per_request = f"{core0 / 100 / rps * 1e6:.0f} µs" if rps else ""
        lines.append(
            f"| {name} | {core0:.0f}% "
            f"| {c.busy_percent.get('cpu1', 0):.0f}% | {per_request} | {c.ours_seconds:.1f} s "
            f"| {c.others_seconds:.2f} s | {c.stolen_seconds:.2f} s |"
        )
    if run.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in run.notes]
    lines += ["", "## Commands", ""]
    lines += ["Servers:", "", "```"]
    lines += [f"# {name}\n{shlex.join(cmd)}" for name, cmd in run.server_commands.items()]
    lines += ["```", "", "Load (one per scenario):", "", "```"]
    lines += [f"# {s.name}\n{shlex.join(s.command)}" for s in run.scenarios]
    lines += ["```", ""]
    if run.pin_commands:
        lines += ["Function workers moved to core 1 after warm-up:", "", "```"]
        lines += run.pin_commands
        lines += ["```", ""]
    if run.cold is not None:
        lines += [
            "Cold starts: `GET " + run.cold_url + "` (urllib, a new connection each) and "
            "Lambda `Invoke` (botocore, `LogType=Tail`) from bench/coldstart.py, each after "
            "`UpdateFunctionConfiguration` with a new `BENCH_ROUND` environment variable.",
            "",
        ]
    return "\n".join(lines)


_SPLIT_NOTE = (
    "† Workers on core 1: Tollway alone on core 0 and its function workers on core 1, which "
    "they share with wrk. Tollway then has more CPU than the nginx proxy had (one core), so "
    "the ratio to nginx is not like-for-like; nor is the ratio to MOCK, measured on one core."
)


def _http_apis(run: Run, base_rps: float) -> list[str]:
    """The HTTP API rows against the REST ones of the same run (ratios to nginx)."""
    by_name = {s.name: s for s in run.scenarios}
    rows = [(name, by_name[name]) for name in (HTTP_API_PROXY, HTTP_API_LAMBDA) if name in by_name]
    if not rows or not base_rps:
        return []
    lines = [
        "",
        "HTTP APIs (API Gateway v2, each made by quick create: a `$default` route and an "
        "auto-deploying `$default` stage), as ratios to the nginx reverse proxy:",
        "",
    ]
    for name, scenario in rows:
        rps = scenario.result.requests_per_second
        lines.append(f"- {name}: {rps:,.0f} requests/s, {rps / base_rps:.3f} of nginx")
    proxy, rest = by_name.get(HTTP_API_PROXY), by_name.get(REST_PROXY)
    if proxy is not None and rest is not None:
        http_ratio = proxy.result.requests_per_second / base_rps
        rest_ratio = rest.result.requests_per_second / base_rps
        lines.append(
            f"- target: HTTP API HTTP_PROXY ≥ REST HTTP_PROXY ({rest_ratio:.3f} of nginx): "
            f"{http_ratio:.3f}, {_verdict(http_ratio >= rest_ratio)}"
        )
    return lines


def _authorizers(run: Run) -> list[str]:
    """The authorized routes against the same routes without authorization."""
    by_name = {s.name: s for s in run.scenarios}
    pairs = [
        (LAMBDA_AUTHORIZED, MOCK, "the same MOCK without authorization"),
        (JWT_AUTHORIZED, HTTP_API_PROXY, "the same HTTP API route without authorization"),
    ]
    lines = []
    for name, plain_name, plain_label in pairs:
        secured, plain = by_name.get(name), by_name.get(plain_name)
        if secured is None or plain is None or not plain.result.requests_per_second:
            continue
        share = secured.result.requests_per_second / plain.result.requests_per_second
        lines.append(
            f"- {name}: {secured.result.requests_per_second:,.0f} requests/s, {share:.3f} of "
            f"{plain_label} ({plain.result.requests_per_second:,.0f}): "
            f"{_verdict(share >= AUTHORIZED_SHARE)}"
        )
    if not lines:
        return []
    return [
        "",
        "Authorization (the cached Lambda authorizer's answer is kept 300 s; the JWT's keys are "
        f"fetched once), target ≥ {AUTHORIZED_SHARE} of the same route without it:",
        "",
        *lines,
    ]


def _traffic(run: Run) -> list[str]:
    """The metered rows against the plain HTTP_PROXY."""
    by_name = {s.name: s for s in run.scenarios}
    plain = by_name.get(REST_PROXY)
    lines = []
    for name, target in METERED_SHARE.items():
        metered = by_name.get(name)
        if metered is None or plain is None or not plain.result.requests_per_second:
            continue
        share = metered.result.requests_per_second / plain.result.requests_per_second
        lines.append(
            f"- {name}: {metered.result.requests_per_second:,.0f} requests/s, {share:.3f} of "
            f"the plain HTTP_PROXY ({plain.result.requests_per_second:,.0f}), target ≥ "
            f"{target}: {_verdict(share >= target)}"
        )
    redis_plain, redis_metered = by_name.get(REDIS_PROXY), by_name.get(METERED_REDIS)
    if redis_plain is not None and redis_metered is not None:
        rps = redis_plain.result.requests_per_second
        if rps:
            lines.append(
                f"- with Redis state, the metered route is "
                f"{redis_metered.result.requests_per_second / rps:.3f} of the plain route on "
                f"the same Tollway ({rps:,.0f}; every request there checks the account "
                "bucket in Redis)"
            )
    if not lines:
        return []
    return [
        "",
        "Metering (API key + usage plan + throttle with limits far above the load, so every "
        "level is checked and nothing refused), target as a share of the plain HTTP_PROXY:",
        "",
        *lines,
    ]


def _mapping(run: Run) -> list[str]:
    """The REST mapping row against the same run's MOCK."""
    return _share_of_mock(
        run,
        MAPPED,
        MAPPED_SHARE_OF_MOCK,
        "REST mapping: `GET /mock-mapped?name=bench`, a request validator (a required query "
        "parameter, a body model), VTL request and response templates reading the request",
    )


def _caching(run: Run) -> list[str]:
    """The stage cache row against the same run's MOCK."""
    return _share_of_mock(
        run,
        CACHED,
        CACHED_SHARE_OF_MOCK,
        "Stage cache: `GET /mock-cached`, the MOCK route with caching enabled (every measured "
        "request a hit)",
    )


def _share_of_mock(run: Run, name: str, target: float, title: str) -> list[str]:
    """A MOCK variant's row, with its target as a share of the same run's MOCK."""
    mock = next((s for s in run.scenarios if s.name == MOCK), None)
    variant = next((s for s in run.scenarios if s.name == name), None)
    if mock is None or variant is None or not mock.result.requests_per_second:
        return []
    share = variant.result.requests_per_second / mock.result.requests_per_second
    return [
        "",
        f"{title}; target ≥ {target} of the same run's Tollway MOCK:",
        "",
        f"- {name}: {variant.result.requests_per_second:,.0f} requests/s, {share:.3f} of "
        f"MOCK ({mock.result.requests_per_second:,.0f}): {_verdict(share >= target)}",
    ]


def _lambda_hosting(run: Run, base_rps: float) -> list[str]:
    """The AWS_PROXY tables: warm throughput, one-connection latency, cold starts."""
    mock = next((s for s in run.scenarios if s.name == MOCK), None)
    mock_rps = mock.result.requests_per_second if mock else 0.0
    loaded = [s for s in run.scenarios if s.workers and _connections(s, run) == run.connections]
    single = [s for s in run.scenarios if s.workers and _connections(s, run) != run.connections]
    if not (loaded or single or run.cold):
        return []
    lines = [
        "",
        "## Lambda hosting: AWS_PROXY with warm workers, cold starts",
        "",
        f"Target: warm AWS_PROXY throughput ≥ {AWS_PROXY_SHARE_OF_MOCK} of the same run's "
        f"Tollway MOCK ({mock_rps:,.0f} requests/s); cold start ≤ {COLD_START_MS:.0f} ms for "
        "a trivial handler.",
        "",
        f"### Warm throughput ({run.connections} connections)",
        "",
        "| scenario | workers | workers run on | requests/s | p50 | p99 | ÷ Tollway MOCK "
        f"| ÷ {BASELINE} | target ≥ {AWS_PROXY_SHARE_OF_MOCK} of MOCK |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for s in loaded:
        r = s.result
        share = r.requests_per_second / mock_rps if mock_rps else 0.0
        workers = str(s.workers) if s.exact_workers else f"up to {s.workers}"
        where = (
            "core 1, with wrk (Tollway alone on core 0) †" if s.split else "core 0, with Tollway"
        )
        verdict = _verdict(share >= AWS_PROXY_SHARE_OF_MOCK) if mock_rps else "n/a"
        lines.append(
            f"| {s.name} | {workers} | {where} | {r.requests_per_second:,.0f} | {_ms(r.p50_ms)} "
            f"| {_ms(r.p99_ms)} | {share:.3f} | {_nginx_ratio(s, run, base_rps)} | {verdict}"
            + (" (not like-for-like †)" if s.split else "")
            + " |"
        )
    if any(s.split for s in loaded):
        lines += ["", _SPLIT_NOTE]
    if single:
        lines += [
            "",
            "### Warm latency, one connection",
            "",
            "wrk with one connection (keep-alive): each request waits for the previous one, "
            "so this is the invocation's latency with nothing queued.",
            "",
            "| scenario | connections | requests/s | p50 | p99 |",
            "|---|---:|---:|---:|---:|",
        ]
        for s in single:
            r = s.result
            lines.append(
                f"| {s.name} | {_connections(s, run)} | {r.requests_per_second:,.0f} "
                f"| {_ms(r.p50_ms)} | {_ms(r.p99_ms)} |"
            )
    if run.cold is not None:
        lines += _cold(run.cold)
    return lines


_COLD_SHORT = ("gateway, first call", "gateway, Init", "Invoke, first call", "Invoke, Init")


def _cold(cold: ColdStarts) -> list[str]:
    def ms(value: float) -> str:
        return f"{value:.1f} ms"

    lines = [
        "",
        f"### Cold start (target ≤ {COLD_START_MS:.0f} ms)",
        "",
        "The first invocation after a fresh worker was forced (the previous one reaped, a new "
        "revision by UpdateFunctionConfiguration), on the trivial handler "
        '`def handler(event, context): return {"statusCode": 200, "body": "ok"}`. '
        "'First call' is the time from request to response seen by the client (on core 1); "
        "'Init Duration' is what Lambda's REPORT line reports for the same call (the worker's "
        "process start and the handler's import).",
        "",
        f"| measure | n | median | p90 | min | max | ≤ {COLD_START_MS:.0f} ms: median | p90 |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    rows = [
        ("first call through the gateway (GET, new connection)", cold.gateway_first_ms),
        ("Init Duration of those calls (REPORT, function log)", cold.gateway_init_ms),
        ("first call through the Lambda API (Invoke, LogType=Tail)", cold.invoke_first_ms),
        ("Init Duration of those calls (REPORT, Invoke's log tail)", cold.invoke_init_ms),
    ]
    for label, values in rows:
        if not values:
            lines.append(f"| {label} | 0 | | | | | n/a | n/a |")
            continue
        median, p90 = percentile(values, 0.5), percentile(values, 0.9)
        lines.append(
            f"| {label} | {len(values)} | {ms(median)} | {ms(p90)} | {ms(min(values))} "
            f"| {ms(max(values))} | {_verdict(median <= COLD_START_MS)} "
            f"| {_verdict(p90 <= COLD_START_MS)} |"
        )
    lines += [
        "",
        "Every value, in the order measured (ms): "
        + "; ".join(
            f"{short}: " + " ".join(f"{v:.1f}" for v in values)
            for short, (_, values) in zip(_COLD_SHORT, rows, strict=True)
        )
        + ".",
    ]
    if cold.repeated or cold.disturbed:
        lines += [
            "",
            f"{cold.repeated} first calls were measured again because other processes used "
            "CPU during them"
            + (f"; {cold.disturbed} kept although disturbed." if cold.disturbed else "."),
        ]
    lines += [
        "",
        "The same function warm, one call at a time, for contrast:",
        "",
        "| warm call | n | p50 | p90 | p99 |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, values in (
        ("Lambda API Invoke (botocore, connection kept)", cold.warm_invoke_ms),
        ("gateway GET (new connection each, as the first calls)", cold.warm_gateway_ms),
    ):
        if values:
            lines.append(
                f"| {label} | {len(values)} | {ms(percentile(values, 0.5))} "
                f"| {ms(percentile(values, 0.9))} | {ms(percentile(values, 0.99))} |"
            )
    return lines


def _workers(count: int) -> str:
    return f"{count} worker{'' if count == 1 else 's'}"


def _per_worker(sample: MemorySample) -> str:
    if not sample.each_kib:
        return "none"
    return f"{sample.median_worker_kib / 1024:.1f} MiB"


def _memory(run: Run) -> list[str]:
    lines = [
        "",
        "## Tollway memory (VmRSS)",
        "",
        "The main Tollway (the MOCK, HTTP_PROXY and default AWS_PROXY rows), and each peak "
        "while a Tollway scenario ran (sampled every 0.2 s; per worker: of the sample with "
        "the most workers).",
        "",
        "| when | Tollway process | function workers | per worker (median) |",
        "|---|---:|---:|---:|",
    ]
    rows = [("idle, after start", run.memory_idle), ("idle, after warm-up", run.memory_warm)]
    rows += [(f"peak during {s.name}", s.memory) for s in run.scenarios if s.memory]
    for label, sample in rows:
        if sample is None:
            continue
        lines.append(
            f"| {label} | {_mib(sample.main_kib)} "
            f"| {_workers(sample.workers)}, {_mib(sample.workers_kib)} | {_per_worker(sample)} |"
        )
    if run.worker_memory:
        lines += [
            "",
            "### Resident memory per warm worker",
            "",
            "VmRSS of each function worker process (a `runtime.py` child of Tollway) and of the "
            "Tollway process, idle, after the workers' warm-up and after the measured load.",
            "",
            "| Tollway instance | when | Tollway process | workers | per worker: median "
            "| min, max |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for label, when, sample in run.worker_memory:
            each = sample.each_kib
            spread = f"{_mib(min(each))}, {_mib(max(each))}" if each else ""
            lines.append(
                f"| {label} | {when} | {_mib(sample.main_kib)} | {sample.workers} "
                f"| {_per_worker(sample)} | {spread} |"
            )
    return lines
