"""SqliteStore: the default ConfigStore, one SQLite file in the data directory.

WAL journal with synchronous=NORMAL: every commit is one transaction, so a process crash in
the middle of a write leaves the previous state intact; only a power loss may drop the last
few committed transactions. Calls are synchronous: control-plane writes are small and rare,
and SQLite answers them in well under a millisecond.
"""

from __future__ import annotations

import builtins
import hashlib
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import orjson

from tollway.store import ConcurrentModification, Delete, Record

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    parent TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    created REAL NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (kind, parent, key)
);
CREATE TABLE IF NOT EXISTS blobs (
    digest TEXT PRIMARY KEY,
    data BLOB NOT NULL
);
"""


class SqliteStore:
    def __init__(self, path: Path | str) -> None:
        self._path = str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)

    def get(self, kind: str, key: str, parent: str = "") -> Record | None:
        row = self._db.execute(
            "SELECT version, created, body FROM records WHERE kind=? AND parent=? AND key=?",
            (kind, parent, key),
        ).fetchone()
        if row is None:
            return None
        return Record(kind, key, orjson.loads(row[2]), parent, row[0], row[1])

    def list(self, kind: str, parent: str | None = None) -> builtins.list[Record]:
        if parent is None:
            rows = self._db.execute(
                "SELECT parent, key, version, created, body FROM records WHERE kind=? "
                "ORDER BY created, rowid",
                (kind,),
            )
        else:
            rows = self._db.execute(
                "SELECT parent, key, version, created, body FROM records "
                "WHERE kind=? AND parent=? ORDER BY created, rowid",
                (kind, parent),
            )
        return [Record(kind, r[1], orjson.loads(r[4]), r[0], r[2], r[3]) for r in rows]

    def commit(self, puts: Sequence[Record] = (), deletes: Sequence[Delete] = ()) -> None:
        now = time.time()
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                for d in deletes:
                    cur.execute(
                        "DELETE FROM records WHERE kind=? AND parent=? AND key=?",
                        (d.kind, d.parent, d.key),
                    )
                for r in puts:
                    self._put(cur, r, now)
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    @staticmethod
    def _put(cur: sqlite3.Cursor, r: Record, now: float) -> None:
        body = orjson.dumps(r.body)
        if r.version == 0:
            try:
                cur.execute(
                    "INSERT INTO records (kind, parent, key, version, created, body) "
                    "VALUES (?, ?, ?, 1, ?, ?)",
                    (r.kind, r.parent, r.key, r.created or now, body),
                )
            except sqlite3.IntegrityError as e:
                raise ConcurrentModification(f"{r.kind} {r.key} already exists") from e
            return
        cur.execute(
            "UPDATE records SET version=version+1, body=? "
            "WHERE kind=? AND parent=? AND key=? AND version=?",
            (body, r.kind, r.parent, r.key, r.version),
        )
        if cur.rowcount != 1:
            raise ConcurrentModification(f"{r.kind} {r.key} changed since it was read")

    def delete_children(self, parent: str) -> builtins.list[Delete]:
        rows = self._db.execute("SELECT kind, key FROM records WHERE parent=?", (parent,))
        return [Delete(kind, key, parent) for kind, key in rows]

    def put_blob(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO blobs (digest, data) VALUES (?, ?)", (digest, data)
            )
        return digest

    def get_blob(self, digest: str) -> bytes | None:
        row = self._db.execute("SELECT data FROM blobs WHERE digest=?", (digest,)).fetchone()
        return None if row is None else bytes(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
