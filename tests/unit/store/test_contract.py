"""The ConfigStore contract. Every implementation runs this same suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tollway.store import ConcurrentModification, ConfigStore, Delete, Record
from tollway.store.sqlite import SqliteStore


@pytest.fixture(params=["sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConfigStore]:
    implementation = SqliteStore(tmp_path / "store.db")
    yield implementation
    implementation.close()


def test_put_then_get_returns_the_body_at_version_1(store: ConfigStore) -> None:
    store.commit([Record("restapi", "a1", {"name": "one", "n": [1, 2]})])
    record = store.get("restapi", "a1")
    assert record is not None
    assert record.body == {"name": "one", "n": [1, 2]}
    assert record.version == 1


def test_missing_record_is_none(store: ConfigStore) -> None:
    assert store.get("restapi", "nope") is None
    assert store.get("stage", "dev", "a1") is None


def test_records_are_scoped_by_parent(store: ConfigStore) -> None:
    store.commit(
        [Record("stage", "dev", {"v": 1}, "api1"), Record("stage", "dev", {"v": 2}, "api2")]
    )
    first, second = store.get("stage", "dev", "api1"), store.get("stage", "dev", "api2")
    assert first is not None and second is not None
    assert (first.body, second.body) == ({"v": 1}, {"v": 2})
    assert [r.body for r in store.list("stage", "api2")] == [{"v": 2}]
    assert len(store.list("stage")) == 2


def test_list_is_oldest_first(store: ConfigStore) -> None:
    for key in ("c", "a", "b"):
        store.commit([Record("restapi", key, {"k": key})])
    assert [r.key for r in store.list("restapi")] == ["c", "a", "b"]


def test_update_needs_the_version_it_read(store: ConfigStore) -> None:
    store.commit([Record("restapi", "a1", {"v": 1})])
    read = store.get("restapi", "a1")
    assert read is not None
    store.commit([Record("restapi", "a1", {"v": 2}, version=read.version)])
    with pytest.raises(ConcurrentModification):
        store.commit([Record("restapi", "a1", {"v": 3}, version=read.version)])
    latest = store.get("restapi", "a1")
    assert latest is not None and latest.body == {"v": 2} and latest.version == 2


def test_creating_an_existing_record_conflicts(store: ConfigStore) -> None:
    store.commit([Record("restapi", "a1", {"v": 1})])
    with pytest.raises(ConcurrentModification):
        store.commit([Record("restapi", "a1", {"v": 9})])


def test_a_failed_commit_writes_nothing(store: ConfigStore) -> None:
    store.commit([Record("restapi", "a1", {"v": 1})])
    with pytest.raises(ConcurrentModification):
        store.commit(
            [Record("deployment", "d1", {"frozen": True}, "a1"), Record("restapi", "a1", {"v": 2})]
        )
    assert store.get("deployment", "d1", "a1") is None
    record = store.get("restapi", "a1")
    assert record is not None and record.body == {"v": 1}


def test_deletes_and_puts_land_together(store: ConfigStore) -> None:
    store.commit([Record("restapi", "a1", {}), Record("stage", "dev", {}, "a1")])
    store.commit([Record("restapi", "a2", {})], [Delete("stage", "dev", "a1")])
    assert store.get("stage", "dev", "a1") is None
    assert store.get("restapi", "a2") is not None


def test_delete_children_lists_everything_under_a_parent(store: ConfigStore) -> None:
    store.commit(
        [
            Record("restapi", "a1", {}),
            Record("stage", "dev", {}, "a1"),
            Record("deployment", "d1", {}, "a1"),
            Record("stage", "dev", {}, "a2"),
        ]
    )
    store.commit([], store.delete_children("a1"))
    assert store.list("stage", "a1") == [] and store.list("deployment", "a1") == []
    assert len(store.list("stage", "a2")) == 1
    assert store.get("restapi", "a1") is not None


def test_blobs_are_content_addressed(store: ConfigStore) -> None:
    digest = store.put_blob(b"zip bytes")
    assert digest == "5b7a2754b389130e138d57ba83f1eae7f05a41c66becacfa2dd2060143ae66db"
    assert store.put_blob(b"zip bytes") == digest
    assert store.get_blob(digest) == b"zip bytes"
    assert store.get_blob("0" * 64) is None


def test_sqlite_keeps_everything_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    first = SqliteStore(path)
    first.commit([Record("restapi", "a1", {"name": "kept"})])
    digest = first.put_blob(b"code")
    first.close()
    second = SqliteStore(path)
    record = second.get("restapi", "a1")
    assert record is not None and record.body == {"name": "kept"} and record.version == 1
    assert second.get_blob(digest) == b"code"
    second.close()
