"""OpenAPI import: ImportRestApi (`POST /restapis?mode=import`) and PutRestApi
(`PUT /restapis/{id}?mode=merge|overwrite`), spec §15.1.

`import_new` and `import_into` turn an OpenAPI 2.0 or 3.0 document (JSON or YAML) into a
`RestApiDefinition` and return it with the import warnings; they store nothing. The document
is read (openapi_parse), normalised into one version-neutral view (openapi_document), then
built through `rules` as the equivalent control-plane calls would build it (openapi_parts:
models, validators, gateway responses, security schemes; openapi_methods: resources, methods,
integrations). A document with problems is refused with all of them, one per line:

    Errors found during import:
    \tUnable to create resource at path '/a/{b}x': Resource's path part only allow ...
    \tUnable to put integration on 'GET' for resource at path '/pets': Invalid HTTP endpoint ...

With `failonwarnings=true`, warnings refuse the document the same way (`Warnings found during
import:`), and nothing changes. What Tollway keeps without acting on (authorizers,
documentation, unknown extensions) is described in openapi_common.

PutRestApi modes (spec §15.1):
- overwrite: the result is the document alone. The API keeps its id, createdDate, root resource
  id, tags and endpoint types; every field the document can carry (description, version,
  binary media types, policy, minimum compression size, API key source, disabled default
  endpoint, VPC endpoint ids, resources, methods, models, validators, gateway responses, kept
  extensions) is replaced. Resources, models and validators that come back keep their ids.
- merge (AWS's default): the document's parts are added; a method, model, validator, gateway
  response or kept extension of the same key is replaced; binary media types are added to the
  existing ones (AWS-validated); the rest of the API stays.
In both modes the API's name becomes `info.title` when the document has one.

Choices where AWS's documentation is silent:
- ImportRestApi refuses a document without `info.title` (the API needs a name).
- An `endpointConfigurationTypes` parameter sets the endpoint type unless the document's
  `x-amazon-apigateway-endpoint-configuration` has `types` (a Tollway leniency: AWS documents
  only `disableExecuteApiEndpoint` and `vpcEndpointIds` there); without either, ImportRestApi
  uses EDGE and PutRestApi keeps the API's type.
- The policy is checked, its `execute-api:/` resources expanded and stored as CreateRestApi
  stores it (resource_policies.py).
- Query parameter names (`basepath`, `endpointConfigurationTypes`, `ignore`) are matched
  without regard to case.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tollway.control.apigateway import resource_policies, rules
from tollway.control.apigateway.openapi_common import (
    API_KEY_SOURCE,
    BINARY_MEDIA_TYPES,
    ENDPOINT_CONFIGURATION,
    MINIMUM_COMPRESSION_SIZE,
    POLICY,
    describe,
    refuse_on_problems,
)
from tollway.control.apigateway.openapi_document import ApiDocument, read_document
from tollway.control.apigateway.openapi_methods import import_paths
from tollway.control.apigateway.openapi_parse import (
    INVALID_INPUT,
    openapi_version,
    parse_document,
    substitute_aws_variables,
)
from tollway.control.apigateway.openapi_parts import (
    ImportContext,
    classify_security_schemes,
    import_gateway_responses,
    import_models,
    import_request_validators,
    keep_root_extensions,
)
from tollway.control.errors import BadRequestException, ServiceError
from tollway.model.rest import RestApiDefinition

BASE_PATH_MODES = ("ignore", "prepend", "split")
PUT_MODES = ("merge", "overwrite")
API_KEY_SOURCES = ("HEADER", "AUTHORIZER")

# API fields a document can carry: PutRestApi overwrite clears them before importing.
_DOCUMENT_API_FIELDS = ("description", "version", "binaryMediaTypes", "minimumCompressionSize",
                        "policy", "warnings")  # fmt: skip


@dataclass(frozen=True)
class ImportOptions:
    region: str
    account_id: str
    fail_on_warnings: bool = False
    # ImportRestApi/PutRestApi `parameters`: endpointConfigurationTypes, basepath
    # (ignore|prepend|split), ignore=documentation.
    parameters: Mapping[str, str] = field(default_factory=dict)

    def parameter(self, name: str) -> str | None:
        return next((v for k, v in self.parameters.items() if k.lower() == name.lower()), None)


def import_new(
    body: bytes, options: ImportOptions, *, created: int
) -> tuple[RestApiDefinition, list[str]]:
    """ImportRestApi: a new API (new ids) from the document. Returns (definition, warnings)."""
    document = _read(body, options)
    title = document.title if document.title and document.title.strip() else None
    definition = rules.new_definition(name=title or "untitled", created=created)
    ctx = _context(definition, document)
    if title is None:
        ctx.errors.append(
            f"{INVALID_INPUT} The document has no info.title; API Gateway names the API after it."
        )
    return _import(ctx, options)


def import_into(
    existing: RestApiDefinition, body: bytes, options: ImportOptions, *, mode: str
) -> tuple[RestApiDefinition, list[str]]:
    """PutRestApi: `existing` updated from the document (a new document; `existing` is left
    as it was). Returns (definition, warnings)."""
    if mode not in PUT_MODES:
        raise BadRequestException(
            f"Invalid mode specified: {mode}. Valid options are {','.join(PUT_MODES)}"
        )
    document = _read(body, options)
    if mode == "merge":
        ctx = _context(copy.deepcopy(existing), document)
    else:
        ctx = _context(_emptied(existing), document, previous=existing)
    if document.title is not None and not document.title.strip():
        ctx.errors.append(f"{INVALID_INPUT} info.title is empty; API Gateway names the API "
                          "after it.")  # fmt: skip
    return _import(ctx, options)


def _context(
    definition: RestApiDefinition,
    document: ApiDocument,
    previous: RestApiDefinition | None = None,
) -> ImportContext:
    return ImportContext(definition, document, previous=previous,
                         errors=list(document.problems), warnings=list(document.notes))  # fmt: skip


def _read(body: bytes, options: ImportOptions) -> ApiDocument:
    tree = parse_document(body)
    version = openapi_version(tree)
    if version == 3:
        tree = substitute_aws_variables(tree, region=options.region,
                                        account_id=options.account_id)  # fmt: skip
    mode = base_path_mode(options.parameter("basepath"))
    document = read_document(tree, version, base_path_mode=mode)
    if isinstance(tree, dict) and "x-tollway-functions" in tree:
        # Tollway's own extension (control/files.py) means something only to `tollway serve`.
        document.notes.append(
            "x-tollway-functions is read by `tollway serve` only: the functions it declares "
            "were not created here (create them with the Lambda API)"
        )
    return document


def base_path_mode(value: str | None) -> str:
    """The `basepath` import parameter (ImportRestApi, ImportApi, ReimportApi), checked."""
    mode = value or "ignore"
    if mode not in BASE_PATH_MODES:
        raise BadRequestException(
            f"Invalid basepath parameter value: {mode}. Valid options are "
            f"{','.join(BASE_PATH_MODES)}"
        )
    return mode


def _emptied(existing: RestApiDefinition) -> RestApiDefinition:
    """The API as PutRestApi overwrite starts from: only what the document cannot carry."""
    definition = copy.deepcopy(existing)
    api = definition["api"]
    for key in _DOCUMENT_API_FIELDS:
        api.pop(key, None)  # type: ignore[misc]
    api["apiKeySource"] = "HEADER"
    api["disableExecuteApiEndpoint"] = False
    api["endpointConfiguration"].pop("vpcEndpointIds", None)
    root = api["rootResourceId"]
    definition["resources"] = {root: {"id": root, "resourceMethods": {}}}
    definition["models"] = {}
    definition["requestValidators"] = {}
    definition["gatewayResponses"] = {}
    definition["authorizers"] = {}
    definition["extensions"] = {}
    return definition


def _import(ctx: ImportContext, options: ImportOptions) -> tuple[RestApiDefinition, list[str]]:
    _apply_api_fields(ctx, options)
    import_models(ctx)
    import_request_validators(ctx)
    import_gateway_responses(ctx)
    classify_security_schemes(ctx)
    keep_root_extensions(ctx, ignore_documentation=options.parameter("ignore") == "documentation")
    import_paths(ctx)
    refuse_on_problems(ctx.errors, ctx.warnings, fail_on_warnings=options.fail_on_warnings)
    return ctx.definition, ctx.warnings


# --- RestApi fields -------------------------------------------------------------------------


def _apply_api_fields(ctx: ImportContext, options: ImportOptions) -> None:
    doc, api = ctx.doc, ctx.definition["api"]
    if doc.title and doc.title.strip():
        api["name"] = doc.title
    if doc.description:
        api["description"] = doc.description
    if doc.api_version is not None:
        api["version"] = doc.api_version
    ext = doc.extensions
    if BINARY_MEDIA_TYPES in ext:
        _binary_media_types(ctx, ext[BINARY_MEDIA_TYPES])
    if API_KEY_SOURCE in ext:
        _api_key_source(ctx, ext[API_KEY_SOURCE])
    if MINIMUM_COMPRESSION_SIZE in ext:
        _minimum_compression_size(ctx, ext[MINIMUM_COMPRESSION_SIZE])
    if POLICY in ext:
        _policy(ctx, ext[POLICY], options)
    _endpoint_configuration(ctx, ext.get(ENDPOINT_CONFIGURATION),
                            options.parameter("endpointConfigurationTypes"))  # fmt: skip


def _binary_media_types(ctx: ImportContext, raw: Any) -> None:
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        ctx.errors.append(f"Unable to set {BINARY_MEDIA_TYPES}: expected a list of media types, "
                          f"found {describe(raw)}")  # fmt: skip
        return
    api = ctx.definition["api"]
    current = api.get("binaryMediaTypes", [])
    merged = current + [t for t in dict.fromkeys(raw) if t not in current]
    if merged:
        api["binaryMediaTypes"] = merged


def _api_key_source(ctx: ImportContext, raw: Any) -> None:
    source = raw.upper() if isinstance(raw, str) else raw
    if source not in API_KEY_SOURCES:
        ctx.errors.append(
            f"Unable to set {API_KEY_SOURCE}: 1 validation error detected: Value '{raw}' at "
            "'apiKeySource' failed to satisfy constraint: Member must satisfy enum value set: "
            f"[{', '.join(API_KEY_SOURCES)}]"
        )
        return
    ctx.definition["api"]["apiKeySource"] = source


def _minimum_compression_size(ctx: ImportContext, raw: Any) -> None:
    failure = f"Unable to set {MINIMUM_COMPRESSION_SIZE}"
    if not isinstance(raw, int) or isinstance(raw, bool):
        ctx.errors.append(f"{failure}: expected a number, found {describe(raw)}")
        return
    try:
        rules.check_minimum_compression_size(raw)
    except ServiceError as e:
        ctx.errors.append(f"{failure}: {e.message}")
        return
    ctx.definition["api"]["minimumCompressionSize"] = raw


def _policy(ctx: ImportContext, raw: Any, options: ImportOptions) -> None:
    """Checked and normalised as CreateRestApi's `policy` is (resource_policies.py); the
    error says why a policy is refused."""
    if not isinstance(raw, (dict, str)):
        ctx.errors.append(f"Unable to set {POLICY}: expected a policy document (an object), "
                          f"found {describe(raw)}")  # fmt: skip
        return
    api = ctx.definition["api"]
    try:
        policy = resource_policies.checked(
            raw, region=options.region, account_id=options.account_id, api_id=api["id"]
        )
    except resource_policies.InvalidPolicy as error:
        ctx.errors.append(f"Unable to set {POLICY}: {resource_policies.INVALID_POLICY} ({error})")
        return
    if policy is None:
        api.pop("policy", None)
    else:
        api["policy"] = policy


def _endpoint_configuration(ctx: ImportContext, raw: Any, types_parameter: str | None) -> None:
    failure = "Unable to set the endpoint configuration"
    api = ctx.definition["api"]
    config = dict(api["endpointConfiguration"])
    extension = raw if isinstance(raw, dict) else {}
    if raw is not None and not isinstance(raw, dict):
        ctx.errors.append(f"{failure}: {ENDPOINT_CONFIGURATION} must be an object, found "
                          f"{describe(raw)}")  # fmt: skip
    types: Any = extension.get("types")
    if types is None and types_parameter:
        types = [t.strip() for t in types_parameter.split(",") if t.strip()]
    if types is not None:
        if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
            ctx.errors.append(f"{failure}: types must be a list of endpoint types")
            return
        if types != config.get("types"):
            config["types"] = types
            config.pop("ipAddressType", None)  # re-derived for the new type
    vpc_endpoint_ids = extension.get("vpcEndpointIds")
    if vpc_endpoint_ids is not None:
        if not isinstance(vpc_endpoint_ids, list):
            ctx.errors.append(f"{failure}: vpcEndpointIds must be a list, found "
                              f"{describe(vpc_endpoint_ids)}")  # fmt: skip
            return
        config["vpcEndpointIds"] = vpc_endpoint_ids
    disable = extension.get("disableExecuteApiEndpoint")
    if disable is not None:
        if not isinstance(disable, bool):
            ctx.errors.append(f"{failure}: disableExecuteApiEndpoint must be true or false")
            return
        api["disableExecuteApiEndpoint"] = disable
    try:
        api["endpointConfiguration"] = rules.check_endpoint_configuration(config)
    except ServiceError as e:
        ctx.errors.append(f"{failure}: {e.message}")
