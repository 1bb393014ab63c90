"""The stage cache's CacheHitCount and CacheMissCount, in Prometheus' text format.

AWS counterpart: the CloudWatch metrics `CacheHitCount` and `CacheMissCount` (namespace
AWS/ApiGateway, dimensions ApiName and Stage; spec §11.6). Tollway serves them on the admin
listener at `GET /_tollway/metrics`, one counter pair per stage this process has served from
a cache, labelled with the API id and the stage. With Redis each gateway process counts what
it served; sum them across processes.
"""

from __future__ import annotations

from tollway.state.response_cache import ResponseCache

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def render(cache: ResponseCache | None) -> bytes:
    hits = [
        "# HELP tollway_cache_hit_count_total Requests served from the stage cache "
        "(CacheHitCount).",
        "# TYPE tollway_cache_hit_count_total counter",
    ]
    misses = [
        "# HELP tollway_cache_miss_count_total Requests of cached methods served by the "
        "integration (CacheMissCount).",
        "# TYPE tollway_cache_miss_count_total counter",
    ]
    for api_id, stage, hit, miss in cache.counters() if cache is not None else ():
        labels = f'{{api_id="{_escape(api_id)}",stage="{_escape(stage)}"}}'
        hits.append(f"tollway_cache_hit_count_total{labels} {hit}")
        misses.append(f"tollway_cache_miss_count_total{labels} {miss}")
    return ("\n".join(hits + misses) + "\n").encode()


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
