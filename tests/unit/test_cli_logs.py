"""`tollway logs` run in-process, on log files in tmp_path."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tollway.cli import main
from tollway.functions.logs import FunctionLogs


def write_lines(data_dir: Path, function_name: str, lines: list[str]) -> None:
    logs = FunctionLogs(data_dir / "logs")  # no event loop here: written at once
    for line in lines:
        logs.append(function_name, line + "\n")
    logs.close()


def printed(out: str) -> list[str]:
    """The lines printed, without their time stamps."""
    return [line.split(" ", 1)[1] for line in out.splitlines()]


def test_prints_the_last_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_lines(tmp_path, "fn", ["START", "one", "two", "END", "REPORT"])
    assert main(["logs", "fn", "-n", "2", "--data-dir", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert printed(out) == ["END", "REPORT"]
    assert out.startswith("20") and out.split(" ", 1)[0].endswith("Z")
    assert err == ""


def test_prints_50_lines_by_default_from_the_data_dir_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOLLWAY_DATA_DIR", str(tmp_path))
    write_lines(tmp_path, "fn", [f"line {i}" for i in range(60)])
    assert main(["logs", "fn"]) == 0
    assert printed(capsys.readouterr().out) == [f"line {i}" for i in range(10, 60)]


def test_a_function_without_logs_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_lines(tmp_path, "other", ["x"])
    assert main(["logs", "ghost", "--data-dir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"tollway: no logs for function ghost in {tmp_path / 'logs'}\n"


def test_refuses_a_name_that_is_not_a_function_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["logs", "../tollway", "--data-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "tollway: not a function name: '../tollway'\n"


def test_refuses_a_negative_number_of_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["logs", "fn", "-n", "-3", "--data-dir", str(tmp_path)])
    assert exit.value.code == 2
    assert "not a number of lines: '-3'" in capsys.readouterr().err


def test_follow_prints_lines_as_they_are_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_lines(tmp_path, "fn", ["one", "two", "three"])
    following = threading.Event()
    done = threading.Event()

    def write() -> None:
        following.wait(5)  # after the last lines were printed, so these are new ones
        write_lines(tmp_path, "fn", ["four", "five"])
        done.set()

    def stop() -> bool:
        following.set()
        return done.is_set()

    writer = threading.Thread(target=write)
    writer.start()
    assert main(["logs", "fn", "-f", "-n", "2", "--data-dir", str(tmp_path)], follow_stop=stop) == 0
    writer.join(5)
    out, err = capsys.readouterr()
    assert printed(out) == ["two", "three", "four", "five"]
    assert err == ""


def test_follow_waits_for_a_log_that_does_not_exist_yet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    following = threading.Event()
    done = threading.Event()

    def write() -> None:
        following.wait(5)
        write_lines(tmp_path, "fn", ["START", "hello"])
        done.set()

    def stop() -> bool:
        following.set()
        return done.is_set()

    writer = threading.Thread(target=write)
    writer.start()
    assert main(["logs", "fn", "--follow", "--data-dir", str(tmp_path)], follow_stop=stop) == 0
    writer.join(5)
    out, err = capsys.readouterr()
    assert printed(out) == ["START", "hello"]
    assert err == ""


def test_ctrl_c_ends_follow_with_status_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_lines(tmp_path, "fn", ["one", "two"])

    def ctrl_c() -> bool:
        raise KeyboardInterrupt

    assert main(["logs", "fn", "-f", "--data-dir", str(tmp_path)], follow_stop=ctrl_c) == 0
    out, err = capsys.readouterr()
    assert printed(out) == ["one", "two"]
    assert err == ""
