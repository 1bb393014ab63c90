"""binaryMediaTypes matching and contentHandling conversions (spec §4.7)."""

from __future__ import annotations

import pytest

from tollway.dataplane.binary import (
    CONVERT_TO_BINARY,
    CONVERT_TO_TEXT,
    NO_MEDIA_TYPES,
    Conversion,
    MediaTypes,
    PayloadHandling,
    decode,
    decode_base64,
    encode,
    first_media_type,
    payload_handling,
)
from tollway.dataplane.errors import ApiConfigurationError


@pytest.mark.parametrize(
    ("header", "patterns", "expected"),
    [
        ("image/png", ["image/png"], True),
        ("IMAGE/PNG", ["image/png"], True),
        ("image/png", ["Image/PNG"], True),
        ("image/png; q=1", ["image/*"], True),
        ("image/webp", ["image/*"], True),
        ("imagex/png", ["image/*"], False),
        ("text/plain", ["*/*"], True),
        ("application/json", ["image/png"], False),
        ("application/vnd.api+json", ["application/*+json"], True),
        ("application/json", ["application/*+json"], False),
        (None, ["*/*"], False),
        ("", ["*/*"], False),
        ("image/png", [], False),
        # Only the first media type of an Accept list counts.
        ("text/html, image/png", ["image/png"], False),
        ("image/png, text/html;q=0.9", ["image/png"], True),
        ("image/webp,image/*,*/*;q=0.8", ["image/png"], False),
    ],
)
def test_media_types_match_the_first_type_with_wildcards(
    header: str | None, patterns: list[str], expected: bool
) -> None:
    assert MediaTypes(patterns).matches(header) is expected


def test_an_empty_list_is_false_and_matches_nothing() -> None:
    assert not NO_MEDIA_TYPES
    assert not MediaTypes([])
    assert MediaTypes(["image/png"])
    assert not NO_MEDIA_TYPES.matches("image/png")


def test_first_media_type() -> None:
    assert first_media_type(" Image/PNG ; charset=x, text/plain") == "image/png"
    assert first_media_type(None) == ""


def test_nothing_to_compile_without_media_types_or_content_handling() -> None:
    assert payload_handling(NO_MEDIA_TYPES, None) is None
    assert payload_handling(NO_MEDIA_TYPES, CONVERT_TO_TEXT) is not None
    assert payload_handling(MediaTypes(["image/png"]), None) is not None


BIN = MediaTypes(["image/png"])


# Request side: (binaryMediaTypes, Content-Type, contentHandling) -> conversion, every row of
# the request matrix of "Content type conversions in API Gateway".
@pytest.mark.parametrize(
    ("media_types", "content_type", "handling", "expected"),
    [
        (NO_MEDIA_TYPES, "text/plain", None, Conversion.TEXT),
        (NO_MEDIA_TYPES, "text/plain", CONVERT_TO_BINARY, Conversion.DECODE),
        (NO_MEDIA_TYPES, "text/plain", CONVERT_TO_TEXT, Conversion.TEXT),
        (BIN, "text/plain", None, Conversion.TEXT),
        (BIN, "text/plain", CONVERT_TO_BINARY, Conversion.DECODE),
        (BIN, "text/plain", CONVERT_TO_TEXT, Conversion.TEXT),
        (BIN, "image/png", None, Conversion.BINARY),
        (BIN, "image/png", CONVERT_TO_BINARY, Conversion.BINARY),
        (BIN, "image/png", CONVERT_TO_TEXT, Conversion.ENCODE),
    ],
)
def test_request_matrix(
    media_types: MediaTypes, content_type: str, handling: str | None, expected: Conversion
) -> None:
    assert PayloadHandling(media_types, handling).request(content_type) is expected


# Response side: (binaryMediaTypes, endpoint Content-Type, Accept, contentHandling) ->
# conversion, every row of the response matrix.
@pytest.mark.parametrize(
    ("media_types", "content_type", "accept", "handling", "expected"),
    [
        (NO_MEDIA_TYPES, "image/png", "text/plain", None, Conversion.TEXT),
        (NO_MEDIA_TYPES, "image/png", "text/plain", CONVERT_TO_BINARY, Conversion.DECODE),
        (NO_MEDIA_TYPES, "image/png", "text/plain", CONVERT_TO_TEXT, Conversion.TEXT),
        (BIN, "text/plain", "text/plain", None, Conversion.TEXT),
        (BIN, "text/plain", "text/plain", CONVERT_TO_TEXT, Conversion.TEXT),
        (BIN, "text/plain", "text/plain", CONVERT_TO_BINARY, Conversion.DECODE),
        (BIN, "text/plain", "image/png", None, Conversion.DECODE),
        (BIN, "text/plain", "image/png", CONVERT_TO_BINARY, Conversion.DECODE),
        (BIN, "text/plain", "image/png", CONVERT_TO_TEXT, Conversion.TEXT),
        (BIN, "image/png", "text/plain", None, Conversion.ENCODE),
        (BIN, "image/png", "text/plain", CONVERT_TO_TEXT, Conversion.ENCODE),
        (BIN, "image/png", "text/plain", CONVERT_TO_BINARY, Conversion.BINARY),
        (BIN, "image/png", "image/png", None, Conversion.BINARY),
        (BIN, "image/png", "image/png", CONVERT_TO_BINARY, Conversion.BINARY),
        (BIN, "image/png", "image/png", CONVERT_TO_TEXT, Conversion.ENCODE),
    ],
)
def test_response_matrix(
    media_types: MediaTypes,
    content_type: str,
    accept: str,
    handling: str | None,
    expected: Conversion,
) -> None:
    assert PayloadHandling(media_types, handling).response(content_type, accept) is expected


def test_encode_and_decode_are_byte_exact() -> None:
    data = bytes(range(256))
    text = encode(data, Conversion.ENCODE)
    assert (
        text
        == b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4"
        + (
            b"OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3"
            b"eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2"
            b"t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T1"
            b"9vf4+fr7/P3+/w=="
        )
    )
    assert decode(text, Conversion.DECODE, "payload") == data
    for unchanged in (Conversion.TEXT, Conversion.BINARY):
        assert encode(data, unchanged) is data
        assert decode(data, unchanged, "payload") is data


def test_line_broken_base64_decodes() -> None:
    assert decode_base64(b"aGVs\r\nbG8=\n", "payload") == b"hello"


@pytest.mark.parametrize("text", [b"not base64!", b"aGVsbG8", b"\xff\xfe"])
def test_text_that_is_not_base64_is_a_configuration_error(text: bytes) -> None:
    with pytest.raises(ApiConfigurationError) as info:
        decode_base64(text, "response payload")
    assert info.value.response_type == "API_CONFIGURATION_ERROR"
    assert info.value.log is not None
    assert info.value.log.startswith(
        "Execution failed due to configuration error: Unable to base64-decode the response "
        "payload for conversion to binary"
    )
