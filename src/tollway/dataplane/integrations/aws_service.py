"""AWS integrations with services other than Lambda (REST `type: AWS`, spec §3.1, §3.3).

API Gateway calls the service's HTTP API as an HTTP integration calls its backend: the
integration's `httpMethod`, the integration request body (template output or the method
request's body passed through), the mapped headers and query strings. The service's answer
(status, headers, body) is the endpoint response the integration responses map, selected by
its status code as for HTTP. What is particular to AWS:

- the URL is the service's endpoint (AWS's own, or one configured per service, e.g. a local
  emulator) plus the URI's path; `{name}` placeholders in the path or in an action's
  parameters are filled from the mapped `integration.request.path.name` parameters;
- an action URI adds `Action={Action}` and its `&Name=Value` pairs to the query string. For a
  query-protocol service (SNS, SQS) with no body to send they are posted instead, as an
  `application/x-www-form-urlencoded` form, which is how an SDK calls such a service. For a
  JSON-protocol service (DynamoDB, Kinesis, EventBridge, Step Functions) the request also
  gets `X-Amz-Target: {targetPrefix}.{Action}` and `Content-Type:
  application/x-amz-json-{1.0|1.1}` from the service's model (a mapped header wins);
- requests are signed with SigV4 (botocore's signer; S3's variant for S3) with the signing
  name and region of the URI's service.

Tollway has no STS: an integration's `credentials` (a role to assume, or the caller's
identity) is accepted, but requests are signed with the credentials Tollway is configured
with (`AwsCredentials`). Without any, or with a URI Tollway cannot call, the request fails
with API Gateway's 500 `Internal server error` and the log says why. An unreachable endpoint
or a timeout fails as for HTTP integrations.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest

from tollway.dataplane.context import RestContext
from tollway.dataplane.errors import ApiConfigurationError
from tollway.dataplane.integrations.aws_target import Endpoint, ServiceModel, ServiceUri
from tollway.dataplane.integrations.http import NO_BODY_METHODS, PLACEHOLDER, fill_placeholders
from tollway.dataplane.integrations.upstream import UpstreamClient

FORM = "application/x-www-form-urlencoded"


def _encode(value: str) -> str:
    """SigV4's URI encoding (RFC 3986 unreserved characters kept): what is sent is signed."""
    return quote(value, safe="-_.~")


class AwsCredentials:
    """The credentials Tollway signs AWS requests with: from the shared AWS config `profile`
    if one is set, else botocore's default chain (the AWS_ACCESS_KEY_ID /
    AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN variables, the default profile, a container or
    instance role). Looked up once, at the first request that needs them; temporary
    credentials from a profile or role are refreshed by botocore as they expire."""

    def __init__(self, profile: str = "") -> None:
        self._profile = profile
        self._resolved = False
        self._credentials: Any = None

    def current(self) -> Any:
        """botocore's frozen credentials (access_key, secret_key, token), or None."""
        if not self._resolved:
            import botocore.session  # the first AWS service integration pays for it

            session = botocore.session.Session(profile=self._profile or None)
            self._credentials = session.get_credentials()
            self._resolved = True
        if self._credentials is None:
            return None
        return self._credentials.get_frozen_credentials()


@dataclass(frozen=True)
class AwsServices:
    """What AWS service integrations share: configured endpoints ({service or "*": URL},
    see `aws_target.parse_endpoints`) and the signing credentials."""

    endpoints: dict[str, str] = field(default_factory=dict)
    credentials: AwsCredentials = field(default_factory=AwsCredentials)


