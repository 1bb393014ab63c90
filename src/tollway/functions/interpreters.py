"""Which Python interpreter runs a function: Lambda's `Runtime` (`python3.12`) made local.

On Lambda the runtime names the interpreter the execution environment has. Here a function
whose runtime is `python3.X` runs on a Python 3.X found on this machine — on the PATH
(`python3.12`), or in pyenv's versions directory, where pyenv users keep theirs — and on the
interpreter running Tollway when none is found, which CreateFunction reports as a warning.
A candidate counts only after it has been run once and said which version it is: a pyenv
shim named `python3.12` exists on the PATH even when it cannot run 3.12. Results are cached
for the life of the process, so only the first function of each runtime pays for the probe.

The shim (`runtime.py`) is started with `-P` (3.11+) or `-I` (older): both keep the shim's
own directory off `sys.path`; `-I` also ignores the user's site directory and PYTHON*
variables, which the shim sets itself where it matters (PYTHONPATH).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_RUNTIME = re.compile(r"^python(\d+)\.(\d+)$")
_PROBE_TIMEOUT = 10.0  # seconds; a first start of a cold interpreter can be slow


@dataclass(frozen=True, slots=True)
class Interpreter:
    path: str
    version: tuple[int, int]

    @property
    def isolation_flag(self) -> str:
        return "-P" if self.version >= (3, 11) else "-I"

    @property
    def runtime(self) -> str:
        return f"python{self.version[0]}.{self.version[1]}"


CURRENT_INTERPRETER = Interpreter(sys.executable, (sys.version_info[0], sys.version_info[1]))


def runtime_version(runtime: str) -> tuple[int, int] | None:
    """(3, 12) for `python3.12`; None for anything that is not a Python runtime name."""
    match = _RUNTIME.match(runtime)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _candidates(name: str) -> list[str]:
    found = []
    on_path = shutil.which(name)
    if on_path:
        found.append(on_path)
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    # pyenv's own layout: versions/3.12.1/bin/python3.12; the newest patch release first.
    found.extend(str(p) for p in sorted(pyenv_root.glob(f"versions/*/bin/{name}"), reverse=True))
    return found


def _probe(path: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=_PROBE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    major, _, minor = out.stdout.strip().partition(".")
    if out.returncode != 0 or not (major.isdigit() and minor.isdigit()):
        return None
    return int(major), int(minor)


@functools.cache
def find_interpreter(runtime: str) -> Interpreter | None:
    """The interpreter for `python3.X` on this machine, or None if there is none."""
    version = runtime_version(runtime)
    if version is None:
        return None
    if version == CURRENT_INTERPRETER.version:
        return CURRENT_INTERPRETER
    for path in _candidates(runtime):
        if _probe(path) == version:
            return Interpreter(path, version)
    return None


def interpreter_for(runtime: str) -> Interpreter:
    """The interpreter a function of this runtime runs on (the current one as a fallback)."""
    return find_interpreter(runtime) or CURRENT_INTERPRETER


def fallback_warning(runtime: str) -> str | None:
    """What CreateFunction reports when `runtime` is not on this machine, else None."""
    if find_interpreter(runtime) is not None:
        return None
    return (
        f"{runtime} was not found on this machine (PATH or pyenv); the function runs on "
        f"Tollway's own interpreter, {CURRENT_INTERPRETER.runtime} ({CURRENT_INTERPRETER.path})"
    )
