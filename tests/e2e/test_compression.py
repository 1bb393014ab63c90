"""Payload compression end to end: `minimumCompressionSize` on a REST API (spec §4.7)."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, add_method, add_path, deploy, mock_method

BIG = json.dumps({"items": [{"id": n, "name": f"item number {n}"} for n in range(40)]})
SMALL = '{"ok": true}'


def build(apigw: Any, upstream: str, **api: Any) -> str:
    api_id = apigw.create_rest_api(name="compression", **api)["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    mock_method(apigw, api_id, add_path(apigw, api_id, root, "/big"), "GET", BIG)
    mock_method(apigw, api_id, add_path(apigw, api_id, root, "/small"), "GET", SMALL)
    echo = add_path(apigw, api_id, root, "/echo")
    add_method(
        apigw,
        api_id,
        echo,
        "POST",
        {"type": "HTTP_PROXY", "integrationHttpMethod": "POST", "uri": f"{upstream}/echo"},
    )
    deploy(apigw, api_id)
    return api_id


@pytest.fixture(scope="module")
def compressing(apigw: Any, upstream: str) -> str:
    return build(apigw, upstream, minimumCompressionSize=100)


@pytest.fixture(scope="module")
def plain(apigw: Any, upstream: str) -> str:
    return build(apigw, upstream)


def raw_get(
    http: httpx.Client, url: str, accept_encoding: str | None
) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent (not decoded); None: no Accept-Encoding at all."""
    request = http.build_request("GET", url)
    if accept_encoding is None:
        del request.headers["Accept-Encoding"]  # httpx sends "gzip, deflate" by default
    else:
        request.headers["Accept-Encoding"] = accept_encoding
    response = http.send(request, stream=True)
    try:
        return response, b"".join(response.iter_raw())
    finally:
        response.close()


@pytest.mark.parametrize(
    ("accept_encoding", "encoding", "decode"),
    [
        ("gzip", "gzip", gzip.decompress),
        ("deflate", "deflate", zlib.decompress),
        ("deflate, gzip;q=0.5", "gzip", gzip.decompress),  # gzip preferred when both are allowed
        ("br, deflate", "deflate", zlib.decompress),
    ],
)
def test_a_large_response_is_compressed_as_the_client_accepts(
    server: Server,
    compressing: str,
    http: httpx.Client,
    accept_encoding: str,
    encoding: str,
    decode: Any,
) -> None:
    response, raw = raw_get(http, server.url(compressing, "test", "/big"), accept_encoding)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == encoding
    assert decode(raw).decode() == BIG
    assert int(response.headers["content-length"]) == len(raw) < len(BIG)


@pytest.mark.parametrize(
    ("path", "accept_encoding"),
    [("/small", "gzip"), ("/big", None), ("/big", "br"), ("/big", "gzip;q=0, identity")],
)
def test_what_is_not_compressed(
    server: Server, compressing: str, http: httpx.Client, path: str, accept_encoding: str | None
) -> None:
    response, raw = raw_get(http, server.url(compressing, "test", path), accept_encoding)
    assert "content-encoding" not in response.headers
    assert raw.decode() == (BIG if path == "/big" else SMALL)


def test_without_minimum_compression_size_nothing_is_compressed(
    server: Server, plain: str, http: httpx.Client
) -> None:
    response, raw = raw_get(http, server.url(plain, "test", "/big"), "gzip")
    assert "content-encoding" not in response.headers
    assert raw.decode() == BIG


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("identity", lambda b: b)],
)
def test_a_compressed_request_body_reaches_the_backend_decoded(
    server: Server, compressing: str, http: httpx.Client, encoding: str, encode: Any
) -> None:
    body = b'{"order": "large enough to matter"}'
    response = http.post(
        server.url(compressing, "test", "/echo"),
        content=encode(body),
        headers={"Content-Encoding": encoding, "Accept-Encoding": "identity"},
    )
    assert response.status_code == 200
    assert response.json()["body"] == body.decode()


def test_a_body_that_does_not_decode_is_a_400(
    server: Server, compressing: str, http: httpx.Client
) -> None:
    response = http.post(
        server.url(compressing, "test", "/echo"),
        content=b"not gzip at all",
        headers={"Content-Encoding": "gzip", "Accept-Encoding": "identity"},
    )
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("Unable to decode the request body: the body is not valid gzip")


def test_without_the_setting_a_compressed_body_passes_as_it_is(
    server: Server, plain: str, http: httpx.Client
) -> None:
    compressed = gzip.compress(b"raw bytes")
    response = http.post(
        server.url(plain, "test", "/echo"),
        content=compressed,
        headers={"Content-Encoding": "gzip", "Accept-Encoding": "identity"},
    )
    assert response.status_code == 200
    # Not decoded: the upstream got gzip's bytes (shown here as text with replacements).
    assert response.json()["body"] == compressed.decode("utf-8", "replace")
