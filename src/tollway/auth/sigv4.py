"""AWS Signature Version 4 verification (AWS counterpart: the SigV4 check every AWS endpoint
runs before anything else; spec §5.3).

Both forms are verified: the `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
Signature=...` header (with `X-Amz-Date`, or `Date`), and the query string of a presigned URL
(`X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
`X-Amz-Signature`). `X-Amz-Security-Token` carries a temporary credential's token either way.

The canonical request is built as botocore builds it to sign (DESIGN: "botocore's signer to
sign; the same canonicalization to verify"): the path as received, dot segments and repeated
slashes removed, then percent-encoded once more (`%2F` becomes `%252F`, as AWS's non-S3
services expect); query parameters decoded and re-encoded with the RFC 3986 unreserved set,
sorted by name then value; the signed headers lower-cased, sorted, their values trimmed and
inner runs of spaces collapsed, repeated headers joined by commas; the payload hash is always
the SHA-256 of the body received (a tampered body fails whatever `X-Amz-Content-Sha256`
claims; `UNSIGNED-PAYLOAD` is not accepted).

The checks run in the order AWS's services run them, each with AWS's exception and message
(recorded against AWS by public emulators and quoted in users' reports):
1. no signature at all → MissingAuthenticationTokenException `Missing Authentication Token`;
2. a header or query string missing parts → IncompleteSignatureException, listing them; so
   is an `Authorization` header sent more than once, in any case (Tollway's wording: AWS's
   answer is not recorded);
3. a date that is not ISO 8601 basic format → IncompleteSignatureException;
4. a date more than 5 minutes off the server clock (or a presigned URL past X-Amz-Expires) →
   InvalidSignatureException `Signature expired: ...` / `Signature not yet current: ...`;
5. `host` not signed → InvalidSignatureException;
6. an algorithm other than AWS4-HMAC-SHA256 (SigV4a included) → IncompleteSignatureException;
7. a credential scope without 5 parts → IncompleteSignatureException; of the wrong region,
   service, terminator or date → InvalidSignatureException naming each;
8. an unknown access key → UnrecognizedClientException;
9. a signature that does not match → InvalidSignatureException, with the canonical request
   and string to sign AWS expected (as AWS appends them);
10. a missing or wrong session token → UnrecognizedClientException; an expired temporary
   credential → ExpiredTokenException.

A presigned URL's expiry message (`Signature expired: <X-Amz-Date> is now earlier than
<now - expires> (<now> - <expires> sec.)`) is Tollway's wording in AWS's style; AWS's is not
recorded. X-Amz-Expires may not exceed 7 days (604800 s); without it the URL is held to the
5-minute window of the header form.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import ClassVar, Protocol, TypeVar
from urllib.parse import quote, unquote_to_bytes

from botocore.utils import normalize_url_path

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
MAX_SKEW = timedelta(minutes=5)
MAX_EXPIRES = 604800  # seconds: a week
_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_UNRESERVED = "-_.~"
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)
_QUERY_PARTS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
)


class SignatureError(Exception):
    """A request whose signature does not authenticate it; `code` is AWS's exception name."""

    code: ClassVar[str] = "InvalidSignatureException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MissingAuthentication(SignatureError):
    code = "MissingAuthenticationTokenException"

    def __init__(self) -> None:
        super().__init__("Missing Authentication Token")


class IncompleteSignature(SignatureError):
    code = "IncompleteSignatureException"


class InvalidSignature(SignatureError):
    code = "InvalidSignatureException"


class UnrecognizedClient(SignatureError):
    code = "UnrecognizedClientException"


class ExpiredToken(SignatureError):
    code = "ExpiredTokenException"

    def __init__(self) -> None:
        super().__init__("The security token included in the request is expired")


class SignedRequest(Protocol):
    """What verification reads of a request (dataplane.context.Request has these)."""

    @property
    def method(self) -> str: ...
    @property
    def raw_path(self) -> str: ...  # as received, percent-encoding kept (latin-1 text)
    @property
    def query_string(self) -> str: ...  # raw, without "?"
    @property
    def headers(self) -> Sequence[tuple[str, str]]: ...
    @property
    def body(self) -> bytes: ...


class SigningKey(Protocol):
    """What verification needs of an access key (identities.Credential has these)."""

    @property
    def secret_access_key(self) -> str: ...
    @property
    def session_token(self) -> str | None: ...
    @property
    def expiration(self) -> datetime | None: ...


Key = TypeVar("Key", bound=SigningKey)


class _Parts:
    """The signature's parts, from the header or the query string."""

    __slots__ = ("algorithm", "credential", "expires", "signature", "signed_headers", "token")

    def __init__(self) -> None:
        self.algorithm = self.credential = self.signature = self.signed_headers = ""
        self.token: str | None = None
        self.expires: str | None = None  # presigned only


