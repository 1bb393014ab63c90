"""Finding the interpreter for a `python3.X` runtime."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from tollway.functions import interpreters
from tollway.functions.interpreters import (
    CURRENT_INTERPRETER,
    Interpreter,
    fallback_warning,
    find_interpreter,
    interpreter_for,
    runtime_version,
)

CURRENT = f"python{sys.version_info[0]}.{sys.version_info[1]}"


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    find_interpreter.cache_clear()


def test_runtime_version() -> None:
    assert runtime_version("python3.12") == (3, 12)
    assert runtime_version("nodejs20.x") is None


def test_the_current_runtime_is_the_current_interpreter() -> None:
    assert find_interpreter(CURRENT) == CURRENT_INTERPRETER
    assert fallback_warning(CURRENT) is None
    assert CURRENT_INTERPRETER.isolation_flag == "-P"


def test_older_interpreters_are_isolated_with_dash_i() -> None:
    assert Interpreter("/x/python3.9", (3, 9)).isolation_flag == "-I"
    assert Interpreter("/x/python3.9", (3, 9)).runtime == "python3.9"


def _fake(directory: Path, name: str, prints: str, code: int = 0) -> None:
    path = directory / name
    path.write_text(f"#!/bin/sh\necho {prints}\nexit {code}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_a_candidate_counts_only_if_it_runs_that_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # A shim that exists but cannot run 3.42 (as pyenv's do), then a real one in pyenv's tree.
    _fake(bin_dir, "python3.42", "pyenv: python3.42: command not found", 127)
    real = tmp_path / "pyenv" / "versions" / "3.42.1" / "bin"
    real.mkdir(parents=True)
    _fake(real, "python3.42", "3.42")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    found = find_interpreter("python3.42")
    assert found == Interpreter(str(real / "python3.42"), (3, 42))
    assert interpreter_for("python3.42") == found


def test_a_missing_runtime_falls_back_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "none"))
    monkeypatch.setattr(interpreters.Path, "home", lambda: tmp_path)
    assert find_interpreter("python3.41") is None
    assert interpreter_for("python3.41") == CURRENT_INTERPRETER
    assert fallback_warning("python3.41") == (
        "python3.41 was not found on this machine (PATH or pyenv); the function runs on "
        f"Tollway's own interpreter, {CURRENT} ({sys.executable})"
    )
