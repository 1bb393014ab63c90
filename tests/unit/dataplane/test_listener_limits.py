"""The listener's header and URL limits (dataplane/server.py, spec §12.3): which error a
request past each gets, from the count the protocol leaves in the scope or from the headers."""

from __future__ import annotations

from typing import Any

from tollway.dataplane.errors import HeadersTooLarge, UriTooLong
from tollway.dataplane.http_protocol import HEADER_BYTES
from tollway.dataplane.server import _http_api_limits, _rest_limits


def _scope(headers: list[tuple[bytes, bytes]], query: bytes = b"", **extra: Any) -> dict[str, Any]:
    return {"method": "GET", "headers": headers, "query_string": query, **extra}


def test_rest_counts_header_values_only() -> None:
    names = [(b"x-" + b"n" * 500, b"") for _ in range(30)]
    assert _rest_limits(_scope([*names, (b"x", b"v" * 10_240)]), b"/p") is None
    error = _rest_limits(_scope([(b"x", b"v" * 10_241)]), b"/p")
    assert isinstance(error, HeadersTooLarge)
    assert (error.status, error.message) == (431, "HTTP header is larger than 10240 bytes.")
    assert not error.customisable


def test_the_protocols_count_is_used_when_present() -> None:
    assert isinstance(_rest_limits(_scope([], **{HEADER_BYTES: 10_241}), b"/"), HeadersTooLarge)
    assert _rest_limits(_scope([(b"x", b"v" * 20_000)], **{HEADER_BYTES: 10}), b"/") is None


def test_rest_url_limit_counts_path_and_query() -> None:
    path = b"/" + b"p" * 5_000
    assert _rest_limits(_scope([], b"q" * 5_238), path) is None  # 5,001 + 1 + 5,238
    error = _rest_limits(_scope([], b"q" * 5_239), path)
    assert isinstance(error, UriTooLong)
    assert (error.status, error.message) == (414, "Request URI too long")


def test_http_apis_count_the_request_line_too() -> None:
    line = len("GET /p?q HTTP/1.1")
    at_limit = _scope([(b"x", b"v" * (10_240 - line))], b"q")
    assert _http_api_limits(at_limit, "/p") is None
    over = _scope([(b"x", b"v" * (10_241 - line))], b"q")
    assert isinstance(_http_api_limits(over, "/p"), HeadersTooLarge)
