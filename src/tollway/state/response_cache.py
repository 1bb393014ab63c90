"""The stage cache: responses kept for their TTL, per REST API stage (API Gateway's API cache).

AWS counterpart: a stage's cache cluster (`cacheClusterEnabled`, `cacheClusterSize`) holding
the responses of its cached methods (spec §8). The data plane asks a stage's cache for a key
it built (dataplane/caching.py); this module only stores.

- `ResponseCache.stage(api_id, stage, capacity)` is the handle a compiled stage keeps: the
  hot path calls `get`/`put` on it without looking the stage up again. A stage keeps its
  handle (and its entries) across redeployments; the deployment id is part of each key.
- Entries larger than `MAX_ENTRY_BYTES` (1,048,576, AWS's limit) are not stored.
- `flush(api_id, stage)` (FlushStageCache) forgets every entry of one stage in O(1): the
  memory cache drops the stage's table, Redis moves the stage to a new generation.
- Each handle counts its hits and misses (`CacheHitCount`, `CacheMissCount`), read by
  `/_tollway/metrics` on the admin listener.

`MemoryResponseCache` bounds each stage by bytes — the stage's cacheClusterSize — evicting the
least recently used entries; resizing a stage empties it, as on AWS.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

MAX_ENTRY_BYTES = 1_048_576
GIB = 1 << 30
# What each header costs beside its text in the byte count (a rough per-object overhead).
_HEADER_OVERHEAD = 8


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """A response as the method answered it, before the per-request headers
    (`x-amzn-RequestId`, ...) are added: what a hit sends again."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) + _HEADER_OVERHEAD for k, v in self.headers)


class CacheUnavailable(RuntimeError):
    """The shared cache cannot be reached (FlushStageCache says so instead of pretending)."""


def capacity_bytes(cache_cluster_size: str | None) -> int:
    """A cacheClusterSize (GB, `"0.5"` .. `"237"`) as a byte budget."""
    return int(float(cache_cluster_size or "0.5") * GIB)


class StageCache(Protocol):
    """One stage's cache: what a compiled stage holds."""

    hits: int
    misses: int

    async def get(self, key: str) -> CachedResponse | None: ...

    async def put(self, key: str, response: CachedResponse, ttl: int) -> None: ...


class ResponseCache(Protocol):
    def stage(self, api_id: str, stage: str, capacity: int) -> StageCache:
        """The stage's handle, the same one on every call (a new capacity empties it)."""
        ...

    async def flush(self, api_id: str, stage: str) -> None:
        """Forget every entry of one stage (FlushStageCache)."""
        ...

    def counters(self) -> Iterator[tuple[str, str, int, int]]:
        """(api_id, stage, hits, misses) of every stage this process has served."""
        ...


class MemoryStageCache:
    """A stage's entries in process memory, least recently used evicted beyond `capacity`."""

    __slots__ = ("capacity", "hits", "misses", "_entries", "_bytes", "_clock")

    def __init__(self, capacity: int, clock: Callable[[], float]) -> None:
        self.capacity = capacity
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, tuple[float, CachedResponse]] = OrderedDict()
        self._bytes = 0
        self._clock = clock

    async def get(self, key: str) -> CachedResponse | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        expires, response = entry
        if expires <= self._clock():
            self._drop(key)
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return response

    async def put(self, key: str, response: CachedResponse, ttl: int) -> None:
        size = response.size
        if ttl <= 0 or size > MAX_ENTRY_BYTES or size > self.capacity:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = (self._clock() + ttl, response)
        self._bytes += size
        while self._bytes > self.capacity:
            _, (_, evicted) = self._entries.popitem(last=False)
            self._bytes -= evicted.size

    def clear(self) -> None:
        self._entries = OrderedDict()
        self._bytes = 0

    def _drop(self, key: str) -> None:
        _, response = self._entries.pop(key)
        self._bytes -= response.size

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes_used(self) -> int:
        return self._bytes


class MemoryResponseCache:
    """Every stage's cache in this process's memory (the default)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._stages: dict[tuple[str, str], MemoryStageCache] = {}
        self._clock = clock

    def stage(self, api_id: str, stage: str, capacity: int) -> MemoryStageCache:
        handle = self._stages.get((api_id, stage))
        if handle is None:
            handle = self._stages[(api_id, stage)] = MemoryStageCache(capacity, self._clock)
        elif handle.capacity != capacity:
            # AWS replaces a resized cache cluster: its entries are gone.
            handle.capacity = capacity
            handle.clear()
        return handle

    async def flush(self, api_id: str, stage: str) -> None:
        handle = self._stages.get((api_id, stage))
        if handle is not None:
            handle.clear()

    def counters(self) -> Iterator[tuple[str, str, int, int]]:
        for (api_id, stage), handle in list(self._stages.items()):
            yield api_id, stage, handle.hits, handle.misses
