"""DirectoryWatcher with real directories in tmp_path, real inotify and a real event loop."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator, Callable, Collection, Coroutine
from pathlib import Path
from typing import Any

import pytest
import uvloop

from tollway.functions.watch import DirectoryWatcher

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


class Calls:
    """An on_change callback that records the keys it gets."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.arrived = asyncio.Event()

    def __call__(self, key: str) -> None:
        self.keys.append(key)
        self.arrived.set()


def make_code(path: Path) -> Path:
    (path / "pkg").mkdir(parents=True)
    (path / "app.py").write_text("x = 1\n")
    (path / "pkg" / "__init__.py").write_text("")
    (path / "pkg" / "mod.py").write_text("y = 1\n")
    return path


def inotify_fds() -> set[int]:
    found = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == "anon_inode:inotify":
                found.add(int(name))
        except OSError:
            continue  # the fd listdir itself used
    return found


def watch_count(fd: int) -> int:
    """How many inotify watches the kernel holds on this fd."""
    with open(f"/proc/self/fdinfo/{fd}") as info:
        return sum(1 for line in info if line.startswith("inotify wd:"))


def max_queued_events() -> int:
    with open("/proc/sys/fs/inotify/max_queued_events") as limit:
        return int(limit.read())


@pytest.fixture
async def watcher() -> AsyncIterator[DirectoryWatcher]:
    watcher = DirectoryWatcher(asyncio.get_running_loop())
    yield watcher
    watcher.close()


@pytest.fixture
def code(tmp_path: Path) -> Path:
    return make_code(tmp_path / "code")


@linux_only
async def test_check_sees_a_write_made_just_before_it(
    watcher: DirectoryWatcher, code: Path
) -> None:
    calls = Calls()
    watcher.watch("f", [code], calls)
    assert watcher.check("f") is False
    (code / "app.py").write_text("x = 2\n")
    assert watcher.check("f") is True  # no await in between: the loop's reader never ran
    assert calls.keys == ["f"]
    assert watcher.check("f") is False
    assert calls.keys == ["f"]


@linux_only
async def test_the_loop_reports_a_change_without_check(
    watcher: DirectoryWatcher, code: Path
) -> None:
    calls = Calls()
    watcher.watch("f", [code], calls)
    (code / "pkg" / "mod.py").write_text("y = 2\n")
    await asyncio.wait_for(calls.arrived.wait(), 5)
    assert calls.keys == ["f"]
    # check reports what the reader saw since the last check, without another callback.
    assert watcher.check("f") is True
    assert watcher.check("f") is False
    assert calls.keys == ["f"]


@linux_only
async def test_check_does_not_scan_directories(
    watcher: DirectoryWatcher, code: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    watcher.watch("f", [code], Calls())

    def no_scandir(path: object) -> None:
        raise AssertionError(f"scanned {path}")

    monkeypatch.setattr(os, "scandir", no_scandir)
    assert watcher.check("f") is False
    (code / "app.py").write_text("x = 2\n")
    assert watcher.check("f") is True


@linux_only
async def test_a_new_subdirectory_is_watched(watcher: DirectoryWatcher, code: Path) -> None:
    watcher.watch("f", [code], Calls())
    (code / "lib").mkdir()
    assert watcher.check("f") is True
    (code / "lib" / "util.py").write_text("")
    assert watcher.check("f") is True
    # Directories made before their parent's creation was read are found by listing it.
    (code / "a" / "b" / "c").mkdir(parents=True)
    assert watcher.check("f") is True
    (code / "a" / "b" / "c" / "deep.py").write_text("")
    assert watcher.check("f") is True


@linux_only
async def test_deletions_are_changes(watcher: DirectoryWatcher, code: Path) -> None:
    (code / "empty").mkdir()
    watcher.watch("f", [code], Calls())
    (code / "app.py").unlink()
    assert watcher.check("f") is True
    (code / "empty").rmdir()
    assert watcher.check("f") is True
    shutil.rmtree(code / "pkg")
    assert watcher.check("f") is True
    assert watcher.check("f") is False


@linux_only
async def test_renames_are_changes_and_moved_directories_stay_watched(
    watcher: DirectoryWatcher, code: Path, tmp_path: Path
) -> None:
    watcher.watch("f", [code], Calls())
    (code / "app.py").rename(code / "main.py")
    assert watcher.check("f") is True
    (code / "pkg").rename(code / "lib")
    assert watcher.check("f") is True
    (code / "lib" / "mod.py").write_text("y = 2\n")
    assert watcher.check("f") is True
    # Moved out of the tree: a change, and what happens there afterwards is not.
    (code / "lib").rename(tmp_path / "elsewhere")
    assert watcher.check("f") is True
    (tmp_path / "elsewhere" / "mod.py").write_text("y = 3\n")
    assert watcher.check("f") is False
    # Moved in: a change, and watched from then on.
    (tmp_path / "elsewhere").rename(code / "back")
    assert watcher.check("f") is True
    (code / "back" / "mod.py").write_text("y = 4\n")
    assert watcher.check("f") is True


@linux_only
async def test_bytecode_written_by_imports_is_not_a_change(
    watcher: DirectoryWatcher, code: Path
) -> None:
    calls = Calls()
    watcher.watch("f", [code], calls)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    }
    # Awaited: the loop's reader runs while the import writes __pycache__.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import app, pkg.mod", cwd=code, env=env
    )
    assert await process.wait() == 0
    assert list((code / "pkg" / "__pycache__").glob("mod.*.pyc"))  # the import did write
    (code / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"rewritten")
    (code / "legacy.pyc").write_bytes(b"")
    assert watcher.check("f") is False
    assert calls.keys == []
    (code / "new.py").write_text("")
    assert watcher.check("f") is True


