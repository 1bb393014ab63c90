"""Compiles a stage and its frozen deployment into what the data plane runs (compiled.py).

Everything a request would otherwise parse is done here once: the resource tree becomes a
route tree, mapping templates are compiled, selection patterns become regexes, parameter
mappings become getters, gateway responses and the access-log format become renderers,
integration URIs get their stage variables. A method whose configuration cannot be compiled
(a broken template, say) is kept with its error, so its requests fail the way AWS fails them
(500, API_CONFIGURATION_ERROR) while the rest of the API serves.

Features the deployment uses that Tollway does not act on yet are collected as warnings and
logged when the stage is loaded, naming each feature and where it is used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from tollway.dataplane.auth import build as auth
from tollway.dataplane.binary import MediaTypes, payload_handling
from tollway.dataplane.caching import MethodCache, cache_warnings, method_cache
from tollway.dataplane.compiled import (
    AccessLogFormat,
    CompiledGatewayResponse,
    CompiledIntegrationResponse,
    CompiledMethod,
    CompiledStage,
    RequestMapping,
    Templates,
)
from tollway.dataplane.context import RestContext
from tollway.dataplane.integrations import IntegrationServices, build_integration
from tollway.dataplane.integrations.unsupported import UnsupportedIntegration
from tollway.dataplane.mapping.parameters import (
    GATEWAY_RESPONSE,
    REQUEST,
    RESPONSE,
    MappingError,
    as_text,
    compile_source,
)
from tollway.dataplane.mapping.vtl import MappingTemplate, TemplateError
from tollway.dataplane.router import RouteNode
from tollway.dataplane.substitution import compile_text
from tollway.dataplane.throttling import rest_method_bucket
from tollway.dataplane.validation import (
    ModelError,
    Models,
    RequestValidation,
    compile_validation,
)
from tollway.model.gateway_responses import DEFAULTS, effective_response
from tollway.model.rest import (
    Integration,
    IntegrationResponse,
    Method,
    Resource,
    RestApiDefinition,
    Stage,
    resource_path,
)

NOT_CUSTOMISABLE = frozenset({"REQUEST_TOO_LARGE"})
# AWS writes an authorization refusal's body with a capital M, `{"Message":"User: ... is not
# authorized ..."}` (spec §5.3, §5.5), while GetGatewayResponses reports the usual template.
ACCESS_DENIED_TEMPLATE = '{"Message":$context.error.messageString}'

# Integration request headers API Gateway sets itself: mapping one fails every request with
# 500 ("<header> header already present", spec §3.3).
OWNED_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "x-amzn-trace-id", "x-amzn-apigateway-api-id"}
)
OWNED_HEADERS_AWS = OWNED_HEADERS | {
    "authorization",
    "connection",
    "expect",
    "proxy-authenticate",
    "te",
}

CLF_FORMAT = (
    "$context.identity.sourceIp $context.identity.caller $context.identity.user "
    '[$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" '
    "$context.status $context.responseLength $context.requestId $context.extendedRequestId"
)
"""The access-log format when the stage sets none: the console's CLF preset (spec §11.4)."""


