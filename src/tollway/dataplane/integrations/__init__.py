"""Integrations, one class per API Gateway integration type, built by `build_integration`
when a deployment is compiled. All outbound HTTP goes through one pooled UpstreamClient."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tollway.dataplane.auth.services import AuthServices
from tollway.dataplane.compiled import IntegrationHandler
from tollway.dataplane.integrations.aws_service import (
    AwsServiceIntegration,
    AwsServices,
    BrokenAwsIntegration,
)
from tollway.dataplane.integrations.aws_target import (
    TargetError,
    parse_service_uri,
    resolve_endpoint,
    service_model,
)
from tollway.dataplane.integrations.http import HttpIntegration
from tollway.dataplane.integrations.lambda_custom import LambdaCustomIntegration
from tollway.dataplane.integrations.lambda_proxy import FunctionInvoker, LambdaProxyIntegration
from tollway.dataplane.integrations.mock import MockIntegration
from tollway.dataplane.integrations.unsupported import UnsupportedIntegration
from tollway.dataplane.integrations.upstream import UpstreamClient
from tollway.model.arns import lambda_function_of
from tollway.model.rest import DEFAULT_TIMEOUT_MILLIS, Integration
from tollway.state.response_cache import MemoryResponseCache, ResponseCache

_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


@dataclass(frozen=True)
class IntegrationServices:
    upstream: UpstreamClient
    functions: FunctionInvoker
    region: str
    account_id: str
    aws: AwsServices = field(default_factory=AwsServices)
    auth: AuthServices = field(default_factory=AuthServices)
    # the stage cache every compiled stage's cached methods use (state/response_cache.py)
    response_cache: ResponseCache = field(default_factory=MemoryResponseCache)


def substitute_stage_variables(text: str, variables: dict[str, str]) -> str:
    """`${stageVariables.name}` in integration URIs, resolved once per stage."""
    return _STAGE_VARIABLE.sub(lambda m: variables.get(m.group(1), ""), text)


def lambda_addresses(
    function: str, api_id: str, stage_name: str, services: IntegrationServices
) -> tuple[str, str]:
    """What a Lambda integration of a stage calls with: the source ARN's prefix
    (`arn:aws:execute-api:{region}:{account}:{api}/{stage}/`) and Lambda's Invoke URL of the
    function (as the execution log names it)."""
    return (
        f"arn:aws:execute-api:{services.region}:{services.account_id}:{api_id}/{stage_name}/",
        f"https://lambda.{services.region}.amazonaws.com/2015-03-31/functions/"
        f"{function}/invocations",
    )


def build_integration(
    integration: Integration,
    *,
    api_id: str,
    stage_name: str,
    variables: dict[str, str],
    services: IntegrationServices,
) -> tuple[IntegrationHandler, list[str]]:
    """The handler for an integration, and warnings about what Tollway does not support."""
    kind = integration["type"]
    uri = substitute_stage_variables(integration.get("uri", ""), variables)
    timeout = integration.get("timeoutInMillis", DEFAULT_TIMEOUT_MILLIS)
    if integration.get("connectionType") == "VPC_LINK":
        reason = "VPC links (connectionType VPC_LINK)"
        return UnsupportedIntegration(reason, proxy=kind.endswith("_PROXY")), [reason]
    if kind == "MOCK":
        return MockIntegration(), []
    if kind in ("HTTP", "HTTP_PROXY"):
        verify = not (integration.get("tlsConfig") or {}).get("insecureSkipVerification", False)
        return HttpIntegration(
            proxy=kind == "HTTP_PROXY",
            http_method=integration.get("httpMethod", "ANY"),
            uri=uri,
            timeout_ms=timeout,
            verify_tls=verify,
            upstream=services.upstream,
            api_id=api_id,
        ), []
    function = lambda_function_of(uri)
    if kind in ("AWS_PROXY", "AWS") and function is not None:
        lambda_integration = (
            LambdaProxyIntegration if kind == "AWS_PROXY" else LambdaCustomIntegration
        )
        arn_prefix, endpoint_uri = lambda_addresses(function, api_id, stage_name, services)
        return lambda_integration(
            function_ref=function,
            http_method=integration.get("httpMethod", "POST"),
            timeout_ms=timeout,
            invoker=services.functions,
            arn_prefix=arn_prefix,
            endpoint_uri=endpoint_uri,
        ), []
    if kind == "AWS_PROXY":
        reason = f"AWS_PROXY integrations with services other than Lambda ({uri})"
        return UnsupportedIntegration(reason, proxy=True), [reason]
    return _aws_service_integration(integration, uri, timeout, api_id, services)


def _aws_service_integration(
    integration: Integration,
    uri: str,
    timeout: int,
    api_id: str,
    services: IntegrationServices,
) -> tuple[IntegrationHandler, list[str]]:
    """A REST `type: AWS` integration with a service other than Lambda (aws_service.py)."""
    try:
        parsed = parse_service_uri(uri, services.region)
        endpoint = resolve_endpoint(parsed, services.aws.endpoints)
    except TargetError as e:
        reason = f"AWS integration Tollway cannot call: {e}"
        return BrokenAwsIntegration(reason), [reason]
    return AwsServiceIntegration(
        uri=parsed,
        model=service_model(parsed.service),
        endpoint=endpoint,
        http_method=integration.get("httpMethod", "POST"),
        timeout_ms=timeout,
        upstream=services.upstream,
        credentials=services.aws.credentials,
        api_id=api_id,
    ), []