@linux_only
async def test_unwatch_stops_callbacks_and_drops_the_watches(tmp_path: Path) -> None:
    before = inotify_fds()
    watcher = DirectoryWatcher(asyncio.get_running_loop())
    try:
        code, other = make_code(tmp_path / "code"), make_code(tmp_path / "other")
        calls = Calls()
        watcher.watch("f", [code], calls)
        watcher.watch("g", [other], Calls())
        (fd,) = inotify_fds() - before
        assert watch_count(fd) == 4  # two directories in each tree
        watcher.unwatch("f")
        assert watch_count(fd) == 2
        (code / "app.py").write_text("x = 2\n")
        assert watcher.check("g") is False  # reads every queued event
        await asyncio.sleep(0.05)  # the loop's reader has had its chance too
        assert watcher.check("f") is False
        assert calls.keys == []
        watcher.unwatch("f")  # twice, or unknown: nothing happens
    finally:
        watcher.close()


@linux_only
async def test_keys_sharing_a_directory_each_get_their_callback(
    watcher: DirectoryWatcher, code: Path
) -> None:
    first, second, layer = Calls(), Calls(), Calls()
    watcher.watch("a", [code], first)
    watcher.watch("b", [code], second)
    watcher.watch("layer", [code / "pkg"], layer)  # a tree inside another key's tree
    (code / "pkg" / "mod.py").write_text("y = 2\n")
    assert watcher.check("a") is True
    assert (first.keys, second.keys, layer.keys) == (["a"], ["b"], ["layer"])
    assert watcher.check("b") is True
    assert watcher.check("layer") is True
    (code / "app.py").write_text("x = 2\n")
    assert watcher.check("a") is True
    assert watcher.check("layer") is False
    watcher.unwatch("a")  # the directories stay watched for b
    (code / "app.py").write_text("x = 3\n")
    assert watcher.check("b") is True
    assert first.keys == ["a", "a"]


@linux_only
async def test_watch_replaces_the_directories_of_a_key(
    watcher: DirectoryWatcher, tmp_path: Path
) -> None:
    old, new = make_code(tmp_path / "old"), make_code(tmp_path / "new")
    calls = Calls()
    watcher.watch("f", [old], calls)
    watcher.watch("f", [new], calls)
    (old / "app.py").write_text("x = 2\n")
    assert watcher.check("f") is False
    (new / "app.py").write_text("x = 2\n")
    assert watcher.check("f") is True
    assert calls.keys == ["f"]


@linux_only
async def test_a_deleted_top_directory_is_watched_again_when_it_returns(
    watcher: DirectoryWatcher, code: Path
) -> None:
    calls = Calls()
    watcher.watch("f", [code], calls)
    shutil.rmtree(code)
    assert watcher.check("f") is True
    assert watcher.check("f") is False
    make_code(code)  # a build tool writing its output again
    assert watcher.check("f") is True
    calls.arrived.clear()
    (code / "pkg" / "mod.py").write_text("y = 2\n")
    await asyncio.wait_for(calls.arrived.wait(), 5)  # by inotify again, not by check
    assert watcher.check("f") is True