def compile_stage(
    definition: RestApiDefinition,
    deployment_id: str,
    stage: Stage,
    services: IntegrationServices,
    *,
    only: tuple[str, str] | None = None,
) -> CompiledStage:
    """`only` (resource id, HTTP method) compiles that one method and nothing else of the
    resource tree: what TestInvokeMethod runs."""
    api = definition["api"]
    variables = dict(stage.get("variables") or {})
    warnings: list[str] = []
    router: RouteNode[CompiledMethod] = RouteNode()
    models = Models(api["id"], definition["models"])  # compiled once, for every method
    media_types = MediaTypes(api.get("binaryMediaTypes") or ())
    resources = definition["resources"]
    for resource in resources.values():
        if only is not None and resource["id"] != only[0]:
            continue
        parts = _path_parts(resources, resource)
        for verb, method in (resource.get("resourceMethods") or {}).items():
            if only is not None and verb != only[1]:
                continue
            compiled = _compile_method(
                definition, resource, method, stage, services, models, media_types, warnings
            )
            if only is None:  # TestInvokeMethod never reads or fills the stage cache
                compiled.cache = _method_cache(definition, deployment_id, stage, compiled, method,
                                               services, warnings)  # fmt: skip
            router.add(parts, verb, compiled)
    warnings.extend(_stage_warnings(definition, stage))
    # TestInvokeMethod (`only`) calls the method as the API's owner, past the resource
    # policy, as the console's test does on AWS.
    policy = auth.resource_policy(definition, stage, services, warnings) if only is None else None
    access_format = (stage.get("accessLogSettings") or {}).get("format") or CLF_FORMAT
    return CompiledStage(
        api_id=api["id"],
        api_name=api["name"],
        stage_name=stage["stageName"],
        deployment_id=deployment_id,
        account_id=services.account_id,
        region=services.region,
        variables=variables,
        router=router,
        gateway_responses=_compile_gateway_responses(definition, variables),
        access_log=AccessLogFormat(
            compile_text(access_format.rstrip("\n"), variables, missing="-")
        ),
        disable_execute_api_endpoint=api.get("disableExecuteApiEndpoint", False),
        warnings=warnings,
        minimum_compression_size=api.get("minimumCompressionSize"),
        binary_media_types=media_types,
        resource_policy=policy,
        api_key_source=api.get("apiKeySource") or "HEADER",
    )


_EMPTY_DEFINITION: RestApiDefinition = {
    "api": {
        "id": "",
        "name": "",
        "createdDate": 0,
        "rootResourceId": "",
        "apiKeySource": "HEADER",
        "endpointConfiguration": {},
        "disableExecuteApiEndpoint": False,
    },
    "resources": {},
    "models": {},
    "requestValidators": {},
    "gatewayResponses": {},
    "extensions": {},
}
_DEFAULT_RESPONSES: dict[str, CompiledGatewayResponse] = {}
_DEFAULT_ACCESS_LOG = AccessLogFormat(compile_text(CLF_FORMAT, {}, missing="-"))


def unknown_stage(api_id: str, stage_name: str, account_id: str, region: str) -> CompiledStage:
    """What serves a request for a stage the API does not have: nothing routes (so AWS's
    403 Missing Authentication Token), with the default gateway responses."""
    if not _DEFAULT_RESPONSES:
        _DEFAULT_RESPONSES.update(_compile_gateway_responses(_EMPTY_DEFINITION, {}))
    return CompiledStage(
        api_id=api_id,
        api_name="",
        stage_name=stage_name,
        deployment_id="",
        account_id=account_id,
        region=region,
        variables={},
        router=RouteNode(),
        gateway_responses=_DEFAULT_RESPONSES,
        access_log=_DEFAULT_ACCESS_LOG,
        disable_execute_api_endpoint=False,
    )


def _path_parts(resources: dict[str, Resource], resource: Resource) -> list[str]:
    return [p for p in resource_path(resources, resource["id"]).split("/") if p]