def verify(
    request: SignedRequest,
    lookup: Callable[[str], Key | None],
    *,
    region: str,
    services: Collection[str],
    now: datetime | None = None,
) -> Key:
    """The access key that signed `request`, or a SignatureError saying why none did.
    `services`: the service names the credential scope may name (the first is the one an
    error message names)."""
    now = now or datetime.now(UTC)
    headers = _header_index(request.headers)
    query = _query_pairs(request.query_string)
    parts, stamp = _parts(headers, query)
    signed = [name.strip().lower() for name in parts.signed_headers.split(";")]
    when = _timestamp(stamp)
    _check_time(when, stamp, parts.expires, now)
    if "host" not in signed:
        raise InvalidSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    if parts.algorithm != ALGORITHM:
        raise IncompleteSignature(
            f"Unsupported AWS 'algorithm': '{parts.algorithm}' (only {ALGORITHM} for now). "
        )
    access_key, scope = _scope(parts.credential, region, services, when, stamp)
    key = lookup(access_key)
    if key is None:
        raise UnrecognizedClient("The security token included in the request is invalid.")
    canonical = _canonical_request(request, headers, query, parts.signed_headers, signed)
    string_to_sign = "\n".join(
        (ALGORITHM, when.strftime(_TIMESTAMP), scope, _sha256(canonical.encode(_UTF8, _RAW)))
    )
    expected = _signature(key.secret_access_key, scope, string_to_sign)
    if not hmac.compare_digest(expected.encode(), parts.signature.encode(_UTF8, _RAW)):
        raise InvalidSignature(
            f"{_MISMATCH}\n\nThe Canonical String for this request should have been\n"
            f"'{canonical}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
        )
    if (parts.token or None) != key.session_token:
        raise UnrecognizedClient("The security token included in the request is invalid")
    if key.expiration is not None and key.expiration <= now:
        raise ExpiredToken()
    return key


# --- parsing ---------------------------------------------------------------------------------

_UTF8, _RAW = "utf-8", "surrogateescape"


def _header_index(headers: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for name, value in headers:
        index.setdefault(name.lower(), []).append(value)
    return index


def _last(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[-1] if values else None


def _query_pairs(query_string: str) -> list[tuple[bytes, bytes]]:
    """Each parameter decoded to its bytes (`+` stays `+`, as SigV4 reads it)."""
    pairs = []
    for item in query_string.encode("latin-1").split(b"&"):
        if item:
            name, _, value = item.partition(b"=")
            pairs.append((unquote_to_bytes(name), unquote_to_bytes(value)))
    return pairs


def _query_value(query: list[tuple[bytes, bytes]], name: str) -> str | None:
    wanted = name.encode()
    found = next((v for k, v in query if k == wanted), None)
    return found.decode(_UTF8, _RAW) if found is not None else None


def _parts(
    headers: dict[str, list[str]], query: list[tuple[bytes, bytes]]
) -> tuple[_Parts, str | None]:
    """The signature's parts and its date (None: no date at all), from the header if there
    is one, else from the query string."""
    parts = _Parts()
    values = headers.get("authorization") or [""]
    if len(values) > 1:
        # Which one would count is a matter of reading: refuse rather than verify one and let
        # an integration see another (HTTP APIs pass the header on, comma-joined).
        raise IncompleteSignature(
            "Authorization header must be sent once, not "
            f"{len(values)} times. Authorization={', '.join(values)}"
        )
    value = values[0].strip()
    date = _last(headers, "x-amz-date") or _last(headers, "date")
    if value:
        algorithm, _, rest = value.partition(" ")
        params: dict[str, str] = {}
        for item in rest.replace(" ", "").split(","):
            name, equals, param = item.partition("=")
            if equals:
                params.setdefault(name, param)
        missing = "".join(
            f"Authorization header requires '{name}' parameter. "
            for name in ("Credential", "Signature", "SignedHeaders")
            if not params.get(name)
        )
        if date is None:
            missing += (
                "Authorization header requires existence of either a 'X-Amz-Date' or a "
                "'Date' header. "
            )
        if missing:
            raise IncompleteSignature(f"{missing}Authorization={value}")
        parts.algorithm = algorithm
        parts.credential = params["Credential"]
        parts.signature = params["Signature"]
        parts.signed_headers = params["SignedHeaders"]
        parts.token = _last(headers, "x-amz-security-token")
        return parts, date
    present = {name: _query_value(query, name) for name in (*_QUERY_PARTS, "X-Amz-Expires")}
    if not (
        present["X-Amz-Algorithm"] or present["X-Amz-Credential"] or present["X-Amz-Signature"]
    ):
        raise MissingAuthentication()
    missing = "".join(
        f"AWS query-string parameters must include '{name}'. "
        for name in _QUERY_PARTS
        if not present[name]
    )
    if missing:
        raise IncompleteSignature(f"{missing}Re-examine the query-string parameters.")
    parts.algorithm = present["X-Amz-Algorithm"] or ""
    parts.credential = present["X-Amz-Credential"] or ""
    parts.signature = present["X-Amz-Signature"] or ""
    parts.signed_headers = present["X-Amz-SignedHeaders"] or ""
    parts.expires = present["X-Amz-Expires"]
    parts.token = _query_value(query, "X-Amz-Security-Token")
    return parts, present["X-Amz-Date"]


def _timestamp(stamp: str | None) -> datetime:
    assert stamp is not None  # _parts refuses a signature without a date
    try:
        if len(stamp) == 16:  # X-Amz-Date: 20260101T000000Z
            return datetime.strptime(stamp, _TIMESTAMP).replace(tzinfo=UTC)
        parsed = parsedate_to_datetime(stamp)  # Date: Thu, 01 Jan 2026 00:00:00 GMT
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, TypeError):
        raise IncompleteSignature(
            f"Date must be in ISO-8601 'basic format'. Got '{stamp}'. "
            "See http://en.wikipedia.org/wiki/ISO_8601"
        ) from None


def _check_time(when: datetime, stamp: str | None, expires: str | None, now: datetime) -> None:
    shown = when.strftime(_TIMESTAMP)
    current = now.strftime(_TIMESTAMP)
    if expires is not None:
        if not expires.isdigit():
            raise IncompleteSignature("X-Amz-Expires should be a number")
        seconds = int(expires)
        if seconds > MAX_EXPIRES:
            raise IncompleteSignature(
                f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES}"
            )
        oldest = now - timedelta(seconds=seconds)
        if when < oldest:
            raise InvalidSignature(
                f"Signature expired: {shown} is now earlier than "
                f"{oldest.strftime(_TIMESTAMP)} ({current} - {seconds} sec.)"
            )
    elif when < now - MAX_SKEW:
        raise InvalidSignature(
            f"Signature expired: {shown} is now earlier than "
            f"{(now - MAX_SKEW).strftime(_TIMESTAMP)} ({current} - 5 min.)"
        )
    if when > now + MAX_SKEW:
        raise InvalidSignature(
            f"Signature not yet current: {shown} is still later than "
            f"{(now + MAX_SKEW).strftime(_TIMESTAMP)} ({current} + 5 min.)"
        )