@linux_only
async def test_a_directory_that_does_not_exist_yet(
    watcher: DirectoryWatcher, tmp_path: Path
) -> None:
    watcher.watch("f", [tmp_path / "later"], Calls())
    assert watcher.check("f") is False
    make_code(tmp_path / "later")
    assert watcher.check("f") is True
    (tmp_path / "later" / "app.py").write_text("x = 2\n")
    assert watcher.check("f") is True


@linux_only
async def test_symlinks(tmp_path: Path) -> None:
    before = inotify_fds()
    watcher = DirectoryWatcher(asyncio.get_running_loop())
    try:
        real = make_code(tmp_path / "real")
        outside = make_code(tmp_path / "outside")
        (tmp_path / "link").symlink_to(real, target_is_directory=True)
        (real / "cycle").symlink_to(real, target_is_directory=True)
        (real / "shared").symlink_to(outside, target_is_directory=True)
        watcher.watch("f", [tmp_path / "link"], Calls())
        (fd,) = inotify_fds() - before
        assert watch_count(fd) == 2  # real and real/pkg: symlinked subdirectories not followed
        (real / "app.py").write_text("x = 2\n")
        assert watcher.check("f") is True
        (outside / "app.py").write_text("x = 2\n")
        assert watcher.check("f") is False
    finally:
        watcher.close()


