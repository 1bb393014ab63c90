"""OpenAPI export: GetExport (`GET /restapis/{id}/stages/{stage}/exports/{oas30|swagger}`),
spec §15.2.

`export_document` writes a deployed definition as AWS writes it: Swagger 2.0 with `host`,
`basePath: /<stage>` and `schemes: [https]`, or OpenAPI 3.0.1 with a server
`https://<api-id>.execute-api.<region>.amazonaws.com/{basePath}` whose `basePath` variable
defaults to the stage. Paths carry parameters (`method.request.*`), request bodies and
responses (`$ref` to the models, response headers), `x-amazon-apigateway-any-method` for ANY,
and security (`api_key` for API keys, `sigv4` for IAM, the method's authorizer by name, with
its scopes); every authorizer of the API is a security scheme (openapi_authorizers.py). Models
become `definitions` / `components.schemas` with their model URLs turned back into local
`$ref`s.

The `extensions` query parameter adds API Gateway's extensions:
- `integrations` (or `apigateway`): `x-amazon-apigateway-integration` per operation, with type
  and passthrough behaviour in lowercase as AWS writes them;
- `apigateway`: also request validators, gateway responses, binary media types, API key source,
  endpoint configuration, policy, minimum compression size, and everything kept on import;
- `authorizers` (or `apigateway`): the `x-amazon-apigateway-authorizer` and
  `x-amazon-apigateway-authtype` of the authorizers' security schemes (without it they are
  written as plain OpenAPI `apiKey` schemes);
- `postman`: accepted; Tollway adds no Postman extensions.
Without extensions the document is plain OpenAPI (no `x-amazon-apigateway-*`).
The caller serialises the returned document to JSON or YAML.

Choices where AWS's documentation is silent:
- Paths are written in path order, methods in the order GET, PUT, POST, DELETE, OPTIONS, HEAD,
  PATCH, ANY; a resource without methods is written (as an empty path item) only when it has
  no children, since its children's paths imply it (the root never: every API has it).
- Swagger `consumes` / `produces` list the request / response model media types, or when the
  method has none, those of its request / response mapping templates (as AWS's sample export
  shows); a body parameter takes the first request model (Swagger has one body schema).
- Integration fields equal to what PutIntegration fills in by default (`cacheNamespace` = the
  resource id, `timeoutInMillis` 29000, `connectionType` INTERNET, no cache key parameters) are
  left out; importing the export yields them again.
- `info.version` is the API's version, else its creation date (`2016-05-27T17:07:04Z`).
- OpenAPI 3.0 puts `x-amazon-apigateway-endpoint-configuration` on the server, Swagger at the
  root (where AWS documents each).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from tollway.control.apigateway.openapi_authorizers import scheme_of
from tollway.control.apigateway.openapi_common import (
    ANY_METHOD,
    API_KEY_SOURCE,
    AUTHTYPE,
    BINARY_MEDIA_TYPES,
    GATEWAY_RESPONSES,
    INTEGRATION,
    KEPT_METHODS,
    KEPT_SECURITY_SCHEMES,
    MINIMUM_COMPRESSION_SIZE,
    POLICY,
    PREFIX,
    REQUEST_VALIDATOR,
    REQUEST_VALIDATORS,
    model_url_name,
    rewrite_refs,
)
from tollway.control.apigateway.openapi_export_formats import Format, format_for
from tollway.control.errors import BadRequestException
from tollway.model import rest_policy
from tollway.model.rest import (
    DEFAULT_TIMEOUT_MILLIS,
    Integration,
    Method,
    RestApiDefinition,
    children_of,
    resource_path,
)

EXPORT_TYPES = ("oas30", "swagger")
_VERB_ORDER = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "ANY")
_LOCATIONS = {"path": "path", "querystring": "query", "header": "header"}
_OPERATION_ORDER = {key: rank for rank, key in enumerate(
    ("operationId", "consumes", "produces", "parameters", "requestBody", "responses", "security")
)}  # fmt: skip
API_KEY_SCHEME = {"type": "apiKey", "name": "x-api-key", "in": "header"}
SIGV4_SCHEME = {"type": "apiKey", "name": "Authorization", "in": "header", AUTHTYPE: "awsSigv4"}
AUTHORIZER_TYPES = ("CUSTOM", "COGNITO_USER_POOLS")


def export_document(
    definition: RestApiDefinition,
    *,
    stage_name: str,
    export_type: str,
    extensions: Collection[str],
    region: str,
) -> dict[str, Any]:
    if export_type not in EXPORT_TYPES:
        raise BadRequestException(
            f"Invalid export type specified: {export_type}. Valid types are "
            + ", ".join(EXPORT_TYPES)
        )
    fmt = format_for(export_type)
    return _Exporter(definition, fmt, set(extensions)).export(stage_name, region)


class _Exporter:
    def __init__(self, definition: RestApiDefinition, fmt: Format, extensions: set[str]) -> None:
        self.definition = definition
        self.fmt = fmt
        self.integrations = bool(extensions & {"integrations", "apigateway"})
        self.apigateway = "apigateway" in extensions
        self.authorizers = bool(extensions & {"authorizers", "apigateway"})
        self.schemes: dict[str, Any] = {}
        self.kept = definition.get("extensions") or {}
        self.validator_names = {v["id"]: v["name"]
                                for v in definition["requestValidators"].values()}  # fmt: skip

    def export(self, stage: str, region: str) -> dict[str, Any]:
        api: dict[str, Any] = dict(self.definition["api"])
        doc = self.fmt.head(api, _info(api), stage, region)
        doc["paths"] = self._paths()
        self.fmt.place(doc, self._schemas(), self._security_schemes())
        if self.apigateway:
            self._root_extensions(doc, api)
        return doc

    # --- paths ----------------------------------------------------------------------------

    def _paths(self) -> dict[str, Any]:
        resources = self.definition["resources"]
        by_path = sorted((resource_path(resources, rid), rid) for rid in resources)
        paths: dict[str, Any] = {}
        for path, rid in by_path:
            methods = resources[rid].get("resourceMethods") or {}
            leaf = path != "/" and not children_of(resources, rid)
            if methods or leaf:
                paths[path] = {
                    _operation_key(verb): self._operation(rid, methods[verb])
                    for verb in sorted(methods, key=_verb_rank)
                }
        return paths

    def _operation(self, resource_id: str, method: Method) -> dict[str, Any]:
        operation: dict[str, Any] = {}
        if "operationName" in method:
            operation["operationId"] = method["operationName"]
        parameters = [
            self.fmt.parameter(parts[3], _LOCATIONS[parts[2]], required)
            for key, required in (method.get("requestParameters") or {}).items()
            if len(parts := key.split(".", 3)) == 4 and parts[2] in _LOCATIONS
        ]
        if parameters:
            operation["parameters"] = parameters
        self.fmt.add_request(operation, method)
        self.fmt.add_responses(operation, self._responses(method), method)
        kept = (self.kept.get(KEPT_METHODS) or {}).get(resource_id, {})
        kept = kept.get(method["httpMethod"], {})
        security = self._security(method, kept.get("security") or [])
        if security:
            operation["security"] = security
        if self.apigateway and method.get("requestValidatorId") in self.validator_names:
            operation[REQUEST_VALIDATOR] = self.validator_names[method["requestValidatorId"]]
        if self.integrations and "methodIntegration" in method:
            operation[INTEGRATION] = _integration(method["methodIntegration"], resource_id)
        if self.apigateway:
            operation.update({k: v for k, v in kept.items() if k.startswith(PREFIX)})
        return _in_aws_order(operation)

    def _responses(self, method: Method) -> dict[str, Any]:
        responses = {}
        for status, response in sorted((method.get("methodResponses") or {}).items()):
            headers = [
                key.removeprefix("method.response.header.")
                for key in response.get("responseParameters") or {}
                if key.startswith("method.response.header.")
            ]
            models = response.get("responseModels") or {}
            responses[status] = self.fmt.response(status, headers, models)
        return responses

    def _security(self, method: Method, kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
        security: list[dict[str, Any]] = []
        if method.get("apiKeyRequired"):
            security.append({"api_key": []})
            self.schemes["api_key"] = API_KEY_SCHEME
        if method.get("authorizationType") == "AWS_IAM":
            security.append({"sigv4": []})
            self.schemes["sigv4"] = SIGV4_SCHEME
        authorizer = self.definition.get("authorizers", {}).get(method.get("authorizerId", ""))
        if authorizer is not None and method["authorizationType"] in AUTHORIZER_TYPES:
            security.append({authorizer["name"]: list(method.get("authorizationScopes") or [])})
        return security + kept

    # --- components -----------------------------------------------------------------------

    def _schemas(self) -> dict[str, Any]:
        def local(ref: str) -> str | None:
            name = model_url_name(ref)
            return self.fmt.schema_ref(name) if name else None

        schemas = {}
        for name, model in sorted(self.definition["models"].items()):
            try:
                schema = json.loads(model.get("schema") or "{}")
            except json.JSONDecodeError:
                continue  # not JSON: nothing an OpenAPI document could hold
            schemas[name] = rewrite_refs(schema, local)
        return schemas

    def _security_schemes(self) -> dict[str, Any]:
        derived = self.integrations or self.authorizers
        schemes = {k: _plain_scheme(v, keep_extensions=derived) for k, v in self.schemes.items()}
        for authorizer in self.definition.get("authorizers", {}).values():
            schemes[authorizer["name"]] = _plain_scheme(
                scheme_of(authorizer), keep_extensions=self.authorizers
            )
        for name, scheme in (self.kept.get(KEPT_SECURITY_SCHEMES) or {}).items():
            schemes[name] = _plain_scheme(scheme, keep_extensions=self.authorizers)
        return schemes

    def _root_extensions(self, doc: dict[str, Any], api: dict[str, Any]) -> None:
        definition = self.definition
        if api.get("apiKeySource", "HEADER") != "HEADER":
            doc[API_KEY_SOURCE] = api["apiKeySource"]
        if api.get("binaryMediaTypes"):
            doc[BINARY_MEDIA_TYPES] = list(api["binaryMediaTypes"])
        if "minimumCompressionSize" in api:
            doc[MINIMUM_COMPRESSION_SIZE] = api["minimumCompressionSize"]
        if api.get("policy"):
            doc[POLICY] = _policy_document(api["policy"])
        endpoint: dict[str, Any] = {}
        if api.get("disableExecuteApiEndpoint"):
            endpoint["disableExecuteApiEndpoint"] = True
        if api["endpointConfiguration"].get("vpcEndpointIds"):
            endpoint["vpcEndpointIds"] = list(api["endpointConfiguration"]["vpcEndpointIds"])
        if endpoint:
            self.fmt.place_endpoint_configuration(doc, endpoint)
        if definition["requestValidators"]:
            doc[REQUEST_VALIDATORS] = {
                v["name"]: {"validateRequestBody": v["validateRequestBody"],
                            "validateRequestParameters": v["validateRequestParameters"]}
                for v in definition["requestValidators"].values()
            }  # fmt: skip
        if definition["gatewayResponses"]:
            doc[GATEWAY_RESPONSES] = {
                t: {k: v for k, v in r.items() if k != "responseType"}
                for t, r in sorted(definition["gatewayResponses"].items())
            }
        doc.update({k: v for k, v in self.kept.items() if k.startswith("x-")})


def _integration(integration: Integration, resource_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {"type": integration["type"].lower()}
    for key in ("httpMethod", "uri", "credentials", "connectionId", "requestParameters",
                "requestTemplates", "contentHandling", "tlsConfig"):  # fmt: skip
        if integration.get(key) is not None:
            out[key] = integration[key]
    if integration.get("connectionType", "INTERNET") != "INTERNET":
        out["connectionType"] = integration["connectionType"]
    out["passthroughBehavior"] = integration["passthroughBehavior"].lower()
    if integration["timeoutInMillis"] != DEFAULT_TIMEOUT_MILLIS:
        out["timeoutInMillis"] = integration["timeoutInMillis"]
    if integration["cacheNamespace"] != resource_id or integration["cacheKeyParameters"]:
        out["cacheNamespace"] = integration["cacheNamespace"]
    if integration["cacheKeyParameters"]:
        out["cacheKeyParameters"] = list(integration["cacheKeyParameters"])
    responses = {}
    for _, response in sorted((integration.get("integrationResponses") or {}).items()):
        key = response.get("selectionPattern") or "default"
        responses[key] = {k: v for k, v in response.items() if k != "selectionPattern"}
    if responses:
        out["responses"] = responses
    return out


def _in_aws_order(operation: dict[str, Any]) -> dict[str, Any]:
    ranked = sorted(operation, key=lambda k: _OPERATION_ORDER.get(k, len(_OPERATION_ORDER)))
    return {key: operation[key] for key in ranked}


def _info(api: dict[str, Any]) -> dict[str, Any]:
    created = datetime.fromtimestamp(api["createdDate"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    info = {"title": api["name"]}
    if api.get("description"):
        info["description"] = api["description"]
    info["version"] = api.get("version") or created
    return info


def _plain_scheme(scheme: dict[str, Any], *, keep_extensions: bool) -> dict[str, Any]:
    return {k: v for k, v in scheme.items() if keep_extensions or not k.startswith(PREFIX)}


def _policy_document(text: str) -> Any:
    """The stored policy (AWS's escaped form, or plain JSON) as the object it is."""
    try:
        return rest_policy.document(text)
    except ValueError:
        return text


def _operation_key(verb: str) -> str:
    return ANY_METHOD if verb == "ANY" else verb.lower()


def _verb_rank(verb: str) -> int:
    return _VERB_ORDER.index(verb) if verb in _VERB_ORDER else len(_VERB_ORDER)
