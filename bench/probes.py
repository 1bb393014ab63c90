"""What the benchmark observes besides wrk: memory and CPU, read from /proc.

Memory is VmRSS: of the Tollway process, and summed over its descendants (the function
workers), sampled a few times a second while wrk runs; the report gives the maximum.

CPU is read per core from /proc/stat around each scenario, and per process from
/proc/<pid>/stat. The machine is shared (other engineers run tests on it), so the report also
states how much CPU went to processes that are not part of the benchmark: numbers measured
while something else was busy on core 0 are not Tollway's.
"""

from __future__ import annotations

import os
import resource
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from children import descendants

_SAMPLE_INTERVAL = 0.2  # seconds between memory samples
_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """Resident set size of one process in KiB (VmRSS), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass(frozen=True)
class MemorySample:
    main_kib: int  # the Tollway process itself
    workers_kib: int  # summed over its descendants (function workers)
    workers: int
    each_kib: tuple[int, ...] = ()  # every descendant's own VmRSS (a peak: the largest set)

    @staticmethod
    def of(pid: int) -> MemorySample:
        each = tuple(rss_kib(w) for w in descendants(pid))
        return MemorySample(rss_kib(pid), sum(each), len(each), each)

    def max(self, other: MemorySample) -> MemorySample:
        larger = max(self, other, key=lambda s: (s.workers, s.workers_kib))
        return MemorySample(
            max(self.main_kib, other.main_kib),
            max(self.workers_kib, other.workers_kib),
            max(self.workers, other.workers),
            larger.each_kib,
        )

    @property
    def median_worker_kib(self) -> float:
        """The median of the workers' VmRSS, 0 without workers."""
        return statistics.median(self.each_kib) if self.each_kib else 0.0


class MemorySampler:
    """Samples a process tree's memory in a thread until stopped; keeps the maxima."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = MemorySample(0, 0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(_SAMPLE_INTERVAL):
            self.peak = self.peak.max(MemorySample.of(self.pid))


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (all its threads), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3 of proc(5), utime 14 and stime 15.
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND


def _core_ticks() -> dict[str, tuple[int, int, int, int]]:
    """Per core: (ticks running processes, ticks not idle, ticks in total, ticks stolen)."""
    ticks: dict[str, tuple[int, int, int, int]] = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if not (name.startswith("cpu") and name != "cpu"):
            continue
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, values[:8])
        # irq/softirq time is charged to no process (loopback traffic is mostly softirq), so
        # it stays out of "process" time, which is compared with per-process figures.
        process = user + nice + system
        busy = process + irq + softirq + steal
        # steal: time the hypervisor ran something else while this virtual CPU wanted to run
        # (other virtual machines on the host), invisible in any process's figures.
        ticks[name] = (process, busy, busy + idle + iowait, steal)
    return ticks


def _process_cpu_table() -> dict[int, tuple[str, float]]:
    """Every process: (its command line, shortened; CPU seconds so far)."""
    table: dict[int, tuple[str, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            command = Path(entry.path, "cmdline").read_bytes().decode(errors="replace")
            name = " ".join(command.replace("\0", " ").split())[:80]
            name = name or Path(entry.path, "comm").read_text().strip()
        except OSError:
            continue
        table[pid] = (name, process_cpu_seconds(pid))
    return table


@dataclass(frozen=True)
class CpuUsage:
    busy_percent: dict[str, float]  # per core ("cpu0"...), everything but idle
    ours_seconds: float  # CPU used by the benchmark (servers, workers, wrk, this script)
    others_seconds: float  # process CPU that none of the benchmark's processes used
    top_others: list[tuple[str, float]]  # the busiest of those that lived through the run
    stolen_seconds: float = 0.0  # summed over cores: taken by the hypervisor (a VM's steal)


class CpuMeter:
    """CPU used during a block: per core, by the benchmark, and by everybody else."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self._pids = pids  # asked at start and at end: function workers come and go
        self.usage = CpuUsage({}, 0.0, 0.0, [])

    def __enter__(self) -> CpuMeter:
        self._cores = _core_ticks()
        self._table = _process_cpu_table()
        self._ours = self._our_seconds()
        return self

    def __exit__(self, *exc_info: object) -> None:
        cores = _core_ticks()
        table = _process_cpu_table()
        busy: dict[str, float] = {}
        process_ticks = 0
        steal_ticks = 0
        for name, (process, core_busy, total, steal) in cores.items():
            start_process, start_busy, start_total, start_steal = self._cores.get(
                name, (0, 0, 0, 0)
            )
            busy[name] = 100.0 * (core_busy - start_busy) / max(total - start_total, 1)
            process_ticks += process - start_process
            steal_ticks += steal - start_steal
        ours = self._our_seconds() - self._ours
        # Per-core totals also count processes that started and ended during the block (a
        # test run's many short-lived ones); the named list can only show those still alive.
        others = max(process_ticks / _TICKS_PER_SECOND - ours, 0.0)
        mine = {os.getpid(), *self._pids()}
        used = [
            (command, seconds - self._table.get(pid, (command, 0.0))[1])
            for pid, (command, seconds) in table.items()
            if pid not in mine
        ]
        top = sorted((u for u in used if u[1] >= 0.05), key=lambda u: -u[1])
        # The two ways of counting disagree by a few ticks; take the larger, never hide noise.
        others = max(others, sum(seconds for _, seconds in top))
        self.usage = CpuUsage(busy, ours, others, top[:3], steal_ticks / _TICKS_PER_SECOND)

    def _our_seconds(self) -> float:
        # wrk is a child this script waits for: its CPU shows in RUSAGE_CHILDREN once it has
        # exited. The servers are never waited for during a run, so they are read from /proc.
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        itself = resource.getrusage(resource.RUSAGE_SELF)
        return (
            sum(process_cpu_seconds(pid) for pid in self._pids())
            + children.ru_utime
            + children.ru_stime
            + itself.ru_utime
            + itself.ru_stime
        )


def others_busy_seconds(pids: Callable[[], list[int]], window: float) -> float:
    """CPU seconds used by processes outside the benchmark over `window` seconds from now,
    and taken by the hypervisor (steal)."""
    with CpuMeter(pids) as meter:
        time.sleep(window)
    return meter.usage.others_seconds + meter.usage.stolen_seconds