def _compile_method(
    definition: RestApiDefinition,
    resource: Resource,
    method: Method,
    stage: Stage,
    services: IntegrationServices,
    models: Models,
    media_types: MediaTypes,
    warnings: list[str],
) -> CompiledMethod:
    path = resource_path(definition["resources"], resource["id"])
    where = f"{method['httpMethod']} {path}"
    warnings.extend(f"{feature} on {where}" for feature in _method_warnings(method))
    mock: Any = {"type": "MOCK"}
    integration: Integration = method.get("methodIntegration") or mock
    variables = dict(stage.get("variables") or {})
    handler, problems = build_integration(
        integration,
        api_id=definition["api"]["id"],
        stage_name=stage["stageName"],
        variables=variables,
        services=services,
    )
    warnings.extend(f"{p} on {where}" for p in problems)
    compiled = CompiledMethod(
        http_method=method["httpMethod"],
        resource_id=resource["id"],
        resource_path=path,
        integration_type=integration["type"],
        integration=handler,
        request_mapping=RequestMapping(),
        request_templates=Templates({}, None),
        passthrough=integration.get("passthroughBehavior", "WHEN_NO_MATCH"),
        responses=[],
        default_response=None,
        api_key_required=bool(method.get("apiKeyRequired")),
        throttle=rest_method_bucket(
            stage.get("methodSettings"),
            definition["api"]["id"],
            stage["stageName"],
            path,
            method["httpMethod"],
        ),
        throttle_key=f"{path}/{method['httpMethod']}",
    )
    method_warnings: list[str] = []
    compiled.authorization = auth.method_authorization(
        definition, method, stage, services, method_warnings
    )
    warnings.extend(f"{w} on {where}" for w in method_warnings)
    if "methodIntegration" not in method:
        compiled.integration = UnsupportedIntegration("the method has no integration")
        return compiled
    try:
        compiled.validation = _validation(definition, method, models)
    except ModelError as e:
        compiled.config_error = f"{where}: {e}"
        warnings.append(f"configuration error on {where} (its requests will fail with 500): {e}")
        return compiled
    try:
        compiled.request_mapping = _request_mapping(integration, variables)
        _check_owned_headers(integration)
        # The request payload is converted for a backend: not for MOCK, which has none (its
        # template only names the status), nor AWS_PROXY, whose event has its own rule.
        if integration["type"] not in ("AWS_PROXY", "MOCK"):
            compiled.payload = payload_handling(media_types, integration.get("contentHandling"))
        if not handler.proxy:
            compiled.request_templates = _templates(integration.get("requestTemplates"))
            _compile_responses(compiled, integration, variables, media_types)
    except (TemplateError, MappingError, re.error) as e:
        compiled.config_error = f"{where}: {e}"
        warnings.append(f"configuration error on {where} (its requests will fail with 500): {e}")
    return compiled


def _validation(
    definition: RestApiDefinition, method: Method, models: Models
) -> RequestValidation | None:
    validator_id = method.get("requestValidatorId")
    if not validator_id:
        return None
    validator = definition["requestValidators"].get(validator_id)
    if validator is None:
        raise ModelError(f"the request validator {validator_id} does not exist")
    return compile_validation(
        validator=validator,
        request_parameters=method.get("requestParameters"),
        request_models=method.get("requestModels"),
        models=models,
    )


def _method_cache(
    definition: RestApiDefinition,
    deployment_id: str,
    stage: Stage,
    compiled: CompiledMethod,
    method: Method,
    services: IntegrationServices,
    warnings: list[str],
) -> MethodCache | None:
    problems: list[str] = []
    cache = method_cache(
        api_id=definition["api"]["id"],
        stage=stage,
        deployment_id=deployment_id,
        resource_id=compiled.resource_id,
        resource_path=compiled.resource_path,
        http_method=compiled.http_method,
        integration=method.get("methodIntegration"),
        services=services,
        warnings=problems,
    )
    where = f"{compiled.http_method} {compiled.resource_path}"
    warnings.extend(f"{p} on {where}" for p in problems)
    return cache


def _method_warnings(method: Method) -> list[str]:
    return []


def _stage_warnings(definition: RestApiDefinition, stage: Stage) -> list[str]:
    found = []
    found.extend(cache_warnings(stage))
    if stage.get("clientCertificateId"):
        found.append("backend client certificates (clientCertificateId) are not sent yet")
    extensions = definition.get("extensions") or {}
    for name in extensions:
        if name.startswith("x-"):
            found.append(f"the OpenAPI extension {name} is kept but not acted on")
    for name in extensions.get("securitySchemes") or {}:
        found.append(f"the authorizer of security scheme {name} is not enforced yet")
    return found


