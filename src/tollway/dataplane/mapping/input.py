"""`$input`, `$util` and `$stageVariables` for API Gateway mapping templates (spec §4.5).

Everything is built on first use within one render: a template that never calls
`$input.json`/`$input.path` never parses the body, and one that does parses it once.

Where AWS documents nothing, we chose (see also `jsonpath` for the body as JSON):
- A JSONPath without a match: `$input.path` returns null (prints as empty text) and
  `$input.json` returns `null`, which keeps `"x": $input.json('$.x')` valid JSON.
- Header names are matched case-insensitively by `$input.params(name)`; path and query
  names exactly.

`$util.*` and `$input.params(name)` return null for a null argument, so `$util.f($missing)`
prints as empty text. Non-string arguments are converted with Java's `String.valueOf`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote_plus, unquote_plus

import orjson

from tollway.dataplane.mapping.jsonpath import MISSING, compile_path, parse_body
from tollway.dataplane.mapping.values import (
    EvaluationError,
    VtlMap,
    java_str,
    to_json,
    to_vtl,
)

if TYPE_CHECKING:
    from tollway.dataplane.mapping.vtl import TemplateInput

_ALL: Final = object()


# --- $input ----------------------------------------------------------------------------------


class InputVariable:
    """`$input`: the payload and the method request parameters."""

    __slots__ = ("_data", "_document", "_params")

    def __init__(self, data: TemplateInput) -> None:
        self._data = data
        self._document: Any = MISSING
        self._params: VtlMap | None = None

    @property
    def body(self) -> str:
        return self._data.body

    def json(self, path: Any = "$") -> str:
        found = self._find("$" if path is None else java_str(path))
        return "null" if found is MISSING else to_json(found)

    def path(self, path: Any = "$") -> Any:
        found = self._find("$" if path is None else java_str(path))
        return None if found is MISSING else to_vtl(found)

    def params(self, name: Any = _ALL) -> Any:
        if name is _ALL:
            if self._params is None:
                params = self._data.params
                self._params = VtlMap(
                    (where, VtlMap(params.get(where, {})))
                    for where in ("path", "querystring", "header")
                )
            return self._params
        if name is None:
            return None
        key = java_str(name)
        params = self._data.params
        for where in ("path", "querystring"):
            value = params.get(where, {}).get(key)
            if value is not None:
                return value
        headers = params.get("header", {})
        value = headers.get(key)
        if value is not None:
            return value
        folded = key.casefold()
        for header, value in headers.items():
            if header.casefold() == folded:
                return value
        return ""

    def _find(self, path: str) -> Any:
        document = self._document
        if document is MISSING:
            document = self._document = parse_body(self._data.body)
        return compile_path(path).find(document)


# --- $util -----------------------------------------------------------------------------------

# StringEscapeUtils.escapeJavaScript (Commons Lang), which API Gateway's $util uses: quotes,
# backslash and slash get a backslash, control characters and non-ASCII become \uXXXX.
_JS_ESCAPES: dict[int, str] = {c: f"\\u{c:04X}" for c in range(32)}
_JS_ESCAPES.update(
    {
        ord("'"): "\\'",
        ord('"'): '\\"',
        ord("\\"): "\\\\",
        ord("/"): "\\/",
        ord("\b"): "\\b",
        ord("\t"): "\\t",
        ord("\n"): "\\n",
        ord("\f"): "\\f",
        ord("\r"): "\\r",
    }
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _utf16_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # Java strings are UTF-16: one escape per surrogate
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}"
    return f"\\u{code:04X}"


class Util:
    """`$util`, with AWS's method names; stateless, so one instance serves every render."""

    __slots__ = ()

    def escapeJavaScript(self, value: Any) -> str | None:
        if value is None:
            return None
        escaped = java_str(value).translate(_JS_ESCAPES)
        return escaped if escaped.isascii() else _NON_ASCII.sub(_utf16_escape, escaped)

    def parseJson(self, value: Any) -> Any:
        if value is None:
            return None
        text = java_str(value)
        try:
            return to_vtl(orjson.loads(text))
        except orjson.JSONDecodeError:
            pass
        try:
            return to_vtl(json.loads(text))
        except ValueError as exc:
            raise EvaluationError(f"$util.parseJson: invalid JSON: {exc}") from None

    def urlEncode(self, value: Any) -> str | None:
        if value is None:
            return None
        # java.net.URLEncoder keeps only [A-Za-z0-9.-*_]; Python also keeps "~".
        return quote_plus(java_str(value), safe="*").replace("~", "%7E")

    def urlDecode(self, value: Any) -> str | None:
        if value is None:
            return None
        return unquote_plus(java_str(value))

    def base64Encode(self, value: Any) -> str | None:
        if value is None:
            return None
        return base64.b64encode(java_str(value).encode()).decode("ascii")

    def base64Decode(self, value: Any) -> str | None:
        if value is None:
            return None
        text = java_str(value).strip()
        try:  # padding is optional, as for java.util.Base64
            raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise EvaluationError(f"$util.base64Decode: invalid base64 input: {exc}") from None
        return raw.decode("utf-8", "replace")


UTIL: Final = Util()


# --- the namespace ---------------------------------------------------------------------------


class Variables(dict[str, Any]):
    """The template's top-level names, each made when the template first reads it.

    `$context` is the caller's mapping itself, not a copy, so `#set($context.x.y = ...)`
    writes into it (see `MappingTemplate` on request/response overrides).
    """

    __slots__ = ("_data",)

    def __init__(self, data: TemplateInput) -> None:
        super().__init__()
        self._data = data

    def __missing__(self, key: str) -> Any:
        value: Any
        if key == "input":
            value = InputVariable(self._data)
        elif key == "util":
            value = UTIL
        elif key == "context":
            value = self._data.context
        elif key == "stageVariables":
            value = VtlMap(self._data.stage_variables)
        else:
            raise KeyError(key)
        self[key] = value
        return value
