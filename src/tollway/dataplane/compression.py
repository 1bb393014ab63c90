"""Content encoding of REST payloads: `minimumCompressionSize` (spec §4.7).

AWS counterpart: API Gateway's payload compression. With the API's `minimumCompressionSize`
set (0 to 10485760 bytes; unset disables it), a request body sent with `Content-Encoding:
gzip` or `deflate` is decoded before anything reads it (validation, templates, integrations),
and a response of at least that many bytes is compressed when the client's `Accept-Encoding`
allows gzip or deflate (gzip preferred) and the response is not encoded already. Without the
setting, bodies pass as they are, in both directions.

A request body that does not decode is refused with 400 and a message of Tollway's (AWS's
wording is not recorded); a decoded body is held to the same 10 MB limit as any other.
"""

from __future__ import annotations

import zlib

from tollway.dataplane.chain import HandlerChain
from tollway.dataplane.context import Response, RestContext
from tollway.dataplane.errors import GatewayError, RequestTooLarge

MAX_DECODED_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


class UndecodableBody(GatewayError):
    response_type = "DEFAULT_4XX"
    status = 400


def _decoder(encoding: str) -> zlib._Decompress | None:
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()  # zlib-wrapped, as HTTP's deflate is
    return None


def decode_body(body: bytes, encodings: str) -> bytes:
    """`body` with its `Content-Encoding`s undone, last applied first; ValueError if one does
    not decode, RequestTooLarge past 10 MB."""
    for encoding in reversed([e.strip().lower() for e in encodings.split(",") if e.strip()]):
        if encoding == "identity":
            continue
        decoder = _decoder(encoding)
        if decoder is None:
            raise ValueError(f"unsupported Content-Encoding {encoding}")
        try:
            body = decoder.decompress(body, MAX_DECODED_BYTES + 1)
        except zlib.error as e:
            raise ValueError(f"the body is not valid {encoding}: {e}") from None
        if len(body) > MAX_DECODED_BYTES:
            raise RequestTooLarge()
        if not decoder.eof:
            raise ValueError(f"the body is truncated {encoding}")
    return body


class RequestDecoding:
    """First stage: decodes a compressed request body when the API enables compression."""

    async def __call__(self, chain: HandlerChain, ctx: RestContext) -> None:
        if ctx.stage.minimum_compression_size is None or not ctx.request.body:
            return
        encodings = ctx.request.header("Content-Encoding")
        if not encodings:
            return
        try:
            ctx.request.body = decode_body(ctx.request.body, encodings)
        except ValueError as e:
            raise UndecodableBody(f"Unable to decode the request body: {e}") from None
        ctx.integration_body = ctx.request.body


def _accepted(accept_encoding: str) -> str | None:
    """gzip or deflate if the client accepts it (q > 0), gzip first."""
    accepted: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        accepted[name.strip().lower()] = quality
    for encoding in ("gzip", "deflate"):
        if accepted.get(encoding, accepted.get("*", 0.0)) > 0:
            return encoding
    return None


def compress_response(response: Response, accept_encoding: str | None, minimum: int) -> Response:
    """The response compressed for the client, when it is large enough and accepted."""
    if not accept_encoding or len(response.body) < minimum or not response.body:
        return response
    if any(name.lower() == "content-encoding" for name, _ in response.headers):
        return response
    encoding = _accepted(accept_encoding)
    if encoding is None:
        return response
    if encoding == "gzip":
        compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    else:
        compressor = zlib.compressobj(6)
    body = compressor.compress(response.body) + compressor.flush()
    headers = [*response.headers, ("Content-Encoding", encoding)]
    return Response(response.status, headers, body)
