"""What an AWS service integration calls, worked out once per deployment (spec §3.1).

An AWS integration's URI names a region, a service and either an action or a path:

    arn:aws:apigateway:{region}:{subdomain.service|service}:action/{Action}[&Name=Value...]
    arn:aws:apigateway:{region}:{subdomain.service|service}:path/{path}

`{service}` is the service's endpoint prefix (`sqs`, `dynamodb`, `states`, `s3`, ...), the
first label of its AWS host name. botocore's service model for it gives what a request needs
beyond the URI: the SigV4 signing name, the protocol (an action of a query-protocol service is
an `Action=` form; of a JSON-protocol one an `X-Amz-Target: {targetPrefix}.{Action}` header
with `Content-Type: application/x-amz-json-{jsonVersion}`); botocore's endpoint data gives the
host name on AWS (`sqs.us-east-1.amazonaws.com`, `iam.amazonaws.com`, ...) and a global
service's signing region. Models are read once per process and service, never per request.

SQS is JSON-protocol in today's botocore models, but its model says it remains query
compatible (`awsQueryCompatible`), and the query protocol is what API Gateway's SQS
integrations use (the documented mapping templates are `Action=SendMessage&MessageBody=...`
forms), so services with that mark are treated as query-protocol ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.exceptions import DataNotFoundError, NoRegionError
from botocore.loaders import create_loader
from botocore.regions import EndpointResolver

# URI services whose botocore model has another name (the endpoint prefix is what URIs use).
_MODEL_NAMES = {
    "states": "stepfunctions",
    "monitoring": "cloudwatch",
    "email": "ses",
    "streams.dynamodb": "dynamodbstreams",
    "execute-api": "apigatewaymanagementapi",
    "data.iot": "iot-data",
    "data-ats.iot": "iot-data",
}
_SCHEMES = ("http", "https")


class TargetError(ValueError):
    """An integration URI or endpoint Tollway cannot call."""


@dataclass(frozen=True, slots=True)
class ServiceUri:
    """An AWS integration URI, parsed."""

    region: str
    service: str  # the endpoint prefix: "sqs", "states", "streams.dynamodb"
    subdomain: str  # "" unless the URI names one (`mybucket.s3`)
    action: str | None  # action URIs: "SendMessage"
    parameters: tuple[tuple[str, str], ...]  # action URIs: the `&Name=Value` pairs, decoded
    path: str  # path URIs: "/123456789012/queue", "/{bucket}/{key}"


@dataclass(frozen=True, slots=True)
class ServiceModel:
    """What a request to a service needs from its botocore model."""

    signing_name: str
    protocol: str  # "query", "json", "rest-json", "rest-xml", "ec2", or "" (no model)
    target_prefix: str | None = None
    json_version: str | None = None

    @property
    def content_type(self) -> str:
        return f"application/x-amz-json-{self.json_version or '1.0'}"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where requests for one integration go: base URL (no trailing slash), the Host header
    (signed, so set explicitly), a path prefix (S3 buckets named as a subdomain on a
    configured endpoint, path-style), and the SigV4 signing name and region."""

    base_url: str
    host: str
    path_prefix: str
    signing_name: str
    signing_region: str


def parse_service_uri(uri: str, default_region: str) -> ServiceUri:
    parts = uri.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "apigateway":
        raise TargetError(f"not an AWS integration URI: {uri}")
    _, _, _, region, service, rest = parts
    kind, slash, tail = rest.partition("/")
    if not service or not slash or kind not in ("action", "path"):
        raise TargetError(f"AWS ARN for integration must contain path or action: {uri}")
    subdomain = ""
    if "." in service and service not in _MODEL_NAMES:
        subdomain, _, service = service.rpartition(".")
    region = region or default_region
    if kind == "path":
        return ServiceUri(region, service, subdomain, None, (), "/" + tail.lstrip("/"))
    action, *pairs = tail.split("&")
    if not action:
        raise TargetError(f"AWS ARN for integration must name an action: {uri}")
    parameters = []
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name:
            parameters.append((unquote(name), unquote(value)))
    return ServiceUri(region, service, subdomain, action, tuple(parameters), "/")


@cache
def _loader() -> Any:
    return create_loader()


@cache
def _resolver() -> EndpointResolver:
    return EndpointResolver(_loader().load_data("endpoints"))


@cache
def service_model(service: str) -> ServiceModel:
    """The model of a URI's service; a service botocore does not know is signed with its
    own name and sent as it is (path URIs work; actions get `Action=` only)."""
    name = _MODEL_NAMES.get(service, service)
    try:
        metadata = _loader().load_service_model(name, "service-2")["metadata"]
    except DataNotFoundError:
        return ServiceModel(signing_name=service, protocol="")
    protocol = metadata.get("protocol", "")
    if "awsQueryCompatible" in metadata:
        protocol = "query"
    return ServiceModel(
        signing_name=metadata.get("signingName") or metadata.get("endpointPrefix") or service,
        protocol=protocol,
        target_prefix=metadata.get("targetPrefix"),
        json_version=metadata.get("jsonVersion"),
    )


def model_name(service: str) -> str:
    """botocore's name of a URI's service (`states` → `stepfunctions`)."""
    return _MODEL_NAMES.get(service, service)


def resolve_endpoint(uri: ServiceUri, configured: dict[str, str]) -> Endpoint:
    """The endpoint of a URI's service: the one configured for it (by endpoint prefix or
    botocore name, else `*`), else AWS's own. A subdomain is prepended to the host name,
    except for S3 on a configured endpoint, where it is the bucket and goes first in the path
    (path-style addressing, which every S3-compatible server accepts)."""
    model = service_model(uri.service)
    base = configured.get(uri.service) or configured.get(model_name(uri.service))
    base = base or configured.get("*")
    signing_region = uri.region
    signing_name = model.signing_name
    path_prefix = ""
    if base is None:
        try:
            found = _resolver().construct_endpoint(uri.service, uri.region)
        except NoRegionError:
            found = None
        if not found or "hostname" not in found:
            raise TargetError(f"no AWS endpoint for {uri.service} in region {uri.region!r}")
        scope = found.get("credentialScope") or {}
        signing_region = scope.get("region", signing_region)
        signing_name = scope.get("service", signing_name)
        host = found["hostname"]
        if uri.subdomain:
            host = f"{uri.subdomain}.{host}"
        return Endpoint(f"https://{host}", host, "", signing_name, signing_region)
    split = urlsplit(base)
    try:
        port = split.port
    except ValueError as e:
        raise TargetError(f"invalid endpoint {base!r} for {uri.service}: {e}") from None
    if split.scheme not in _SCHEMES or not split.hostname:
        raise TargetError(f"invalid endpoint {base!r} for {uri.service}: need http(s)://host")
    hostname = split.hostname
    if uri.subdomain and uri.service == "s3":
        path_prefix = "/" + uri.subdomain
    elif uri.subdomain:
        hostname = f"{uri.subdomain}.{hostname}"
    host = f"[{hostname}]" if ":" in hostname else hostname
    if port is not None and port != (443 if split.scheme == "https" else 80):
        host = f"{host}:{port}"
    base_path = split.path.rstrip("/")
    return Endpoint(
        f"{split.scheme}://{host}{base_path}", host, path_prefix, signing_name, signing_region
    )
