"""unpack_zip with real zip files and a real cache directory."""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from pathlib import Path

import pytest

from tollway.functions.code import unpack_zip


def make_zip(files: dict[str, bytes], modes: dict[str, int] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            if modes and name in modes:
                info.external_attr = modes[name] << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def test_unpacks_into_a_directory_named_by_sha256(tmp_path: Path) -> None:
    data = make_zip({"app.py": b"x = 1\n", "pkg/mod.py": b"y = 2\n"})
    target = unpack_zip(data, tmp_path / "cache")
    assert target == tmp_path / "cache" / hashlib.sha256(data).hexdigest()
    assert (target / "app.py").read_bytes() == b"x = 1\n"
    assert (target / "pkg" / "mod.py").read_bytes() == b"y = 2\n"
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [target.name]


def test_is_idempotent(tmp_path: Path) -> None:
    data = make_zip({"app.py": b"x = 1\n"})
    target = unpack_zip(data, tmp_path)
    (target / "app.py").write_bytes(b"changed")  # proves the second call does not unpack again
    assert unpack_zip(data, tmp_path) == target
    assert (target / "app.py").read_bytes() == b"changed"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_keeps_executables_executable(tmp_path: Path) -> None:
    data = make_zip({"bin/tool": b"#!/bin/sh\n", "app.py": b""}, {"bin/tool": 0o100755})
    target = unpack_zip(data, tmp_path)
    assert stat.S_IMODE((target / "bin" / "tool").stat().st_mode) == 0o755
    assert not (target / "app.py").stat().st_mode & 0o111


@pytest.mark.parametrize("name", ["../evil.py", "pkg/../../evil.py", "/etc/evil.py"])
def test_refuses_entries_outside_the_directory(tmp_path: Path, name: str) -> None:
    data = make_zip({"app.py": b"", name: b"evil"})
    with pytest.raises(ValueError) as raised:
        unpack_zip(data, tmp_path / "cache")
    assert str(raised.value) == f"Zip entry {name!r} points outside the package directory"
    assert not (tmp_path / "cache").exists()
    assert not (tmp_path / "evil.py").exists()


def test_allows_dot_dot_that_stays_inside(tmp_path: Path) -> None:
    target = unpack_zip(make_zip({"pkg/../app.py": b"ok"}), tmp_path)
    assert (target / "app.py").read_bytes() == b"ok"


def test_refuses_what_is_not_a_zip(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as raised:
        unpack_zip(b"not a zip", tmp_path)
    assert str(raised.value) == (
        "Could not unzip uploaded file. Please check your file, then try to upload again."
    )
    assert list(tmp_path.iterdir()) == []


def test_refuses_packages_over_the_unzipped_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tollway.functions.code.UNZIPPED_LIMIT", 10)
    with pytest.raises(ValueError) as raised:
        unpack_zip(make_zip({"a.py": b"12345", "b.py": b"123456"}), tmp_path)
    assert str(raised.value) == "Unzipped size must be smaller than 10 bytes"
    assert list(tmp_path.iterdir()) == []
