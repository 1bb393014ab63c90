"""Names and conventions shared by OpenAPI import (ImportRestApi, PutRestApi) and export
(GetExport): the `x-amazon-apigateway-*` extension names, the model reference URL AWS writes
into imported schemas, and how Tollway keeps what it imports but does not act on yet.

What Tollway keeps (`RestApiDefinition["extensions"]`):
- keys beginning with `x-` are root-level extensions kept verbatim (for example
  `x-amazon-apigateway-documentation`), re-emitted at the document root on export;
- `securitySchemes` (only in documents imported before Tollway ran authorizers; imports now
  make Authorizers of them, openapi_authorizers.py): authorizer schemes, verbatim, by name;
  export still writes them;
- `methods`: per method, the operation fields Tollway keeps but does not act on, keyed by
  resource id and HTTP verb: `{"<resource id>": {"GET": {"x-amazon-apigateway-cors": ...}}}`:
  unknown operation-level `x-amazon-apigateway-*` extensions, verbatim (and, in documents
  imported before authorizers ran, a `security` list naming kept schemes). Resource ids, not
  paths, key the entries so that renaming a resource (UpdateResource) keeps them attached; an
  entry whose resource or method no longer exists is ignored on export.
"""

from __future__ import annotations

import re
from typing import Any

from tollway.control.errors import BadRequestException

PREFIX = "x-amazon-apigateway-"

ANY_METHOD = PREFIX + "any-method"
API_KEY = PREFIX + "api-key"
API_KEY_SOURCE = PREFIX + "api-key-source"
AUTH = PREFIX + "auth"
AUTHORIZER = PREFIX + "authorizer"
AUTHTYPE = PREFIX + "authtype"
BINARY_MEDIA_TYPES = PREFIX + "binary-media-types"
DOCUMENTATION = PREFIX + "documentation"
ENDPOINT_CONFIGURATION = PREFIX + "endpoint-configuration"
GATEWAY_RESPONSES = PREFIX + "gateway-responses"
INTEGRATION = PREFIX + "integration"
MINIMUM_COMPRESSION_SIZE = PREFIX + "minimum-compression-size"
POLICY = PREFIX + "policy"
REQUEST_VALIDATOR = PREFIX + "request-validator"
REQUEST_VALIDATORS = PREFIX + "request-validators"

ROOT_EXTENSIONS_ACTED_ON = frozenset(
    {API_KEY_SOURCE, BINARY_MEDIA_TYPES, ENDPOINT_CONFIGURATION, GATEWAY_RESPONSES,
     MINIMUM_COMPRESSION_SIZE, POLICY, REQUEST_VALIDATOR, REQUEST_VALIDATORS}
)  # fmt: skip
OPERATION_EXTENSIONS_ACTED_ON = frozenset({INTEGRATION, AUTH, REQUEST_VALIDATOR, API_KEY})

KEPT_SECURITY_SCHEMES = "securitySchemes"
KEPT_METHODS = "methods"

OPERATION_KEYS = {
    "get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE", "options": "OPTIONS",
    "head": "HEAD", "patch": "PATCH", "trace": "TRACE", ANY_METHOD: "ANY",
}  # fmt: skip
"""Path-item keys that hold operations, and the HTTP verb each becomes."""

_MODEL_URL = re.compile(r"^https?://[^/]+/restapis/[^/]+/models/(?P<name>[^/]+)$")
_LOCAL_SCHEMA_REF = re.compile(r"^#/(?:definitions|components/schemas)/(?P<name>[^/]+)$")


def model_url(api_id: str, name: str) -> str:
    """How AWS writes a reference to another model inside a stored model schema."""
    return f"https://apigateway.amazonaws.com/restapis/{api_id}/models/{name}"


def local_schema_name(ref: str) -> str | None:
    """`Pet` for `#/definitions/Pet` or `#/components/schemas/Pet`, else None."""
    match = _LOCAL_SCHEMA_REF.match(ref)
    return _unescape(match.group("name")) if match else None


def model_url_name(ref: str) -> str | None:
    """`Pet` for a model URL as AWS stores it (any host, any API id), else None."""
    match = _MODEL_URL.match(ref)
    return match.group("name") if match else None


def rewrite_refs(schema: Any, rewrite: Any) -> Any:
    """A copy of `schema` where each `$ref` string is replaced by `rewrite(ref)` (or kept when
    that returns None)."""
    if isinstance(schema, dict):
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = rewrite(value) or value
            else:
                out[key] = rewrite_refs(value, rewrite)
        return out
    if isinstance(schema, list):
        return [rewrite_refs(item, rewrite) for item in schema]
    return schema


def _unescape(pointer_token: str) -> str:
    return pointer_token.replace("~1", "/").replace("~0", "~")


def escape(pointer_token: str) -> str:
    """A JSON-pointer token (RFC 6901) for a name used in a `$ref`."""
    return pointer_token.replace("~", "~0").replace("/", "~1")


def path_variables(path: str) -> list[str]:
    """Names of the path's variables (`{petId}`; greedy `{proxy+}` excluded), in order."""
    names = []
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}") and not part.endswith("+}"):
            names.append(part[1:-1])
    return names


def describe(value: Any) -> str:
    """A JSON kind name for messages: `an object`, `a list`, `a string`, ..."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return "a string"


def refuse_on_problems(errors: list[str], warnings: list[str], *, fail_on_warnings: bool) -> None:
    """Refuses an import that found errors (or warnings, with `failOnWarnings`), listing all of
    them one per line under `Errors found during import:` / `Warnings found during import:`;
    shared by ImportRestApi/PutRestApi and ImportApi/ReimportApi."""
    sections = []
    if errors:
        sections.append("Errors found during import:\n\t" + "\n\t".join(errors))
    if warnings and (fail_on_warnings or errors):
        sections.append("Warnings found during import:\n\t" + "\n\t".join(warnings))
    if sections:
        raise BadRequestException("\n".join(sections))
