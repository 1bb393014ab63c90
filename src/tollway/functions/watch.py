"""DirectoryWatcher: knows, cheaply and without delay, when a function's code directory changed.

This is for the development loop. A function declared to ``tollway serve`` with its code in a
local directory is reloaded when its files change: the next invocation gets new workers and no
invocation runs code older than the files on disk when it started. Lambda has no counterpart
(there, code changes only through UpdateFunctionCode); a change seen here amounts to one.

Why it is built this way:

- On Linux, inotify (through ctypes, as the standard library has no binding). The fd is read
  by ``loop.add_reader``, so a change is noticed as soon as it is queued (idle workers can be
  retired before anyone calls), and before the event loop runs any request sent after it (see
  ``check``). The host calls ``check(name)`` right before each invocation; ``check`` can also
  read what the kernel has queued itself, one non-blocking ``read()`` when nothing changed.
- inotify is not recursive. Every directory of a tree gets its own watch, and a directory
  created or moved in later gets its watch when its creation is read. Its parent's watch is
  added before the parent is listed, so no directory is missed. A file written there before the
  watch existed is covered by the creation event, which is reported after the new watch is in
  place.
- ``__pycache__`` directories and ``*.pyc`` files are ignored. A worker's imports write them,
  so otherwise every cold start would look like a change. New ``.py`` files are still seen.
- A watched top directory that is deleted or moved away (a build tool recreating its output)
  counts as a change. It is watched again once it exists, which ``check`` tests with one
  ``stat`` per such directory.
- Where inotify is unavailable (not Linux, no inotify instance left, or the watch limit
  ``fs.inotify.max_user_watches`` reached), a tree is scanned instead. ``check`` compares each
  file's (mtime_ns, size, mode, inode) with the previous scan, at most once per
  ``min_scan_interval``. Such trees are seen only by ``check``. One warning per directory says so.

Keys are function names. Several keys may watch the same directory (a shared layer). One inotify
watch serves them all, because the kernel returns the same watch descriptor for the same inode.
Each watch records which (key, top directory) trees hold it. Everything runs on the event loop's
thread; nothing here is thread-safe.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import functools
import logging
import os
import stat
import struct
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

# <sys/inotify.h>
_IN_MODIFY = 0x00000002
_IN_ATTRIB = 0x00000004
_IN_CLOSE_WRITE = 0x00000008
_IN_MOVED_FROM = 0x00000040
_IN_MOVED_TO = 0x00000080
_IN_CREATE = 0x00000100
_IN_DELETE = 0x00000200
_IN_DELETE_SELF = 0x00000400
_IN_MOVE_SELF = 0x00000800
_IN_Q_OVERFLOW = 0x00004000
_IN_IGNORED = 0x00008000
_IN_ONLYDIR = 0x01000000
_IN_DONT_FOLLOW = 0x02000000
_IN_ISDIR = 0x40000000
_MASK = (
    _IN_MODIFY
    | _IN_CLOSE_WRITE
    | _IN_CREATE
    | _IN_DELETE
    | _IN_MOVED_FROM
    | _IN_MOVED_TO
    | _IN_ATTRIB
    | _IN_DELETE_SELF
    | _IN_MOVE_SELF
)
_EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then the name
_MAX_EVENT = _EVENT.size + 256  # NAME_MAX + NUL
_READ_SIZE = 64 * 1024

_Owner = tuple[str, str]  # (key, top directory): a tree that holds a watched directory
_Stamp = tuple[int, int, int, int]  # (mtime_ns, size, mode, inode)
_Snapshot = dict[str, _Stamp]


@functools.cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        # The process's own symbols: glibc or musl, without find_library's ldconfig subprocess.
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    if not hasattr(libc, "inotify_init1"):
        return None
    libc.inotify_init1.argtypes = [ctypes.c_int]
    libc.inotify_init1.restype = ctypes.c_int
    libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
    libc.inotify_add_watch.restype = ctypes.c_int
    libc.inotify_rm_watch.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.inotify_rm_watch.restype = ctypes.c_int
    return libc


def _ignored(name: str) -> bool:
    # Written by the worker's own imports; see the module docstring.
    return name == "__pycache__" or name.endswith(".pyc")


def _reason(error: OSError) -> str:
    if error.errno == errno.ENOSPC:
        return "the limit of inotify watches is reached (sysctl fs.inotify.max_user_watches)"
    return f"inotify_add_watch failed: {error.strerror}"


def _scan(top: str) -> _Snapshot | None:
    """The tree's files and directories with their stamps; None if ``top`` is no directory."""
    try:
        info = os.stat(top)  # follows a symlinked top, as the watch does
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode):
        return None
    found: _Snapshot = {top: (0, 0, info.st_mode, info.st_ino)}
    stack = [top]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue  # removed or unreadable since it was listed
        for entry in entries:
            if _ignored(entry.name):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    # No mtime: it moves when __pycache__ appears. Entries are compared anyway.
                    info = entry.stat(follow_symlinks=False)
                    found[entry.path] = (0, 0, info.st_mode, info.st_ino)
                    stack.append(entry.path)
                    continue
                try:
                    info = entry.stat()  # a symlinked file: its target is the code
                except FileNotFoundError:
                    info = entry.stat(follow_symlinks=False)  # a dangling symlink
                if stat.S_ISDIR(info.st_mode):  # a symlinked directory: not followed
                    info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            found[entry.path] = (info.st_mtime_ns, info.st_size, info.st_mode, info.st_ino)
    return found


