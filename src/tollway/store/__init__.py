"""ConfigStore: where Tollway keeps what the control plane manages.

The store holds JSON documents ("records") addressed by (kind, parent, key), plus
content-addressed blobs (function code). It is deliberately small: the control plane decides
what a document contains; the store only guarantees that
- `commit` is atomic: every put and delete in one call lands, or none does (a crash in the
  middle of a write leaves no half-written API or deployment);
- writes are optimistic: a put carries the version it was read at and fails with
  `ConcurrentModification` if someone else wrote the record since (AWS's ConflictException
  "Unable to complete operation due to concurrent modification").

Kinds in use: `restapi` (a RestApiDefinition, parent ""), `deployment` and `stage` (parent = the
REST API id), `function` (parent ""), the account-wide `apikey` and `usageplan` (parent "") and
`usageplankey` (parent = the usage plan id, key = the API key id).

Implementations: `SqliteStore` (default, in the data directory). The same contract suite
(tests/store) runs against every implementation.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


class ConcurrentModification(Exception):
    """A record changed between read and write."""


@dataclass(frozen=True, slots=True)
class Record:
    kind: str
    key: str
    body: dict[str, Any]
    parent: str = ""
    # The version this record was read at; 0 for a record that must not exist yet.
    version: int = 0
    created: float = field(default=0.0, compare=False)


@dataclass(frozen=True, slots=True)
class Delete:
    kind: str
    key: str
    parent: str = ""


class ConfigStore(Protocol):
    def get(self, kind: str, key: str, parent: str = "") -> Record | None: ...

    def list(self, kind: str, parent: str | None = None) -> builtins.list[Record]:
        """Records of a kind (under one parent, or all), oldest first."""
        ...

    def commit(self, puts: Sequence[Record] = (), deletes: Sequence[Delete] = ()) -> None: ...

    def delete_children(self, parent: str) -> builtins.list[Delete]:
        """Deletes for every record under a parent, for use in a commit."""
        ...

    def put_blob(self, data: bytes) -> str:
        """Stores bytes and returns their SHA-256 (hex), the blob's address."""
        ...

    def get_blob(self, digest: str) -> bytes | None: ...

    def close(self) -> None: ...
