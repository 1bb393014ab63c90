"""Custom domain names on the gateway (spec §1.1): which API and stage a request to a custom
domain is for.

AWS counterpart: a custom domain name's API mappings (REST base path mappings are the same
records, model/domains.py). The request's Host (port stripped, case folded) names the
domain; the mapping whose key is the longest prefix of the path, on segment boundaries,
selects the API and stage (`orders/v2` before `orders` before the empty key `(none)`); the
rest of the path is what the API routes, with no stage segment. A REST mapping without a
stage takes the stage from the next segment, as AWS documents for base path mappings with no
stage.

What the API sees: the resource path is the rest; `$context.path`, the Lambda proxy event's
`path` and `requestContext.path` (REST) and `rawPath` (HTTP APIs) are the path as received,
the base path included (spec §2.1); `$context.domainName` is the domain.

Answers of the domain itself (UNCONFIRMED, chosen from what AWS users report): a path no
mapping matches gets 403 `{"message":"Forbidden"}`; `/ping` and `/sping` are reserved for
health checks (spec §1.1) and answer 200 with an empty body.

The table is compiled from the store when the control plane publishes `DOMAINS_CHANGED` and
swapped in whole; a request costs one dict lookup when any domain exists, nothing otherwise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NamedTuple

from tollway.dataplane.endpoint import Endpoint
from tollway.model.domains import API_MAPPING_KIND, DOMAIN_NAME_KIND, has_mtls
from tollway.state.changes import DOMAINS_CHANGED
from tollway.store import ConfigStore

log = logging.getLogger("tollway.dataplane")

RESERVED_PATHS = frozenset(("/ping", "/sping"))


class Mapping(NamedTuple):
    prefix: str  # "/orders/v2" for the key "orders/v2"; "" for the empty key
    api_id: str
    stage: str  # "" for a REST base path mapping that leaves the stage to the URL


@dataclass(frozen=True, slots=True)
class CompiledDomain:
    name: str
    mappings: tuple[Mapping, ...]  # longest prefix first
    mtls: bool  # mutual TLS: served only to clients verified against its truststore


class DomainMatch(NamedTuple):
    endpoint: Endpoint
    base_path: str  # the mapping key matched ("" for `(none)`)


class DomainTable:
    """Host name -> compiled domain, reloaded on `DOMAINS_CHANGED`."""

    def __init__(self, store: ConfigStore) -> None:
        self._store = store
        self.domains: dict[str, CompiledDomain] = {}  # empty: requests skip the lookup

    def changed(self, change: str) -> None:
        if change == DOMAINS_CHANGED:
            self.load()

    def load(self) -> None:
        domains = {}
        for record in self._store.list(DOMAIN_NAME_KIND):
            mappings = [
                Mapping(
                    "/" + key if (key := m.body.get("ApiMappingKey") or "") else "",
                    m.body["ApiId"],
                    m.body.get("Stage") or "",
                )
                for m in self._store.list(API_MAPPING_KIND, record.key)
            ]
            mappings.sort(key=lambda m: len(m.prefix), reverse=True)
            name = record.key.lower()
            domains[name] = CompiledDomain(name, tuple(mappings), has_mtls(record.body))
        self.domains = domains

    def find(self, host: str) -> CompiledDomain | None:
        return self.domains.get(host.partition(":")[0].lower())


def route(domain: CompiledDomain, raw_path: str) -> DomainMatch | None:
    """The API, stage and path the domain's mappings give `raw_path`, or None."""
    for mapping in domain.mappings:
        prefix = mapping.prefix
        if prefix and not (
            raw_path.startswith(prefix) and raw_path[len(prefix) : len(prefix) + 1] in ("", "/")
        ):
            continue
        rest = raw_path[len(prefix) :] or "/"
        base_path = prefix[1:]
        if mapping.stage:
            path = "/" + rest.lstrip("/")
            return DomainMatch(Endpoint(mapping.api_id, mapping.stage, path, raw_path), base_path)
        stage, slash, after = rest[1:].partition("/")
        path = "/" + (slash + after).lstrip("/")
        return DomainMatch(Endpoint(mapping.api_id, stage, path, raw_path), base_path)
    return None