@dataclass(slots=True)
class _Dir:
    """One inotify watch: a directory, shared by every tree that holds it."""

    path: str  # the path it was last reached by; new subdirectories are joined to it
    owners: set[_Owner]


@dataclass(slots=True)
class _Key:
    on_change: Callable[[str], None]
    tops: tuple[str, ...]
    lost: set[str] = field(default_factory=set)  # inotify tops that vanished, until they return
    scanned: dict[str, _Snapshot | None] = field(default_factory=dict)  # tops watched by scanning
    scanned_at: float = 0.0  # time.monotonic() of the last scan


class DirectoryWatcher:
    """Watches directory trees per key and reports changes to them; see the module docstring.

    ``min_scan_interval`` (seconds) rate-limits the scanning fallback; the default, 0, scans on
    every ``check`` because this is a development feature and correctness comes first.
    ``use_inotify=False`` forces the fallback (for tests, or file systems inotify cannot see,
    such as network mounts changed from another machine).
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        min_scan_interval: float = 0.0,
        use_inotify: bool = True,
    ) -> None:
        self._loop = loop
        self._min_scan_interval = min_scan_interval
        self._fd: int | None = None  # opened on the first watch that needs it
        self._no_inotify = None if use_inotify else "inotify is turned off"
        self._dirs: dict[int, _Dir] = {}  # by watch descriptor
        self._tops: dict[_Owner, int] = {}  # each top watched by inotify: its descriptor
        self._keys: dict[str, _Key] = {}
        self._dirty: set[str] = set()  # changed since their last check()
        self._orphans: set[int] = set()  # descriptors that may have lost their last owner
        self._warned: set[str] = set()
        self._closed = False

    def watch(
        self, key: str, directories: Sequence[Path], on_change: Callable[[str], None]
    ) -> None:
        """Start (or replace) watching these directory trees under ``key``.

        ``on_change(key)`` is called on the loop whenever a file below changes (created,
        written, deleted, moved, chmod), by the loop's reader or by ``check``. A directory that
        does not exist yet is watched from when it appears (a change).
        """
        if self._closed:
            raise RuntimeError("DirectoryWatcher is closed")
        # Unpruned until the new trees are added: directories they share keep their watches.
        self._forget(key)
        tops = tuple(dict.fromkeys(os.path.abspath(directory) for directory in directories))
        state = _Key(on_change, tops)
        self._keys[key] = state
        for top in tops:
            self._attach(key, state, top)
        self._prune()

    def unwatch(self, key: str) -> None:
        """Stop watching for ``key``; no callback for it follows. Unknown keys are ignored."""
        self._forget(key)
        self._prune()

    def check(self, key: str, *, read_queue: bool = True) -> bool:
        """Whether ``key``'s trees changed since its previous ``check`` (or its ``watch``).

        Call it right before an invocation. It first processes every change event the kernel
        has queued, calling ``on_change`` for each key affected, so ``on_change`` and
        ``check`` report the same changes and a caller may act on either (idempotently).

        ``read_queue=False`` leaves the kernel's queue to the event loop's reader, saving a
        system call. That is enough for a call made while handling a request (an HTTP
        request, a Lambda Invoke) sent after the change: the loop runs the readers of every
        fd one poll returns before the tasks their callbacks scheduled (asyncio and uvloop
        alike), and a change queued before the request was sent is in that poll or an
        earlier one. Directories scanned instead of watched are scanned either way.
        """
        if self._closed:
            return False
        if read_queue:
            self._read_events()
        state = self._keys.get(key)
        if state is not None and (state.lost or state.scanned):
            self._poll(key, state)
        if key in self._dirty:
            self._dirty.discard(key)
            return True
        return False

    def close(self) -> None:
        """Stop watching everything and release the inotify fd. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._fd is not None:
            if not self._loop.is_closed():
                self._loop.remove_reader(self._fd)
            os.close(self._fd)  # drops every watch with it
            self._fd = None
        self._dirs.clear()
        self._tops.clear()
        self._keys.clear()
        self._dirty.clear()

    def _forget(self, key: str) -> None:
        state = self._keys.pop(key, None)
        self._dirty.discard(key)
        if state is None:
            return
        owners = {(key, top) for top in state.tops}
        for owner in owners:
            self._tops.pop(owner, None)
        self._disown(owners)

    # --- inotify

    def _inotify(self) -> int | None:
        if self._fd is not None or self._no_inotify is not None:
            return self._fd
        libc = _libc()
        if libc is None:
            self._no_inotify = "inotify is not available on this platform"
            return None
        fd = int(libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC))
        if fd < 0:
            self._no_inotify = f"inotify_init1 failed: {os.strerror(ctypes.get_errno())}"
            return None
        self._fd = fd
        self._loop.add_reader(fd, self._read_events)
        return fd

    def _add_watch(self, path: str, owners: Collection[_Owner], *, follow: bool) -> int:
        libc = _libc()
        assert libc is not None and self._fd is not None
        # Only a top directory may be a symlink; below it, following one could loop.
        flags = _MASK | _IN_ONLYDIR | (0 if follow else _IN_DONT_FOLLOW)
        wd = int(libc.inotify_add_watch(self._fd, os.fsencode(path), flags))
        if wd < 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), path)
        entry = self._dirs.get(wd)
        if entry is None:
            self._dirs[wd] = _Dir(path, set(owners))
        else:  # already watched (another tree, or moved within this one)
            entry.path = path
            entry.owners.update(owners)
        return wd

    def _add_tree(self, top: str, owners: Collection[_Owner], *, follow: bool) -> int:
        """Watch ``top`` and every directory below it. Returns ``top``'s descriptor.

        Raises OSError if ``top`` cannot be watched, or for ENOSPC anywhere. A subdirectory
        that vanished or cannot be read meanwhile is skipped: its parent reports its removal.
        """
        top_wd = self._add_watch(top, owners, follow=follow)
        stack = [top]
        while stack:
            try:
                # Listed after its watch exists: a subdirectory made later is an event.
                entries = list(os.scandir(stack.pop()))
            except OSError:
                continue
            for entry in entries:
                if entry.name == "__pycache__":
                    continue
                try:
                    if not entry.is_dir(follow_symlinks=False):
                        continue
                    self._add_watch(entry.path, owners, follow=False)
                except OSError as error:
                    if error.errno == errno.ENOSPC:
                        raise
                    continue
                stack.append(entry.path)
        return top_wd

    def _attach(self, key: str, state: _Key, top: str) -> None:
        """Watch ``top`` for ``key`` by inotify if possible, else by scanning."""
        if self._inotify() is None:
            self._scan_instead(state, top, self._no_inotify or "")
            return
        owner = (key, top)
        try:
            self._tops[owner] = self._add_tree(top, {owner}, follow=True)
        except OSError as error:
            self._disown({owner})  # what was added before the error
            if error.errno in (errno.ENOENT, errno.ENOTDIR):
                state.lost.add(top)
            else:
                self._scan_instead(state, top, _reason(error))

    def _scan_instead(self, state: _Key, top: str, reason: str) -> None:
        state.scanned[top] = _scan(top)
        state.scanned_at = time.monotonic()
        if top not in self._warned:
            self._warned.add(top)
            logger.warning("watching %s by scanning it before each invocation: %s", top, reason)

    def _disown(self, owners: set[_Owner], under: str | None = None) -> None:
        """Remove these trees from every watch (below ``under`` only, if given)."""
        prefix = (under or "") + os.sep
        for wd, entry in self._dirs.items():
            if under is not None and entry.path != under and not entry.path.startswith(prefix):
                continue
            if entry.owners & owners:
                entry.owners -= owners
                if not entry.owners:
                    self._orphans.add(wd)

    def _prune(self) -> None:
        # Deferred to the end of a batch of events, so a directory moved within its tree
        # (MOVED_FROM, then MOVED_TO) keeps its watch instead of losing it and regaining it.
        libc = _libc()
        for wd in self._orphans:
            entry = self._dirs.get(wd)
            if entry is not None and not entry.owners:
                del self._dirs[wd]
                if libc is not None and self._fd is not None:
                    libc.inotify_rm_watch(self._fd, wd)  # its IN_IGNORED finds no entry
        self._orphans.clear()

    def _read_events(self) -> None:
        if self._fd is None:
            return
        changed: set[str] = set()
        lost: set[_Owner] = set()
        overflow = False
        while True:
            try:
                data = os.read(self._fd, _READ_SIZE)
            except BlockingIOError:
                break  # the common case: nothing queued, one syscall
            overflow |= self._handle(data, changed, lost)
            if len(data) <= _READ_SIZE - _MAX_EVENT:
                break  # a short read: the queue was empty when it returned
        if not changed and not overflow:
            return
        for owner in lost:
            self._lose(owner)
        if overflow:
            # Events were dropped, directory creations and removals among them: rebuild every
            # tree's watches (a directory still there keeps its descriptor).
            changed.update(self._keys)
            for owner in list(self._tops):
                self._lose(owner)
        self._prune()
        self._deliver(changed)

    def _handle(self, data: bytes, changed: set[str], lost: set[_Owner]) -> bool:
        """Apply a buffer of events; True if the kernel's queue overflowed."""
        overflow = False
        offset = 0
        while offset < len(data):
            wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
            start = offset + _EVENT.size
            name = os.fsdecode(data[start : start + length].split(b"\0", 1)[0])
            offset = start + length
            if mask & _IN_Q_OVERFLOW:
                overflow = True
                continue
            entry = self._dirs.get(wd)
            if entry is None:
                continue  # a watch removed already; its last events concern no one
            if name and _ignored(name):
                continue
            changed.update(key for key, _ in entry.owners)
            if mask & (_IN_DELETE_SELF | _IN_MOVE_SELF | _IN_IGNORED):
                lost.update(owner for owner, top_wd in self._tops.items() if top_wd == wd)
                if mask & _IN_IGNORED:  # the kernel dropped the watch (directory deleted)
                    del self._dirs[wd]
            elif name and mask & _IN_ISDIR:
                path = os.path.join(entry.path, name)
                if mask & _IN_MOVED_FROM:
                    self._disown(set(entry.owners), under=path)
                elif mask & (_IN_CREATE | _IN_MOVED_TO):
                    self._add_subtree(path, set(entry.owners))
        return overflow

    def _add_subtree(self, path: str, owners: set[_Owner]) -> None:
        """Watch a directory created or moved into these trees."""
        try:
            self._add_tree(path, owners, follow=False)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                return  # gone again already, or unreadable: nothing there to watch
            for owner in owners:  # a tree with a hole in it would miss changes: scan it all
                key, top = owner
                self._tops.pop(owner, None)
                self._disown({owner})
                state = self._keys.get(key)
                if state is not None:
                    self._scan_instead(state, top, _reason(error))

    def _lose(self, owner: _Owner) -> None:
        """A top directory was deleted or moved away: watch whatever is at its path now."""
        key, top = owner
        self._tops.pop(owner, None)
        self._disown({owner})
        state = self._keys.get(key)
        if state is not None:
            self._attach(key, state, top)

    # --- both

    def _poll(self, key: str, state: _Key) -> None:
        """Look for ``key``'s lost tops and rescan its scanned ones (when due)."""
        changed = False
        for top in list(state.lost):
            if os.path.isdir(top):
                state.lost.discard(top)
                self._attach(key, state, top)
                changed = True
        now = time.monotonic()
        if state.scanned and now - state.scanned_at >= self._min_scan_interval:
            state.scanned_at = now
            for top, before in state.scanned.items():
                after = _scan(top)
                if after != before:
                    state.scanned[top] = after
                    changed = True
        self._prune()
        if changed:
            self._deliver({key})

    def _deliver(self, keys: set[str]) -> None:
        for key in sorted(keys):
            state = self._keys.get(key)  # a callback may have unwatched it
            if state is None:
                continue
            self._dirty.add(key)
            try:
                state.on_change(key)
            except Exception:
                # One failing callback must not keep the others (or the invocation) waiting.
                logger.exception("on_change(%r) failed", key)