def _request_mapping(integration: Integration, variables: dict[str, str]) -> RequestMapping:
    mapping = RequestMapping()
    targets = {
        "path": mapping.path,
        "querystring": mapping.querystring,
        "header": mapping.headers,
        "multivaluequerystring": mapping.querystring,
        "multivalueheader": mapping.headers,
    }
    for target, source in (integration.get("requestParameters") or {}).items():
        prefix, _, rest = target.partition("integration.request.")
        location, _, name = rest.partition(".")
        if prefix or location not in targets or not name:
            raise MappingError(f"Invalid mapping expression specified: {target}")
        targets[location].append((name, compile_source(source, REQUEST, variables)))
    return mapping


def _check_owned_headers(integration: Integration) -> None:
    owned = OWNED_HEADERS_AWS if integration["type"].startswith("AWS") else OWNED_HEADERS
    for target in integration.get("requestParameters") or {}:
        for prefix in ("integration.request.header.", "integration.request.multivalueheader."):
            name = target.removeprefix(prefix)
            if name != target and name.lower() in owned:
                raise MappingError(f"{name} header already present")


def _templates(raw: dict[str, str | None] | None) -> Templates:
    compiled = {ctype: MappingTemplate.compile(text or "") for ctype, text in (raw or {}).items()}
    return Templates(compiled, next(iter(compiled), None))


def _compile_responses(
    compiled: CompiledMethod,
    integration: Integration,
    variables: dict[str, str],
    media_types: MediaTypes,
) -> None:
    for response in (integration.get("integrationResponses") or {}).values():
        entry = _compile_response(response, variables, media_types)
        if entry.pattern is None:
            compiled.default_response = entry
        else:
            compiled.responses.append(entry)


def _compile_response(
    response: IntegrationResponse, variables: dict[str, str], media_types: MediaTypes
) -> CompiledIntegrationResponse:
    pattern = response.get("selectionPattern")
    headers: list[tuple[str, Callable[[RestContext], str | None]]] = []
    for target, source in (response.get("responseParameters") or {}).items():
        if not target.startswith("method.response.header."):
            raise MappingError(f"Invalid mapping expression specified: {target}")
        get = compile_source(source, RESPONSE, variables)
        headers.append((target[len("method.response.header.") :], _text(get)))
    return CompiledIntegrationResponse(
        status=int(response["statusCode"]),
        pattern=re.compile(pattern) if pattern else None,
        templates=_templates(response.get("responseTemplates")),
        headers=headers,
        payload=payload_handling(media_types, response.get("contentHandling")),
    )


def _text(get: Callable[[RestContext], Any]) -> Callable[[RestContext], str | None]:
    return lambda ctx: as_text(get(ctx))


def _compile_gateway_responses(
    definition: RestApiDefinition, variables: dict[str, str]
) -> dict[str, CompiledGatewayResponse]:
    out = {}
    for response_type in DEFAULTS:
        # AWS does not let REQUEST_TOO_LARGE be customised (Doc known issues).
        customised = {} if response_type in NOT_CUSTOMISABLE else definition["gatewayResponses"]
        response = effective_response(customised, response_type)
        own: Mapping[str, Any] = (
            customised.get(response_type)
            or customised.get(DEFAULTS[response_type].fallback or "")
            or {}
        )
        headers = []
        for target, source in (response.get("responseParameters") or {}).items():
            name = target.removeprefix("gatewayresponse.header.")
            try:
                get = compile_source(source, GATEWAY_RESPONSE, variables)
            except MappingError:
                continue  # AWS refuses such mappings when they are put; nothing to send
            headers.append((name, _text(get)))
        texts = response["responseTemplates"]
        if response_type == "ACCESS_DENIED" and not own.get("responseTemplates"):
            texts = {"application/json": ACCESS_DENIED_TEMPLATE}
        templates = {ctype: compile_text(text, variables) for ctype, text in texts.items()}
        status = response.get("statusCode")
        out[response_type] = CompiledGatewayResponse(
            status=int(status) if status else None,
            customised_status=bool(own.get("statusCode")),
            headers=headers,
            templates=templates,
            first_template=next(iter(templates)),
            default_template=not own.get("responseTemplates"),
        )
    return out
