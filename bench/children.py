"""Child processes of the benchmark: started in their own process group, always stopped.

Every server the benchmark starts goes through `Children.start`, and `Children.stop_all` (run
from a `finally`) ends them: SIGTERM to the process group, then SIGKILL after a grace period.
Tollway's function workers start their own sessions (as Lambda execution environments are
isolated), so killing Tollway's group would miss them: their pids are collected from /proc
before the group is signalled and killed separately if Tollway did not end them itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

_GRACE_SECONDS = 5.0


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Children:
    """The processes this run started, stopped in reverse order of start."""

    started: list[Child] = field(default_factory=list)

    def start(self, name: str, command: Sequence[str], log_path: Path, cwd: Path) -> Child:
        log = log_path.open("wb")
        try:
            process = subprocess.Popen(
                list(command),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: one signal reaches all of it
            )
        finally:
            log.close()  # the child holds its own copy of the descriptor
        child = Child(name, list(command), process, log_path)
        self.started.append(child)
        return child

    def stop(self, child: Child) -> None:
        # Descendants in other sessions (Tollway's function workers) are found before the
        # parent goes away: once it has, they are reparented and no longer findable by ppid.
        stragglers = descendants(child.pid)
        _signal_group(child.pid, signal.SIGTERM)
        try:
            child.process.wait(timeout=_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(child.pid, signal.SIGKILL)
            child.process.wait(timeout=_GRACE_SECONDS)
        deadline = time.monotonic() + _GRACE_SECONDS
        while any(_alive(pid) for pid in stragglers) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in stragglers:
            if _alive(pid):
                _signal(pid, signal.SIGKILL)
        if child in self.started:
            self.started.remove(child)

    def stop_all(self) -> None:
        for child in reversed(list(self.started)):
            try:
                self.stop(child)
            except Exception as e:  # keep stopping the others
                print(f"bench: could not stop {child.name} (pid {child.pid}): {e}")


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # exited while we looked
        # The command name may contain spaces and parentheses: split after the last ')'.
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (children, grandchildren...)."""
    parents = _parents()
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent]
        found.extend(children)
        frontier.extend(children)
    return found
