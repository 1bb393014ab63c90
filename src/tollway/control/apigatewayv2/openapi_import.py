"""ImportApi / ReimportApi: an OpenAPI 3.0 document as an HTTP API (spec §15.1, §15.3; AWS's
"Working with OpenAPI definitions for HTTP APIs").

The body is read as ImportRestApi reads it (apigateway.openapi_parse: JSON or YAML, AWS
variables; apigateway.openapi_document: `$ref`s, paths, operations, security, base path),
then built through the same functions CreateApi, CreateAuthorizer, CreateIntegration and
CreateRoute use (apis.check_api, parts.check_authorizer, integrations.build_integration,
routes.build_route), so an imported API is refused with the messages those calls give:

    Errors found during import:
    \tUnable to create route GET /a/{b}x: Invalid route key: GET /a/{b}x. ...

As AWS describes, what the importer finds falls in three kinds: errors (nothing is created),
warnings (the API is created without the part, unless `failOnWarnings`; returned as
`Warnings`) and information (valid OpenAPI that HTTP APIs do not use, such as request bodies
and REST-only extensions; returned as `ImportInfo`).

What becomes what:
- `info.title` → Name (required), `info.description` → Description, `info.version` → Version;
- each operation of each path → a route `GET /pets/{id}`; `x-amazon-apigateway-any-method` → `ANY`;
  the path `/$default` (or `$default`) with `x-amazon-apigateway-any-method` (and, as AWS
  exports it, `isDefaultRoute: true`) → the `$default` route; `operationId` → OperationName;
- `x-amazon-apigateway-integration` (inline or `$ref` to
  `components.x-amazon-apigateway-integrations`) → an integration (openapi_integrations);
  operations whose integrations are identical share one integration;
- `security` and `x-amazon-apigateway-auth` → the route's authorization (openapi_auth);
- `x-amazon-apigateway-cors` → CorsConfiguration; root `tags` with
  `x-amazon-apigateway-tag-value` → Tags (a tag without a value gets "");
  `x-amazon-apigateway-endpoint-configuration.disableExecuteApiEndpoint` (root or first server)
  → DisableExecuteApiEndpoint; `x-amazon-apigateway-importexport-version` must be 1.0.

Choices where AWS's documentation is silent:
- `basepath` (ignore, prepend, split) changes route paths as it changes REST resource paths.
- An operation without `x-amazon-apigateway-integration` becomes a route without a target
  (as AWS's console creates one); an integration of a type HTTP APIs lack (aws, http, mock)
  is left out with a warning, its route kept without a target.
- ReimportApi replaces the document's parts (routes, integrations, authorizers, models,
  integration and route responses, CORS, description, version) and keeps the API's id,
  endpoint, creation date and stages; tags are merged (the document's win).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any, cast

from tollway.control.apigateway.openapi_common import (
    ANY_METHOD,
    AUTH,
    ENDPOINT_CONFIGURATION,
    INTEGRATION,
    PREFIX,
    describe,
    refuse_on_problems,
)
from tollway.control.apigateway.openapi_document import ApiDocument, Operation, read_document
from tollway.control.apigateway.openapi_import import base_path_mode
from tollway.control.apigateway.openapi_parse import (
    INVALID_INPUT,
    NO_IMPORTER,
    openapi_version,
    parse_document,
    substitute_aws_variables,
)
from tollway.control.apigatewayv2 import openapi_auth
from tollway.control.apigatewayv2.apis import check_api
from tollway.control.apigatewayv2.integrations import build_integration
from tollway.control.apigatewayv2.openapi_integrations import integration_fields
from tollway.control.apigatewayv2.routes import build_route
from tollway.control.errors import BadRequestException, ServiceError
from tollway.model.http_api import DEFAULT_ROUTE, ApiDefinition

CORS = PREFIX + "cors"
IMPORTEXPORT_VERSION = PREFIX + "importexport-version"
TAG_VALUE = PREFIX + "tag-value"
EXPORT_VERSION = "1.0"
DEFAULT_PATH = "/$default"

_CORS_MEMBERS = {
    "allowOrigins": "AllowOrigins",
    "allowCredentials": "AllowCredentials",
    "exposeHeaders": "ExposeHeaders",
    "maxAge": "MaxAge",
    "allowMethods": "AllowMethods",
    "allowHeaders": "AllowHeaders",
}
# Root extensions that mean something only to REST APIs: HTTP APIs ignore them (ImportInfo).
_REST_ONLY_ROOT = ("api-key-source", "binary-media-types", "documentation", "gateway-responses",
                   "minimum-compression-size", "policy", "request-validator",
                   "request-validators")  # fmt: skip
_ROOT_ACTED_ON = {CORS, IMPORTEXPORT_VERSION, ENDPOINT_CONFIGURATION}
_OPERATION_ACTED_ON = {INTEGRATION, AUTH}


@dataclass
class Import:
    """One import: the definition being built and what was found on the way."""

    definition: ApiDefinition
    doc: ApiDocument
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportOptions:
    region: str
    account_id: str
    basepath: str | None = None
    fail_on_warnings: bool = False


def read(body: bytes | str, options: ImportOptions) -> ApiDocument:
    """The document, read; unreadable documents and OpenAPI 2.0 are refused here."""
    tree = parse_document(body.encode() if isinstance(body, str) else body)
    if openapi_version(tree) != 3:
        raise BadRequestException(
            f"{NO_IMPORTER} HTTP APIs import OpenAPI 3.0 documents only (openapi: 3.0.x); "
            "this is a swagger: 2.0 document."
        )
    tree = substitute_aws_variables(tree, region=options.region, account_id=options.account_id)
    mode = base_path_mode(options.basepath)
    paths = tree.get("paths")
    if isinstance(paths, dict) and "$default" in paths:
        # SAM writes the default route's path without its slash; read both spellings alike.
        tree["paths"] = {(DEFAULT_PATH if k == "$default" else k): v for k, v in paths.items()}
    document = read_document(tree, 3, base_path_mode=mode)
    document.notes.clear()  # REST's notes (method responses, parameters) mean nothing here
    return document


def build(
    definition: ApiDefinition, doc: ApiDocument, *, fail_on_warnings: bool
) -> tuple[list[str], list[str]]:
    """Fills `definition` (an API without routes, integrations or authorizers) from the
    document; returns (warnings, import info) or raises with every problem found."""
    work = Import(definition, doc, errors=list(doc.problems))
    _api_fields(work)
    authorizers = openapi_auth.import_authorizers(work)
    shared: dict[str, str] = {}  # canonical integration fields -> IntegrationId
    for op in doc.operations:
        _route(work, op, authorizers, shared)
    refuse_on_problems(work.errors, work.warnings, fail_on_warnings=fail_on_warnings)
    return work.warnings, work.info


# --- the Api --------------------------------------------------------------------------------


def _api_fields(work: Import) -> None:
    doc, api = work.doc, cast(dict[str, Any], work.definition["Api"])
    if doc.title and doc.title.strip():
        api["Name"] = doc.title
    elif not api.get("Name"):
        work.errors.append(
            f"{INVALID_INPUT} The document has no info.title; API Gateway names the API after it."
        )
    for key, value in (("Description", doc.description), ("Version", doc.api_version)):
        if value is not None:
            api[key] = value
    ext = doc.extensions
    version = ext.get(IMPORTEXPORT_VERSION)
    if version is not None and str(version) != EXPORT_VERSION:
        work.errors.append(
            f"Unsupported {IMPORTEXPORT_VERSION} {json.dumps(version)}: the only version of "
            f"the import and export algorithm is {EXPORT_VERSION}"
        )
    if CORS in ext:
        _cors(work, ext[CORS])
    _endpoint_configuration(work, ext.get(ENDPOINT_CONFIGURATION))
    _tags(work, doc)
    for key in ext:
        if key in _ROOT_ACTED_ON:
            continue
        if key[len(PREFIX) :] in _REST_ONLY_ROOT:
            work.info.append(f"{key} is ignored: HTTP APIs do not support it (REST APIs only).")
        else:
            work.warnings.append(f"Unknown extension {key} at the document root is ignored.")
    try:
        if api.get("Name"):
            check_api(api)
    except ServiceError as e:
        work.errors.append(f"Unable to create the API: {e.message}")


def _cors(work: Import, raw: Any) -> None:
    if not isinstance(raw, dict):
        work.errors.append(f"Unable to set {CORS}: expected an object, found {describe(raw)}")
        return
    cors: dict[str, Any] = {}
    for key, value in raw.items():
        member = _CORS_MEMBERS.get(key)
        if member is None:
            work.warnings.append(f"Unknown field '{key}' in {CORS} is ignored.")
            continue
        expected: type = {"AllowCredentials": bool, "MaxAge": int}.get(member, list)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            work.errors.append(f"Unable to set {CORS}: {key} must be {_kind(expected)}, found "
                               f"{describe(value)}")  # fmt: skip
            continue
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            work.errors.append(f"Unable to set {CORS}: {key} must be a list of strings")
            continue
        cors[member] = value
    cast(dict[str, Any], work.definition["Api"])["CorsConfiguration"] = cors


def _kind(expected: type) -> str:
    return {bool: "a boolean", int: "a number"}.get(expected, "a list of strings")


def _endpoint_configuration(work: Import, raw: Any) -> None:
    if raw is None:
        return
    disable = raw.get("disableExecuteApiEndpoint") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or (disable is not None and not isinstance(disable, bool)):
        work.errors.append(f"Unable to set {ENDPOINT_CONFIGURATION}: expected an object with "
                           "disableExecuteApiEndpoint true or false")  # fmt: skip
        return
    if disable is not None:
        cast(dict[str, Any], work.definition["Api"])["DisableExecuteApiEndpoint"] = disable


def _tags(work: Import, doc: ApiDocument) -> None:
    raw = doc.tags
    if raw is None:
        return
    tags = cast(dict[str, Any], work.definition["Api"]).setdefault("Tags", {})
    for i, tag in enumerate(raw if isinstance(raw, list) else []):
        name = tag.get("name") if isinstance(tag, dict) else None
        value = tag.get(TAG_VALUE, "") if isinstance(tag, dict) else None
        if not isinstance(name, str) or not isinstance(value, str):
            work.errors.append(f"{INVALID_INPUT} The tag at tags[{i}] needs a name and a "
                               f"string {TAG_VALUE}.")  # fmt: skip
            continue
        tags[name] = value
    if not isinstance(raw, list):
        work.errors.append(f"{INVALID_INPUT} Expected a list at tags, found {describe(raw)}.")


# --- routes and integrations ----------------------------------------------------------------


def route_key(op: Operation) -> str:
    return DEFAULT_ROUTE if op.path.rsplit("/", 1)[-1] == "$default" else f"{op.verb} {op.path}"


def _route(
    work: Import, op: Operation, authorizers: dict[str, str], shared: dict[str, str]
) -> None:
    key = route_key(op)
    failure = f"Unable to create route {key}"
    if key == DEFAULT_ROUTE and op.verb != "ANY":
        work.errors.append(f"{failure}: the $default route is written as {ANY_METHOD} of the "
                           f"path {DEFAULT_PATH}, not as {op.verb.lower()}")  # fmt: skip
        return
    for name in op.extensions:
        if name not in _OPERATION_ACTED_ON:
            work.warnings.append(f"Unknown extension {name} of {op.label} is ignored.")
    if op.body:
        work.info.append(f"The request body of {op.label} is ignored: HTTP APIs do not "
                         "validate requests.")  # fmt: skip
    fields: dict[str, Any] = {"RouteKey": key}
    if op.operation_id:
        fields["OperationName"] = op.operation_id
    if not openapi_auth.route_authorization(work, op, authorizers, fields, failure):
        return
    if INTEGRATION in op.extensions:
        errors = len(work.errors)
        integration_id = _integration(work, op, shared)
        if len(work.errors) > errors:
            return
        if integration_id is not None:
            fields["Target"] = f"integrations/{integration_id}"
    try:
        route = build_route(work.definition, fields)
    except ServiceError as e:
        work.errors.append(f"{failure}: {e.message}")
        return
    work.definition["Routes"][route["RouteId"]] = route


def _integration(work: Import, op: Operation, shared: dict[str, str]) -> str | None:
    """The id of the integration the operation targets (an identical one is shared), or None
    when it is left out (a warning) or refused (an error)."""
    failure = f"Unable to create integration for {op.label}"
    fields = integration_fields(work, op.extensions[INTEGRATION], op.label, failure)
    if fields is None:
        return None
    canonical = json.dumps(fields, sort_keys=True)
    if canonical in shared:
        return shared[canonical]
    try:
        integration = build_integration(copy.deepcopy(fields), http=True)
    except ServiceError as e:
        work.errors.append(f"{failure}: {e.message}")
        return None
    work.definition["Integrations"][integration["IntegrationId"]] = integration
    shared[canonical] = integration["IntegrationId"]
    return integration["IntegrationId"]