@linux_only
async def test_queue_overflow_counts_as_a_change_everywhere(
    watcher: DirectoryWatcher, code: Path, tmp_path: Path
) -> None:
    limit = max_queued_events()
    if limit > 100_000:
        pytest.skip(f"max_queued_events is {limit}: too many events to queue in a unit test")
    other = make_code(tmp_path / "other")
    watcher.watch("f", [code], Calls())
    watcher.watch("other", [other], Calls())
    a, b = code / "app.py", code / "pkg" / "mod.py"
    for i in range(limit // 2 + 10):  # alternating, so the kernel cannot merge them
        os.chmod(a, 0o600 | (i & 1) << 5)
        os.chmod(b, 0o600 | (i & 1) << 5)
    (code / "late").mkdir()  # its creation event is dropped
    assert watcher.check("other") is True  # nothing happened there, but no one can know
    assert watcher.check("f") is True
    assert watcher.check("f") is False
    (code / "late" / "x.py").write_text("")  # the trees were watched again after the overflow
    assert watcher.check("f") is True


@linux_only
async def test_a_failing_callback_does_not_stop_the_others(
    watcher: DirectoryWatcher, code: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def failing(key: str) -> None:
        raise RuntimeError("boom")

    calls = Calls()
    watcher.watch("a", [code], failing)
    watcher.watch("b", [code], calls)
    (code / "app.py").write_text("x = 2\n")
    with caplog.at_level(logging.ERROR, logger="tollway.functions.watch"):
        assert watcher.check("a") is True
    assert calls.keys == ["b"]
    assert "on_change('a') failed" in caplog.text


@linux_only
async def test_close_releases_the_inotify_fd(tmp_path: Path) -> None:
    before = inotify_fds()
    watcher = DirectoryWatcher(asyncio.get_running_loop())
    assert inotify_fds() == before  # opened only when first needed
    watcher.watch("f", [make_code(tmp_path / "code")], Calls())
    assert len(inotify_fds() - before) == 1
    watcher.close()
    assert inotify_fds() == before
    assert watcher.check("f") is False
    watcher.close()
    with pytest.raises(RuntimeError, match="DirectoryWatcher is closed"):
        watcher.watch("f", [tmp_path], Calls())


# --- the scanning fallback


def warnings_about(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tollway.functions.watch"]


async def test_scanning_sees_modify_create_delete_and_chmod(
    code: Path, caplog: pytest.LogCaptureFixture
) -> None:
    watcher = DirectoryWatcher(asyncio.get_running_loop(), use_inotify=False)
    try:
        calls = Calls()
        with caplog.at_level(logging.WARNING, logger="tollway.functions.watch"):
            watcher.watch("f", [code], calls)
            watcher.watch("f", [code], calls)  # replaced: no second warning
        assert warnings_about(caplog) == [
            f"watching {code} by scanning it before each invocation: inotify is turned off"
        ]
        assert watcher.check("f") is False
        (code / "app.py").write_text("x = 22\n")  # modified, another size
        assert watcher.check("f") is True
        assert calls.keys == ["f"]  # on_change comes from check
        before = (code / "app.py").stat().st_mtime_ns
        (code / "app.py").write_text("x = 33\n")  # the same size: told apart by mtime
        os.utime(code / "app.py", ns=(before + 1_000_000, before + 1_000_000))
        assert watcher.check("f") is True
        (code / "app.py").chmod(0o600)
        assert watcher.check("f") is True
        (code / "pkg" / "new.py").write_text("")
        assert watcher.check("f") is True
        (code / "pkg" / "mod.py").unlink()
        assert watcher.check("f") is True
        (code / "sub").mkdir()
        assert watcher.check("f") is True
        (code / "sub" / "x.py").write_text("")
        assert watcher.check("f") is True
        (code / "pkg" / "__pycache__").mkdir()
        (code / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"")
        (code / "legacy.pyc").write_bytes(b"")
        assert watcher.check("f") is False
        assert len(calls.keys) == 7
    finally:
        watcher.close()


async def test_scanning_waits_min_scan_interval(code: Path) -> None:
    watcher = DirectoryWatcher(
        asyncio.get_running_loop(), use_inotify=False, min_scan_interval=3600
    )
    try:
        watcher.watch("f", [code], Calls())
        (code / "app.py").write_text("x = 22\n")
        assert watcher.check("f") is False  # scanned at watch(); the next scan is not due
    finally:
        watcher.close()


@linux_only
async def test_falls_back_to_scanning_at_the_watch_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    add_watch = DirectoryWatcher._add_watch

    def limited(
        self: DirectoryWatcher, path: str, owners: Collection[tuple[str, str]], *, follow: bool
    ) -> int:
        if path.endswith("deep"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        return add_watch(self, path, owners, follow=follow)

    monkeypatch.setattr(DirectoryWatcher, "_add_watch", limited)
    before = inotify_fds()
    watcher = DirectoryWatcher(asyncio.get_running_loop())
    try:
        big, small = make_code(tmp_path / "big"), make_code(tmp_path / "small")
        (big / "deep").mkdir()
        small_calls = Calls()
        with caplog.at_level(logging.WARNING, logger="tollway.functions.watch"):
            watcher.watch("big", [big], Calls())
            watcher.watch("small", [small], small_calls)
        assert warnings_about(caplog) == [
            f"watching {big} by scanning it before each invocation: the limit of inotify "
            "watches is reached (sysctl fs.inotify.max_user_watches)"
        ]
        (fd,) = inotify_fds() - before
        assert watch_count(fd) == 2  # small's two directories; big's partial tree let go
        (big / "deep" / "x.py").write_text("")
        assert watcher.check("big") is True
        assert watcher.check("big") is False
        (small / "app.py").write_text("x = 2\n")
        await asyncio.wait_for(small_calls.arrived.wait(), 5)  # still inotify for the other
        # A directory created later hits the limit too: that tree goes to scanning.
        (small / "deep").mkdir()
        assert watcher.check("small") is True
        assert warnings_about(caplog)[-1].startswith(f"watching {small} by scanning")
        assert watch_count(fd) == 0
        (small / "deep" / "y.py").write_text("")
        assert watcher.check("small") is True
    finally:
        watcher.close()


async def _request_after_a_save(code: Path) -> bool:
    """A file saved, then a request sent, both before the loop runs again: what the request's
    handler sees with ``check(read_queue=False)``."""
    watcher = DirectoryWatcher(asyncio.get_running_loop())
    seen: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(1)
        seen.set_result(watcher.check("f", read_queue=False))
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    try:
        watcher.watch("f", [code], lambda key: None)
        await asyncio.sleep(0.05)  # the connection is accepted; nothing is queued
        (code / "app.py").write_text("x = 3\n")
        client.sendall(b"!")  # no await since the save: the loop has read neither
        return await asyncio.wait_for(seen, 5)
    finally:
        client.close()
        server.close()
        watcher.close()


@linux_only
@pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
def test_a_request_sent_after_a_save_sees_it_without_reading_the_queue(
    tmp_path: Path, run: Callable[[Coroutine[Any, Any, bool]], bool]
) -> None:
    code = make_code(tmp_path / "code")
    for _ in range(20):  # the ordering holds every time, not by luck
        assert run(_request_after_a_save(code)) is True