class AwsServiceIntegration:
    proxy = False

    def __init__(
        self,
        *,
        uri: ServiceUri,
        model: ServiceModel,
        endpoint: Endpoint,
        http_method: str,
        timeout_ms: int,
        upstream: UpstreamClient,
        credentials: AwsCredentials,
        api_id: str,
    ) -> None:
        self._method = http_method
        self._timeout = timeout_ms / 1000
        self._upstream = upstream
        self._credentials = credentials
        self._endpoint = endpoint
        self._user_agent = f"AmazonAPIGateway_{api_id}"
        # Split once into literal text and placeholder names (see http.fill_placeholders).
        self._path = PLACEHOLDER.split(endpoint.path_prefix + uri.path)
        self._action: list[tuple[str, list[str]]] = []
        self._target: str | None = None
        self._content_type: str | None = None
        self._form = False
        if uri.action is not None:
            self._action = [("Action", [uri.action])]
            self._action += [(name, PLACEHOLDER.split(value)) for name, value in uri.parameters]
            if model.protocol == "json" and model.target_prefix:
                self._target = f"{model.target_prefix}.{uri.action}"
                self._content_type = model.content_type
            self._form = model.protocol == "query"

    def _query(self, ctx: RestContext) -> list[str]:
        pairs = [
            f"{_encode(name)}={_encode(fill_placeholders(parts, ctx, encode=False))}"
            for name, parts in self._action
        ]
        if ctx.mapped is not None:
            for name, values in ctx.mapped.querystring.items():
                pairs.extend(f"{_encode(name)}={_encode(value)}" for value in values)
        return pairs

    def _request(self, ctx: RestContext, method: str) -> tuple[str, dict[str, str], bytes | None]:
        """URL, headers and body, before signing."""
        body = None if method in NO_BODY_METHODS else ctx.integration_body
        headers = {"Host": self._endpoint.host}
        content_type = self._content_type
        query = self._query(ctx)
        url = self._endpoint.base_url + fill_placeholders(self._path, ctx)
        if self._form and body is not None and not body:
            body, query, content_type = "&".join(query).encode(), [], FORM
        if query:
            url += "?" + "&".join(query)
        if self._target:
            headers["X-Amz-Target"] = self._target
        if body is not None:
            content_type = content_type or ctx.request.header("Content-Type")
            if content_type:
                headers["Content-Type"] = content_type
        if ctx.mapped is not None:
            lowered = {name.lower(): name for name in headers}
            for name, values in ctx.mapped.headers.items():
                headers.pop(lowered.get(name.lower(), name), None)
                headers[name] = ",".join(values)
        present = {name.lower() for name in headers}
        if "user-agent" not in present:
            headers["User-Agent"] = self._user_agent
        if "accept" not in present:
            headers["Accept"] = "application/json"
        headers["X-Amzn-Trace-Id"] = ctx.trace_id
        return url, headers, body

    async def invoke(self, ctx: RestContext) -> None:
        method = ctx.request.method if self._method == "ANY" else self._method
        url, headers, body = self._request(ctx, method)
        signed = sign_request(self._credentials, self._endpoint, method, url, headers, body)
        started = time.perf_counter()
        try:
            response = await self._upstream.send(
                method, url, signed, body, time_limit=self._timeout
            )
        finally:
            ctx.integration_latency = int((time.perf_counter() - started) * 1000)
        ctx.integration_status = response.status
        ctx.selection_value = str(response.status)
        ctx.endpoint_response = response


def sign_request(
    credentials: AwsCredentials,
    endpoint: Endpoint,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
) -> list[tuple[str, str]]:
    """The headers of a request signed with SigV4 (S3's variant for S3) for the endpoint's
    signing name and region. Without credentials the request cannot be made: API Gateway's
    500, and the log says how to give Tollway some."""
    frozen = credentials.current()
    if frozen is None:
        raise ApiConfigurationError(
            log="Execution failed due to configuration error: no AWS credentials to sign "
            f"the request to {endpoint.base_url} with (set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or --aws-profile)"
        )
    request = AWSRequest(method=method, url=url, data=body or b"", headers=headers)
    signer = S3SigV4Auth if endpoint.signing_name == "s3" else SigV4Auth
    signer(frozen, endpoint.signing_name, endpoint.signing_region).add_auth(request)
    return [(str(name), str(value)) for name, value in request.headers.items()]


class BrokenAwsIntegration:
    """An AWS integration Tollway cannot call (its URI or endpoint): every request fails with
    500 and the log says why."""

    proxy = False

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def invoke(self, ctx: RestContext) -> None:
        raise ApiConfigurationError(
            log=f"Execution failed due to configuration error: {self.reason}"
        )
