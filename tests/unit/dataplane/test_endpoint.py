"""Which API and stage a request is for (host- and path-based invoke URLs)."""

from __future__ import annotations

from tollway.dataplane.endpoint import Endpoint, resolve


def test_host_based() -> None:
    assert resolve("abc123.execute-api.us-east-1.amazonaws.com", "/prod/pets/1") == Endpoint(
        "abc123", "prod", "/pets/1", "/prod/pets/1"
    )
    assert resolve("ABC123.execute-api.localhost:8080", "/dev") == Endpoint(
        "abc123", "dev", "/", "/dev"
    )


def test_path_based() -> None:
    assert resolve("127.0.0.1:8080", "/_aws/execute-api/abc123/dev/pets/") == Endpoint(
        "abc123", "dev", "/pets/", "/dev/pets/"
    )


def test_leading_slashes_after_the_stage_collapse_but_the_context_path_keeps_them() -> None:
    assert resolve("a1.execute-api.x", "/stage//proxy-value") == Endpoint(
        "a1", "stage", "/proxy-value", "/stage//proxy-value"
    )


def test_other_hosts_are_not_endpoints() -> None:
    assert resolve("127.0.0.1:8080", "/prod/pets") is None
    assert resolve("example.com", "/_aws/execute-api/") is None
