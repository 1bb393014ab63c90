"""Binary payloads: `binaryMediaTypes` and `contentHandling` (spec §4.7).

AWS counterpart: "Content type conversions in API Gateway". A payload is *binary* when its
media type is one of the API's `binaryMediaTypes` (the request's Content-Type on the request
side, the endpoint response's Content-Type on the response side); anything else is *text*.
What the other side gets is set by `contentHandling`: CONVERT_TO_BINARY wants binary,
CONVERT_TO_TEXT wants text, and unset wants what the client side is: on the request side the
payload stays as it is, on the response side it follows the FIRST media type of the request's
Accept (binary if that is one of `binaryMediaTypes`). Text becomes binary by base64 decoding
(a failure is a 500, API_CONFIGURATION_ERROR); binary becomes text by base64 encoding.

Mapping templates work on text only (AWS: a binary payload converted to text is seen by the
template as base64 through `$input.body`; a text-to-binary conversion takes no template):
binary-to-text is done before the template, text-to-binary after it (so a template may render
the base64 text that is then decoded, as MOCK integrations serving an image do), and a binary
payload that stays binary passes through without its template.

Everything here is compiled once per deployment: `MediaTypes` holds `binaryMediaTypes` as
sets, and a method or integration response with nothing to convert has no `PayloadHandling`
at all, so requests to APIs without binary settings do no work for them.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import translate

from tollway.dataplane.errors import ApiConfigurationError

CONVERT_TO_BINARY = "CONVERT_TO_BINARY"
CONVERT_TO_TEXT = "CONVERT_TO_TEXT"
_WHITESPACE = b" \t\r\n"


def first_media_type(value: str | None) -> str:
    """The first media type of a Content-Type/Accept value, lower-cased, parameters dropped;
    "" when there is none."""
    if not value:
        return ""
    return value.split(",", 1)[0].split(";", 1)[0].strip().lower()


class MediaTypes:
    """An API's `binaryMediaTypes`, compiled: exact types, `type/*`, `*/*`, and any other
    pattern with `*` (matched as a glob). Media types are compared lower-cased."""

    __slots__ = ("_any", "_exact", "_major", "_globs", "_patterns")

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns = tuple(patterns)
        self._any = False
        self._exact: set[str] = set()
        self._major: set[str] = set()  # "image" for image/*
        globs = []
        for raw in self._patterns:
            pattern = first_media_type(raw)
            if pattern in ("*/*", "*"):
                self._any = True
            elif "*" not in pattern:
                self._exact.add(pattern)
            elif pattern.endswith("/*") and "*" not in pattern[:-2]:
                self._major.add(pattern[:-2])
            else:
                globs.append(translate(pattern))
        self._globs = re.compile("|".join(globs)) if globs else None

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def __repr__(self) -> str:
        return f"MediaTypes({list(self._patterns)!r})"

    def matches(self, header: str | None) -> bool:
        """Whether the first media type of a Content-Type/Accept value is binary. A missing
        or empty header matches nothing, not even `*/*`."""
        media = first_media_type(header)
        if not media:
            return False
        if self._any or media in self._exact:
            return True
        if media.split("/", 1)[0] in self._major:
            return True
        return self._globs is not None and self._globs.match(media) is not None


NO_MEDIA_TYPES = MediaTypes(())


def decode_base64(text: bytes, what: str) -> bytes:
    """Base64 text as bytes (ASCII white space, such as line breaks, ignored); a payload
    that is not base64 is API Gateway's 500 configuration error."""
    try:
        return base64.b64decode(text.translate(None, _WHITESPACE), validate=True)
    except (binascii.Error, ValueError) as e:
        raise ApiConfigurationError(
            log=f"Execution failed due to configuration error: Unable to base64-decode the "
            f"{what} for conversion to binary ({e})"
        ) from None


class Conversion(enum.Enum):
    TEXT = "text"  # text stays text: templates apply
    BINARY = "binary"  # binary stays binary: passed through, no template
    ENCODE = "encode"  # binary to base64 text, before any template
    DECODE = "decode"  # text to binary, after any template


@dataclass(frozen=True, slots=True)
class PayloadHandling:
    """One side's conversion rule: the API's `binaryMediaTypes` with a `contentHandling`."""

    media_types: MediaTypes
    content_handling: str | None

    def conversion(self, payload_binary: bool, client_binary: bool) -> Conversion:
        """The conversion for a payload (binary or text) when, without contentHandling, the
        target is binary iff `client_binary`."""
        if self.content_handling == CONVERT_TO_BINARY:
            wanted = True
        elif self.content_handling == CONVERT_TO_TEXT:
            wanted = False
        else:
            wanted = client_binary
        if payload_binary:
            return Conversion.BINARY if wanted else Conversion.ENCODE
        return Conversion.DECODE if wanted else Conversion.TEXT

    def request(self, content_type: str | None) -> Conversion:
        """The request side: the method request's Content-Type says what the payload is."""
        binary = self.media_types.matches(content_type)
        return self.conversion(binary, binary)

    def response(self, content_type: str | None, accept: str | None) -> Conversion:
        """The response side: the endpoint's Content-Type says what the payload is, the
        client's first Accept type what it wants (unless contentHandling says)."""
        return self.conversion(
            self.media_types.matches(content_type), self.media_types.matches(accept)
        )


def payload_handling(
    media_types: MediaTypes, content_handling: str | None
) -> PayloadHandling | None:
    """The compiled rule, or None when there is nothing to convert: no binaryMediaTypes and
    no contentHandling (then every payload is text and stays text)."""
    if not media_types and content_handling is None:
        return None
    return PayloadHandling(media_types, content_handling)


def encode(body: bytes, conversion: Conversion) -> bytes:
    """The payload as the template (if any) sees it: base64 text for ENCODE."""
    return base64.b64encode(body) if conversion is Conversion.ENCODE else body


def decode(body: bytes, conversion: Conversion, what: str) -> bytes:
    """The payload after the template (if any): the binary decoded from it for DECODE."""
    return decode_base64(body, what) if conversion is Conversion.DECODE else body
