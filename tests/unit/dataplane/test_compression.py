"""Request body decoding and response compression (minimumCompressionSize)."""

from __future__ import annotations

import gzip
import zlib

import pytest

from tollway.dataplane.compression import MAX_DECODED_BYTES, compress_response, decode_body
from tollway.dataplane.context import Response
from tollway.dataplane.errors import RequestTooLarge


def test_encodings_are_undone_last_applied_first() -> None:
    body = gzip.compress(zlib.compress(b"payload"))  # deflate, then gzip
    assert decode_body(body, "deflate, gzip") == b"payload"
    assert decode_body(b"as is", "identity") == b"as is"


@pytest.mark.parametrize(
    ("body", "encoding", "error"),
    [
        (b"plain", "gzip", "the body is not valid gzip"),
        (gzip.compress(b"x" * 1000)[:20], "gzip", "the body is truncated gzip"),
        (b"x", "br", "unsupported Content-Encoding br"),
    ],
)
def test_bodies_that_do_not_decode(body: bytes, encoding: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        decode_body(body, encoding)


def test_a_decoded_body_over_10_mb_is_too_large() -> None:
    bomb = gzip.compress(b"\0" * (MAX_DECODED_BYTES + 10))
    with pytest.raises(RequestTooLarge):
        decode_body(bomb, "gzip")


def test_an_encoded_response_is_not_compressed_again() -> None:
    response = Response(200, [("Content-Encoding", "br")], b"x" * 500)
    assert compress_response(response, "gzip", 0) is response


def test_the_threshold_is_inclusive() -> None:
    response = Response(200, [], b"y" * 100)
    compressed = compress_response(response, "gzip", 100)
    assert ("Content-Encoding", "gzip") in compressed.headers
    assert gzip.decompress(compressed.body) == response.body
    assert compress_response(response, "gzip", 101) is response
