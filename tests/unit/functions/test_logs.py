"""FunctionLogs, tail and follow with real files in tmp_path (and a real event loop where the
writer buffers)."""

from __future__ import annotations

import asyncio
import calendar
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tollway.functions.logs import FunctionLogs, follow, log_paths, tail

# 2026-11-21T19:50:33.123Z
T0 = calendar.timegm((2026, 11, 21, 19, 50, 33, 0, 0, 0)) + 0.123
STAMP = "2026-11-21T19:50:33.123Z "


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def text(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def unstamped(lines: list[str]) -> list[str]:
    return [line.split(" ", 1)[1] for line in lines]


async def until(condition: Callable[[], bool]) -> None:
    """Wait for the writer's timer (a deadline against hanging, not a timing assertion)."""
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in 5 s")


def test_stamps_each_line_with_its_arrival_time_in_utc(tmp_path: Path) -> None:
    clock = Clock()
    logs = FunctionLogs(tmp_path, clock=clock)
    logs.append("fn", "START RequestId: r1 Version: $LATEST\n")
    clock.now += 1.5
    logs.append("fn", "first\nsecond\n")
    clock.now += 59.384  # the next minute, 7 ms into its second
    logs.append("fn", "END RequestId: r1\n")
    logs.close()
    assert (tmp_path / "fn.log").read_text() == (
        "2026-11-21T19:50:33.123Z START RequestId: r1 Version: $LATEST\n"
        "2026-11-21T19:50:34.623Z first\n"
        "2026-11-21T19:50:34.623Z second\n"
        "2026-11-21T19:51:34.007Z END RequestId: r1\n"
    )


async def test_buffers_on_the_event_loop_until_the_timer_writes(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "fn.log"
    logs = FunctionLogs(tmp_path / "logs", flush_interval=0.05, clock=Clock())
    logs.append("fn", "one\n")
    logs.append("fn", "two\n")
    assert not path.exists()  # appending cost no file system call
    await until(lambda: text(path).count("\n") == 2)
    assert text(path) == f"{STAMP}one\n{STAMP}two\n"

    logs.append("fn", "three\n")  # the timer is armed again for new text
    assert text(path).count("\n") == 2
    await until(lambda: text(path).count("\n") == 3)
    assert text(path).endswith(f"{STAMP}three\n")
    logs.close()


async def test_flush_and_close_write_at_once(tmp_path: Path) -> None:
    logs = FunctionLogs(tmp_path, flush_interval=60, clock=Clock())
    logs.append("a", "for a\n")
    logs.append("b", "for b\n")
    logs.flush()
    assert text(tmp_path / "a.log") == f"{STAMP}for a\n"
    assert text(tmp_path / "b.log") == f"{STAMP}for b\n"
    logs.append("a", "closing\n")
    logs.close()
    assert text(tmp_path / "a.log") == f"{STAMP}for a\n{STAMP}closing\n"
    logs.append("a", "late\n")  # after close, even on a running loop: written at once
    assert text(tmp_path / "a.log").endswith(f"{STAMP}late\n")


def test_rotates_past_the_size_limit_keeping_one_generation(tmp_path: Path) -> None:
    # Each line is 40 bytes: a 25-byte stamp, "line NN" and padding to 15 bytes with the newline.
    logs = FunctionLogs(tmp_path, max_bytes=100, clock=Clock())
    for i in range(1, 8):
        logs.append("fn", f"line {i:02d}       \n")
    logs.close()
    current, previous = log_paths(tmp_path, "fn")
    assert unstamped(text(previous).split("\n")[:-1]) == [f"line {i:02d}       " for i in (4, 5, 6)]
    assert unstamped(text(current).split("\n")[:-1]) == ["line 07       "]

    # A new writer (a restarted server) appends, and counts what the file already holds.
    again = FunctionLogs(tmp_path, max_bytes=100, clock=Clock())
    for i in range(8, 11):
        again.append("fn", f"line {i:02d}       \n")
    again.close()
    assert unstamped(text(previous).split("\n")[:-1]) == [f"line {i:02d}       " for i in (7, 8, 9)]
    assert unstamped(text(current).split("\n")[:-1]) == ["line 10       "]


async def test_a_flood_drops_the_oldest_text_and_says_how_much(tmp_path: Path) -> None:
    logs = FunctionLogs(tmp_path, max_buffered=200, flush_interval=60, clock=Clock())
    for i in range(1, 11):
        logs.append("fn", f"line {i:02d}       \n")  # 40 bytes stamped: 5 fit in 200
    logs.flush()
    assert text(tmp_path / "fn.log").split("\n")[:-1] == [
        f"{STAMP}[tollway] 200 bytes of output dropped: the function wrote faster than its log "
        "could be written",
        *[f"{STAMP}line {i:02d}       " for i in range(6, 11)],
    ]
    logs.append("fn", "calm\n")  # the notice is written once, for what was dropped
    logs.close()
    assert text(tmp_path / "fn.log").count("dropped") == 1


@pytest.mark.parametrize("name", ["../escape", "", "a" * 65, "a.b", "fn/x", "fn\n", "fn log"])
def test_refuses_names_that_are_not_function_names(tmp_path: Path, name: str) -> None:
    logs = FunctionLogs(tmp_path)
    with pytest.raises(ValueError, match="not a function name"):
        logs.append(name, "x\n")
    with pytest.raises(ValueError, match="not a function name"):
        tail(tmp_path, name, 10)
    with pytest.raises(ValueError, match="not a function name"):
        next(follow(tmp_path, name))
    logs.close()
    assert list(tmp_path.iterdir()) == []


def test_accepts_every_lambda_function_name(tmp_path: Path) -> None:
    logs = FunctionLogs(tmp_path, clock=Clock())
    for name in ["a" * 64, "My_fn-1", "-"]:
        logs.append(name, "x\n")
    logs.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["-.log", "My_fn-1.log", "a" * 64 + ".log"]


def test_a_failing_disk_is_logged_not_raised_and_the_text_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    logs_dir = tmp_path / "logs"
    logs_dir.write_text("a file where the directory should be")
    logs = FunctionLogs(logs_dir, clock=Clock())
    with caplog.at_level(logging.WARNING, logger="tollway.functions.logs"):
        logs.append("fn", "one\n")
        logs.append("fn", "two\n")
        assert [r.getMessage() for r in caplog.records] == [
            f"cannot write the log {logs_dir / 'fn.log'}: [Errno 17] File exists: '{logs_dir}'"
        ]
        logs_dir.unlink()
        logs.flush()
        assert caplog.records[-1].getMessage() == f"writing the log {logs_dir / 'fn.log'} again"
    logs.close()
    assert text(logs_dir / "fn.log") == f"{STAMP}one\n{STAMP}two\n"


def test_tail_reads_the_last_lines_across_the_rotation(tmp_path: Path) -> None:
    current, previous = log_paths(tmp_path, "fn")
    assert tail(tmp_path, "fn", 5) == []
    previous.write_text("a\nb\nc\n")
    assert tail(tmp_path, "fn", 2) == ["b", "c"]
    current.write_text("d\ne\nstill being writ")  # a last line without its newline counts
    assert tail(tmp_path, "fn", 2) == ["e", "still being writ"]
    assert tail(tmp_path, "fn", 4) == ["c", "d", "e", "still being writ"]
    assert tail(tmp_path, "fn", 100) == ["a", "b", "c", "d", "e", "still being writ"]
    assert tail(tmp_path, "fn", 0) == []


def test_tail_of_a_file_bigger_than_a_read_block(tmp_path: Path) -> None:
    lines = [f"line {i} " + "x" * (i % 50) for i in range(20_000)]  # about 700 KB
    log_paths(tmp_path, "fn")[0].write_text("\n".join(lines) + "\n")
    assert tail(tmp_path, "fn", 3) == lines[-3:]
    assert tail(tmp_path, "fn", 5_000) == lines[-5_000:]


def test_follow_waits_for_the_file_reads_whole_lines_and_survives_rotation(
    tmp_path: Path,
) -> None:
    current, previous = log_paths(tmp_path, "fn")

    def append(path: Path, data: str) -> None:
        with path.open("a") as f:
            f.write(data)

    def rotate() -> None:
        append(current, "four\n")
        current.replace(previous)
        append(current, "five\n")

    # One step of the writer per round of reading: stop() runs before each round.
    steps: list[Callable[[], object]] = [
        lambda: None,  # no file yet
        lambda: append(current, "one\n"),
        lambda: append(current, "two\nthr"),
        lambda: append(current, "ee\n"),
        rotate,
        lambda: append(current, "six\n"),
    ]

    def stop() -> bool:
        if steps:
            steps.pop(0)()
            return False
        return True

    assert list(follow(tmp_path, "fn", poll_interval=0.001, stop=stop)) == [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
    ]


def test_follow_starts_with_the_last_lines_and_no_line_twice(tmp_path: Path) -> None:
    current, previous = log_paths(tmp_path, "fn")
    previous.write_text("a\nb\n")
    current.write_text("c\nhalf")
    rounds = iter([False, True])

    def stop() -> bool:
        with current.open("a") as f:
            f.write(" and the rest\n" if not current.read_text().endswith("\n") else "d\n")
        return next(rounds)

    assert list(follow(tmp_path, "fn", lines=2, poll_interval=0.001, stop=stop)) == [
        "b",
        "c",
        "half and the rest",
        "d",
    ]


def test_follow_keeps_up_with_a_writer_in_another_thread(tmp_path: Path) -> None:
    received: list[str] = []
    seen = threading.Condition()
    done = threading.Event()
    count = 40

    def write() -> None:
        # No event loop in this thread: each append is written at once. Lines are 33 bytes, so
        # with the 200-byte limit each file holds seven. The writer waits for each line to be
        # read, as a follower that sleeps through two rotations loses the file in between.
        logs = FunctionLogs(tmp_path, max_bytes=200)
        for i in range(count):
            logs.append("fn", f"line {i:02d}\n")
            with seen:
                if not seen.wait_for(lambda n=i + 1: len(received) >= n, timeout=10):
                    break  # a line the follower missed: fail below rather than wait for each
        logs.close()
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    # lines=count: the first line may be written before follow opens the file.
    for line in follow(tmp_path, "fn", lines=count, poll_interval=0.002, stop=done.is_set):
        with seen:
            received.append(line)
            seen.notify_all()
    writer.join(5)
    assert unstamped(received) == [f"line {i:02d}" for i in range(count)]
    assert log_paths(tmp_path, "fn")[1].exists()  # it did rotate
