"""ImportRestApi / PutRestApi: the API-wide parts of an imported document — models, request
validators, gateway responses, security schemes, and the root extensions Tollway keeps.

Each part is checked as the corresponding control-plane call (CreateModel,
CreateRequestValidator, PutGatewayResponse) checks it, with the same messages; a part that
fails is reported in `ImportContext.errors` and the import goes on, so one refusal lists every
problem of the document.

Choices where AWS's documentation is silent:
- Models are keyed by name: importing a model that exists (PutRestApi merge) replaces its
  schema and description and keeps its id; `description` comes from the schema's own
  `description`, as AWS shows after import.
- An inline schema (not a `$ref` to a named schema) used by a request or response becomes a
  model named `MODEL` + the first hex digits of the SHA-256 of its canonical JSON, so the same
  inline schema always maps to the same model and request validation can use it.
- Request validators are keyed by name in the same way.
- A security scheme is acted on when it is an API key (`apiKey`, `x-api-key` in a header, no
  authorizer), IAM (`x-amazon-apigateway-authtype` beginning with `aws`, e.g. `awsSigv4`), or
  an authorizer (an `x-amazon-apigateway-authorizer`: an Authorizer named after the scheme,
  openapi_authorizers.py); any other scheme is ignored with a warning.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, cast

from tollway.control.apigateway import rules
from tollway.control.apigateway.openapi_authorizers import authorizer_from_scheme
from tollway.control.apigateway.openapi_common import (
    AUTHORIZER,
    AUTHTYPE,
    DOCUMENTATION,
    GATEWAY_RESPONSES,
    REQUEST_VALIDATORS,
    ROOT_EXTENSIONS_ACTED_ON,
    describe,
    local_schema_name,
    model_url,
    rewrite_refs,
)
from tollway.control.apigateway.openapi_document import ApiDocument
from tollway.control.errors import ServiceError
from tollway.model import ids
from tollway.model.gateway_responses import DEFAULTS
from tollway.model.rest import (
    Authorizer,
    GatewayResponse,
    Model,
    RestApiDefinition,
    resource_path,
)

API_KEY_SCHEME = "api key"
IAM_SCHEME = "iam"
AUTHORIZER_SCHEME = "authorizer"


@dataclass
class ImportContext:
    """What one import works on and what it has found so far."""

    definition: RestApiDefinition  # the result being built
    doc: ApiDocument
    # PutRestApi overwrite: the API before the import. Resources, models and validators that
    # the document defines again keep their ids, as AWS keeps resource ids for unchanged paths.
    previous: RestApiDefinition | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    scheme_kinds: dict[str, str] = field(default_factory=dict)
    authorizers: dict[str, Authorizer] = field(default_factory=dict)  # by scheme name

    @property
    def api_id(self) -> str:
        return self.definition["api"]["id"]

    def previous_resource_id(self, path: str) -> str | None:
        if self.previous is None:
            return None
        resources = self.previous["resources"]
        return next((rid for rid in resources if resource_path(resources, rid) == path), None)

    def previous_model_id(self, name: str) -> str | None:
        model = self.previous["models"].get(name) if self.previous else None
        return model["id"] if model else None

    def validator_id(self, name: str, definition: RestApiDefinition | None = None) -> str | None:
        validators = (definition or self.definition)["requestValidators"].values()
        return next((v["id"] for v in validators if v["name"] == name), None)

    def string_map(
        self, raw: Any, name: str, place: str, *, nulls: bool = False
    ) -> dict[str, Any] | None:
        return string_map(raw, name, place, self.warnings, nulls=nulls)


def string_map(
    raw: Any, name: str, place: str, warnings: list[str], *, nulls: bool = False
) -> dict[str, Any] | None:
    """A map of strings; entries of another type are dropped with AWS's import warning
    (shared with the HTTP API importer)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        warnings.append(
            f"Invalid format for '{name}'. Expected a map {place} but got {describe(raw)}"
        )
        return None
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, str) or (value is None and nulls):
            out[key] = value
        else:
            warnings.append(
                f"Invalid format for '{name}'. Expected type string for property '{key}' "
                f"{place} but got '{json.dumps(value)}'"
            )
    return out


# --- models ---------------------------------------------------------------------------------


def import_models(ctx: ImportContext) -> None:
    for name, schema in ctx.doc.schemas.items():
        failure = f"Unable to create model '{name}'"
        try:
            rules.check_model_name(name)
        except ServiceError as e:
            ctx.errors.append(f"{failure}: {e.message}")
            continue
        if not isinstance(schema, dict):
            ctx.errors.append(f"{failure}: its schema must be an object, found {describe(schema)}")
        else:
            put_model(ctx, name, schema)


def put_model(ctx: ImportContext, name: str, schema: dict[str, Any]) -> None:
    """Stores `schema` as model `name`."""
    models = ctx.definition["models"]
    existing = models.get(name)
    model: dict[str, Any] = {
        "id": existing["id"] if existing else (ctx.previous_model_id(name) or ids.short_id()),
        "name": name,
        "contentType": "application/json",
        "schema": _schema_text(ctx, schema),
    }
    if isinstance(schema.get("description"), str):
        model["description"] = schema["description"]
    models[name] = cast(Model, model)


def inline_model(ctx: ImportContext, schema: dict[str, Any]) -> str:
    """The name of the model made for an inline schema (created when first seen)."""
    digest = hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()
    text = _schema_text(ctx, schema)
    name = "MODEL" + digest
    for length in range(6, len(digest)):
        model = ctx.definition["models"].get("MODEL" + digest[:length])
        if model is None or model.get("schema") == text:
            name = "MODEL" + digest[:length]
            break  # free, or this very schema imported before
    put_model(ctx, name, schema)
    return name


