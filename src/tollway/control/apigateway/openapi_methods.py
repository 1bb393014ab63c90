"""ImportRestApi / PutRestApi: resources from `paths`, and for each operation the method, its
method responses and (openapi_integrations) its integration.

Everything is built through `rules` (CreateResource, PutMethod, PutMethodResponse), so an
imported API equals one defined by calls and is refused with the same messages, prefixed with
where, in AWS's import style: `Unable to put method 'GET' on resource at path '/pets': ...`.

Choices where AWS's documentation is silent:
- Every variable of a method's path (`{petId}`, not greedy `{proxy+}`) is declared as a required
  method request parameter even when the document omits it, as AWS does on import (LocalStack's
  AWS-validated `test_import_with_global_api_key_authorizer`); a declared one keeps its entry.
- A method the document defines replaces the method of that verb on that resource (PutRestApi
  merge); methods the document does not mention are left alone.
- The document root's `security` is the default of every operation without its own, as
  OpenAPI defines it (AWS applies a root-level authorizer to every method, per LocalStack's
  AWS-validated test); an operation's `security: []` removes it.
- `x-amazon-apigateway-auth` wins over `security` for the authorization type.
- `x-amazon-apigateway-api-key: true|false` is accepted on an operation as a way to set
  `apiKeyRequired` (it is not among AWS's documented extensions; an API key security
  requirement is the documented way).
"""

from __future__ import annotations

from typing import Any

from tollway.control.apigateway import rules
from tollway.control.apigateway.mapping_rules import check_request_mapping, check_response_mapping
from tollway.control.apigateway.openapi_common import (
    API_KEY,
    AUTH,
    INTEGRATION,
    KEPT_METHODS,
    OPERATION_EXTENSIONS_ACTED_ON,
    REQUEST_VALIDATOR,
    describe,
    path_variables,
)
from tollway.control.apigateway.openapi_document import ModelRef, Operation, Schema
from tollway.control.apigateway.openapi_integrations import build_integration
from tollway.control.apigateway.openapi_parts import (
    API_KEY_SCHEME,
    AUTHORIZER_SCHEME,
    IAM_SCHEME,
    ImportContext,
    inline_model,
)
from tollway.control.errors import ServiceError
from tollway.model.rest import Authorizer, Integration, Method, MethodResponse, resource_path


def import_paths(ctx: ImportContext) -> None:
    tree = _ResourceTree(ctx)
    for path in ctx.doc.paths:
        tree.ensure(path)
    for op in ctx.doc.operations:
        resource_id = tree.ensure(op.path)
        if resource_id is None:
            continue  # the resource could not be created; that is reported once
        method = _MethodBuilder(ctx, op, resource_id).build()
        if method is not None:
            resource = ctx.definition["resources"][resource_id]
            resource.setdefault("resourceMethods", {})[op.verb] = method


class _ResourceTree:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.resources = ctx.definition["resources"]
        self.ids = {resource_path(self.resources, rid): rid for rid in self.resources}
        self.failed: set[str] = set()

    def ensure(self, path: str) -> str | None:
        """The id of the resource at `path`, creating it and its ancestors as needed."""
        if path in self.ids:
            return self.ids[path]
        if path in self.failed:
            return None
        parent_path, _, part = path.rpartition("/")
        parent_id = self.ensure(parent_path or "/")
        if parent_id is None:
            self.failed.add(path)
            return None
        try:
            resource = rules.new_resource(self.resources, parent_id, part)
        except ServiceError as e:
            self.ctx.errors.append(f"Unable to create resource at path '{path}': {e.message}")
            self.failed.add(path)
            return None
        resource["id"] = self.ctx.previous_resource_id(path) or resource["id"]
        self.resources[resource["id"]] = resource
        self.ids[path] = resource["id"]
        return resource["id"]


