"""The custom domain table (dataplane/domains.py): compiled from the store, longest mapping
key first, on segment boundaries."""

from __future__ import annotations

from pathlib import Path

from tollway.dataplane.domains import DomainTable, route
from tollway.dataplane.endpoint import Endpoint
from tollway.model.domains import API_MAPPING_KIND, DOMAIN_NAME_KIND
from tollway.state.changes import DOMAINS_CHANGED
from tollway.store import Record
from tollway.store.sqlite import SqliteStore


def _table(tmp_path: Path, mappings: dict[str, tuple[str, str]], **domain: object) -> DomainTable:
    store = SqliteStore(tmp_path / "store.db")
    body = {"DomainName": "Api.Example.com", **domain}
    puts = [Record(DOMAIN_NAME_KIND, "Api.Example.com", body)]
    for i, (key, (api, stage)) in enumerate(mappings.items()):
        mapping = {"ApiMappingId": f"m{i}", "ApiMappingKey": key, "ApiId": api, "Stage": stage}
        puts.append(Record(API_MAPPING_KIND, f"m{i}", mapping, "Api.Example.com"))
    store.commit(puts)
    table = DomainTable(store)
    table.changed("someapi123")  # another API's change: not the domains'
    assert table.domains == {}
    table.changed(DOMAINS_CHANGED)
    return table


def test_longest_key_wins_on_segment_boundaries(tmp_path: Path) -> None:
    table = _table(
        tmp_path,
        {"": ("root", "prod"), "orders": ("orders", "v1"), "orders/v2": ("orders2", "$default")},
    )
    domain = table.find("api.example.COM:443")
    assert domain is not None and not domain.mtls
    cases = {
        "/orders/v2/items": Endpoint("orders2", "$default", "/items", "/orders/v2/items"),
        "/orders/v2": Endpoint("orders2", "$default", "/", "/orders/v2"),
        "/orders/v3": Endpoint("orders", "v1", "/v3", "/orders/v3"),
        "/orders": Endpoint("orders", "v1", "/", "/orders"),
        "/ordersx": Endpoint("root", "prod", "/ordersx", "/ordersx"),
        "/": Endpoint("root", "prod", "/", "/"),
        "//a": Endpoint("root", "prod", "/a", "//a"),
    }
    for path, expected in cases.items():
        match = route(domain, path)
        assert match is not None and match.endpoint == expected, path
    assert route(domain, "/orders/v2/x") is not None
    assert route(domain, "/orders/v2/x").base_path == "orders/v2"  # type: ignore[union-attr]
    assert table.find("other.example.com") is None


def test_no_match_and_stage_from_the_url(tmp_path: Path) -> None:
    table = _table(
        tmp_path,
        {"a": ("api", "prod"), "s": ("api", "")},
        MutualTlsAuthentication={"TruststoreUri": "s3://b/k"},
    )
    domain = table.find("api.example.com")
    assert domain is not None and domain.mtls
    assert route(domain, "/") is None
    assert route(domain, "/b/a") is None
    match = route(domain, "/s/beta/x/y")
    assert match is not None
    assert match.endpoint == Endpoint("api", "beta", "/x/y", "/s/beta/x/y")