def _schema_text(ctx: ImportContext, schema: dict[str, Any]) -> str:
    """The stored schema: JSON, references to other schemas written as AWS writes them."""

    def to_model_url(ref: str) -> str | None:
        target = local_schema_name(ref)
        return model_url(ctx.api_id, target) if target else None

    return json.dumps(rewrite_refs(schema, to_model_url))


# --- request validators ---------------------------------------------------------------------


def import_request_validators(ctx: ImportContext) -> None:
    raw = ctx.doc.extensions.get(REQUEST_VALIDATORS)
    if raw is None:
        return
    if not isinstance(raw, dict):
        ctx.errors.append(f"Unable to create request validators: {REQUEST_VALIDATORS} must be "
                          f"an object, found {describe(raw)}")  # fmt: skip
        return
    for name, config in raw.items():
        failure = f"Unable to create request validator '{name}'"
        config = config if config is not None else {}
        flags = [config.get(k) if isinstance(config, dict) else None
                 for k in ("validateRequestBody", "validateRequestParameters")]  # fmt: skip
        if not isinstance(config, dict) or any(f is not None and not isinstance(f, bool)
                                               for f in flags):  # fmt: skip
            ctx.errors.append(f"{failure}: expected an object with boolean validateRequestBody "
                              "and validateRequestParameters")  # fmt: skip
        else:
            try:
                _put_validator(ctx, name, bool(flags[0]), bool(flags[1]))
            except ServiceError as e:
                ctx.errors.append(f"{failure}: {e.message}")


def _put_validator(ctx: ImportContext, name: str, body: bool, params: bool) -> None:
    previous = ctx.validator_id(name, ctx.previous) if ctx.previous else None
    validator_id = ctx.validator_id(name) or previous or ids.short_id()
    ctx.definition["requestValidators"][validator_id] = rules.new_request_validator(
        validator_id, name, body, params
    )


# --- gateway responses ----------------------------------------------------------------------


def import_gateway_responses(ctx: ImportContext) -> None:
    raw = ctx.doc.extensions.get(GATEWAY_RESPONSES)
    if raw is None:
        return
    if not isinstance(raw, dict):
        ctx.errors.append(f"Unable to put gateway responses: {GATEWAY_RESPONSES} must be an "
                          f"object, found {describe(raw)}")  # fmt: skip
        return
    for response_type, config in raw.items():
        response = _gateway_response(ctx, response_type, config if config is not None else {})
        if response is not None:
            ctx.definition["gatewayResponses"][response_type] = response


def _gateway_response(
    ctx: ImportContext, response_type: str, config: Any
) -> GatewayResponse | None:
    failure = f"Unable to put gateway response '{response_type}'"
    if response_type in DEFAULTS and not isinstance(config, dict):
        ctx.errors.append(f"{failure}: expected an object, found {describe(config)}")
        return None
    place = f"of gateway response '{response_type}'"
    try:
        status = config.get("statusCode") if isinstance(config, dict) else None
        return rules.new_gateway_response(
            response_type,
            status_code=None if status is None else status_text(status),
            response_parameters=ctx.string_map(
                config.get("responseParameters"), "responseParameters", place, nulls=True
            ),
            response_templates=ctx.string_map(
                config.get("responseTemplates"), "responseTemplates", place, nulls=True
            ),
        )
    except ServiceError as e:
        ctx.errors.append(f"{failure}: {e.message}")
        return None


def status_text(value: Any) -> str:
    """A status code as text: YAML reads `statusCode: 200` as a number (AWS accepts it)."""
    return value if isinstance(value, str) else json.dumps(value)


# --- security schemes and kept extensions ---------------------------------------------------


def classify_security_schemes(ctx: ImportContext) -> None:
    for name, scheme in ctx.doc.security_schemes.items():
        authtype = scheme.get(AUTHTYPE)
        if AUTHORIZER in scheme:
            try:
                authorizer = authorizer_from_scheme(ctx.definition, ctx.previous, name, scheme)
            except (ValueError, ServiceError) as e:
                message = e.message if isinstance(e, ServiceError) else str(e)
                ctx.errors.append(f"Unable to create authorizer '{name}': {message}")
                continue
            ctx.scheme_kinds[name] = AUTHORIZER_SCHEME
            ctx.authorizers[name] = authorizer
        elif isinstance(authtype, str) and authtype.lower().startswith("aws"):
            ctx.scheme_kinds[name] = IAM_SCHEME
        elif (scheme.get("type") == "apiKey" and scheme.get("in") == "header"
              and str(scheme.get("name", "")).lower() == "x-api-key"):  # fmt: skip
            ctx.scheme_kinds[name] = API_KEY_SCHEME
        else:
            ctx.warnings.append(
                f"Security scheme '{name}' (type {scheme.get('type')}) is ignored: API Gateway "
                "acts on API keys (apiKey x-api-key in header), IAM (x-amazon-apigateway-authtype "
                "awsSigv4) and authorizers (x-amazon-apigateway-authorizer)."
            )


def keep_root_extensions(ctx: ImportContext, *, ignore_documentation: bool) -> None:
    kept = ctx.definition["extensions"]
    for key, value in ctx.doc.extensions.items():
        if key in ROOT_EXTENSIONS_ACTED_ON or (key == DOCUMENTATION and ignore_documentation):
            continue
        kept[key] = value
        reason = ("Tollway does not support documentation parts yet" if key == DOCUMENTATION
                  else "Tollway does not support it for REST APIs")  # fmt: skip
        ctx.warnings.append(f"{key} at the document root is kept but not acted on: {reason}")