class _MethodBuilder:
    def __init__(self, ctx: ImportContext, op: Operation, resource_id: str) -> None:
        self.ctx = ctx
        self.op = op
        self.resource_id = resource_id
        self.on = f"'{op.verb}' for resource at path '{op.path}'"

    def build(self) -> Method | None:
        op, ctx = self.op, self.ctx
        authorization, api_key, authorizer = self._security()
        extension = self._auth_extension()
        if extension is not None and authorizer is not None:
            authorizer = None  # the extension's NONE / AWS_IAM wins over the requirement
        try:
            method = rules.new_method(
                op.verb,
                authorization_type=extension or authorization,
                authorizer_id=authorizer[0]["id"] if authorizer else None,
                authorization_scopes=authorizer[1] if authorizer else None,
                api_key_required=self._api_key_extension(api_key),
                operation_name=op.operation_id,
                request_parameters=self._request_parameters(),
                request_models=self._models(op.body, f"request body of {op.label}"),
                request_validator_id=self._validator_id(),
            )
        except ServiceError as e:
            ctx.errors.append(f"Unable to put method '{op.verb}' on resource at path "
                              f"'{op.path}': {e.message}")  # fmt: skip
            return None
        responses = self._method_responses()
        if responses:
            method["methodResponses"] = responses
        if op.extensions.get(INTEGRATION) is not None:
            integration = build_integration(ctx, op, self.resource_id)
            if integration is not None and self._mappings_hold(method, integration):
                method["methodIntegration"] = integration
        self._keep()
        return method

    def _mappings_hold(self, method: Method, integration: Integration) -> bool:
        """PutIntegration's and PutIntegrationResponse's mapping checks (mapping_rules)."""
        responses: dict[str, MethodResponse] = method.get("methodResponses") or {}
        try:
            check_request_mapping(
                method.get("requestParameters"), integration.get("requestParameters")
            )
            for status, response in (integration.get("integrationResponses") or {}).items():
                declared = (
                    responses[status].get("responseParameters") if status in responses else None
                )
                check_response_mapping(declared, response.get("responseParameters"))
        except ServiceError as e:
            self.ctx.errors.append(f"Unable to put integration on {self.on}: {e.message}")
            return False
        return True

    # --- method request -------------------------------------------------------------------

    def _request_parameters(self) -> dict[str, bool]:
        params = {f"method.request.{p.location}.{p.name}": p.required for p in self.op.parameters}
        for name in path_variables(self.op.path):
            params.setdefault(f"method.request.path.{name}", True)
        return params

    def _models(self, schemas: dict[str, Schema], where: str) -> dict[str, str]:
        out = {}
        for content_type, schema in schemas.items():
            if not isinstance(schema, ModelRef):
                out[content_type] = inline_model(self.ctx, schema)
            elif schema.name in self.ctx.definition["models"]:
                out[content_type] = schema.name
            elif schema.name not in self.ctx.doc.schemas:  # a refused model is reported already
                self.ctx.warnings.append(
                    f"Reference to model '{schema.name}' ({where}) not found. Ignoring."
                )
        return out

    def _security(self) -> tuple[str | None, bool, tuple[Authorizer, list[str]] | None]:
        """The authorization type, whether an API key is required, and the authorizer (with
        the requirement's scopes) the operation's security requirements ask for."""
        op, ctx = self.op, self.ctx
        requirements = op.security if op.security is not None else ctx.doc.security
        authorization, api_key, authorizer = None, False, None
        for requirement in requirements or []:
            for name, scopes in requirement.items():
                kind = ctx.scheme_kinds.get(name)
                if kind == API_KEY_SCHEME:
                    api_key = True
                elif kind == IAM_SCHEME:
                    authorization = "AWS_IAM"
                elif kind == AUTHORIZER_SCHEME:
                    if authorizer is not None:
                        ctx.warnings.append(
                            f"{op.label} names more than one authorizer; API Gateway uses one "
                            f"per method: '{authorizer[0]['name']}'"
                        )
                        continue
                    found = ctx.authorizers[name]
                    is_cognito = found["type"] == "COGNITO_USER_POOLS"
                    authorization = "COGNITO_USER_POOLS" if is_cognito else "CUSTOM"
                    authorizer = (found, [s for s in scopes or [] if isinstance(s, str)])
                elif name not in ctx.doc.security_schemes:
                    ctx.warnings.append(
                        f"The security requirement of {op.label} names '{name}', which is not a "
                        "security scheme of the document; it is ignored."
                    )
        return authorization, api_key, authorizer

    def _auth_extension(self) -> str | None:
        raw = self.op.extensions.get(AUTH)
        if raw is None:
            return None
        if isinstance(raw, dict) and isinstance(raw.get("type"), str):
            return str(raw["type"]).upper()
        self.ctx.warnings.append(f"{AUTH} of {self.op.label} must be an object with a 'type' "
                                 "(NONE or AWS_IAM); it is ignored.")  # fmt: skip
        return None

    def _api_key_extension(self, required: bool) -> bool:
        raw = self.op.extensions.get(API_KEY)
        if raw is None:
            return required
        if isinstance(raw, bool):
            return raw
        self.ctx.warnings.append(f"{API_KEY} of {self.op.label} must be true or false; it is "
                                 "ignored.")  # fmt: skip
        return required

    def _validator_id(self) -> str | None:
        op, ctx = self.op, self.ctx
        name = op.extensions.get(REQUEST_VALIDATOR, ctx.doc.extensions.get(REQUEST_VALIDATOR))
        if name is None:
            return None
        validator_id = ctx.validator_id(name) if isinstance(name, str) else None
        if validator_id is None:
            ctx.warnings.append(
                f"{REQUEST_VALIDATOR} of {op.label} names {_describe_name(name)}, which "
                "x-amazon-apigateway-request-validators does not define; the method's requests "
                "are not validated."
            )
        return validator_id

    def _keep(self) -> None:
        """Records what the method keeps without acting on it (see openapi_common)."""
        op, ctx = self.op, self.ctx
        kept: dict[str, Any] = {}
        for key, value in op.extensions.items():
            if key not in OPERATION_EXTENSIONS_ACTED_ON:
                kept[key] = value
                ctx.warnings.append(f"{key} on {op.label} is kept but not acted on: Tollway "
                                    "does not know this operation extension.")  # fmt: skip
        methods = ctx.definition["extensions"].setdefault(KEPT_METHODS, {})
        per_resource = methods.setdefault(self.resource_id, {})
        per_resource.pop(op.verb, None)
        if kept:
            per_resource[op.verb] = kept
        if not per_resource:
            del methods[self.resource_id]
        if not methods:
            del ctx.definition["extensions"][KEPT_METHODS]

    # --- method responses -----------------------------------------------------------------

    def _method_responses(self) -> dict[str, MethodResponse]:
        out = {}
        for response in self.op.responses:
            try:
                out[response.status] = rules.new_method_response(
                    response.status,
                    response_parameters={
                        f"method.response.header.{h}": False for h in response.headers
                    },
                    response_models=self._models(
                        response.models, f"response {response.status} of {self.op.label}"
                    ),
                )
            except ServiceError as e:
                self.ctx.errors.append(f"Unable to put method response '{response.status}' on "
                                       f"{self.on}: {e.message}")  # fmt: skip
        return out


def _describe_name(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else describe(value)
