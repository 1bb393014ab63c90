"""Deployment packages: unpacking a function's .zip into the code cache.

Tollway's counterpart of what Lambda does with the ZipFile of CreateFunction and
UpdateFunctionCode: the package becomes the read-only ``/var/task`` (here
``cache_dir/<sha256>/``). Packages are content-addressed, so the same zip is unpacked once
and every revision that ships it shares the directory. Limits and messages are Lambda's.
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

UNZIPPED_LIMIT = 262_144_000  # bytes; Lambda's limit for an unzipped deployment package


def unpack_zip(data: bytes, cache_dir: Path) -> Path:
    """Unpack a deployment package into ``cache_dir/<sha256 of data>/`` and return that path.

    Idempotent: a package already unpacked is returned as it is. The files are written to a
    temporary directory beside the target and renamed into place, so a reader never sees a
    half-unpacked package and concurrent unpackers agree. A package that is not a zip, that
    unzips beyond Lambda's limit or that has an entry outside its directory (``../x``,
    ``/etc/x``) raises ValueError and leaves nothing behind.
    """
    target = cache_dir / hashlib.sha256(data).hexdigest()
    if target.is_dir():
        return target
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from None
    with archive:
        members = archive.infolist()
        for member in members:
            _relative_path(member.filename)
        if sum(member.file_size for member in members) > UNZIPPED_LIMIT:
            raise ValueError(f"Unzipped size must be smaller than {UNZIPPED_LIMIT} bytes")
        cache_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=cache_dir))
        try:
            for member in members:
                _extract(archive, member, staging)
            os.rename(staging, target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if target.is_dir():  # another unpacker won the race; its copy is the same
                return target
            raise
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return target


def _relative_path(name: str) -> str:
    """The entry's path inside the package, normalized; ValueError if it leads outside."""
    path = posixpath.normpath(name)
    if path == ".." or path.startswith(("/", "../")):
        raise ValueError(f"Zip entry {name!r} points outside the package directory")
    return path


def _extract(archive: zipfile.ZipFile, member: zipfile.ZipInfo, root: Path) -> None:
    destination = root / _relative_path(member.filename)
    if member.is_dir():
        destination.mkdir(parents=True, exist_ok=True)
        return
    destination.parent.mkdir(parents=True, exist_ok=True)
    with archive.open(member) as source, destination.open("wb") as sink:
        shutil.copyfileobj(source, sink, 1 << 20)
    # Keep executables executable (bundled binaries), as Lambda keeps the zip's modes.
    mode = member.external_attr >> 16
    if mode & 0o111:
        destination.chmod(stat.S_IMODE(mode) | 0o644)