def _scope(
    credential: str, region: str, services: Collection[str], when: datetime, stamp: str | None
) -> tuple[str, str]:
    """(access key id, credential scope) after AWS's checks of the scope."""
    pieces = credential.rstrip("/").split("/")
    if len(pieces) != 5:
        raise IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, e.g. "
            f"keyid/date/region/service/term, got '{credential}'"
        )
    access_key, date, scope_region, service, terminator = pieces
    problems = []
    if scope_region != region:
        problems.append(f"Credential should be scoped to a valid region, not '{scope_region}'.")
    if service not in services:
        problems.append(
            f"Credential should be scoped to correct service: '{next(iter(services))}'."
        )
    if terminator != TERMINATOR:
        problems.append(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
            f"not '{terminator}'."
        )
    day = when.strftime("%Y%m%d")
    if date != day:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{date}' != '{day}', from '{when.strftime(_TIMESTAMP)}'."
        )
    if problems:
        raise InvalidSignature(" ".join(problems))
    return access_key, "/".join(pieces[1:])


# --- canonical request and signature -----------------------------------------------------------


def _canonical_request(
    request: SignedRequest,
    headers: dict[str, list[str]],
    query: list[tuple[bytes, bytes]],
    signed_headers: str,
    signed: list[str],
) -> str:
    path = normalize_url_path(request.raw_path.partition("?")[0])
    canonical_path = quote(path.encode("latin-1"), safe="/~")
    pairs = sorted(
        (quote(name, safe=_UNRESERVED), quote(value, safe=_UNRESERVED))
        for name, value in query
        if name != b"X-Amz-Signature"
    )
    canonical_query = "&".join(f"{name}={value}" for name, value in pairs)
    canonical_headers = "".join(
        f"{name}:{','.join(' '.join(_text(v).split()) for v in headers.get(name, ()))}\n"
        for name in signed
    )
    return "\n".join(
        (
            request.method.upper(),
            canonical_path,
            canonical_query,
            canonical_headers,
            signed_headers,
            _sha256(request.body),
        )
    )


def _text(value: str) -> str:
    """A header value as the client wrote it: the server reads headers as latin-1; a client
    signs their UTF-8 text."""
    return value.encode("latin-1", _RAW).decode(_UTF8, _RAW)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_KEYS: dict[tuple[str, str], bytes] = {}


def _signature(secret: str, scope: str, string_to_sign: str) -> str:
    signing_key = _KEYS.get((secret, scope))
    if signing_key is None:
        date, region, service, terminator = scope.split("/")
        signing_key = f"AWS4{secret}".encode()
        for part in (date, region, service, terminator):
            signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
        if len(_KEYS) > 1024:  # a day's keys of many callers: start again rather than grow
            _KEYS.clear()
        _KEYS[(secret, scope)] = signing_key
    return hmac.new(signing_key, string_to_sign.encode(_UTF8, _RAW), hashlib.sha256).hexdigest()
