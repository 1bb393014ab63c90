"""Tollway's function workers, seen from outside: finding them, pinning them, their memory.

A worker is a `runtime.py` process that Tollway started (in its own session, as a Lambda
sandbox is isolated): a child of the Tollway process whose command line names
`functions/runtime.py`. Workers inherit Tollway's CPU affinity (core 0 here); the "workers on
core 1" scenarios move them with `taskset -a -p -c 1 <pid>` (every thread of the process)
after warm-up, and check before and after each measured run that they are still there.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from children import descendants
from probes import rss_kib

RUNTIME_MARK = "functions/runtime.py"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def function_workers(tollway_pid: int, code: str = "") -> list[int]:
    """The live function worker processes below a Tollway process, lowest pid first; with
    `code`, only those of the function whose code directory ends so (a worker's command line
    names it: the authorizer's workers are not the proxied function's)."""
    found = []
    for pid in descendants(tollway_pid):
        words = _cmdline(pid).split()
        if any(w.endswith(RUNTIME_MARK) for w in words) and (
            not code or any(w.endswith(code) for w in words)
        ):
            found.append(pid)
    return sorted(found)


def affinity(pid: int) -> set[int]:
    """The cores a process may run on (its main thread's), empty if it is gone."""
    try:
        return set(os.sched_getaffinity(pid))
    except OSError:
        return set()


def pin_command(pid: int, core: int) -> list[str]:
    return ["taskset", "-a", "-p", "-c", str(core), str(pid)]


def pin(pids: list[int], core: int) -> list[int]:
    """Moves each process (all its threads) to `core`; returns the pids now only on it."""
    for pid in pids:
        if affinity(pid) != {core}:
            subprocess.run(
                pin_command(pid, core), capture_output=True, text=True, timeout=10, check=False
            )
    return [pid for pid in pids if affinity(pid) == {core}]


def worker_rss_kib(tollway_pid: int) -> list[int]:
    """VmRSS of each function worker, in KiB."""
    return [rss_kib(pid) for pid in function_workers(tollway_pid)]
