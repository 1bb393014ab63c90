"""The benchmark's report: Markdown, with the machine, the commands, the numbers and targets."""

from __future__ import annotations

import platform
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from probes import CpuUsage, MemorySample
from wrk import WrkResult

# Tollway's throughput as a share of nginx's reverse proxy, from the project's goals.
TARGETS = {"Tollway MOCK": 0.15, "Tollway HTTP_PROXY": 0.10}
BASELINE = "nginx reverse proxy"


@dataclass
class Scenario:
    name: str
    url: str
    command: list[str]
    result: WrkResult
    cpu: CpuUsage
    memory: MemorySample | None = None  # Tollway scenarios: the peak during the run(s)
    all_rps: list[float] = field(default_factory=list)  # every measured run, with --repeat


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


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def _ms(value: float) -> str:
    return f"{value * 1000:.0f} µs" if value < 1 else f"{value:.2f} ms"


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
        "proxy); the upstream nginx and wrk on core 1",
        "",
        "## Results",
        "",
        f"| scenario | requests/s | p50 | p99 | ratio to {BASELINE} | errors |"
        + (" all runs, requests/s |" if repeated else ""),
        "|---|---:|---:|---:|---:|---|" + ("---|" if repeated else ""),
    ]
    for s in run.scenarios:
        r = s.result
        ratio = f"{r.requests_per_second / base_rps:.3f}" if base_rps else "n/a"
        every = " ".join(f"{rps:,.0f}" for rps in s.all_rps)
        lines.append(
            f"| {s.name} | {r.requests_per_second:,.0f} | {_ms(r.p50_ms)} | {_ms(r.p99_ms)} "
            f"| {ratio} | {r.errors or 'none'} |" + (f" {every} |" if repeated else "")
        )
    lines += ["", "Targets (Tollway ÷ nginx reverse proxy requests/s):", ""]
    for name, target in TARGETS.items():
        scenario = next((s for s in run.scenarios if s.name == name), None)
        if scenario is None or not base_rps:
            continue
        share = scenario.result.requests_per_second / base_rps
        verdict = "met" if share >= target else "NOT met"
        lines.append(f"- {name}: {share:.3f} against a target of {target:.2f}: {verdict}")
    lines += _memory(run)
    lines += [
        "",
        "## CPU during each scenario",
        "",
        "Busy share of each core (100% = saturated). 'Other processes' is CPU time used by "
        "processes outside the benchmark during the run (the machine is shared); more than a "
        "few percent of a core makes that row's numbers low.",
        "",
        "| scenario | core 0 busy | core 1 busy | benchmark CPU | other processes |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in run.scenarios:
        c = s.cpu
        lines.append(
            f"| {s.name} | {c.busy_percent.get('cpu0', 0):.0f}% "
            f"| {c.busy_percent.get('cpu1', 0):.0f}% | {c.ours_seconds:.1f} s "
            f"| {c.others_seconds:.2f} s |"
        )
    if run.notes:
        lines += ["", "## Notes", ""] + [f"- {note}" for note in run.notes]
    lines += ["", "## Commands", ""]
    lines += ["Servers:", "", "```"]
    lines += [f"# {name}\n{shlex.join(cmd)}" for name, cmd in run.server_commands.items()]
    lines += ["```", "", "Load (one per scenario):", "", "```"]
    lines += [f"# {s.name}\n{shlex.join(s.command)}" for s in run.scenarios]
    lines += ["```", ""]
    return "\n".join(lines)


def _memory(run: Run) -> list[str]:
    lines = [
        "",
        "## Tollway memory (VmRSS)",
        "",
        "| when | Tollway process | function workers |",
        "|---|---:|---:|",
    ]
    rows = [("idle, after start", run.memory_idle), ("idle, after warm-up", run.memory_warm)]
    rows += [(f"peak during {s.name}", s.memory) for s in run.scenarios if s.memory]
    for label, sample in rows:
        if sample is None:
            continue
        lines.append(
            f"| {label} | {_mib(sample.main_kib)} "
            f"| {sample.workers} workers, {_mib(sample.workers_kib)} |"
        )
    return lines
